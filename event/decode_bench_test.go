package event_test

import (
	"fmt"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// BenchmarkDecode measures the decoders fusion runs on every message: a
// detection (thousands a second on a busy site) and health reports of 8
// and 256 bands (the most Validate takes, about 21 KB).
func BenchmarkDecode(b *testing.B) {
	det, err := event.Encode(validDetection())
	if err != nil {
		b.Fatal(err)
	}
	health := func(bands int) []byte {
		h := event.Health{Schema: 1, Site: "hmp-a", Sensor: "s1", TimeNS: 1_700_000_000_000_000_000, State: event.StateDegraded,
			Reasons: []string{"band n1: revisit 2s over max_revisit 1s (3 late revisits)"}, Version: "v1.4.2",
			NoiseFloorDBm: map[string]float64{}, RevisitS: map[string]float64{}, GainDB: map[string]float64{}, ScanBandsHz: map[string][2]float64{}}
		for i := range bands {
			n := fmt.Sprintf("band-%03d", i)
			h.NoiseFloorDBm[n], h.RevisitS[n], h.GainDB[n] = -95.5, 1.25, 30
			h.ScanBandsHz[n] = [2]float64{1e9 + float64(i)*1e6, 1e9 + float64(i+1)*1e6}
		}
		p, err := event.Encode(h)
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name   string
		data   []byte
		decode func([]byte) error
	}{
		{"detection", det, func(p []byte) error { _, err := event.DecodeDetection(p); return err }},
		{"health-8-bands", health(8), func(p []byte) error { _, err := event.DecodeHealth(p); return err }},
		{"health-256-bands", health(256), func(p []byte) error { _, err := event.DecodeHealth(p); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				if err := c.decode(c.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
