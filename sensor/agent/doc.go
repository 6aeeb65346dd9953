// Package agent is the sensor node's main loop: sample source -> scan
// scheduler -> dsp pipeline -> durable outbox -> MQTT.
//
// Every detection becomes an event.Detection with an ID unique across
// restarts (sensor, boot ID, sample index, counter) and is enqueued durably
// before anything else happens to it; a sender goroutine delivers the outbox
// at least once. Health (event.Health) is published every health interval,
// spectrum summaries (QoS 0) every spectrum interval, both best effort and
// never blocking the sample loop. Phone uplinks and drone classes trigger a
// short SigMF IQ snippet, bounded in count and bytes on disk. The tamper
// detector (tamper.go) turns noise-floor collapse, broadband rise, persistent
// clipping and a stalled stream into the health state.
//
// Time comes from a Clock so tests run in simulated time; metrics go to a
// Prometheus registry passed in; /healthz and /metrics are served on an
// optional HTTP listener.
package agent
