// Package sim is a seeded model of a prison wing for tests and the demo:
// rooms on two landings, walls, sensors, and emitters that come and go on a
// schedule (illicit phones, staff radios, authorised tablets, Wi-Fi access
// points, a drone with its controller). FromSite makes a wing from a
// site file instead (the site's own rooms, walls and sensors, with the
// standard wing's phones, staff radio and drone placed in its rooms).
//
// It gives three views of the same scenario:
//
//   - ground truth (Active, GroundTruth): who transmitted where and when;
//   - detections (Detections): what each sensor would report, without IQ,
//     for fusion tests;
//   - IQ (NewSource): a sensor.Source and sensor.Tuner producing the samples
//     a HackRF at a sensor position would capture in the band it is tuned to,
//     on a simulated clock that advances with the samples (no sleeping).
//
// Propagation is log-distance path loss (free space at 1 m, exponent
// PathLossExponent beyond) plus the loss of every wall the straight line
// crosses, FloorLossDB per floor between, and log-normal shadowing fixed per
// emitter-sensor pair. Everything derives from the seed: the same seed gives
// the same scenario, detections and samples.
//
// sim never imports fusion; SiteYAML emits the wing in the site-YAML shape
// that fusion/site loads, and FromSite reads that shape itself.
package sim
