package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// longRecording lays out n truth records and about n detections as a
// site's long, densely labelled recording has them: time-ordered bursts
// on four bands (one every 1,000 samples, each 650 samples long), every
// tenth record a noise window and every fiftieth an "other" line; one
// detection on each burst (a little late and wide), one false alarm in
// each noise window, and a short tail (a Fragment) after every
// twentieth burst.
func longRecording(n int) ([]Truth, []Detection) {
	bands := [][2]float64{{902.5e6, 902.7e6}, {935.0e6, 935.2e6}, {1850e6, 1855e6}, {2412e6, 2432e6}}
	classes := []string{event.ClassGSM, event.ClassGSM, event.ClassLTE, event.ClassWiFi}
	truth := make([]Truth, 0, n)
	var dets []Detection
	for i := range n {
		b := bands[i%len(bands)]
		start := int64(i) * 1000
		switch {
		case i%50 == 49:
			truth = append(truth, Truth{Kind: KindOther, Class: event.ClassUnknown, StartSample: start, SampleCount: 5000,
				FreqLowHz: b[0], FreqHighHz: b[0] + 10e3, SNRDB: math.NaN()})
		case i%10 == 9:
			truth = append(truth, Truth{Kind: KindNoise, StartSample: start, SampleCount: 3000,
				FreqLowHz: b[0], FreqHighHz: b[1], SNRDB: math.NaN()})
			dets = append(dets, Detection{Class: event.ClassUnknown, StartSample: start + 500, SampleCount: 200,
				FreqLowHz: b[0] + 10e3, FreqHighHz: b[0] + 50e3})
		default:
			c := classes[i%len(classes)]
			truth = append(truth, Truth{Kind: KindTarget, Class: c, StartSample: start, SampleCount: 650,
				FreqLowHz: b[0], FreqHighHz: b[1], SNRDB: math.NaN()})
			dets = append(dets, Detection{Class: c, StartSample: start + 20, SampleCount: 600,
				FreqLowHz: b[0] - 5e3, FreqHighHz: b[1] + 5e3})
			if i%20 == 0 {
				dets = append(dets, Detection{Class: event.ClassUnknown, StartSample: start + 620, SampleCount: 40,
					FreqLowHz: b[0], FreqHighHz: b[1]})
			}
		}
	}
	return truth, dets
}

// BenchmarkMatch: MatchIn of a long recording (longRecording) with 100,
// 1,000 and 10,000 truth records and about as many detections; ns/op
// should grow about as n log n, not as n² (docs/performance.md,
// "Evaluation: scoring a long recording").
func BenchmarkMatch(b *testing.B) {
	recorded := [][2]float64{{900e6, 2440e6}}
	for _, n := range []int{100, 1000, 10000} {
		truth, dets := longRecording(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if m := MatchIn(truth, dets, recorded); len(m.Dets) != len(dets) {
					b.Fatalf("%d detections scored, want %d", len(m.Dets), len(dets))
				}
			}
		})
	}
}

// TestMatchSweepAsEveryPair: MatchIn compares each detection only with
// the truth records sharing a sample with it, and each target only with
// the hits sharing one (visitOverlaps, BenchmarkMatch); it must score as
// comparing every detection with every record did (matchEveryPair):
// every role, Fragment, target outcome, the index of the detection that
// names it (ties: the earlier), and the noise time. Seeded random
// layouts on a coarse grid, so that starts coincide, records touch and
// nest: targets of classes and families, noise windows, "other" lines,
// zero-length, negative-length and band-less records, tones, and split
// emissions' tails.
func TestMatchSweepAsEveryPair(t *testing.T) {
	recorded := [][2]float64{{845e6, 848e6}}
	layouts := uint64(3000)
	if raceEnabled || testing.Short() {
		layouts = 500 // one goroutine: the race detector only slows it
	}
	for seed := range layouts {
		rng := rand.New(rand.NewPCG(seed, 11))
		n := 40
		if seed%50 == 0 {
			n = 200 // long running sets
		}
		truth := randomTruth(rng, rng.IntN(n))
		dets := randomDets(rng, rng.IntN(n))
		for _, bands := range [][][2]float64{nil, recorded} {
			got, want := MatchIn(truth, dets, bands), matchEveryPair(truth, dets, bands)
			if !sameMatched(got, want) {
				t.Fatalf("seed %d, bands %v: sweep and every pair differ\ntruth %+v\ndets %+v\ngot  %+v\nwant %+v", seed, bands, truth, dets, got, want)
			}
		}
	}
}

// TestMatchSweepLongRecording: on BenchmarkMatch's layout, large enough
// that the sweep's running set grows and shrinks many times over, MatchIn
// scores as every pair does.
func TestMatchSweepLongRecording(t *testing.T) {
	truth, dets := longRecording(2000)
	got, want := MatchIn(truth, dets, nil), matchEveryPair(truth, dets, nil)
	if !sameMatched(got, want) {
		t.Fatal("sweep and every pair differ on longRecording(2000)")
	}
	frags, hits := 0, 0
	for _, o := range got.Dets {
		if o.Fragment {
			frags++
		}
		if o.Role == RoleHit {
			hits++
		}
	}
	if frags == 0 || hits == 0 || got.NoiseSample == 0 {
		t.Errorf("layout scores %d hits, %d fragments, %d noise samples: want some of each", hits, frags, got.NoiseSample)
	}
}

// sameMatched reports a and b alike in every field, a nil slice apart
// from an empty one, NaN (a site's truth has no SNR) equal to NaN, and
// every float to the last bit (%#v prints the shortest exact form).
func sameMatched(a, b Matched) bool {
	return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

// randomTruth is n truth records on a grid of 10 samples and 0.5 MHz.
func randomTruth(rng *rand.Rand, n int) []Truth {
	classes := []string{event.ClassLTE, event.ClassGSM, event.ClassNR, ClassPhone, ClassCellular, event.ClassUnknown}
	truth := make([]Truth, n)
	for i := range truth {
		lo, hi := randomBand(rng)
		if rng.IntN(6) == 0 {
			lo, hi = math.Inf(-1), math.Inf(1)
		}
		truth[i] = Truth{Kind: Kind(rng.IntN(3)), Class: classes[rng.IntN(len(classes))], Link: randomLink(rng),
			StartSample: 10 * rng.Int64N(30), SampleCount: randomCount(rng), FreqLowHz: lo, FreqHighHz: hi, SNRDB: float64(i)}
	}
	return truth
}

// randomDets is n detections on truth's grid; about one in four starts
// where the one before it ends (a split emission's tail, often short
// enough to be a Fragment), one in eight at the same sample.
func randomDets(rng *rand.Rand, n int) []Detection {
	classes := []string{event.ClassLTE, event.ClassGSM, event.ClassNR, ClassCellular, event.ClassUnknown}
	dets := make([]Detection, n)
	for i := range dets {
		lo, hi := randomBand(rng)
		d := Detection{Class: classes[rng.IntN(len(classes))], Link: randomLink(rng), Text: fmt.Sprint(i),
			StartSample: 10 * rng.Int64N(30), SampleCount: randomCount(rng), FreqLowHz: lo, FreqHighHz: hi, SNRDB: float64(i)}
		if i > 0 {
			switch p := dets[i-1]; rng.IntN(8) {
			case 0, 1:
				d.StartSample = p.end()
			case 2:
				d.StartSample = p.StartSample
			}
		}
		dets[i] = d
	}
	return dets
}

// randomBand is a band on a 0.5 MHz grid in 845..848 MHz: often one of
// no width (a tone), often touching or nesting another, now and then
// with a NaN edge (which overlaps nothing).
func randomBand(rng *rand.Rand) (lo, hi float64) {
	if rng.IntN(40) == 0 {
		return math.NaN(), 846e6
	}
	lo = 845e6 + 0.5e6*float64(rng.IntN(6))
	return lo, lo + 0.5e6*float64(rng.IntN(4))
}

// randomCount is a sample count: zero, one, short or long, now and then
// negative (a broken record).
func randomCount(rng *rand.Rand) int64 {
	switch rng.IntN(6) {
	case 0:
		if rng.IntN(5) == 0 {
			return -10
		}
		return 0
	case 1:
		return 1
	case 2:
		return 10 * rng.Int64N(3)
	}
	return 10 * rng.Int64N(40)
}

func randomLink(rng *rand.Rand) string {
	return []string{"", event.LinkUplink, event.LinkDownlink}[rng.IntN(3)]
}

// matchEveryPair is MatchIn as it was until 2026-12-06: every detection
// against every truth record, every hit against every other hit for
// Fragments, every target against every hit.
func matchEveryPair(truth []Truth, dets []Detection, bandsHz [][2]float64) Matched {
	var m Matched
	weighted, window := noiseTime(truth, bandsHz, nil)
	m.NoiseSample, m.NoiseWindowSample = int64(math.Round(weighted)), window
	for _, d := range dets {
		m.Dets = append(m.Dets, matchDet(truth, d))
	}
	for i, o := range m.Dets {
		if o.Role != RoleHit {
			continue
		}
		for j, p := range m.Dets {
			if j != i && p.Role == RoleHit && p.Det.end() == o.Det.StartSample &&
				float64(o.Det.SampleCount) <= FragmentFraction*float64(p.Det.SampleCount) &&
				bandOverlap(p.Det.FreqLowHz, p.Det.FreqHighHz, o.Det.FreqLowHz, o.Det.FreqHighHz) >= 0 {
				m.Dets[i].Fragment = true
			}
		}
	}
	for _, t := range truth {
		if t.Kind != KindTarget {
			continue
		}
		o := TruthOutcome{Truth: t, Pred: ClassMissed, Det: -1}
		best := -1.0
		for i, d := range dets {
			if m.Dets[i].Role != RoleHit {
				continue
			}
			if a := overlapArea(t, d); a > best {
				best, o.Det = a, i
			}
		}
		if o.Det >= 0 {
			o.Detected, o.Pred, o.PredLink = true, dets[o.Det].Class, dets[o.Det].Link
		}
		m.Targets = append(m.Targets, o)
	}
	return m
}
