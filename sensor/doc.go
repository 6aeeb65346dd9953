// Package sensor is the node side of rfwarden: sample sources (SDR, recordings,
// simulator), the scan scheduler, the agent loop that runs the dsp pipeline and
// classifiers, and the publisher with its durable outbox, health and snippets.
//
// Sources yield Blocks that carry their own tuning, so everything downstream
// (PSD, detection, calibration, annotations) needs nothing but the Block.
package sensor
