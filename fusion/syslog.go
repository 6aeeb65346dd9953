package fusion

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// SyslogFacilityLocal0 is the default syslog facility (local0).
const SyslogFacilityLocal0 = 16

// syslogSDID is the structured-data ID; 32473 is the private enterprise
// number reserved for documentation (RFC 5612).
const syslogSDID = "rfw@32473"

// syslogSeverity maps an alert severity to a syslog severity (RFC 5424 §6.2.1).
func syslogSeverity(sev string) int {
	switch sev {
	case event.SeverityCritical:
		return 2 // critical
	case event.SeverityWarning:
		return 4 // warning
	}
	return 6 // informational
}

// sdEscape escapes '"', '\' and ']' in a structured-data parameter value.
var sdEscape = strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`)

// headerField returns s as an RFC 5424 header field: printable US-ASCII
// without spaces, at most n characters, "-" when empty.
func headerField(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if r > 32 && r < 127 && b.Len() < n {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// FormatRFC5424 formats an alert as one RFC 5424 syslog message:
//
//	<PRI>1 TIMESTAMP HOSTNAME APP-NAME - STATE [rfw@32473 id=".." rule=".." ...] SUMMARY
//
// PRI is facility·8 + severity (critical 2, warning 4, info 6); the
// timestamp is UTC with microseconds; empty parameters are left out.
func FormatRFC5424(a event.Alert, facility int, hostname, app string, ts time.Time) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<%d>1 %s %s %s - %s ", facility*8+syslogSeverity(a.Severity),
		ts.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), headerField(hostname, 255), headerField(app, 48), headerField(a.State, 32))
	b.WriteString("[" + syslogSDID)
	param := func(k, v string) {
		if v != "" {
			b.WriteString(" " + k + `="` + sdEscape.Replace(v) + `"`)
		}
	}
	param("id", a.ID)
	param("site", a.Site)
	param("rule", a.Rule)
	param("severity", a.Severity)
	param("state", a.State)
	param("room", a.Room)
	param("zone", a.Zone)
	param("sensor", a.Sensor)
	param("track", a.Track)
	param("class", a.Class)
	param("incident", a.Incident)
	if a.Probability > 0 {
		param("prob", strconv.FormatFloat(a.Probability, 'f', 2, 64))
	}
	param("ack_by", a.AckBy)
	if a.Escalations > 0 {
		param("escalations", strconv.Itoa(a.Escalations))
	}
	b.WriteString("]")
	if a.Summary != "" {
		b.WriteString(" " + strings.ReplaceAll(a.Summary, "\n", " "))
	}
	return []byte(b.String())
}

// Syslog sends alerts to a syslog collector over UDP (one message per
// datagram) or TCP (octet-counting framing, RFC 6587 §3.4.1).
type Syslog struct {
	Network  string // "udp" or "tcp"
	Addr     string
	Facility int // default SyslogFacilityLocal0 when 0
	Hostname string
	App      string // default "rfwarden"
	Now      func() time.Time

	mu   sync.Mutex
	conn net.Conn
}

// PublishAlert implements alert.Publisher: one attempt to send a (the
// notifier's outbox retries). Over TCP a connection the collector closed
// (it restarted) is noticed before writing and dialled again: a write into
// it succeeded in the kernel and the message was lost. A write that fails
// closes the connection, dials again and sends the message once more.
func (s *Syslog) PublishAlert(ctx context.Context, a event.Alert) error {
	if s.Network != "udp" && s.Network != "tcp" {
		return fmt.Errorf("syslog: network %q is not udp or tcp", s.Network)
	}
	fac := s.Facility
	if fac == 0 {
		fac = SyslogFacilityLocal0
	}
	app := s.App
	if app == "" {
		app = "rfwarden"
	}
	now := s.Now
	if now == nil {
		now = time.Now
	}
	msg := FormatRFC5424(a, fac, s.Hostname, app, now())
	if s.Network == "tcp" {
		msg = append([]byte(strconv.Itoa(len(msg))+" "), msg...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil && peerClosed(s.conn) {
		s.conn.Close()
		s.conn = nil
	}
	err := s.write(ctx, msg)
	if err == nil || ctx.Err() != nil {
		return err
	}
	// once more on a new connection
	if err2 := s.write(ctx, msg); err2 != nil {
		return fmt.Errorf("%w; again on a new connection: %w", err, err2)
	}
	return nil
}

// write sends msg, dialling first when there is no connection; a failed
// write closes the connection. The caller holds s.mu.
func (s *Syslog) write(ctx context.Context, msg []byte) error {
	if s.conn == nil {
		var d net.Dialer
		c, err := d.DialContext(ctx, s.Network, s.Addr)
		if err != nil {
			return fmt.Errorf("syslog dial %s %s: %w", s.Network, s.Addr, err)
		}
		s.conn = c
	}
	if dl, ok := ctx.Deadline(); ok {
		s.conn.SetWriteDeadline(dl)
	} else {
		s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	}
	// Cancelling ctx (fusion stopping) ends a write a stalled collector
	// holds: a deadline set before the write does not move with ctx, and
	// stopping waited up to the whole attempt (15 s) for it.
	conn := s.conn
	stop := context.AfterFunc(ctx, func() { conn.SetWriteDeadline(time.Now()) })
	_, err := conn.Write(msg)
	stop()
	if err != nil {
		s.conn.Close()
		s.conn = nil
		return fmt.Errorf("syslog write %s: %w", s.Addr, err)
	}
	return nil
}

// peerClosed reports whether the collector has closed (or reset) the TCP
// connection c: a collector sends nothing, so a read that does not time
// out at once has found the end of the stream or an error. A UDP
// "connection" is never closed.
func peerClosed(c net.Conn) bool {
	if _, ok := c.(*net.TCPConn); !ok {
		return false
	}
	c.SetReadDeadline(time.Now().Add(time.Millisecond))
	defer c.SetReadDeadline(time.Time{})
	var b [1]byte
	_, err := c.Read(b[:])
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// Close closes the connection.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
