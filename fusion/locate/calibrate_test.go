package locate

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/site"
)

func TestFit(t *testing.T) {
	s := loadWing(t)
	wantN := 2.7
	wantOff := map[string]float64{"s1": 2, "s2": -1, "s3": 0.5, "s4": -3, "s5": 1, "s6": 0.5, "s7": 0}
	l, err := New(s, Model{Exponent: wantN})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var buf bytes.Buffer
	buf.WriteString("x,y,floor,sensor,rx_dbm,tx_dbm\n")
	for range 300 {
		p := site.Point{X: rng.Float64() * 40, Y: rng.Float64() * 11}
		for _, sn := range s.Sensors {
			pl := l.lossTo(sn, 0, p) + 40 // 40 dB reference loss
			rx := 10 - pl - wantOff[sn.ID] + 0.5*rng.NormFloat64()
			fmt.Fprintf(&buf, "%.3f,%.3f,g,%s,%.3f,10\n", p.X, p.Y, sn.ID, rx)
		}
	}
	samples, err := ReadWalkCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Fit(s, samples, Model{})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c.Exponent-wantN) > 0.05 {
		t.Errorf("exponent: got %.3f, want %.2f", c.Exponent, wantN)
	}
	if math.Abs(c.RefLossDB-40) > 0.5 {
		t.Errorf("reference loss: got %.2f, want 40", c.RefLossDB)
	}
	var mean float64
	for _, v := range wantOff {
		mean += v
	}
	mean /= float64(len(wantOff))
	for id, w := range wantOff {
		if got := c.OffsetsDB[id]; math.Abs(got-(w-mean)) > 0.2 {
			t.Errorf("offset %s: got %.2f, want %.2f", id, got, w-mean)
		}
	}
	if c.RMSDB < 0.3 || c.RMSDB > 0.7 {
		t.Errorf("residual RMS %.2f, want about 0.5", c.RMSDB)
	}
}

func TestReadWalkCSVErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "header"},
		{"bad header", "a,b,c,d,e,f\n", `column 1 is "a"`},
		{"no rows", "x,y,floor,sensor,rx_dbm,tx_dbm\n", "no rows"},
		{"nan", "x,y,floor,sensor,rx_dbm,tx_dbm\n1,2,g,s1,NaN,10\n", "rx_dbm"},
		{"short row", "x,y,floor,sensor,rx_dbm,tx_dbm\n1,2,g\n", "wrong number of fields"},
		{"empty sensor", "x,y,floor,sensor,rx_dbm,tx_dbm\n1,2,g,,-50,10\n", "must not be empty"},
	}
	for _, tt := range tests {
		_, err := ReadWalkCSV(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestFitErrors(t *testing.T) {
	s := loadWing(t)
	if _, err := Fit(s, []WalkSample{{X: 1, Y: 1, Floor: "g", Sensor: "zz", RxDBm: -50, TxDBm: 0}}, Model{}); err == nil || !strings.Contains(err.Error(), `sensor "zz"`) {
		t.Errorf("unknown sensor: got %v", err)
	}
	few := []WalkSample{{X: 1, Y: 1, Floor: "g", Sensor: "s1", RxDBm: -50}}
	if _, err := Fit(s, few, Model{}); err == nil || !strings.Contains(err.Error(), "walk more") {
		t.Errorf("too few: got %v", err)
	}
}

func FuzzReadWalkCSV(f *testing.F) {
	f.Add([]byte("x,y,floor,sensor,rx_dbm,tx_dbm\n1,2,g,s1,-50,10\n"))
	f.Add([]byte("x,y,floor,sensor,rx_dbm,tx_dbm\n1,2,g,s1,-50\n"))
	f.Add([]byte("X,Y,Floor,Sensor,RX_DBM,TX_DBM\n\"1\",2,g,s1,1e400,10\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := ReadWalkCSV(bytes.NewReader(data))
		if err == nil && len(out) == 0 {
			t.Fatal("no error and no rows")
		}
		for _, s := range out {
			if math.IsNaN(s.RxDBm) || math.IsInf(s.TxDBm, 0) || s.Sensor == "" {
				t.Fatalf("bad sample accepted: %+v", s)
			}
		}
	})
}
