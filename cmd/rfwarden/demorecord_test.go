package main

import (
	"encoding/json"
	"log/slog"
	"path/filepath"
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
