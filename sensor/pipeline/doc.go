// Package pipeline turns sensor Blocks into classified detections: it runs a
// dsp.Detector per tuning, keeps a ring of recent IQ (grown as samples come,
// up to Config.RingSamples) so every emission that closes can be handed,
// with its samples, to a Classifier, and converts
// baseband measurements into RF frequencies, calibrated power and time. A
// retune, or a time gap at one tuning, ends the emissions in flight. A
// recording that carries its sensor's noise floor (NoiseFloorKey, an
// evidence snippet) seeds the Detectors with it (SeedFloors).
//
// A Pipeline is synchronous and single-goroutine: Process returns the results
// of the block it was given. It is not safe for concurrent use.
package pipeline
