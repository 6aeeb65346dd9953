// Package hostport holds the one rule rfwarden checks a TCP port and a
// host:port by as a configuration loads, for an address a service
// listens on (internal/listenaddr: http_addr, --listen) and for one it
// dials (fusion's syslog.addr; the port of a broker, webhook or
// InfluxDB URL). Where they differ, a Rules value says so: a listener
// may take port 0 (the system chooses) and an empty host (every
// interface); an address to dial may not.
package hostport
