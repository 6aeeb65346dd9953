package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmfschema"
)

func TestCmdSimSiteYAML(t *testing.T) {
	var out bytes.Buffer
	if err := cmdSim(context.Background(), []string{"--site-yaml"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "id: hmp-demo\n") || !strings.Contains(out.String(), "sensors:") {
		t.Errorf("site yaml starts %q", out.String()[:min(60, out.Len())])
	}
}

func TestCmdSimRecording(t *testing.T) {
	base := filepath.Join(t.TempDir(), "wing")
	var out bytes.Buffer
	// s4 shares landing L2 with the 2.412 GHz access point, which beacons every 102.4 ms.
	args := []string{"--out", base, "--sensor", "s4", "--center", "2420e6", "--rate", "20e6", "--duration", "250ms", "--progress"}
	var errOut bytes.Buffer
	if err := cmdSim(context.Background(), args, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	// the bar counts samples and ends at the total
	if s := errOut.String(); !strings.Contains(s, "sim wing") || !strings.Contains(s, "100%") || !strings.Contains(s, "5000000/5000000") {
		t.Errorf("stderr shows no finished progress bar: %q", s)
	}
	m, err := sigmf.ReadMeta(base + ".sigmf-meta")
	if err != nil {
		t.Fatal(err)
	}
	if err := sigmfschema.CheckFile(base + ".sigmf-meta"); err != nil {
		t.Errorf("recording fails the SigMF schema: %v", err)
	}
	if m.Global.Datatype != "ci8" || m.Global.SampleRateHz != 20e6 {
		t.Errorf("global: %+v", m.Global)
	}
	var beacons int
	for _, a := range m.Annotations {
		if a.Label == "wifi" && strings.HasPrefix(a.Comment, "ap-landing ") {
			beacons++
			if got := a.SampleCount; got != 4000 {
				t.Errorf("beacon lasts %d samples, want 4000 (200 µs)", got)
			}
			if a.FreqLowerHz > 2412e6-8e6 || a.FreqUpperHz < 2412e6+8e6 || a.FreqLowerHz < 2412e6-8.2e6 {
				t.Errorf("beacon band %.0f..%.0f Hz, want 2412 MHz ± 8.125 MHz", a.FreqLowerHz, a.FreqUpperHz)
			}
		}
		if a.SampleStart+a.SampleCount > 5_000_000 {
			t.Errorf("annotation ends at %d, after the 5e6 samples written", a.SampleStart+a.SampleCount)
		}
	}
	if beacons < 2 || beacons > 3 {
		t.Errorf("got %d beacons in 250 ms, want 2 or 3", beacons)
	}
}

func TestCmdSimBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no out", []string{}},
		{"bad sensor", []string{"--out", "x", "--sensor", "s99"}},
		{"bad rate", []string{"--out", "x", "--rate", "50e6"}},
		{"bad duration", []string{"--out", "x", "--duration", "-1s"}},
		{"bad start", []string{"--out", "x", "--start", "yesterday"}},
		{"stray arg", []string{"extra"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			for i, a := range args {
				if a == "x" {
					args[i] = filepath.Join(t.TempDir(), "x")
				}
			}
			if err := cmdSim(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
				t.Error("want an error")
			}
		})
	}
}
