package hackrfsrc

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/firmware/hackrf"
)

// TestDeviceSourceClockFollowsHostClock: DeviceSource stamps blocks by its
// sample clock (the stream's start plus the samples counted), and a
// stream runs for months at one sample rate. A step of the host clock
// (NTP correcting it after the sensor started) or a crystal's error must
// not stay in the detections' times: the sample clock is re-anchored to
// the host clock once it strays by more than ClockBound, each step
// reported once in Block.ClockStep. Reads late by USB buffering (up to
// 250 ms here, beyond ClockBound) must not move it.
func TestDeviceSourceClockFollowsHostClock(t *testing.T) {
	const rate, block = 2e6, 20000 // 10 ms blocks
	const blocks = 2000            // 20 s of stream
	blockDur := time.Duration(block / rate * float64(time.Second))
	for _, tc := range []struct {
		name string
		step time.Duration // the host clock stepped at block 1000
		// scale is host-clock seconds per second of samples counted: above
		// 1 the crystal runs slow (the sample clock falls behind).
		scale float64
		// late returns how long after its capture block i is read.
		late      func(i int) time.Duration
		wantSteps int // -1: at least one
	}{
		{name: "clock stepped forward 5s", step: 5 * time.Second, scale: 1, wantSteps: 1},
		{name: "clock stepped back 3s", step: -3 * time.Second, scale: 1, wantSteps: 1},
		{name: "crystal 1% slow", scale: 1.01, wantSteps: -1},
		{name: "crystal 1% fast", scale: 0.99, wantSteps: -1},
		{name: "late reads, right clock: no step", scale: 1, wantSteps: 0, late: func(i int) time.Duration {
			if i%10 == 0 {
				return time.Millisecond
			}
			return time.Duration(i%10) * 25 * time.Millisecond // up to 225 ms
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
			// wall is the host clock's reading at the capture of sample k.
			wall := func(k int64) time.Time {
				w := t0.Add(time.Duration(float64(k) / rate * tc.scale * float64(time.Second)))
				if k > 1000*block {
					w = w.Add(tc.step)
				}
				return w
			}
			now := t0
			dev := &fakeDevice{stream: &fakeStream{}}
			s := NewDevice(dev, Options{CenterHz: 900e6, SampleRateHz: rate, BlockSamples: block,
				GainDB: func(float64) float64 { return 30 }, QueueBuffers: 4, Now: func() time.Time { return now }})
			defer s.Close()
			var steps int
			var prev time.Time
			for i := range blocks {
				end := int64(i+1) * block
				now = wall(end)
				if tc.late != nil {
					now = now.Add(tc.late(i))
				}
				if i == 0 {
					now = t0 // the stream starts (its clock anchored) now
				}
				b, err := s.Next(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if b.FirstSample != int64(i)*block || b.Dropped != 0 {
					t.Fatalf("block %d: first sample %d dropped %d", i, b.FirstSample, b.Dropped)
				}
				if b.ClockStep != 0 {
					steps++
					t.Logf("block %d: clock step %v", i, b.ClockStep)
					if tc.step != 0 {
						if d := b.ClockStep - tc.step; i < 1000 || d > ClockBound || d < -ClockBound {
							t.Errorf("block %d: clock step %v, want about %v after block 1000", i, b.ClockStep, tc.step)
						}
					}
				}
				// Contiguous in time (to the pipeline's 1 µs, MaxTimeGap) but at a
				// step, and monotonic but at a step back.
				if d := b.Time.Sub(prev) - blockDur; i > 0 && b.ClockStep == 0 && (d > time.Microsecond || d < -time.Microsecond) {
					t.Errorf("block %d: %v after the one before (step %v), want %v", i, b.Time.Sub(prev), b.ClockStep, blockDur)
				}
				prev = b.Time
				// Once re-anchored (within a window or two of the step), the
				// block is stamped within ClockBound and a window's drift of
				// its capture on the host clock.
				if settled := i < 1000 || i >= 1000+2*int(clockWindow/blockDur); settled {
					off := b.Time.Sub(wall(b.FirstSample))
					if off > ClockBound+50*time.Millisecond || off < -ClockBound-50*time.Millisecond {
						t.Errorf("block %d: stamped %v off the host clock, want within %v", i, off, ClockBound+50*time.Millisecond)
					}
				}
			}
			if tc.wantSteps >= 0 && steps != tc.wantSteps || tc.wantSteps < 0 && steps == 0 {
				t.Errorf("%d clock steps, want %d (-1: some)", steps, tc.wantSteps)
			}
		})
	}
}

// lateTransfer is a hackrf_transfer whose first samples come late after it
// is started (it opens the board first): Transfer sets *now to started,
// the first read to started+late.
type lateTransfer struct {
	f       *fakeHackRF
	now     *time.Time
	started time.Time
	late    time.Duration
}

type hookedReader struct {
	io.ReadCloser
	onRead func()
}

func (r hookedReader) Read(p []byte) (int, error) { r.onRead(); return r.ReadCloser.Read(p) }

func (l lateTransfer) Transfer(ctx context.Context, opt hackrf.TransferOptions) (io.ReadCloser, error) {
	*l.now = l.started
	rc, err := l.f.Transfer(ctx, opt)
	if err != nil {
		return nil, err
	}
	return hookedReader{rc, func() { *l.now = l.started.Add(l.late) }}, nil
}

// TestSourceClockStartsAtFirstBlock: Source (hackrf_transfer) started its
// sample clock when it started the tool, which opens the board before it
// streams: every block of the tuning was stamped that long (hundreds of
// ms) early. The clock now starts at the first block, whose last sample is
// taken as captured when it was read.
func TestSourceClockStartsAtFirstBlock(t *testing.T) {
	const late = 300 * time.Millisecond
	t0 := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	now := t0
	f := &fakeHackRF{bytes: 2 * 3000}
	s := New(lateTransfer{f: f, now: &now, started: t0, late: late},
		Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 1000, Now: func() time.Time { return now }})
	defer s.Close()
	b, err := s.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 1000 samples at 2 Msps: the block began 500 µs before it was read.
	if want := t0.Add(late - 500*time.Microsecond); !b.Time.Equal(want) || b.ClockStep != 0 {
		t.Errorf("first block stamped %v after the tool started (clock step %v), want %v: when it was read, less its length",
			b.Time.Sub(t0), b.ClockStep, want.Sub(t0))
	}
}
