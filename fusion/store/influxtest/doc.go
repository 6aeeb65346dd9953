// Package influxtest starts a real InfluxDB 1.8 server (influxd) on
// 127.0.0.1 for tests, with Flux enabled, in a temporary directory. Tests
// skip when no influxd binary is found ($RFW_INFLUXD, the cache that
// scripts/install-deps.sh fills: $RFW_CACHE/bin, by default
// ~/.cache/rfwarden/bin, or PATH).
package influxtest
