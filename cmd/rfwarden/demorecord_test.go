package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/replay"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmfschema"
)

// TestDemoRecordGainPerCapture checks that demo --record writes each
// capture's receive gain: a block whose gain the AGC changed at one
// tuning begins a capture of its own, so the samples after the change are
// not calibrated with the gain before it (one global rfw:gain_db was
// taken from the recording's first block).
func TestDemoRecordGainPerCapture(t *testing.T) {
	base := filepath.Join(t.TempDir(), "s1")
	d := &demoSource{record: base, recordBudget: new(atomic.Int64), recordMax: 1 << 30, log: slog.New(slog.DiscardHandler)}
	t0 := time.Date(2026, 1, 15, 21, 5, 0, 0, time.UTC)
	const n, fs = 1000, 10e6
	blockDur := time.Duration(n / fs * float64(time.Second))
	for i, b := range []struct {
		centerHz, gainDB float64
		retuned          bool
	}{
		{847e6, 40, true},
		{847e6, 40, false},
		{847e6, 32, false}, // the AGC lowered the gain
		{1747.5e6, 40, true},
		{847e6, 32, true},
	} {
		d.recordBlock(sensor.Block{Samples: make([]complex64, n), CenterHz: b.centerHz, SampleRateHz: fs, GainDB: b.gainDB,
			FirstSample: int64(i * n), Time: t0.Add(time.Duration(i) * blockDur), Retuned: b.retuned})
	}
	d.closeRecording()
	m, err := sigmf.ReadMeta(base + sigmf.MetaExt)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		start          int64
		centerHz, gain float64
	}{{0, 847e6, 40}, {2 * n, 847e6, 32}, {3 * n, 1747.5e6, 40}, {4 * n, 847e6, 32}}
	if len(m.Captures) != len(want) {
		t.Fatalf("%d captures %+v, want %d", len(m.Captures), m.Captures, len(want))
	}
	for i, w := range want {
		c := m.Captures[i]
		g, ok := replay.GainDBAt(m, c.SampleStart)
		if c.SampleStart != w.start || c.FrequencyHz != w.centerHz || !ok || g != w.gain {
			t.Errorf("captures[%d]: sample %d at %.1f MHz, gain %v (%v); want sample %d at %.1f MHz, %v dB",
				i, c.SampleStart, c.FrequencyHz/1e6, g, ok, w.start, w.centerHz/1e6, w.gain)
		}
		if got := c.Extra[replay.GainKey]; got != json.Number(fmtGain(w.gain)) {
			t.Errorf("captures[%d] %s = %v, want %v on the capture itself", i, replay.GainKey, got, w.gain)
		}
	}
	if g, ok := m.Global.Extra[replay.GainKey]; ok {
		t.Errorf("global %s = %v: one gain for the whole recording, want none (each capture has its own)", replay.GainKey, g)
	}
	if err := sigmfschema.CheckFile(base + sigmf.MetaExt); err != nil {
		t.Errorf("recording fails the SigMF schema: %v", err)
	}
}

func fmtGain(g float64) string {
	b, _ := json.Marshal(g)
	return string(b)
}

// TestDemoRecordCapSaysSo: demo --record stops recording when the
// sensors' recordings reach --record-max-mb, and says so once for all of
// them, on the log and on the story: until 2026-12-05 it stopped without
// a word, and a scan of DIR/s1.sigmf-meta covering the first five
// simulated minutes of a twenty-minute demo did not say why.
func TestDemoRecordCapSaysSo(t *testing.T) {
	t0 := time.Date(2026, 1, 15, 21, 5, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		blocks int // of 128 KiB per sensor, against a 1 MiB cap shared by two
		want   int // lines saying recording stopped, on the log and on the story
	}{
		{"under the cap", 3, 0},
		{"past the cap", 10, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var logs, story strings.Builder
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
			budget, capped := new(atomic.Int64), new(atomic.Bool)
			var srcs []*demoSource
			for _, id := range []string{"s1", "s2"} {
				srcs = append(srcs, &demoSource{record: filepath.Join(dir, id), recordBudget: budget, recordMax: 1 << 20, recordCapped: capped, log: log,
					story: func(format string, args ...any) { fmt.Fprintf(&story, format+"\n", args...) }})
			}
			block := sensor.Block{Samples: make([]complex64, 65536), CenterHz: 902e6, SampleRateHz: 2e6, GainDB: 30}
			for i := range tc.blocks {
				block.Time = t0.Add(time.Duration(i) * 32768 * time.Microsecond)
				for _, d := range srcs {
					if !d.recordDone {
						d.recordBlock(block)
					}
				}
			}
			for _, d := range srcs {
				d.closeRecording()
				if d.recordDone != (tc.want > 0) {
					t.Errorf("%s: recording stopped %v, want %v", d.record, d.recordDone, tc.want > 0)
				}
			}
			if n := strings.Count(logs.String(), "--record-max-mb"); n != tc.want {
				t.Errorf("log: %d warnings naming --record-max-mb, want %d:\n%s", n, tc.want, logs.String())
			}
			if tc.want > 0 && !strings.Contains(logs.String(), "max_mib=1 ") {
				t.Errorf("log %q does not name the cap, 1 MiB", logs.String())
			}
			wantStory := ""
			if tc.want > 0 {
				wantStory = "recording stopped: the sensors' recordings in " + dir + " reached --record-max-mb 1 MiB; the demo goes on unrecorded\n"
			}
			if story.String() != wantStory {
				t.Errorf("story %q, want %q", story.String(), wantStory)
			}
		})
	}
}

// TestDemoKeptNote: the demo's last story line says what it leaves: the
// state folder kept, or removed when it was a temporary one, and where
// --record's recordings are.
func TestDemoKeptNote(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    demoOptions
		dir  string
		want string
	}{
		{"temporary", demoOptions{}, "/tmp/rfwarden-demo-1", "its state, in the temporary folder /tmp/rfwarden-demo-1, is removed (--dir DIR keeps it)"},
		{"--dir", demoOptions{dir: "night1"}, "night1", "state kept in night1 (start again with --dir night1 to continue)"},
		{"--record", demoOptions{dir: "night1", record: "heard"}, "night1",
			"state kept in night1 (start again with --dir night1 to continue); what the sensors heard is in " + filepath.Join("heard", "*.sigmf-meta") + " (rfwarden scan)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := demoKeptNote(tc.o, tc.dir); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
