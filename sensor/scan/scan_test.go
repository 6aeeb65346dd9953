package scan

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func plan() []Band {
	return []Band{
		{Name: "gsm900-ul", LowHz: 880e6, HighHz: 915e6, Priority: 10, Dwell: 20 * time.Millisecond, Kind: KindDwell, MaxRevisit: time.Second},
		{Name: "lte-b3-ul", LowHz: 1710e6, HighHz: 1785e6, Priority: 8, Dwell: 20 * time.Millisecond, Kind: KindDwell, MaxRevisit: time.Second},
		{Name: "ism2400", LowHz: 2400e6, HighHz: 2483.5e6, Dwell: 10 * time.Millisecond, Kind: KindSweep, MaxRevisit: 2 * time.Second},
	}
}

// run simulates n steps, each starting when the previous dwell ends, and
// returns the steps and the largest start-to-start gap per cell centre.
func run(t *testing.T, s *Scheduler, n int, seen func(now time.Time)) ([]Step, map[float64]time.Duration) {
	t.Helper()
	now := t0
	last := map[float64]time.Time{}
	gap := map[float64]time.Duration{}
	var steps []Step
	for range n {
		if seen != nil {
			seen(now)
		}
		st := s.Next(now)
		if l, ok := last[st.CenterHz]; ok {
			gap[st.CenterHz] = max(gap[st.CenterHz], now.Sub(l))
		}
		last[st.CenterHz] = now
		steps = append(steps, st)
		now = now.Add(st.Dwell)
	}
	// Cells never visited again still count their gap up to the end.
	for c, l := range last {
		gap[c] = max(gap[c], now.Sub(l))
	}
	return steps, gap
}

func TestCells(t *testing.T) {
	s, err := New(plan(), 20e6, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 35 MHz / 16 MHz -> 3, 75/16 -> 5, 83.5/16 -> 6.
	if got, want := s.Cells(), 14; got != want {
		t.Errorf("cells: got %d, want %d", got, want)
	}
	steps, _ := run(t, s, 2000, nil)
	cover := map[string]map[float64]bool{}
	for _, st := range steps {
		if cover[st.Band] == nil {
			cover[st.Band] = map[float64]bool{}
		}
		cover[st.Band][st.CenterHz] = true
		if st.SampleRateHz != 20e6 {
			t.Fatalf("sample rate: got %v", st.SampleRateHz)
		}
	}
	for band, want := range map[string]int{"gsm900-ul": 3, "lte-b3-ul": 5, "ism2400": 6} {
		if got := len(cover[band]); got != want {
			t.Errorf("band %s: %d tunings visited, want %d", band, got, want)
		}
	}
}

func TestRevisitBoundProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	trials := 300
	if testing.Short() {
		trials = 60
	}
	feasible := 0
	for trial := range trials {
		nb := 1 + rng.IntN(6)
		var bands []Band
		for i := range nb {
			low := 100e6 + rng.Float64()*5e9
			kind := KindSweep
			if rng.IntN(2) == 0 {
				kind = KindDwell
			}
			bands = append(bands, Band{
				Name: fmt.Sprintf("b%d", i), LowHz: low, HighHz: low + 1e6 + rng.Float64()*80e6,
				Priority: rng.IntN(101), Dwell: time.Duration(1+rng.IntN(50)) * time.Millisecond,
				Kind: kind, MaxRevisit: time.Duration(200+rng.IntN(5000)) * time.Millisecond,
			})
		}
		s, err := New(bands, 20e6, Options{})
		if errors.Is(err, ErrInfeasible) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		feasible++
		// Random detections boost random bands, stressing free mode.
		seen := func(now time.Time) {
			if rng.IntN(20) == 0 {
				s.Seen(bands[rng.IntN(nb)].Name, now)
			}
		}
		steps, gaps := run(t, s, 3000, seen)
		bound := map[string]time.Duration{}
		for _, b := range bands {
			bound[b.Name] = b.MaxRevisit
		}
		cells := map[float64]string{}
		for _, st := range steps {
			cells[st.CenterHz] = st.Band
		}
		if len(cells) != s.Cells() {
			t.Fatalf("trial %d: %d of %d cells visited", trial, len(cells), s.Cells())
		}
		for c, g := range gaps {
			if g > bound[cells[c]] {
				t.Fatalf("trial %d: cell %.0f of %s: gap %v exceeds max_revisit %v", trial, c, cells[c], g, bound[cells[c]])
			}
		}
		for band, g := range s.MaxRevisit() {
			if g > bound[band] {
				t.Fatalf("trial %d: reported revisit %v of %s exceeds %v", trial, g, band, bound[band])
			}
		}
	}
	if feasible < trials/10 {
		t.Fatalf("only %d of %d random plans feasible; the property was barely exercised", feasible, trials)
	}
}

func TestSeenBoostsBand(t *testing.T) {
	count := func(seenBand string) int {
		bands := []Band{
			{Name: "a", LowHz: 900e6, HighHz: 910e6, Dwell: 10 * time.Millisecond, Kind: KindSweep, MaxRevisit: 10 * time.Second},
			{Name: "b", LowHz: 1800e6, HighHz: 1810e6, Dwell: 10 * time.Millisecond, Kind: KindSweep, MaxRevisit: 10 * time.Second},
		}
		s, err := New(bands, 20e6, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var seen func(time.Time)
		if seenBand != "" {
			seen = func(now time.Time) { s.Seen(seenBand, now) }
		}
		steps, _ := run(t, s, 1000, seen)
		n := 0
		for _, st := range steps {
			if st.Band == "b" {
				n++
			}
		}
		return n
	}
	base, boosted := count(""), count("b")
	if base < 450 || base > 550 {
		t.Errorf("unboosted: band b got %d of 1000 steps, want about half", base)
	}
	// With the default boost of 4, b gets about 3 steps for each of a's.
	if !(boosted >= 2*(1000-boosted)) {
		t.Errorf("boosted: band b got %d of 1000 steps, want at least 2x band a's", boosted)
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := New(plan(), 20e6, Options{})
	b, _ := New(plan(), 20e6, Options{})
	sa, _ := run(t, a, 500, nil)
	sb, _ := run(t, b, 500, nil)
	for i := range sa {
		if sa[i] != sb[i] {
			t.Fatalf("step %d differs: %+v vs %+v", i, sa[i], sb[i])
		}
	}
}

func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bands []Band
		rate  float64
	}{
		{"none", nil, 20e6},
		{"rate", plan(), 0},
		{"order", []Band{{Name: "x", LowHz: 2e9, HighHz: 1e9, Dwell: time.Millisecond, Kind: KindSweep, MaxRevisit: time.Second}}, 20e6},
		{"kind", []Band{{Name: "x", LowHz: 1e9, HighHz: 2e9, Dwell: time.Millisecond, Kind: "hop", MaxRevisit: time.Second}}, 20e6},
		{"infeasible", []Band{{Name: "x", LowHz: 1e9, HighHz: 2e9, Dwell: 50 * time.Millisecond, Kind: KindSweep, MaxRevisit: time.Second}}, 20e6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.bands, tc.rate, Options{}); err == nil {
				t.Error("accepted")
			}
		})
	}
	// An infeasible plan says what to change: 63 tunings of 50 ms,
	// 2·(63+1)·50 ms = 6.4 s.
	bands := []Band{{Name: "x", LowHz: 1e9, HighHz: 2e9, Dwell: 50 * time.Millisecond, Kind: KindSweep, MaxRevisit: time.Second}}
	_, err := New(bands, 20e6, Options{})
	for _, want := range []string{"band \"x\" max_revisit 1s is below 6.4s", "raise its max_revisit to 6.4s or more", "fewer or narrower bands", "higher sample rate"} {
		if !errors.Is(err, ErrInfeasible) || !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("infeasible plan: %v, want ErrInfeasible saying %q", err, want)
		}
	}
}

func BenchmarkNext(b *testing.B) {
	s, _ := New(plan(), 20e6, Options{})
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		st := s.Next(now)
		now = now.Add(st.Dwell)
	}
}
