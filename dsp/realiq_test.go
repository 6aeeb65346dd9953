package dsp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rfwarden/rfwarden/internal/realiq"
)

// coreRealIQDir returns ../shared/testdata/real-iq relative to the
// directory holding go.mod, or skips the test when it is absent.
func coreRealIQDir(t *testing.T) string {
	return realiq.Dir(t)
}

type coreSigMF struct {
	Global struct {
		Datatype   string  `json:"core:datatype"`
		SampleRate float64 `json:"core:sample_rate"`
	} `json:"global"`
	Captures []struct {
		FrequencyHz float64 `json:"core:frequency"`
	} `json:"captures"`
	Annotations []struct {
		Label   string  `json:"core:label"`
		LowerHz float64 `json:"core:freq_lower_edge"`
		UpperHz float64 `json:"core:freq_upper_edge"`
	} `json:"annotations"`
}

// TestRealHackRFLTEPath runs the core path (ci8 -> Welch -> NotchDC ->
// FloorEstimate -> CFAR) over a real HackRF recording of an LTE FDD
// downlink carrier (1850.25-1854.75 MHz, ground truth from its SigMF
// annotation; about 12 dB above the receiver noise) and checks that the
// carrier's bins are detected in nearly every 16-frame PSD. The rest of the
// band holds unannotated narrow emitters, so no false-alarm rate is
// asserted here (TestCFARFalseAlarmRate does that on synthetic noise).
// The NoiseFloor running median is not used: a carrier 240 bins wide is
// wider than any sensible span and would be taken for the floor.
func TestRealHackRFLTEPath(t *testing.T) {
	dir := coreRealIQDir(t)
	const name = "lte-fdd-gsm1800-1852M-hackrf"
	metaBytes, err := os.ReadFile(filepath.Join(dir, name+".sigmf-meta"))
	if err != nil {
		t.Skipf("recording absent: %v", err)
	}
	var meta coreSigMF
	if err := json.Unmarshal(metaBytes, &meta); err != nil {
		t.Fatalf("parse %s meta: %v", name, err)
	}
	if meta.Global.Datatype != "ci8" || len(meta.Captures) == 0 {
		t.Fatalf("%s: datatype %q, %d captures; want ci8", name, meta.Global.Datatype, len(meta.Captures))
	}
	raw, err := os.ReadFile(filepath.Join(dir, name+".sigmf-data"))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	x := FromCI8(nil, raw[:len(raw)&^1])

	const n, frames = 1024, 16
	fs, fc := meta.Global.SampleRate, meta.Captures[0].FrequencyHz
	carrier := make([]bool, n)
	for _, a := range meta.Annotations {
		if a.Label != "lte-dl" {
			continue
		}
		lo, hi := (a.LowerHz-fc)/fs*n, (a.UpperHz-fc)/fs*n
		for k := int(lo) + 3; k <= int(hi)-3; k++ {
			if coreAbsInt(k) > 4 { // away from the DC notch
				carrier[(k%n+n)%n] = true
			}
		}
	}
	w := NewWelch(n, WindowHann, 0.5)
	c := NewCFAR(n, 1e-3, 2, 8, frames)
	psd := make([]float32, n)
	scratch := make([]float32, n)
	floor := make([]float32, n)
	hits := make([]bool, n)
	var carrierHits, carrierTrials, psds int
	step := w.Hop()*(frames-1) + n
	for off := 0; off+step <= len(x); off += step {
		w.Reset()
		w.Write(x[off : off+step])
		w.PSD(psd)
		NotchDC(psd, 2)
		level := FloorEstimateFrames(psd, scratch, frames)
		for k := range floor {
			floor[k] = level
		}
		c.Detect(hits, psd, floor)
		psds++
		for k, h := range hits {
			if carrier[k] {
				carrierTrials++
				if h {
					carrierHits++
				}
			}
		}
	}
	if carrierTrials == 0 {
		t.Fatal("no carrier bins")
	}
	pd := float64(carrierHits) / float64(carrierTrials)
	t.Logf("%d PSDs: carrier bins detected %.3f (%d/%d)", psds, pd, carrierHits, carrierTrials)
	if pd < 0.9 {
		t.Errorf("LTE carrier detected in %.3f of bin-PSDs, want ≥ 0.9", pd)
	}
}

func coreAbsInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
