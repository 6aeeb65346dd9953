package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestProgress: the final state shown is the one the job reached (a
// cancelled job is not shown at 100%), a terminal gets the progressbar
// package's bar of fixed width and anything else plain lines.
func TestProgress(t *testing.T) {
	tests := []struct {
		name  string
		tty   bool
		steps []int64 // units added, one second apart
		want  []string
		not   []string
	}{
		{"plain, stopped", false, []int64{10, 15}, []string{
			"job: 10% (10/100) after 0s\n" + "job: stopped at 25% (25/100) after 1s\n"}, []string{"\r", "100%", "|"}},
		{"plain, done", false, []int64{50, 50}, []string{"job: 100% (100/100) in 1s\n"}, []string{"\r", "stopped"}},
		{"plain, line every 5 s", false, []int64{1, 1, 1, 1, 1, 1, 1}, []string{"job: 1% (1/100) after 0s", "job: 6% (6/100) after 5s, about 1m18s left\n"}, []string{"(2/100)", "(5/100)"}},
		{"bar, stopped", true, []int64{10, 15}, []string{"(25/100)", "\njob: stopped at 25% (25/100) after "}, []string{"100%", "(100/100)"}},
		{"bar, done", true, []int64{100}, []string{"\rjob 100% |████████████████████| (100/100)"}, []string{"stopped"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			p := newProgress(&out, true, tc.tty, 100, "job")
			now := time.Date(2026, 1, 15, 21, 0, 0, 0, time.UTC)
			p.now = func() time.Time { return now }
			for i, n := range tc.steps {
				if i > 0 {
					now = now.Add(time.Second)
					if tc.tty {
						time.Sleep(progressRedraw + 10*time.Millisecond) // the bar's own clock: past its throttle
					}
				}
				p.add(n)
			}
			p.close()
			got := out.String()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%q", w, got)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(got, w) {
					t.Errorf("output has %q:\n%q", w, got)
				}
			}
		})
	}
	var out bytes.Buffer
	for _, p := range []*progress{newProgress(&out, false, true, 100, "off"), newProgress(&out, true, true, 0, "empty")} {
		p.add(1)
		p.close()
	}
	if out.Len() != 0 {
		t.Errorf("a hidden or empty progress drew %q", out.String())
	}
}
