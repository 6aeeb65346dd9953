package main

import (
	"bytes"
	"os"
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
		first time.Duration // from making the progress to the first step
		steps []int64       // units added, one second apart
		want  []string
		not   []string
	}{
		{"plain, stopped", false, 0, []int64{10, 15}, []string{
			"job: 0% (0/100)\n" + "job: stopped at 25% (25/100) after 1s\n"}, []string{"\r", "100%", "|"}},
		{"plain, done", false, 0, []int64{50, 50}, []string{"job: 100% (100/100) in 1s\n"}, []string{"\r", "stopped"}},
		{"plain, line every 5 s", false, 0, []int64{1, 1, 1, 1, 1, 1, 1}, []string{"job: 0% (0/100)\n", "job: 6% (6/100) after 5s, about 1m18s left\n"}, []string{"(1/100)", "(2/100)", "(5/100)"}},
		// the clock starts when the progress is made, not at the first
		// unit: one unit of 2 minutes said "100% (1/1) after 0s", and
		// one stopped after 3 s "stopped at 0% (0/4) after 0s"
		{"plain, one long unit", false, 2 * time.Minute, []int64{100}, []string{"job: 0% (0/100)\n", "job: 100% (100/100) in 2m0s\n"}, []string{"in 0s"}},
		{"plain, stopped in the first unit", false, 3 * time.Second, nil, []string{"job: 0% (0/100)\n", "job: stopped at 0% (0/100) after 3s\n"}, nil},
		{"bar, stopped", true, 0, []int64{10, 15}, []string{"(25/100)", "\njob: stopped at 25% (25/100) after "}, []string{"100%", "(100/100)"}},
		{"bar, stopped in the first unit", true, 3 * time.Second, nil, []string{"\njob: stopped at 0% (0/100) after 3s\n"}, []string{"100%"}},
		{"bar, done", true, 0, []int64{100}, []string{"\rjob 100% |████████████████████| (100/100)"}, []string{"stopped"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			now := time.Date(2026, 1, 15, 21, 0, 0, 0, time.UTC)
			p := newProgressClock(&out, true, tc.tty, 100, "job", func() time.Time { return now })
			now = now.Add(tc.first)
			if len(tc.steps) == 0 {
				p.close()
			}
			for i, n := range tc.steps {
				if i > 0 {
					now = now.Add(time.Second)
					if tc.tty {
						time.Sleep(progressRedraw + 10*time.Millisecond) // the bar's own clock: past its throttle
					}
				}
				p.add(n)
			}
			if len(tc.steps) > 0 {
				p.close()
			}
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

// TestIsTerminalNotDevNull: /dev/null (a timer's or a script's stderr) is
// a character device but no terminal; taking it for one drew a redrawn
// bar nobody sees and let erase ask a question nobody can answer.
func TestIsTerminalNotDevNull(t *testing.T) {
	f, err := os.Open(os.DevNull) // read only: the test never writes to the device
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Errorf("isTerminal(%s) = true", os.DevNull)
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("isTerminal(buffer) = true")
	}
}
