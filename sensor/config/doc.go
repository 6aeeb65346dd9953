// Package config loads a sensor node's YAML configuration: identity, MQTT
// connection, outbox, snippets, sample source, scan plan, gain table, health
// interval and tamper thresholds.
//
// Defaults are applied before strict decoding, so a file names only what
// differs; unknown fields, bad values and bad YAML fail with the line and
// column of the problem.
package config
