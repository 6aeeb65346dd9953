package hackrfsrc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/firmware/hackrf"
	"github.com/rfwarden/rfwarden/sensor"
)

// fakeHackRF hands out streams of a fixed ci8 pattern and records the
// options of every hackrf_transfer it was asked to start.
type fakeHackRF struct {
	opts     []hackrf.TransferOptions
	bytes    int // per stream
	closed   int
	fail     error
	closeErr error // how a stream's Close says the tool ended
}

type stream struct {
	io.Reader
	f *fakeHackRF
}

func (s stream) Close() error { s.f.closed++; return s.f.closeErr }

func (f *fakeHackRF) Transfer(_ context.Context, opt hackrf.TransferOptions) (io.ReadCloser, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	f.opts = append(f.opts, opt)
	b := make([]byte, f.bytes)
	for i := range b {
		b[i] = byte(int8(i%2*64 - 32)) // I = -32, Q = +32
	}
	return stream{bytes.NewReader(b), f}, nil
}

func TestSourceStreamsRetunesAndTimes(t *testing.T) {
	f := &fakeHackRF{bytes: 2 * 3000}
	t0 := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	s := New(f, Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 1000,
		GainDB: func(float64) float64 { return 50 }, Now: func() time.Time { return t0 }})
	ctx := context.Background()
	var first []int64
	for i := range 3 {
		b, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, b.FirstSample)
		if b.Retuned != (i == 0) || b.CenterHz != 900e6 || b.SampleRateHz != 2e6 || b.GainDB != 50 {
			t.Errorf("block %d: %+v", i, b)
		}
		// The first block ends when it is read (Now, t0): it begins a
		// block's time (500 µs) before.
		if want := t0.Add(time.Duration(i-1) * 500 * time.Microsecond); !b.Time.Equal(want) {
			t.Errorf("block %d time %v, want %v", i, b.Time, want)
		}
		if b.Samples[0] != complex(-0.25, 0.25) {
			t.Errorf("sample %v, want (-0.25+0.25i) from ci8 -32,+32", b.Samples[0])
		}
	}
	if first[1] != 1000 || first[2] != 2000 {
		t.Errorf("first samples %v", first)
	}
	if _, err := s.Next(ctx); !errors.Is(err, ErrStreamEnded) || errors.Is(err, io.EOF) {
		t.Errorf("end of stream: %v, want ErrStreamEnded, not io.EOF", err)
	}
	if err := s.Tune(1800e6, 10e6); err != nil {
		t.Fatal(err)
	}
	b, err := s.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Retuned || b.CenterHz != 1800e6 || b.FirstSample != 3000 {
		t.Errorf("after tune: retuned %v centre %v first %d", b.Retuned, b.CenterHz, b.FirstSample)
	}
	if len(f.opts) != 2 || f.opts[1].CenterHz != 1800_000_000 || f.opts[1].SampleRateHz != 10_000_000 ||
		f.opts[1].LNAGainDB != 40 || f.opts[1].VGAGainDB != 10 || f.opts[1].AmpOn {
		t.Errorf("transfers started %+v", f.opts)
	}
	if err := s.Tune(100, 10e6); err == nil {
		t.Error("tune to 100 Hz accepted")
	}
	s.Close()
	if f.closed != 2 {
		t.Errorf("%d streams closed, want 2", f.closed)
	}
	if _, err := s.Next(ctx); err == nil {
		t.Error("Next after Close: want error")
	}
}

func TestSourceStartError(t *testing.T) {
	s := New(&fakeHackRF{fail: errors.New("hackrf_transfer: no HackRF boards found")}, Options{})
	if _, err := s.Next(context.Background()); err == nil {
		t.Fatal("want the start error")
	}
}

// TestSourceSetGainRestarts: hackrf_transfer cannot change gain while it
// runs, so a new split restarts it at the new gains; the same split does not.
func TestSourceSetGainRestarts(t *testing.T) {
	f := &fakeHackRF{bytes: 2 * 5000}
	s := New(f, Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 1000})
	ctx := context.Background()
	if _, err := s.Next(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		gainDB      float64
		transfers   int
		lna, vga    int
		wantBlockDB float64
	}{{41, 1, 40, 0, 40}, {22, 2, 16, 6, 22}, {23, 2, 16, 6, 22}, {-3, 3, 0, 0, 0}} {
		if err := s.SetGainDB(tc.gainDB); err != nil {
			t.Fatal(err)
		}
		b, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last := f.opts[len(f.opts)-1]
		if len(f.opts) != tc.transfers || last.LNAGainDB != tc.lna || last.VGAGainDB != tc.vga || b.GainDB != tc.wantBlockDB {
			t.Errorf("SetGainDB(%v): %d transfers, last LNA %d VGA %d, block gain %v; want %d, %d, %d, %v",
				tc.gainDB, len(f.opts), last.LNAGainDB, last.VGAGainDB, b.GainDB, tc.transfers, tc.lna, tc.vga, tc.wantBlockDB)
		}
	}
}

// TestSourceSameTuneKeepsRunning: a Tune to the tuning and gains already
// running (a one-band scan plan dwelling again) does not restart
// hackrf_transfer; the samples go on without a gap. Another tuning does.
func TestSourceSameTuneKeepsRunning(t *testing.T) {
	f := &fakeHackRF{bytes: 2 * 5000}
	s := New(f, Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 1000,
		GainDB: func(float64) float64 { return 30 }})
	ctx := context.Background()
	if _, err := s.Next(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Tune(900e6, 2e6); err != nil {
		t.Fatal(err)
	}
	b, err := s.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.opts) != 1 || f.closed != 0 || b.FirstSample != 1000 {
		t.Errorf("same tuning: %d transfers, %d closed, block at %d; want 1, 0, 1000", len(f.opts), f.closed, b.FirstSample)
	}
	if err := s.Tune(905e6, 2e6); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(ctx); err != nil {
		t.Fatal(err)
	}
	if len(f.opts) != 2 || f.closed != 1 {
		t.Errorf("new tuning: %d transfers, %d closed; want 2, 1", len(f.opts), f.closed)
	}
}

// TestSourceTuneAfterToolFailed: a retune that stops a hackrf_transfer
// which had failed says so, naming the old tuning (the error read as the
// new tuning's), and the new tuning holds: the next Next streams it.
func TestSourceTuneAfterToolFailed(t *testing.T) {
	f := &fakeHackRF{bytes: 2 * 5000}
	s := New(f, Options{CenterHz: 900e6, SampleRateHz: 2e6, BlockSamples: 1000})
	ctx := context.Background()
	if _, err := s.Next(ctx); err != nil {
		t.Fatal(err)
	}
	f.closeErr = errors.New("hackrf_transfer: exit status 1: HACKRF_ERROR_STREAMING_EXIT_CALLED (-1004)")
	err := s.Tune(1800e6, 2e6)
	if err == nil || !strings.Contains(err.Error(), "stream at 900000000 Hz") || !errors.Is(err, f.closeErr) || !errors.Is(err, sensor.ErrPreviousStream) {
		t.Fatalf("Tune after the tool failed: %v, want the old stream's error naming 900 MHz", err)
	}
	f.closeErr = nil
	b, err := s.Next(ctx)
	if err != nil || b.CenterHz != 1800e6 || !b.Retuned {
		t.Errorf("Next after it: centre %v retuned %v, %v; want 1800 MHz, retuned", b.CenterHz, b.Retuned, err)
	}
}
