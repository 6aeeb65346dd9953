package locate

import (
	"math"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/site"
)

// TestPredictDBmHeights checks the 3-D distance of the path loss against
// numbers worked by hand: an emitter EmitterHeightM above its floor and a
// sensor SensorHeightM above its own, on one floor with no wall between,
// are SensorHeightM − EmitterHeightM apart in height. With exponent 2 and
// a 1 m reference, a 0 dBm emitter right under a sensor 3 m up, itself
// 1 m up, is 2 m away: −20·log10(2) dBm; 4 m along the floor it is
// √20 m away. A sensor's offset is subtracted and its antenna gain added.
func TestPredictDBmHeights(t *testing.T) {
	s, err := site.Load(strings.NewReader(`id: tiny
floors:
  - id: f1
rooms:
  - {id: r1, floor: f1, kind: cell, zone: z, polygon: [{x: -10, y: -10}, {x: 10, y: -10}, {x: 10, y: 10}, {x: -10, y: 10}]}
sensors:
  - {id: s1, floor: f1, pos: {x: 0, y: 0}, zones: [z]}
  - {id: s2, floor: f1, pos: {x: 0, y: 0}, zones: [z], offset_db: 2, antenna_gain_db: 6}
`))
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(s, Model{Exponent: 2, RefDistM: 1, SensorHeightM: 3, EmitterHeightM: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		sensor string
		p      site.Point
		want   float64
	}{
		{"under the sensor", "s1", site.Point{}, -20 * math.Log10(2)},
		{"4 m along the floor", "s1", site.Point{X: 4}, -20 * math.Log10(math.Sqrt(20))},
		{"with offset and gain", "s2", site.Point{Y: 4}, -20*math.Log10(math.Sqrt(20)) - 2 + 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := l.PredictDBm(tc.sensor, "f1", tc.p, 0)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("PredictDBm(%s, %v) = %.4f dBm, want %.4f", tc.sensor, tc.p, got, tc.want)
			}
		})
	}
}

// TestLocateCorrectsSensorGains locates noiseless emissions in the test
// wing whose sensors each have their own calibration offset and antenna
// gain: the powers they report are corrected by both before the fit (a
// sensor with a 9 dB antenna reports 9 dB more than one with 0 dB), so the
// room and position come out as with bare sensors.
func TestLocateCorrectsSensorGains(t *testing.T) {
	s := loadWing(t)
	for i := range s.Sensors {
		s.Sensors[i].AntennaGainDB = float64(3 * (i % 4)) // 0, 3, 6, 9 dB
		s.Sensors[i].OffsetDB = float64(i%3) - 1          // -1, 0, 1 dB
	}
	l, err := New(s, Model{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []site.Point{{X: 2.3, Y: 1.7}, {X: 22.6, Y: 9.4}, {X: 31, Y: 5.2}, {X: 17.2, Y: 3.1}} {
		var ms []Measurement
		for _, sn := range s.Sensors {
			v, err := l.PredictDBm(sn.ID, "g", p, 10)
			if err != nil {
				t.Fatal(err)
			}
			if v > -100 {
				ms = append(ms, Measurement{Sensor: sn.ID, PowerDBm: v})
			}
		}
		res, err := l.Locate(ms)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := s.RoomAt("g", p)
		if room, prob := res.Room(); room != want.ID {
			t.Errorf("at %v: room %q (%.2f), want %q", p, room, prob, want.ID)
		}
		if d := math.Hypot(res.Pos.X-p.X, res.Pos.Y-p.Y); d > 0.5 {
			t.Errorf("at %v: position %v is %.2f m off", p, res.Pos, d)
		}
		if math.Abs(res.TxDBm-10) > 1 {
			t.Errorf("at %v: tx %.1f dBm, want 10", p, res.TxDBm)
		}
	}
}
