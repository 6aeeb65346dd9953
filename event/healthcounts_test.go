package event_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestHealthCountsNotNegative: the counters of a health report
// (docs/events.md: samples dropped, clipped samples, source errors and AGC
// changes since start, detections in and dropped from the outbox) are
// counts, and a negative one is out of range: DecodeHealth refused none of
// them until 2026-12-06, so fusion stored an outbox_depth of -5 and the
// dashboard's sensor table showed it. Each is refused naming its field;
// 0 and a positive count are taken.
func TestHealthCountsNotNegative(t *testing.T) {
	const base = `{"schema":1,"site":"hmp-north","sensor":"wing-a-1","time_ns":1767308400000000000,"state":"ok",` +
		`"dropped_samples":0,"overload_count":0,"usb_errors":0,"outbox_depth":0,"outbox_dropped":0,"clock_offset_s":0,"version":"1"`
	for _, field := range []string{"dropped_samples", "overload_count", "usb_errors", "outbox_depth", "outbox_dropped", "agc_changes"} {
		t.Run(field, func(t *testing.T) {
			with := func(v string) []byte {
				p := strings.Replace(base, `"`+field+`":0`, `"`+field+`":`+v, 1)
				if !strings.Contains(base, `"`+field+`":`) {
					p = base + `,"` + field + `":` + v // agc_changes is optional
				}
				return []byte(p + `}`)
			}
			for _, v := range []string{"0", "7"} {
				if _, err := event.DecodeHealth(with(v)); err != nil {
					t.Errorf("%s %s: %v", field, v, err)
				}
			}
			for _, v := range []string{"-1", "-5"} {
				_, err := event.DecodeHealth(with(v))
				if !errors.Is(err, event.ErrSchema) || !strings.Contains(err.Error(), field) {
					t.Errorf("%s %s: got %v, want a schema error naming %s", field, v, err, field)
				}
			}
		})
	}
	// the sensor side refuses to send one too
	h := event.Health{Schema: 1, Site: "a", Sensor: "s1", TimeNS: 1, State: event.StateOK, OutboxDepth: -1, Version: "v"}
	if _, err := event.Encode(h); err == nil || !strings.Contains(err.Error(), "outbox_depth") {
		t.Errorf("Encode of outbox_depth -1: %v, want an error naming outbox_depth", err)
	}
}
