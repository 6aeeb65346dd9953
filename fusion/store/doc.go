// Package store persists what fusion decides: the time series (detections,
// locations, sensor health, spectrum summaries) in InfluxDB 1.8 or SQLite, and
// the state (alerts, incidents, audit log) in SQLite through modernc.org/sqlite.
// The interfaces here are what fusion and the dashboard need; a shared
// conformance test runs every TimeSeries backend through the same cases.
package store
