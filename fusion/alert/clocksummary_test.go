package alert

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestClockSummaryFollowsOffset: an open sensor-clock alert's summary
// follows the sensor's offset when it changes sign, doubles or halves, or
// fusion starts or stops refusing its detections, and is announced again
// then (WhySummary), its state kept; jitter announces nothing. Until
// 2026-12-08 it kept the summary it opened with: "400ms ahead" for the
// rest of a run in which the clock stepped an hour ahead and fusion
// refused every detection of the sensor. An estimate within milliseconds
// of the bound (30 s ahead of fusion's clock) says fusion refuses its
// detections only once past it by more than ClockMargin, and stops once
// back within it by as much: until the same day's later fix every report
// that crossed the bound announced the alert again (webhook, syslog,
// MQTT).
func TestClockSummaryFollowsOffset(t *testing.T) {
	ms := time.Millisecond
	refused := "stamped more than 30s ahead of fusion's clock"
	type report struct {
		offset time.Duration
		past   time.Duration // the estimate past the bound (negative: within), or 0: far within it
	}
	tests := []struct {
		name    string
		reports []report // one every 10 s
		want    []string // the summaries announced, in order, as far as their ':'
	}{
		{"jitter", []report{{400 * ms, 0}, {410 * ms, 0}, {390 * ms, 0}, {700 * ms, 0}, {260 * ms, 0}},
			[]string{"sensor s3 clock 400ms ahead of the other sensors'"}},
		{"stepped an hour ahead, refused", []report{{400 * ms, 0}, {time.Hour + 3*ms, time.Hour - 30*time.Second}, {time.Hour + 5*ms, time.Hour - 30*time.Second}},
			[]string{"sensor s3 clock 400ms ahead of the other sensors'",
				"sensor s3 clock 1h0m0s ahead of the other sensors'; fusion refuses its detections, stamped more than 30s ahead of fusion's clock"}},
		{"doubled, then halved", []report{{300 * ms, 0}, {600 * ms, 0}, {290 * ms, 0}},
			[]string{"sensor s3 clock 300ms ahead of the other sensors'", "sensor s3 clock 600ms ahead of the other sensors'",
				"sensor s3 clock 290ms ahead of the other sensors'"}},
		{"changed sign", []report{{2 * time.Second, 0}, {-2 * time.Second, 0}},
			[]string{"sensor s3 clock 2s ahead of the other sensors'", "sensor s3 clock 2s behind the other sensors'"}},
		{"refused, then not", []report{{40 * time.Second, 10 * time.Second}, {29 * time.Second, -time.Second}},
			[]string{"sensor s3 clock 40s ahead of the other sensors'; fusion refuses its detections, stamped more than 30s ahead of fusion's clock",
				"sensor s3 clock 29s ahead of the other sensors'"}},
		// 30 s ahead give or take milliseconds: refused from 30.6 s, not
		// from 29.4 s
		{"at the bound", []report{{30 * time.Second, 10 * ms}, {30 * time.Second, -5 * ms}, {30 * time.Second, 20 * ms},
			{30 * time.Second, 600 * ms}, {30 * time.Second, -490 * ms}, {30 * time.Second, -600 * ms}},
			[]string{"sensor s3 clock 30s ahead of the other sensors'",
				"sensor s3 clock 30s ahead of the other sensors'; fusion refuses its detections, stamped more than 30s ahead of fusion's clock",
				"sensor s3 clock 30s ahead of the other sensors'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			rec := &whyRecorder{}
			e, err := New(DefaultConfig(), wing(t), nil, rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Unix(1_800_000_000, 0)
			online(t, e, t0)
			for i, r := range tt.reports {
				past := r.past
				if past == 0 {
					past = -r.offset.Abs() - 30*time.Second
				}
				if err := e.ObserveClock(ctx, "s3", r.offset, true, ClockRefusal{Why: refused, Past: past}, t0.Add(time.Duration(i)*10*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for i, a := range rec.got {
				if a.RuleKind != KindSensorClock {
					continue
				}
				if i > 0 && rec.whys[i] != WhySummary || a.State != "pending" {
					t.Errorf("publication %d: %s, why %d, want pending and, after the first, WhySummary", i, a.State, rec.whys[i])
				}
				head, advice, ok := strings.Cut(a.Summary, ": ")
				if !ok || !strings.Contains(advice, "chronyc tracking") {
					t.Errorf("summary %q: want it to say to check the node's NTP client", a.Summary)
				}
				got = append(got, head)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("summaries announced:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
