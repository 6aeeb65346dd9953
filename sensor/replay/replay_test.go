package replay

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/realiq"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// writeRecording writes n seeded samples at 1 MHz with a retune to 2 GHz at
// sample retuneAt (no retune if retuneAt <= 0) and returns the base path and
// the samples as read back.
func writeRecording(t testing.TB, datatype string, n, retuneAt int, start time.Time) string {
	t.Helper()
	base := filepath.Join(t.TempDir(), "rec")
	w, err := sigmf.NewWriter(base, datatype, 1e6, 1e9, start)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(42, 0))
	in := make([]complex64, n)
	for i := range in {
		in[i] = complex(float32(rng.Float64()-0.5), float32(rng.Float64()-0.5))
	}
	if retuneAt > 0 {
		if err := w.Write(in[:retuneAt]); err != nil {
			t.Fatal(err)
		}
		w.Retune(2e9, time.Time{})
		in = in[retuneAt:]
	}
	if err := w.Write(in); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return base
}

func readAll(t *testing.T, base string) []complex64 {
	t.Helper()
	r, err := sigmf.Open(base)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	all := make([]complex64, r.NumSamples())
	if n, err := r.Read(all); err != nil || int64(n) != r.NumSamples() {
		t.Fatalf("Read = %d, %v", n, err)
	}
	return all
}

func TestBlocksFollowCaptures(t *testing.T) {
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	base := writeRecording(t, "cf32_le", 2500, 1000, start)
	want := readAll(t, base)
	rec, err := sigmf.Open(base)
	if err != nil {
		t.Fatal(err)
	}
	src := New(rec, Options{BlockSize: 700, GainDB: 32})
	defer src.Close()
	type blk struct {
		first, n int64
		center   float64
		retuned  bool
		time     time.Time
	}
	undated := time.Unix(0, 0).UTC()
	wantBlocks := []blk{
		{0, 700, 1e9, false, start},
		{700, 300, 1e9, false, start.Add(700 * time.Microsecond)},
		{1000, 700, 2e9, true, undated.Add(1000 * time.Microsecond)}, // retune segment has no datetime
		{1700, 700, 2e9, false, undated.Add(1700 * time.Microsecond)},
		{2400, 100, 2e9, false, undated.Add(2400 * time.Microsecond)},
	}
	ctx := context.Background()
	for i, wb := range wantBlocks {
		b, err := src.Next(ctx)
		if err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		got := blk{b.FirstSample, int64(len(b.Samples)), b.CenterHz, b.Retuned, b.Time}
		if got.first != wb.first || got.n != wb.n || got.center != wb.center || got.retuned != wb.retuned || !got.time.Equal(wb.time) {
			t.Errorf("block %d = %+v, want %+v", i, got, wb)
		}
		if b.SampleRateHz != 1e6 || b.GainDB != 32 || b.Device != "file" || b.Dropped != 0 {
			t.Errorf("block %d: rate %v gain %v device %q dropped %d", i, b.SampleRateHz, b.GainDB, b.Device, b.Dropped)
		}
		for j, v := range b.Samples {
			if v != want[b.FirstSample+int64(j)] {
				t.Fatalf("block %d sample %d = %v, want %v", i, j, v, want[b.FirstSample+int64(j)])
			}
		}
	}
	if _, err := src.Next(ctx); err != io.EOF {
		t.Errorf("after last block err = %v, want io.EOF", err)
	}
	if err := src.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := src.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestStartOption(t *testing.T) {
	base := writeRecording(t, "ci8", 100, 0, time.Time{})
	rec, err := sigmf.Open(base)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600))
	src := New(rec, Options{BlockSize: 64, Start: start, Device: "hackrf"})
	defer src.Close()
	ctx := context.Background()
	b0, _ := src.Next(ctx)
	b1, err := src.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !b0.Time.Equal(start) || b0.Time.Location() != time.UTC || !b1.Time.Equal(start.Add(64*time.Microsecond)) || b1.Device != "hackrf" {
		t.Errorf("times %v, %v; device %q", b0.Time, b1.Time, b1.Device)
	}
}

// TestSkip: Skip passes over d of samples (d times the rate, to the end
// at most) without reading them; the next block starts after them, with
// the samples and times of the recording there, and a retune across the
// skip is flagged.
func TestSkip(t *testing.T) {
	base := writeRecording(t, "ci8", 10000, 6000, time.Time{})
	want := readAll(t, base)
	start := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		skip      time.Duration // after the first block of 1000
		wantFirst int64         // of the next block; -1: io.EOF
		retuned   bool
	}{
		{"nothing", 0, 1000, false},
		{"negative", -time.Second, 1000, false},
		{"2.5 ms", 2500 * time.Microsecond, 3500, false},
		{"into the retuned capture", 5500 * time.Microsecond, 6500, true},
		{"to the last sample", 8999 * time.Microsecond, 9999, true},
		{"to the end", 9 * time.Millisecond, -1, false},
		{"an hour past the end", time.Hour, -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := New(mustOpen(t, base), Options{BlockSize: 1000, Start: start})
			defer src.Close()
			ctx := context.Background()
			if _, err := src.Next(ctx); err != nil {
				t.Fatal(err)
			}
			src.Skip(tc.skip)
			b, err := src.Next(ctx)
			if tc.wantFirst < 0 {
				if err != io.EOF {
					t.Errorf("Next after the skip = block at %d, %v; want io.EOF", b.FirstSample, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.FirstSample != tc.wantFirst || b.Retuned != tc.retuned {
				t.Errorf("next block at sample %d, retuned %v; want %d, %v", b.FirstSample, b.Retuned, tc.wantFirst, tc.retuned)
			}
			if wantT := start.Add(time.Duration(tc.wantFirst) * time.Microsecond); !b.Time.Equal(wantT) {
				t.Errorf("next block stamped %v, want %v", b.Time, wantT)
			}
			if b.Samples[0] != want[tc.wantFirst] {
				t.Errorf("next block's first sample %v, want the recording's %v", b.Samples[0], want[tc.wantFirst])
			}
		})
	}
}

func TestContextEnds(t *testing.T) {
	base := writeRecording(t, "ci8", 1000, 0, time.Time{})
	rec, err := sigmf.Open(base)
	if err != nil {
		t.Fatal(err)
	}
	src := New(rec, Options{BlockSize: 100})
	defer src.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next with ended ctx err = %v, want context.Canceled", err)
	}
}

func mustOpen(t testing.TB, base string) *sigmf.Recording {
	t.Helper()
	r, err := sigmf.Open(base)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNextDoesNotAllocate(t *testing.T) {
	base := writeRecording(t, "ci8", 1<<20, 0, time.Now())
	src := New(mustOpen(t, base), Options{BlockSize: 4096})
	defer src.Close()
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := src.Next(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Next allocates %v times per block, want 0", allocs)
	}
}

func TestReplayRealRecordings(t *testing.T) {
	dir := realIQDir(t)
	metas, _ := filepath.Glob(filepath.Join(dir, "*.sigmf-meta"))
	if len(metas) == 0 {
		t.Skipf("no recordings in %s", dir)
	}
	for _, mp := range metas {
		t.Run(filepath.Base(mp), func(t *testing.T) {
			rec := mustOpen(t, mp)
			n := rec.NumSamples()
			center := rec.CenterHzAt(0)
			src := New(rec, Options{})
			defer src.Close()
			var total int64
			for {
				b, err := src.Next(context.Background())
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if b.FirstSample != total || b.CenterHz != center {
					t.Fatalf("block first %d centre %v, want %d, %v", b.FirstSample, b.CenterHz, total, center)
				}
				total += int64(len(b.Samples))
			}
			if total != n {
				t.Errorf("replayed %d samples, want %d", total, n)
			}
		})
	}
}

// realIQDir returns ../shared/testdata/real-iq beside the module root or skips.
func realIQDir(t *testing.T) string {
	return realiq.Dir(t)
}

func BenchmarkReplay(b *testing.B) {
	for _, dt := range []string{"ci8", "cf32_le"} {
		b.Run(dt, func(b *testing.B) {
			const n = 1 << 20
			base := writeRecording(b, dt, n, 0, time.Time{})
			rec := mustOpen(b, base)
			src := New(rec, Options{})
			defer src.Close()
			size, _ := sigmf.SampleSize(dt)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(DefaultBlockSize * size))
			var samples int64
			for b.Loop() {
				blk, err := src.Next(ctx)
				if err == io.EOF {
					if err := rec.SeekSample(0); err != nil {
						b.Fatal(err)
					}
					src.pos = 0
					blk, err = src.Next(ctx)
				}
				if err != nil {
					b.Fatal(err)
				}
				samples += int64(len(blk.Samples))
			}
			b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
