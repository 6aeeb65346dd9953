// Package alert turns located, authorised-or-not emissions and sensor health
// into alerts with Prometheus-like states (pending, firing, resolved, with
// `for` durations), de-duplicated per rule, emitter track and room, links
// related alerts into incidents (a drone drop followed by a new unauthorised
// phone nearby is one incident), and tracks per-zone coverage: a zone with an
// unhealthy sensor is "unknown", never "clear". Every state change is stored
// through store.AlertStore and published as an event.Alert, and so is every
// acknowledgement: taken here (Engine.Ack, the demo) or by a dashboard
// that announced it (Engine.Acknowledged). A WhyPublisher is told which
// each publication is (Why: a state change, a reminder, an
// acknowledgement, a move, a sensor-clock alert's summary brought up to
// date).
package alert
