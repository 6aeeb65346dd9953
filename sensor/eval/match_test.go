package eval

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// tgt, noiseW and otherW build truth records in a 1 MHz-wide world; d builds a detection.
func tgt(class string, start, n int64, lo, hi float64) Truth {
	return Truth{Class: class, Kind: KindTarget, StartSample: start, SampleCount: n, FreqLowHz: lo, FreqHighHz: hi, SNRDB: math.NaN()}
}

func noiseW(start, n int64, lo, hi float64) Truth {
	return Truth{Kind: KindNoise, StartSample: start, SampleCount: n, FreqLowHz: lo, FreqHighHz: hi, SNRDB: math.NaN()}
}

func otherW(start, n int64, lo, hi float64) Truth {
	return Truth{Class: event.ClassUnknown, Kind: KindOther, StartSample: start, SampleCount: n, FreqLowHz: lo, FreqHighHz: hi, SNRDB: math.NaN()}
}

func d(class string, start, n int64, lo, hi float64) Detection {
	return Detection{Class: class, StartSample: start, SampleCount: n, FreqLowHz: lo, FreqHighHz: hi}
}

func TestMatchTargets(t *testing.T) {
	tests := []struct {
		name         string
		truth        []Truth
		dets         []Detection
		wantDetected []bool
		wantPred     []string
	}{
		{"overlap in time and frequency", []Truth{tgt("lte", 100, 100, 0, 10)}, []Detection{d("lte", 150, 100, 5, 20)},
			[]bool{true}, []string{"lte"}},
		{"touching in time is not overlapping", []Truth{tgt("lte", 100, 100, 0, 10)}, []Detection{d("lte", 200, 100, 0, 10)},
			[]bool{false}, []string{ClassMissed}},
		{"touching in frequency is not overlapping", []Truth{tgt("lte", 100, 100, 0, 10)}, []Detection{d("lte", 100, 100, 10, 20)},
			[]bool{false}, []string{ClassMissed}},
		{"same time, other band", []Truth{tgt("gsm", 0, 100, 0, 1)}, []Detection{d("gsm", 0, 100, 2, 3)},
			[]bool{false}, []string{ClassMissed}},
		{"largest overlap names it", []Truth{tgt("wifi", 0, 1000, 0, 20)},
			[]Detection{d("unknown", 0, 1000, 9, 11), d("wifi", 100, 300, 0, 20)},
			[]bool{true}, []string{"wifi"}}, // 300×20 > 1000×2
		{"largest overlap can be wrong", []Truth{tgt("wifi", 0, 1000, 0, 20)},
			[]Detection{d("unknown", 0, 1000, 5, 15), d("wifi", 100, 300, 0, 20)},
			[]bool{true}, []string{"unknown"}}, // 1000×10 > 300×20
		{"tie goes to the earlier detection", []Truth{tgt("nr", 0, 100, 0, 10)},
			[]Detection{d("cellular", 0, 50, 0, 10), d("nr", 50, 50, 0, 10)},
			[]bool{true}, []string{ClassCellular}},
		{"zero-width truth inside a detection", []Truth{tgt("gsm", 0, 100, 5, 5)}, []Detection{d("gsm", 0, 100, 0, 10)},
			[]bool{true}, []string{"gsm"}},
		{"band-less annotation covers all", []Truth{tgt("gsm", 0, 100, math.Inf(-1), math.Inf(1))}, []Detection{d("gsm", 10, 10, 1e9, 1.1e9)},
			[]bool{true}, []string{"gsm"}},
		{"one detection finds two targets", []Truth{tgt("wifi", 0, 10, 0, 20), tgt("wifi", 50, 10, 0, 20)},
			[]Detection{d("wifi", 0, 100, 0, 20)}, []bool{true, true}, []string{"wifi", "wifi"}},
		{"a detection inside a silent window does not find the enclosing frame",
			[]Truth{tgt("lte", 0, 1000, 0, 20), noiseW(400, 200, 0, 20)}, []Detection{d("lte", 420, 100, 0, 20)},
			[]bool{false}, []string{ClassMissed}},
		{"noise and other are not targets", []Truth{noiseW(0, 100, 0, 20), otherW(0, 100, 9, 11)}, []Detection{d("unknown", 0, 100, 9, 11)},
			nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Match(tt.truth, tt.dets)
			if len(m.Targets) != len(tt.wantDetected) {
				t.Fatalf("%d targets scored, want %d", len(m.Targets), len(tt.wantDetected))
			}
			for i, o := range m.Targets {
				if o.Detected != tt.wantDetected[i] || o.Pred != tt.wantPred[i] {
					t.Errorf("target %d: detected %v pred %q, want %v %q", i, o.Detected, o.Pred, tt.wantDetected[i], tt.wantPred[i])
				}
				if o.Detected == (o.Det < 0) {
					t.Errorf("target %d: detected %v with detection index %d", i, o.Detected, o.Det)
				}
			}
		})
	}
}

func TestMatchDetectionRoles(t *testing.T) {
	// A TD-LTE frame 0..1000 over 0..20 Hz with a silent uplink window
	// 400..600 inside it, a spur line at 4..5 Hz, an NR uplink starting at
	// the end of a noise window 1000..1500, and open spectrum above 100 Hz.
	truth := []Truth{
		tgt("lte", 0, 1000, 0, 20),
		noiseW(400, 200, 0, 20),
		otherW(0, 2000, 4, 5),
		noiseW(1000, 500, 0, 20),
		tgt("nr", 1500, 100, 0, 20),
	}
	tests := []struct {
		name      string
		det       Detection
		wantRole  Role
		wantTruth string
		wantTP    bool
		wantFP    bool
	}{
		{"right class on the frame", d("lte", 0, 1000, 0, 20), RoleHit, "lte", true, false},
		{"wrong class on the frame", d("nr", 0, 1000, 0, 20), RoleHit, "lte", false, true},
		{"unknown on the frame", d("unknown", 0, 1000, 0, 20), RoleHit, "lte", false, false},
		{"inside the silent window: the enclosing frame does not excuse it", d("unknown", 420, 100, 10, 15), RoleNoise, "", false, false},
		{"named inside the silent window", d("lte", 420, 100, 10, 15), RoleNoise, "", false, true},
		{"spanning the window around the silence", d("lte", 300, 400, 0, 20), RoleHit, "lte", true, false},
		{"on the spur line inside noise", d("unknown", 420, 100, 4, 5), RoleOther, "", false, false},
		{"named on the spur line", d("gsm", 1100, 100, 4.2, 4.8), RoleOther, "", false, true},
		{"onset at the window's edge is excused", d("nr", 1400, 200, 10, 15), RoleHit, "nr", true, false},
		{"mostly in noise, touching nothing else", d("unknown", 1100, 200, 10, 15), RoleNoise, "", false, false},
		{"open spectrum, unknown", d("unknown", 0, 100, 200, 300), RoleUnannotated, "", false, false},
		{"open spectrum, named", d("droneid", 0, 100, 200, 300), RoleUnannotated, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Match(truth, []Detection{tt.det})
			o := m.Dets[0]
			if o.Role != tt.wantRole || o.Truth != tt.wantTruth || o.TP() != tt.wantTP || o.FP() != tt.wantFP {
				t.Errorf("role %v truth %q TP %v FP %v; want %v %q %v %v", o.Role, o.Truth, o.TP(), o.FP(),
					tt.wantRole, tt.wantTruth, tt.wantTP, tt.wantFP)
			}
			if m.NoiseSample != 700 {
				t.Errorf("noise samples %d, want 700", m.NoiseSample)
			}
		})
	}
}

func TestUnionLen(t *testing.T) {
	tests := []struct {
		name string
		iv   [][2]int64
		want int64
	}{
		{"none", nil, 0},
		{"one", [][2]int64{{5, 15}}, 10},
		{"disjoint", [][2]int64{{20, 30}, {0, 10}}, 20},
		{"overlapping", [][2]int64{{0, 10}, {5, 15}}, 15},
		{"nested", [][2]int64{{0, 100}, {10, 20}, {30, 40}}, 100},
		{"touching", [][2]int64{{0, 10}, {10, 20}}, 20},
		{"empty interval", [][2]int64{{5, 5}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unionLen(tt.iv); got != tt.want {
				t.Errorf("unionLen(%v) = %d, want %d", tt.iv, got, tt.want)
			}
		})
	}
}

// TestMatchSplitFragments: the detector reports an emission longer than
// dsp.DetectorConfig.MaxEmissionDur (500 ms) in pieces, each starting
// where the last ended, so the end of a file (or of the emission) leaves a
// fragment too short to classify ("LTE/NR uplink (..., unconfirmed: too
// short)", 0.026 ms of a 2 s LTE file). Such a fragment, continuing a hit
// and at most a tenth as long as the piece before it, is not scored: it
// was counted as a false positive. Anything else still is.
func TestMatchSplitFragments(t *testing.T) {
	// The tails are named gsm, a wrong class on the LTE target: a
	// cellular tail (what the real one was) is right on it since
	// 2026-12-06 (TestCellularRightOnLTEOrNRTarget).
	truth := []Truth{tgt("lte", 0, 20000, 0, 20)}
	piece := d("lte", 0, 10000, 1, 19)
	tests := []struct {
		name         string
		last         Detection
		wantFragment bool
	}{
		{"tail of the split", d("gsm", 10000, 200, 1, 19), true},
		{"tail in a narrower band", d("gsm", 10000, 200, 5, 10), true},
		{"a gap before it", d("gsm", 10001, 200, 1, 19), false},
		{"as long as a tenth of the piece", d("gsm", 10000, 1000, 1, 19), true},
		{"longer than a tenth", d("gsm", 10000, 1001, 1, 19), false},
		{"another band", d("gsm", 10000, 200, 30, 40), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := Match(truth, []Detection{piece, tc.last})
			o := m.Dets[1]
			if o.Fragment != tc.wantFragment {
				t.Fatalf("fragment %v, want %v (%+v)", o.Fragment, tc.wantFragment, o)
			}
			tl := NewTally()
			tl.Add("f", m, 1e6)
			fp := 0
			for _, c := range tl.Report().Classes {
				if c.Class == event.ClassGSM {
					fp = c.FP
				}
			}
			if want := map[bool]int{true: 0, false: 1}[tc.wantFragment]; fp != want && o.Role == RoleHit {
				t.Errorf("gsm FP %d, want %d", fp, want)
			}
			if m.Dets[0].Fragment {
				t.Error("the piece itself read as a fragment")
			}
		})
	}
	// A fragment of a piece that hit nothing is scored as usual.
	m := Match(nil, []Detection{d("lte", 0, 10000, 1, 19), d("gsm", 10000, 200, 1, 19)})
	if m.Dets[1].Fragment || !m.Dets[1].FP() {
		t.Errorf("fragment of a piece on no target: %+v, want an ordinary false positive", m.Dets[1])
	}
}

// TestMatchTargetEqualToNoise: a whole-file "noise" annotation and an LTE
// target over the same span made the LTE target missed and its detections
// false alarms: a target exactly the noise window's span excuses a
// detection on it, as one that does not enclose the window does.
func TestMatchTargetEqualToNoise(t *testing.T) {
	tests := []struct {
		name     string
		truth    []Truth
		wantRole Role
	}{
		{"equal spans, whole band noise", []Truth{noiseW(0, 1000, math.Inf(-1), math.Inf(1)), tgt("lte", 0, 1000, 0, 20)}, RoleHit},
		{"equal spans, same band", []Truth{noiseW(0, 1000, 0, 20), tgt("lte", 0, 1000, 0, 20)}, RoleHit},
		{"target strictly enclosing the window", []Truth{noiseW(100, 800, 0, 20), tgt("lte", 0, 1000, 0, 20)}, RoleNoise},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Match(tt.truth, []Detection{d("lte", 200, 100, 5, 15)})
			if m.Dets[0].Role != tt.wantRole {
				t.Errorf("role %v, want %v", m.Dets[0].Role, tt.wantRole)
			}
			if want := tt.wantRole == RoleHit; m.Targets[0].Detected != want {
				t.Errorf("target detected %v, want %v", m.Targets[0].Detected, want)
			}
		})
	}
}

// TestCheckTruth: truth that contradicts itself, or lies outside the
// recorded band, is scored silently wrong; CheckTruth names it.
func TestCheckTruth(t *testing.T) {
	band := [][2]float64{{845e6, 849e6}}
	tests := []struct {
		name  string
		truth []Truth
		bands [][2]float64
		want  []string // substrings, one warning each
	}{
		{"clean", []Truth{tgt("lte", 0, 100, 846e6, 848e6), noiseW(100, 100, math.Inf(-1), math.Inf(1))}, band, nil},
		{"target on noise", []Truth{noiseW(0, 1000, math.Inf(-1), math.Inf(1)), tgt("lte", 0, 1000, 846e6, 848e6)}, band,
			[]string{"overlaps noise window"}},
		{"TD-LTE frame around its silent window", []Truth{tgt("lte", 0, 1000, 846e6, 848e6), noiseW(400, 200, 846e6, 848e6)}, band, nil},
		{"noise around a burst", []Truth{noiseW(0, 1000, math.Inf(-1), math.Inf(1)), tgt("lte", 100, 10, 846e6, 848e6)}, band,
			[]string{"overlaps noise window"}},
		{"SSB inside its carrier", []Truth{tgt("nr", 0, 1000, 846e6, 848e6), tgt("nr", 100, 50, 846.5e6, 847e6)}, band, nil},
		{"a phone and its LTE uplink", []Truth{tgt("lte", 0, 100, 846e6, 848e6), tgt(ClassPhone, 0, 100, 846e6, 848e6)}, band, nil},
		{"target twice", []Truth{tgt("lte", 0, 100, 846e6, 848e6), tgt("gsm", 0, 100, 846e6, 848e6)}, band,
			[]string{"overlaps target"}},
		{"baseband edges", []Truth{tgt("lte", 0, 100, -2.25e6, 2.25e6)}, band,
			[]string{"outside the recorded band 845.000..849.000 MHz"}},
		{"half outside is fine", []Truth{tgt("lte", 0, 100, 848e6, 850e6)}, band, nil},
		{"no band known", []Truth{tgt("lte", 0, 100, -2.25e6, 2.25e6)}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckTruth(tt.truth, tt.bands)
			if len(got) != len(tt.want) {
				t.Fatalf("warnings %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %q, want it to say %q", got[i], w)
				}
			}
		})
	}
}

// TestCheckTruthSweepAsEveryPair: CheckTruth finds overlapping records by
// a sweep over their starts (BenchmarkSiteCheckTruthManyAnnotations);
// it must give the warnings, in the order, that comparing every target
// with every other record gives. Seeded random truth: targets of classes
// and families, noise and other windows, whole-band records, touching
// and zero-length ones.
func TestCheckTruthSweepAsEveryPair(t *testing.T) {
	classes := []string{event.ClassLTE, event.ClassGSM, event.ClassNR, ClassPhone}
	for seed := range int64(20) {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		var truth []Truth
		for range 60 {
			start, n := rng.Int64N(2000), rng.Int64N(300)
			lo, hi := 845e6+float64(rng.IntN(8))*0.5e6, 0.0
			hi = lo + float64(rng.IntN(4))*0.5e6
			if rng.IntN(5) == 0 {
				lo, hi = math.Inf(-1), math.Inf(1)
			}
			switch rng.IntN(4) {
			case 0:
				truth = append(truth, noiseW(start, n, lo, hi))
			case 1:
				truth = append(truth, Truth{Kind: KindOther, Class: event.ClassUnknown, StartSample: start, SampleCount: n, FreqLowHz: lo, FreqHighHz: hi})
			default:
				truth = append(truth, tgt(classes[rng.IntN(len(classes))], start, n, lo, hi))
			}
		}
		if got, want := CheckTruth(truth, nil), everyPair(truth); !slices.Equal(got, want) {
			t.Errorf("seed %d: sweep gives %d warnings, every pair %d:\n%q\nwant\n%q", seed, len(got), len(want), got, want)
		}
	}
}

// everyPair is CheckTruth's overlap warnings as it found them until
// 2026-12-06: every target against every other record (with the
// same-emission warning added that day).
func everyPair(truth []Truth) []string {
	var out []string
	for i, t := range truth {
		if t.Kind != KindTarget {
			continue
		}
		for j, u := range truth {
			switch {
			case j == i || !truthOverlap(t, u):
			case u.Kind == KindNoise && !encloses(t, u):
				out = append(out, fmt.Sprintf("target %s overlaps noise window %s: its samples count as noise time, and a detection on it is a hit, not a false alarm", t, u))
			case u.Kind == KindTarget && j > i && !Names(t.Class, u.Class) && !Names(u.Class, t.Class):
				out = append(out, fmt.Sprintf("target %s overlaps target %s of another class: a detection there can be right for only one of them", t, u))
			case u.Kind == KindTarget && j > i && t.Class == u.Class && sameEmission(t, u):
				out = append(out, fmt.Sprintf("target %s and target %s annotate the same emission (one class, nearly the same samples and band): it is scored as two targets, a miss as two misses", t, u))
			}
		}
	}
	return out
}

// unionLen is the total length of the union of [start, end) intervals.
func unionLen(iv [][2]int64) int64 {
	if len(iv) == 0 {
		return 0
	}
	s := slices.Clone(iv)
	slices.SortFunc(s, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	var total int64
	cur := s[0]
	for _, v := range s[1:] {
		if v[0] <= cur[1] {
			cur[1] = max(cur[1], v[1])
			continue
		}
		total += max(0, cur[1]-cur[0])
		cur = v
	}
	return total + max(0, cur[1]-cur[0])
}
