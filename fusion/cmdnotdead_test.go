package fusion

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
)

// TestOwnCmdMarkersAreNotDeadLetters: fusion's retained session markers
// and keeps on the cmd topic of a sensor since removed from the site file
// come back from the broker at every start; they are fusion's own and
// not dead letters. Until 2026-12-07 the site-model check came first and
// each start warned of them and counted rfw_fusion_dead_letter_total
// {reason="sensor"} once per old sensor. A detection of that sensor is
// still refused.
func TestOwnCmdMarkersAreNotDeadLetters(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	e, err := New(Config{}, Deps{Site: wing(t), Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	marker, err := event.Encode(event.Command{Schema: event.SchemaVersion, Site: "hmp-test", Sensor: "old1", TimeNS: now.UnixNano(),
		Cmd: event.CmdSession, Fusion: "rfwarden-fusion"})
	if err != nil {
		t.Fatal(err)
	}
	for _, sensor := range []string{"old1", "old2", "s1"} {
		for _, payload := range [][]byte{marker, nil} { // nil: a marker cleared
			if err := e.Handle(context.Background(), Message{Topic: event.SensorTopic("hmp-test", sensor, event.KindCmd), Payload: payload}); err != nil {
				t.Errorf("cmd of sensor %s (%d bytes): %v, want nil", sensor, len(payload), err)
			}
		}
	}
	for _, reason := range deadLetterReasons {
		if got := testutil.ToFloat64(e.met.deadLetter.WithLabelValues(reason)); got != 0 {
			t.Errorf("rfw_fusion_dead_letter_total{reason=%q} = %v, want 0", reason, got)
		}
	}
	d := testDet("d1", "old1", now, -60)
	// The dead letter says what to do (until 2026-12-07 only "not in the
	// site model").
	const fix = `sensor "old1" not in the site model: add it to the site file's sensors: and restart fusion`
	if err := e.Handle(context.Background(), detMsg(t, d, "old1")); err == nil || !strings.Contains(err.Error(), fix) {
		t.Errorf("a detection of a sensor not in the site model: %v, want a dead letter saying %q", err, fix)
	}
	if got := testutil.ToFloat64(e.met.deadLetter.WithLabelValues("sensor")); got != 1 {
		t.Errorf("rfw_fusion_dead_letter_total{reason=\"sensor\"} = %v after its detection, want 1", got)
	}
}
