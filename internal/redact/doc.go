// Package redact hides the password of a URL before the URL is shown:
// in errors, logs, --help and health reports. Fusion's InfluxDB store, the
// MQTT links of the sensor, fusion and the dashboard, and the command
// line all redact with URL, so a URL reads the same wherever it is shown.
package redact
