package probeserver

import (
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Limits bound what one client may hold of a probe server. A zero field
// takes Defaults' value.
type Limits struct {
	// ReadHeader is how long a request's headers may take to arrive.
	ReadHeader time.Duration
	// Read is how long a whole request, its body too, may take to
	// arrive. The probe routes take no body, but net/http reads (to
	// discard) a small one a client sends anyway before it answers:
	// without this bound a body announced and never sent held the
	// connection and its goroutine for ever.
	Read time.Duration
	// Write is how long an answer may take to be written.
	Write time.Duration
	// Idle is how long a kept-alive connection may wait for its next
	// request: without it an idle connection was held for ever.
	Idle time.Duration
	// MaxHeaderBytes bounds the request's headers; larger is answered
	// 431 Request Header Fields Too Large.
	MaxHeaderBytes int
	// MaxConns bounds how many connections are open at once: the
	// timeouts bound how long one client holds a connection, not how
	// many a flood of them opens. LimitListener applies it to the
	// listener the server is given; New does not read it.
	MaxConns int
}

// Defaults are the limits of rfwarden's probe servers: a Prometheus
// scrape or a health check sends a few hundred bytes of headers and no
// body, and is answered in well under a second; a node or fusion has a
// few scrapers and health checkers, far fewer than 64 connections.
func Defaults() Limits {
	return Limits{ReadHeader: 5 * time.Second, Read: 10 * time.Second, Write: 30 * time.Second,
		Idle: time.Minute, MaxHeaderBytes: 16 << 10, MaxConns: 64}
}

// New returns a server for h bounded by lim (its zero fields Defaults').
// Serve it on LimitListener(l, lim.MaxConns) to bound its connections too.
func New(h http.Handler, lim Limits) *http.Server {
	d := Defaults()
	if lim.ReadHeader <= 0 {
		lim.ReadHeader = d.ReadHeader
	}
	if lim.Read <= 0 {
		lim.Read = d.Read
	}
	if lim.Write <= 0 {
		lim.Write = d.Write
	}
	if lim.Idle <= 0 {
		lim.Idle = d.Idle
	}
	if lim.MaxHeaderBytes <= 0 {
		lim.MaxHeaderBytes = d.MaxHeaderBytes
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: lim.ReadHeader, ReadTimeout: lim.Read,
		WriteTimeout: lim.Write, IdleTimeout: lim.Idle, MaxHeaderBytes: lim.MaxHeaderBytes}
}

// WarnIfOpen logs a warning, as who ("fusion", "sensor"), when l listens
// beyond the loopback interface: its /healthz and /metrics (a sensor's
// bands and clock, fusion's sensors and counts) are then served to anyone
// who reaches the address, without a login. The dashboard said so for its
// own /metrics; fusion and the sensor started on 0.0.0.0 without a word.
// A deployment that lets Prometheus scrape across the network keeps it,
// behind a firewall (docs/deploy.md).
func WarnIfOpen(log *slog.Logger, who string, l net.Listener) {
	if tcp, ok := l.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		log.Warn(who+": /healthz and /metrics are served without a login to anyone who reaches this address; keep http_addr on 127.0.0.1 or firewall it", "listen", l.Addr().String())
	}
}
