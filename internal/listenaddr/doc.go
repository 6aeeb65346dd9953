// Package listenaddr checks a TCP listen address (host:port) as a
// configuration is loaded, so that a service refuses one no listener
// takes at start, naming the setting, instead of failing when it listens
// after its other work began. The sensor's http_addr, fusion's http_addr,
// and the dashboard's and demo's --listen are checked with it.
package listenaddr
