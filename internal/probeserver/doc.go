// Package probeserver builds the HTTP server of a service's /healthz and
// /metrics (the sensor's http_addr, fusion's http_addr): an http.Server
// whose timeouts and header limit bound what one client may hold of it,
// and a listener (LimitListener) that bounds how many connections all
// clients together hold open at once.
// Neither route needs a login, so anyone who reaches the port is a client.
package probeserver
