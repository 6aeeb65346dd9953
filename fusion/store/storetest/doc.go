// Package storetest is the conformance suite every store.TimeSeries backend
// must pass, so the dashboard sees the same answers from InfluxDB and SQLite.
package storetest
