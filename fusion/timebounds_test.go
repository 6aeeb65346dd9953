package fusion

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// TestHandleRefusesTimesOutOfBounds: a detection stamped more than
// MaxAhead (30 s by default, MinMaxAhead; more with a loose sensor_clock rule) ahead of the
// engine's clock, or more than MaxAge (90 days) behind it, is a dead letter
// naming time_ns and how far off it is; within the bounds it is taken. The
// engine's clock is Deps.Clock: the demo's simulated clock, here years from
// the wall clock, judges as the wall clock would.
func TestHandleRefusesTimesOutOfBounds(t *testing.T) {
	for _, clockAt := range []time.Time{time.Unix(1_800_000_000, 0), time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC)} {
		now := clockAt
		tests := []struct {
			name   string
			at     time.Time
			reject string // "" = taken; else in the error
		}{
			{"now", now, ""},
			{"a window ahead", now.Add(500 * time.Millisecond), ""},
			{"fusion's clock a second behind", now.Add(time.Second + time.Millisecond), ""},
			{"at the tolerance", now.Add(30 * time.Second), ""},
			{"past the tolerance", now.Add(30*time.Second + time.Millisecond), "is 30.001s ahead of fusion's clock"},
			{"year 2200", time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), "time_ns 7258118400000000000 (2200-01-01T00:00:00Z) is"},
			{"a day old (outbox)", now.Add(-24 * time.Hour), ""},
			{"89 days old", now.Add(-89 * 24 * time.Hour), ""},
			{"91 days old", now.Add(-91 * 24 * time.Hour), "is 2184h0m0s behind fusion's clock"},
			{"1970", time.Unix(1, 0), "time_ns 1000000000 (1970-01-01T00:00:01Z) is"},
		}
		e, err := New(Config{}, Deps{Site: wing(t), TimeSeries: &storetest.Recorder{}, Clock: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		for i, tc := range tests {
			t.Run(clockAt.Format("2006")+"/"+tc.name, func(t *testing.T) {
				d := testDet("t-"+string(rune('a'+i)), "s1", tc.at, -60)
				before := testutil.ToFloat64(e.met.deadLetter.WithLabelValues("time"))
				err := e.Handle(context.Background(), detMsg(t, d, "s1"))
				got := testutil.ToFloat64(e.met.deadLetter.WithLabelValues("time")) - before
				if tc.reject == "" {
					if err != nil || got != 0 {
						t.Errorf("Handle = %v (%v dead letters), want it taken", err, got)
					}
					return
				}
				if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), tc.reject) || got != 1 {
					t.Errorf("Handle = %v (%v dead letters), want one rejection containing %q", err, got, tc.reject)
				}
			})
		}
	}
}

// TestMaxAheadFollowsClockRule: the tolerance follows the sensor_clock
// rule's max_offset (the demo scales it with its speed), and can be set
// or disabled.
func TestMaxAheadFollowsClockRule(t *testing.T) {
	ac := alert.DefaultConfig()
	for i := range ac.Rules {
		if ac.Rules[i].Kind == alert.KindSensorClock {
			ac.Rules[i].MaxOffset = alert.Duration(10 * time.Second)
		}
	}
	noClock := alert.DefaultConfig()
	noClock.Rules = nil
	for _, tc := range []struct {
		name string
		cfg  Config
		want time.Duration
	}{
		{"default", Config{}, MinMaxAhead},
		{"max_offset 10s", Config{Alerts: &ac}, 40 * time.Second},
		{"no clock rule", Config{Alerts: &noClock}, MinMaxAhead},
		{"set", Config{MaxAhead: time.Minute}, time.Minute},
		{"disabled", Config{MaxAhead: -1}, -1},
	} {
		if got := tc.cfg.withDefaults().MaxAhead; got != tc.want {
			t.Errorf("%s: MaxAhead %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestTrackerExpiresFutureTracks: a track last seen more than the gap
// after now (HandleDetection takes any time) expires at the next tick;
// one a little ahead lives as a track seen now would. Such a track was
// kept until fusion's clock reached its stamp.
func TestTrackerExpiresFutureTracks(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name  string
		ahead time.Duration
		kept  bool
	}{
		{"175 years ahead", 175 * 365 * 24 * time.Hour, false},
		{"a gap and a second ahead", 2*time.Minute + time.Second, false},
		{"a minute ahead", time.Minute, true},
		{"now", 0, true},
		{"a gap behind", -2 * time.Minute, true},
		{"past the gap", -2*time.Minute - time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := tracker{gap: 2 * time.Minute, radiusM: 12, tolHz: 20e6}
			tr.newTrack(&group{class: "lte", link: "uplink", centerHz: 1.95e9, start: now.Add(tc.ahead)})
			tr.expire(now)
			if got := len(tr.tracks) == 1; got != tc.kept {
				t.Errorf("kept %v, want %v", got, tc.kept)
			}
		})
	}
}

// TestClockAlertSaysRefused: sensor s3's clock drifts 400 ms ahead of
// the others', then steps an hour ahead. Its sensor-clock alert says the
// hour, and that fusion refuses its detections, within two reports of the
// step, and what to do; so does the refusal. Until 2026-12-08 the alert
// said "400ms ahead" for the rest of the run while fusion refused every
// detection of s3 as "the sensor's clock is wrong", neither saying what
// to do.
func TestClockAlertSaysRefused(t *testing.T) {
	s := wing(t)
	now := time.Unix(1_800_000_000, 0).UTC()
	e, err := New(Config{}, Deps{Site: s, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const step = 20 // s3's report at which its clock steps an hour ahead
	summary := func() string {
		for _, a := range e.Alerts().Active() {
			if a.Rule == "sensor-clock" && a.Sensor == "s3" {
				return a.Summary
			}
		}
		return ""
	}
	for i := 0; i <= step+2; i++ {
		for _, sn := range s.Sensors {
			sent := now.Add(-10 * time.Millisecond)
			if sn.ID == "s3" && i >= 3 {
				sent = sent.Add(400 * time.Millisecond)
			}
			if sn.ID == "s3" && i >= step {
				sent = sent.Add(time.Hour)
			}
			p, err := event.Encode(event.Health{Schema: event.SchemaVersion, Site: s.ID, Sensor: sn.ID, TimeNS: sent.UnixNano(), State: event.StateOK})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Handle(ctx, Message{Topic: event.SensorTopic(s.ID, sn.ID, event.KindHealth), Payload: p, Received: now}); err != nil {
				t.Fatal(err)
			}
		}
		if got := summary(); i == step-1 && !strings.HasPrefix(got, "sensor s3 clock 400ms ahead of the other sensors': check the node's NTP client") {
			t.Errorf("before the step: summary %q, want 400ms ahead and what to do", got)
		}
		now = now.Add(10 * time.Second)
		if err := e.Tick(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	want := "sensor s3 clock 1h0m0s ahead of the other sensors'; fusion refuses its detections, stamped more than 30s ahead of fusion's clock: check the node's NTP client (chronyc tracking"
	if got := summary(); !strings.HasPrefix(got, want) {
		t.Errorf("two reports after the step: summary %q, want %q...", got, want)
	}
	err = e.Handle(ctx, detMsg(t, testDet("d1", "s3", now.Add(time.Hour), -60), "s3"))
	if want := "is 1h0m0s ahead of fusion's clock, more than 30s: the sensor's clock is wrong, or fusion's: check the NTP client of the sensor's node and of fusion's host (chronyc tracking"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Handle = %v, want a refusal containing %q", err, want)
	}
}

// TestClockRefusalNearestBound: the sensor-clock alert is told the bound
// nearer a sensor's clock estimate and how far past it the estimate is
// (negative: within), so it can say fusion refuses the sensor's
// detections only well past it (alert.ClockMargin); nothing without an
// estimate. Until 2026-12-08 it was told only whether the estimate was
// past, and an estimate at the bound flipped the alert's summary at
// nearly every report.
func TestClockRefusalNearestBound(t *testing.T) {
	now := time.Unix(1_800_000_000, 0).UTC()
	e, err := New(Config{}, Deps{Site: wing(t), Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ahead := "stamped more than 30s ahead of fusion's clock"
	behind := fmt.Sprintf("stamped more than %v behind fusion's clock", e.cfg.MaxAge)
	for _, tc := range []struct {
		offset    time.Duration
		estimated bool
		want      alert.ClockRefusal
	}{
		{30*time.Second + 200*time.Millisecond, true, alert.ClockRefusal{Why: ahead, Past: 200 * time.Millisecond}},
		{29 * time.Second, true, alert.ClockRefusal{Why: ahead, Past: -time.Second}},
		{0, true, alert.ClockRefusal{Why: ahead, Past: -30 * time.Second}},
		{-e.cfg.MaxAge - time.Second, true, alert.ClockRefusal{Why: behind, Past: time.Second}},
		{time.Hour, false, alert.ClockRefusal{}},
	} {
		if got := e.refusal(tc.offset, tc.estimated); got != tc.want {
			t.Errorf("refusal(%v, estimated %v) = %+v, want %+v", tc.offset, tc.estimated, got, tc.want)
		}
	}
}
