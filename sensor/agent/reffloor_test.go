package agent

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
)

// fixedGainSource is a synthSource whose blocks carry another receive gain.
type fixedGainSource struct {
	*synthSource
	gainDB float64
}

func (s fixedGainSource) Next(ctx context.Context) (sensor.Block, error) {
	b, err := s.synthSource.Next(ctx)
	b.GainDB = s.gainDB
	return b, err
}

// runRefFloorAgent runs an agent with a real pipeline keeping reference
// floors over 20 blocks of noise at gainDB (10 ms each at 2 Msps) and
// returns the pipeline, the log and Run's error.
func runRefFloorAgent(t *testing.T, cfg config.Config, gainDB float64) (*pipeline.Pipeline, string, error) {
	t.Helper()
	var log syncbuf.Buffer
	p := pipeline.New(pipeline.Config{RefFloorOverDB: max(0, cfg.RefFloor.OverDB)})
	a, err := New(cfg, Deps{Source: fixedGainSource{newSynth(nil, 20), gainDB}, Pipeline: p, ClientFactory: (&recClient{connected: true}).factory(),
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = a.Run(ctx)
	return p, log.String(), err
}

// readRefFloorFile parses the reference floor file at path.
func readRefFloorFile(t *testing.T, path string) refFloorFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f refFloorFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRefFloorFile: the agent writes its pipeline's reference floors to
// reference-floor.json in outbox.dir when it stops, reads them back at
// the next start (seeding the pipeline: the tuning's reference at the
// gain it was learnt at is there before a block), keeps a reference per
// gain (a second run at another gain adds one and leaves the first as it
// was), and ignores a file it cannot use with an error in the log naming
// the problem, running and replacing it at its stop. With
// reference_floor.over_db negative nothing is written; a
// reference_floor.file in a folder that does not exist stops Run naming
// the key.
func TestRefFloorFile(t *testing.T) {
	cfg := testConfig(t)
	path := filepath.Join(cfg.Outbox.Dir, config.RefFloorFile)
	if _, log, err := runRefFloorAgent(t, cfg, 30); err != nil {
		t.Fatalf("Run: %v\n%s", err, log)
	} else if !strings.Contains(log, "reference floor file not there yet") {
		t.Errorf("first start: log does not say the file is not there yet:\n%s", log)
	}
	first := readRefFloorFile(t, path)
	if first.Format != refFloorFormat || first.Version != refFloorVersion || first.Sensor != "s1" || len(first.Tunings) != 1 {
		t.Fatalf("file after the first run: format %q version %d sensor %q, %d tunings; want %q %d s1, 1",
			first.Format, first.Version, first.Sensor, len(first.Tunings), refFloorFormat, refFloorVersion)
	}
	e := first.Tunings[0]
	if e.CenterHz != 905e6 || e.SampleRateHz != 2e6 || e.GainDB != 30 || len(e.FloorDBFS) < 16 {
		t.Fatalf("tuning %+v, want 905 MHz at 2 Msps and 30 dB with a floor per bin", e)
	}
	// noise of 0.01 rms: -40 dBFS in all, -40 - 10·log10(NFFT) per bin
	want := -40 - 10*mathLog10(float64(len(e.FloorDBFS)))
	for i, v := range e.FloorDBFS {
		if v < want-6 || v > want+3 {
			t.Fatalf("bin %d: %.1f dBFS, want about %.1f (the noise's)", i, v, want)
		}
	}

	// the same tuning at another gain: the file is read, the first
	// reference kept as it was, a second one learnt
	p, log, err := runRefFloorAgent(t, cfg, 40)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log)
	}
	if !strings.Contains(log, "reference floor file read") || !strings.Contains(log, "tunings=1") {
		t.Errorf("second start: log does not say the file was read with 1 tuning:\n%s", log)
	}
	got := p.RefFloors()
	if len(got) != 2 || got[0].GainDB != 30 || got[1].GainDB != 40 {
		t.Fatalf("reference floors after a run at 40 dB: %d, want the seeded one at 30 dB and one at 40 dB", len(got))
	}
	if !slices.Equal(got[0].FloorDBFS, e.FloorDBFS) {
		t.Errorf("the reference at 30 dB changed in a run at 40 dB")
	}
	if f := readRefFloorFile(t, path); len(f.Tunings) != 2 {
		t.Errorf("file after the run at 40 dB: %d tunings, want 2", len(f.Tunings))
	}

	for _, tc := range []struct {
		name, data, want string
	}{
		{"not JSON", "\x00\x01garbage", "not a reference floor file"},
		{"another format", `{"format":"x","version":1,"sensor":"s1","tunings":[]}`, `format \"x\"`},
		{"a newer version", `{"format":"rfwarden-reference-floor","version":2,"sensor":"s1","tunings":[]}`, "version 2"},
		{"another sensor's", `{"format":"rfwarden-reference-floor","version":1,"sensor":"s2","tunings":[]}`, `saved by sensor \"s2\"`},
		{"a bin not finite", `{"format":"rfwarden-reference-floor","version":1,"sensor":"s1","tunings":[{"center_hz":905e6,"sample_rate_hz":2e6,"gain_db":30,"floor_dbfs":[1e999]}]}`, "not a reference floor file"},
		{"too few bins", `{"format":"rfwarden-reference-floor","version":1,"sensor":"s1","tunings":[{"center_hz":905e6,"sample_rate_hz":2e6,"gain_db":30,"floor_dbfs":[-90,-90]}]}`, "tunings[0]: 2 bins"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			p, log, err := runRefFloorAgent(t, cfg, 30)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, log)
			}
			if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "reference floor file ignored") || !strings.Contains(log, tc.want) {
				t.Errorf("log has no error naming %q:\n%s", tc.want, log)
			}
			if n := len(p.RefFloors()); n != 1 {
				t.Errorf("%d reference floors after the run, want 1 (learnt)", n)
			}
			if f := readRefFloorFile(t, path); len(f.Tunings) != 1 {
				t.Errorf("file not replaced at the stop: %d tunings, want 1", len(f.Tunings))
			}
		})
	}

	t.Run("off", func(t *testing.T) {
		c := testConfig(t)
		c.RefFloor.OverDB = -1
		if _, log, err := runRefFloorAgent(t, c, 30); err != nil {
			t.Fatalf("Run: %v\n%s", err, log)
		}
		if _, err := os.Stat(filepath.Join(c.Outbox.Dir, config.RefFloorFile)); !os.IsNotExist(err) {
			t.Errorf("reference floor file with over_db -1: stat error %v, want not there", err)
		}
	})
	t.Run("folder missing", func(t *testing.T) {
		c := testConfig(t)
		c.RefFloor.File = filepath.Join(t.TempDir(), "missing", "ref.json")
		_, _, err := runRefFloorAgent(t, c, 30)
		if err == nil || !strings.Contains(err.Error(), "reference_floor.file") {
			t.Errorf("Run: %v, want an error naming reference_floor.file", err)
		}
	})
}

// fakeKeeper is a RefFloorKeeper handing out a fixed set.
type fakeKeeper struct{ refs []pipeline.RefFloor }

func (k fakeKeeper) KeepsRefFloors() bool                         { return true }
func (k fakeKeeper) RefFloors() []pipeline.RefFloor               { return k.refs }
func (k fakeKeeper) SeedRefFloors(refs []pipeline.RefFloor) error { return nil }

// TestRefFloorTick: a snapshot is handed to the writer every save_every of
// the agent's clock (the first tick starts the count), or at once when
// the clock went back; none while the writer has one in hand.
func TestRefFloorTick(t *testing.T) {
	r := &refFloors{keeper: fakeKeeper{[]pipeline.RefFloor{{CenterHz: 1}}}, every: 10 * time.Second, save: make(chan []pipeline.RefFloor, 1)}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Duration
		want bool
	}{{0, false}, {5 * time.Second, false}, {10 * time.Second, true}, {15 * time.Second, false}, {21 * time.Second, true}, {10 * time.Second, true}} {
		r.tick(t0.Add(tc.at))
		select {
		case <-r.save:
			if !tc.want {
				t.Errorf("tick at +%v: a snapshot, want none", tc.at)
			}
		default:
			if tc.want {
				t.Errorf("tick at +%v: no snapshot, want one", tc.at)
			}
		}
	}
}

func mathLog10(x float64) float64 { return math.Log10(x) }

// FuzzParseRefFloors: whatever the file holds, parseRefFloors returns an
// error or references that pipeline.CheckRefFloor accepts, that encode
// and parse back the same, and that seed a pipeline without error.
// Corpus: testdata/fuzz/FuzzParseRefFloors.
func FuzzParseRefFloors(f *testing.F) {
	floor := strings.Repeat("-90.5,", 15) + "-90.5"
	f.Add([]byte(`{"format":"rfwarden-reference-floor","version":1,"sensor":"s1","saved_at":"2026-03-01T12:00:00Z","tunings":[{"center_hz":905e6,"sample_rate_hz":2e6,"gain_db":30,"floor_dbfs":[` + floor + `]}]}`))
	f.Add([]byte(`{"format":"rfwarden-reference-floor","version":1,"sensor":"s1","tunings":[{"center_hz":905e6,"sample_rate_hz":-2e6,"gain_db":30,"floor_dbfs":[` + floor + `]}]}`))
	f.Add([]byte(`{"format":"rfwarden-reference-floor","version":1,"sensor":"s1","tunings":[]} {}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		refs, err := parseRefFloors(data, "s1")
		if err != nil {
			return
		}
		for i, r := range refs {
			if err := pipeline.CheckRefFloor(r); err != nil {
				t.Fatalf("tunings[%d] accepted but %v", i, err)
			}
		}
		b, err := encodeRefFloors("s1", time.Unix(0, 0), refs)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseRefFloors(b, "s1")
		if err != nil || len(again) != len(refs) {
			t.Fatalf("encoded and parsed back: %d references, err %v; want %d", len(again), err, len(refs))
		}
		p := pipeline.New(pipeline.Config{RefFloorOverDB: 6})
		if err := p.SeedRefFloors(refs); err != nil {
			t.Fatalf("SeedRefFloors of a parsed file: %v", err)
		}
	})
}
