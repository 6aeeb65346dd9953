package dsp

import (
	"math"
	"testing"
)

func TestGainTableDBm(t *testing.T) {
	table := GainTable{Device: "hackrf-test", Points: []GainPoint{
		{FreqHz: 100e6, GainDB: 20, OffsetDB: -10},
		{FreqHz: 1000e6, GainDB: 20, OffsetDB: -12},
		{FreqHz: 2000e6, GainDB: 20, OffsetDB: -16},
		{FreqHz: 100e6, GainDB: 40, OffsetDB: -11},
		{FreqHz: 2000e6, GainDB: 40, OffsetDB: -21},
	}}
	if err := table.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                 string
		dbfs, freqHz, gainDB float64
		want                 float64
	}{
		{"on a point", -30, 1000e6, 20, -30 - 20 - 12},
		{"between freqs", -30, 550e6, 20, -30 - 20 - 11},
		{"below first freq", -30, 50e6, 20, -30 - 20 - 10},
		{"above last freq", -30, 3000e6, 20, -30 - 20 - 16},
		{"between gains", -30, 100e6, 30, -30 - 30 - 10.5},
		// 1500 MHz: gain 20 -> -14, gain 40 -> -11 - 10·1400/1900; at 30 dB the mean.
		{"bilinear", -40, 1500e6, 30, -40 - 30 + (-14+(-11-10*1400.0/1900))/2},
		{"below lowest gain", 0, 100e6, 0, 0 - 0 - 10},
		{"above highest gain", 0, 2000e6, 60, 0 - 60 - 21},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := table.DBm(tc.dbfs, tc.freqHz, tc.gainDB); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("DBm(%v, %v, %v) = %v, want %v", tc.dbfs, tc.freqHz, tc.gainDB, got, tc.want)
			}
		})
	}
	if got := (GainTable{}).DBm(-20, 1e9, 10); got != -30 {
		t.Errorf("empty table DBm = %v, want -30", got)
	}
}

func TestGainTableValidate(t *testing.T) {
	bad := []GainTable{
		{Device: "empty"},
		{Device: "nan", Points: []GainPoint{{FreqHz: math.NaN()}}},
		{Device: "unsorted freq", Points: []GainPoint{{FreqHz: 2e9}, {FreqHz: 1e9}}},
		{Device: "duplicate", Points: []GainPoint{{FreqHz: 1e9}, {FreqHz: 1e9}}},
		{Device: "unsorted gain", Points: []GainPoint{{FreqHz: 1e9, GainDB: 10}, {FreqHz: 2e9, GainDB: 0}}},
	}
	for _, tb := range bad {
		if err := tb.Validate(); err == nil {
			t.Errorf("%s: Validate() = nil, want an error", tb.Device)
		}
	}
}
