// Package event is the versioned wire schema that sensors and the fusion service
// share over MQTT (topics rfw/v1/{site}/...). It is the only package both sides
// import: sensor never imports fusion and fusion never imports sensor.
//
// Every decoder here is strict: unknown fields, a key given twice, a wrong
// schema version, missing required fields and out-of-range values are errors
// naming the field, and a payload that is not UTF-8 is refused, so a
// broken payload is counted as a dead letter rather than half-understood.
// The schema is documented for people in docs/events.md.
package event
