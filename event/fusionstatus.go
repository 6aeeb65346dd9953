package event

import "strings"

// Why fusion is offline (FusionStatus.Reason).
const (
	// FusionStopped: fusion stopped cleanly and said so before it
	// disconnected (a clean MQTT disconnect discards the last will).
	FusionStopped = "stopped"
	// FusionLost: fusion's MQTT last will, which the broker publishes
	// when it loses fusion's connection without a clean disconnect (a
	// crash, SIGKILL, the host or the network down), about one and a
	// half keep-alives (45 s) after the last packet it had from fusion.
	FusionLost = "lost"
)

// MaxProblemLen bounds FusionStatus.Problem, in bytes.
const MaxProblemLen = 1024

// MaxTimeZoneLen bounds FusionStatus.TimeZone, in bytes: IANA names are
// at most 30 or so ("America/Argentina/ComodRivadavia").
const MaxTimeZoneLen = 64

// FusionStatus is fusion's liveness, published retained at QoS 1 on
// FusionStatusTopic: online at every connection, offline (FusionStopped)
// at a clean stop, and offline (FusionLost) as its MQTT last will; online
// with a Problem while it is connected and hears nothing on a filter the
// broker refused, and online without one once it is granted. The
// dashboard follows it, so a control room learns that no alert can be
// raised while fusion is down. Status takes the values of a sensor's
// status topic (StatusOnline, StatusOffline); a sensor's is plain text,
// kept so for the sensors deployed, while fusion's says why it is
// offline and since when, so it is JSON like the other payloads.
type FusionStatus struct {
	Schema int    `json:"schema"`
	Site   string `json:"site"`
	Status string `json:"status"` // StatusOnline or StatusOffline
	// Reason says why it is offline: FusionStopped or FusionLost; empty
	// when online.
	Reason string `json:"reason,omitempty"`
	// Problem, online only, says why fusion is connected and yet deaf:
	// "subscription refused: rfw/v1/hmp/sensor/+/+: the broker refused
	// the subscription (SUBACK 0x80): ...", a subscription the broker did
	// not grant when fusion connected again (its ACL changed); at most
	// MaxProblemLen bytes of printable UTF-8. Empty (left out) while
	// fusion hears all it subscribed to. Added 2026-12-07 within schema
	// 1: an older dashboard's strict decoder refuses a status with it as
	// an unknown field, so upgrade the dashboards before fusion.
	Problem string `json:"problem,omitempty"`
	// TimeZone is the IANA name of the zone fusion runs in
	// ("Europe/London"; internal/zonename), in which it matches the
	// registry's weekly hours: a dashboard in another zone shows those
	// hours, and every time, an hour or more away from fusion's, so it
	// says so (docs/deploy.md, "Site time"). Empty (left out) when fusion
	// cannot name its zone. At most MaxTimeZoneLen
	// bytes of printable UTF-8. Added 2026-12-07 within schema 1: as for
	// Problem, upgrade the dashboards before fusion.
	TimeZone string `json:"time_zone,omitempty"`
	// TimeNS is when fusion published it: when it connected (online) or
	// stopped. The last will has none (0): fusion writes it when it
	// connects, and the broker sends it later, when it finds the
	// connection lost; its receiver dates it.
	TimeNS int64 `json:"time_ns"`
}

// Validate reports the first problem with s, naming the field.
func (s FusionStatus) Validate() error {
	switch {
	case s.Schema != SchemaVersion:
		return schemaErr("schema: got %d, want %d", s.Schema, SchemaVersion)
	case !validID(s.Site):
		return schemaErr("site: %q is not a valid ID", s.Site)
	case s.Status != StatusOnline && s.Status != StatusOffline:
		return schemaErr("status: %q is neither %s nor %s", trimmed(s.Status), StatusOnline, StatusOffline)
	case s.Status == StatusOnline && s.Reason != "":
		return schemaErr("reason: %q given for status online (only offline has a reason)", trimmed(s.Reason))
	case s.Status == StatusOffline && s.Problem != "":
		return schemaErr("problem: given for status offline (only online has a problem; offline has a reason)")
	case len(s.Problem) > MaxProblemLen || !printable(s.Problem):
		return schemaErr("problem: not printable UTF-8 of at most %d bytes", MaxProblemLen)
	case len(s.TimeZone) > MaxTimeZoneLen || !printable(s.TimeZone) || strings.ContainsAny(s.TimeZone, " \t"):
		return schemaErr("time_zone: not an IANA zone name (printable, no spaces, at most %d bytes)", MaxTimeZoneLen)
	case s.Status == StatusOffline && s.Reason != FusionStopped && s.Reason != FusionLost:
		return schemaErr("reason: %q is neither %s nor %s", trimmed(s.Reason), FusionStopped, FusionLost)
	case s.Reason == FusionLost && s.TimeNS != 0:
		return schemaErr("time_ns: must be 0 for reason %s (the broker sends the will at a time fusion cannot know)", FusionLost)
	case s.Reason != FusionLost && s.TimeNS <= 0:
		return schemaErr("time_ns: must be positive")
	}
	return nil
}

// DecodeFusionStatus strictly decodes and validates a fusion status
// payload.
func DecodeFusionStatus(data []byte) (FusionStatus, error) {
	var s FusionStatus
	err := Decode(data, &s)
	return s, err
}

// trimmed shortens a value a message sent for an error that quotes it.
func trimmed(s string) string {
	const most = 32 // bytes
	if len(s) <= most {
		return s
	}
	for i := most; i > 0; i-- {
		if i < len(s) && s[i]&0xC0 != 0x80 { // a rune starts here
			return s[:i] + "…"
		}
	}
	return s[:most] + "…"
}
