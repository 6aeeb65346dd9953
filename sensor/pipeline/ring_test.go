package pipeline

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dsp/synth"
	"github.com/rfwarden/rfwarden/sensor"
)

// TestPushKeepsLatestAcrossGrowth: the ring, grown as samples come
// (growRing), holds the latest min(pushed, RingSamples) samples at every
// step, in order, across each doubling and wrap, and never grows past
// RingSamples.
func TestPushKeepsLatestAcrossGrowth(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ring   int
		pushes []int // block sizes, contiguous
	}{
		{"small blocks past the first size", 1 << 21, []int{50000, 50000, 50000, 50000, 50000}},
		{"one block larger than the first size", 1 << 21, []int{300000}},
		{"wraps before growing", 1<<17 + 7, []int{100000, 100000, 100000}},
		{"grows across a wrap", 1 << 19, []int{100000, 100000, 131072, 70000, 300000}},
		{"block larger than the whole ring", 1 << 17, []int{10, 1 << 18, 5}},
		{"ring smaller than the first size", 1000, []int{300, 900, 2500}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(Config{RingSamples: tc.ring})
			var all []complex64
			var first int64 = 12345 // absolute indexes need not start at 0
			for i, n := range tc.pushes {
				x := make([]complex64, n)
				for k := range x {
					x[k] = complex(float32(len(all)+k), float32(i))
				}
				p.push(x, first+int64(len(all)))
				all = append(all, x...)

				want := all[max(0, len(all)-tc.ring):]
				got, from := p.IQ(nil, first, first+int64(len(all)))
				if wantFrom := first + int64(len(all)-len(want)); from != wantFrom {
					t.Fatalf("push %d: IQ starts at %d, want %d", i, from, wantFrom)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("push %d: IQ holds %d samples (first %v), want the latest %d (first %v)", i, len(got), got[:min(1, len(got))], len(want), want[0])
				}
				if len(p.ring) > tc.ring {
					t.Fatalf("push %d: ring of %d samples, past RingSamples %d", i, len(p.ring), tc.ring)
				}
			}
		})
	}
}

// scanBlocks returns a scanning sensor's blocks: cycles visits of tunings
// 200 kHz apart, each a dwellSamples stretch at fs in blocks of blockSamples,
// with a time gap between visits.
func scanBlocks(x []complex64, fs float64, tunings, cycles, dwellSamples, blockSamples int) []sensor.Block {
	var out []sensor.Block
	t0 := time.Date(2026, 1, 15, 21, 0, 0, 0, time.UTC)
	var first int64
	for c := range cycles {
		for k := range tunings {
			at := t0.Add(time.Duration(c*tunings+k) * 100 * time.Millisecond)
			for i := 0; i < dwellSamples; i += blockSamples {
				n := min(blockSamples, dwellSamples-i)
				out = append(out, sensor.Block{Samples: x[i : i+n], CenterHz: 900e6 + float64(k)*200e3, SampleRateHz: fs, GainDB: 20,
					FirstSample: first, Time: at.Add(time.Duration(float64(i) / fs * 1e9)), Device: "sim", Retuned: i == 0})
				first += int64(n)
			}
		}
	}
	return out
}

// TestProcessScanningRingSize: a scanning sensor (the demo's 20 ms dwells
// at 10 Msps: 200,000 samples a visit) keeps a ring of the dwell's size,
// not RingSamples' (1<<21, 16 MiB), and still holds the whole last dwell
// as the detector saw it.
func TestProcessScanningRingSize(t *testing.T) {
	const fs, dwell = 10e6, 200000
	x := make([]complex64, dwell)
	synth.Noise(x, rand.New(rand.NewPCG(3, 4)), synth.DefaultNoisePower)
	p := New(Config{KeepIQImbalance: true}) // samples into the ring as they came
	runAll(t, p, scanBlocks(x, fs, 3, 4, dwell, 65536))
	if len(p.ring) < dwell || len(p.ring) > 2*dwell {
		t.Errorf("ring of %d samples after dwells of %d, want between one and two dwells (RingSamples %d)", len(p.ring), dwell, p.cfg.RingSamples)
	}
	got, _ := p.IQ(nil, 0, p.ringEnd)
	if !slices.Equal(got, x) {
		t.Errorf("IQ of the last dwell: %d samples, want its %d as processed", len(got), len(x))
	}
}

// BenchmarkPipelineRingScanning: the memory a pipeline holds once it has
// scanned the demo's way (20 ms dwells at 10 Msps, three tunings, blocks
// of 65536; no classifier), as the demo's nine sensors each do: the live
// heap (HeapAlloc after two collections) over a baseline taken before
// New, per pipeline (held-B/pipeline), and the ring's share (ring-B).
func BenchmarkPipelineRingScanning(b *testing.B) {
	const fs, dwell = 10e6, 200000
	x := make([]complex64, dwell)
	synth.Noise(x, rand.New(rand.NewPCG(3, 4)), synth.DefaultNoisePower)
	bs := scanBlocks(x, fs, 3, 2, dwell, 65536)
	var held, ring float64
	for b.Loop() {
		base := liveHeap()
		p := New(Config{KeepIQImbalance: true})
		var res []Result
		var err error
		for _, blk := range bs {
			if res, err = p.Process(blk, res[:0]); err != nil {
				b.Fatal(err)
			}
		}
		held += float64(liveHeap() - base)
		ring += float64(8 * len(p.ring))
		runtime.KeepAlive(p)
	}
	b.ReportMetric(held/float64(b.N), "held-B/pipeline")
	b.ReportMetric(ring/float64(b.N), "ring-B/pipeline")
}

// liveHeap returns HeapAlloc after two collections.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
