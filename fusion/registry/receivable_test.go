package registry_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/registry"
)

// TestValidateReceivableBand: an entry's band lies in what rfwarden's
// sensors receive, a HackRF One's 1 MHz to 6 GHz; one outside it (1 PHz,
// 1e-300 Hz: taken with 201 until 2026-12-07, only the band's width was
// checked) is refused naming the field, its value in MHz and the range.
func TestValidateReceivableBand(t *testing.T) {
	tests := []struct {
		name       string
		minHz      float64
		maxHz      float64
		wantFields []string // in the error; nil when accepted
	}{
		{name: "a petahertz", minHz: 1e15, maxHz: 1.0000001e15, wantFields: []string{"freq_min_hz is 1e+09 MHz", "1–6000 MHz"}},
		{name: "a tiny fraction of a hertz", minHz: 1e-300, maxHz: 400e6, wantFields: []string{"freq_min_hz is 1e-306 MHz", "1–6000 MHz"}},
		{name: "below 1 MHz", minHz: 0.5e6, maxHz: 2e6, wantFields: []string{"freq_min_hz is 0.5 MHz", "1–6000 MHz"}},
		{name: "above 6 GHz", minHz: 5.925e9, maxHz: 6.425e9, wantFields: []string{"freq_max_hz is 6425 MHz", "1–6000 MHz"}},
		{name: "from 1 MHz", minHz: 1e6, maxHz: 30e6},
		{name: "up to 6 GHz", minHz: 5.925e9, maxHz: 6e9},
		{name: "5.8 GHz FPV, the band plan's highest", minHz: 5.645e9, maxHz: 5.945e9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := registry.Entry{Name: "radio", Kind: registry.KindStaffRadio, Signature: registry.Signature{FreqMinHz: tc.minHz, FreqMaxHz: tc.maxHz}}
			err := e.Validate()
			if tc.wantFields == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, registry.ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
			for _, want := range tc.wantFields {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate = %q, want it to say %q", err, want)
				}
			}
		})
	}
}
