// Package agent is the sensor node's main loop: sample source -> scan
// scheduler -> dsp pipeline -> durable outbox -> MQTT.
//
// Every detection becomes an event.Detection with an ID unique across
// restarts (sensor, boot ID, sample index, counter) and is enqueued durably
// before anything else happens to it; a sender goroutine delivers the outbox
// at least once, and on each connection only once fusion's session marker
// has arrived on the sensor's cmd topic (fusiongate.go: before fusion's
// first subscription on a broker, the broker would acknowledge and drop
// them). While the outbox's disk refuses writes (full, EIO) the
// agent goes on: it holds the detections in memory (8192 at most; beyond,
// the oldest are dropped and counted), writes them when the disk takes
// writes again, trying with a backoff, and reports degraded meanwhile. Health (event.Health) is published every health interval,
// spectrum summaries (QoS 0) every spectrum interval, both best effort and
// never blocking the sample loop. Phone uplinks and drone classes trigger a
// short SigMF IQ snippet of the emission's band (not the whole tuning),
// bounded in count and bytes on disk. The tamper
// detector (tamper.go) turns noise-floor collapse, broadband rise, persistent
// clipping and a stalled stream into the health state. Only a finite
// source (a recording) ends, with io.EOF; any other error of the source, in
// Next or in a retune, is counted, logged (the same error at most once a
// minute) and tried again with a backoff from 100 ms to 10 s, and a
// watchdog goroutine, independent of the loop, reports the sensor stalled
// once no block has come for tamper.stall, with the source's error as the
// reason, whether the source fails or hangs. The scan plan's revisits are
// measured against each band's max_revisit: a late one is counted per band
// and logged, and late ones again and again within a minute make health
// degraded, naming the band, until a minute passes without one. For
// sources that can
// change gain (sensor.GainSetter) the AGC (agc.go) lowers a tuning's gain
// while the ADC clips and restores it when the signal is far below full
// scale, and scales each block back to the tuning's reference gain so
// calibrated powers do not jump; the gains are in the health report
// (gain_db, agc_changes) and in metrics.
//
// Time comes from a Clock so tests run in simulated time; metrics go to a
// Prometheus registry passed in; /healthz and /metrics are served on an
// optional HTTP listener.
package agent
