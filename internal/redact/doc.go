// Package redact hides the password of a URL, and the tokens its path
// and query may carry, before the URL is shown: in errors, logs, --help
// and health reports. Fusion's InfluxDB store and webhook, the MQTT links
// of the sensor, fusion and the dashboard, and the command line all
// redact with URL, so a URL reads the same wherever it is shown.
package redact
