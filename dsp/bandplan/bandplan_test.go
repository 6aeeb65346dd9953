package bandplan

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultLookup(t *testing.T) {
	p := Default()
	tests := []struct {
		name     string
		centerHz float64
		bwHz     float64
		wantBand string // must be among the hits
		wantLink string // link of the first hit
	}{
		{"LTE band 3 downlink", 1852.5e6, 4.5e6, "LTE B3 DL", LinkDownlink},
		{"GSM-1800 downlink", 1857.2e6, 200e3, "DCS-1800 DL", LinkDownlink},
		{"TD-LTE band 39", 1890e6, 18e6, "LTE B39", LinkTDD},
		{"TD-LTE band 41", 2585e6, 18e6, "LTE B41", LinkTDD},
		{"band 38 too", 2585e6, 18e6, "LTE B38", LinkTDD},
		{"NR n1 downlink", 2135e6, 19.08e6, "NR n1 DL", LinkDownlink},
		{"NR n1 uplink", 1937.2e6, 1.15e6, "NR n1 UL", LinkUplink},
		{"NR n78", 3423.7e6, 8.6e6, "NR n78", LinkTDD},
		{"GSM-900 downlink", 941e6, 200e3, "E-GSM-900 DL", LinkDownlink},
		{"Wi-Fi 5 GHz", 5200e6, 16.8e6, "Wi-Fi 5 GHz U-NII-1/2A", LinkShared},
		{"2.4 GHz ISM", 2459.5e6, 9e6, "ISM 2.4 GHz", LinkShared},
		{"868 SRD", 868.3e6, 500e3, "SRD 868", LinkShared},
		{"band 20 DL", 806e6, 10e6, "LTE B20 DL", LinkDownlink},
		{"band 28 UL", 720e6, 5e6, "NR n28 UL", LinkUplink},
		{"band 32 SDL", 1470e6, 10e6, "LTE B32 SDL", LinkDownlink},
		{"n77 above n78", 4000e6, 40e6, "NR n77", LinkTDD},
		{"one frequency", 1457e6, 0, "LTE B32 SDL", LinkDownlink},
		{"FPV Raceband R1 over U-NII-2C", 5658e6, 8e6, "5.8 GHz FPV", LinkShared},
		{"FPV Band E above the SRD band", 5945e6, 8e6, "5.8 GHz FPV", LinkShared},
		{"FPV at 5.8 GHz SRD", 5800e6, 8e6, "5.8 GHz FPV", LinkShared},
		{"1.3 GHz video", 1280e6, 8e6, "1.3 GHz FPV", LinkShared},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bs := p.Lookup(tt.centerHz, tt.bwHz)
			if len(bs) == 0 {
				t.Fatalf("Lookup(%g, %g) = none, want %q", tt.centerHz, tt.bwHz, tt.wantBand)
			}
			found := false
			for _, b := range bs {
				found = found || b.Name == tt.wantBand
			}
			if !found {
				t.Errorf("Lookup(%g, %g) = %v, want it to hold %q", tt.centerHz, tt.bwHz, bs, tt.wantBand)
			}
			if bs[0].Link != tt.wantLink {
				t.Errorf("first link = %q (%s), want %q", bs[0].Link, bs[0].Name, tt.wantLink)
			}
		})
	}
}

func TestLookupNone(t *testing.T) {
	p := Default()
	for _, f := range []float64{100e6, 1227.6e6, 1600e6, 3000e6, 6500e6} { // 1227.6 MHz: GNSS L2, no video
		if bs := p.Lookup(f, 1e6); len(bs) != 0 {
			t.Errorf("Lookup(%g) = %v, want none", f, bs)
		}
		if _, _, ok := p.BandLink(f, 1e6); ok {
			t.Errorf("BandLink(%g) ok, want not", f)
		}
	}
}

func TestLookupOrder(t *testing.T) {
	// A span straddling DCS-1800 DL (ends 1880) and band 39 (starts 1880):
	// the band holding most of it comes first.
	p := Default()
	bs := p.Lookup(1885e6, 10e6)
	if len(bs) == 0 || bs[0].Name != "LTE B39" {
		t.Fatalf("first = %v, want LTE B39", bs)
	}
	// Equal cover: the narrower band comes first (n78 before n77).
	bs = p.LookupTech(3500e6, 20e6, "nr")
	if len(bs) < 2 || bs[0].Name != "NR n78" || bs[1].Name != "NR n77" {
		t.Fatalf("nr bands = %v, want n78 then n77", bs)
	}
	name, link, ok := p.BandLink(2140e6, 5e6)
	if !ok || link != LinkDownlink || !strings.Contains(name, "DL") {
		t.Errorf("BandLink = %q %q %v, want a downlink band", name, link, ok)
	}
}

func TestLoadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test plans: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Load(bytes.NewReader(data))
			good := strings.HasSuffix(f, ".good.yaml")
			switch {
			case good && err != nil:
				t.Fatalf("Load: %v, want ok", err)
			case good && len(p.Bands()) == 0:
				t.Fatal("no bands")
			case !good && err == nil:
				t.Fatal("Load ok, want error")
			case !good:
				want, rerr := os.ReadFile(strings.TrimSuffix(f, ".bad.yaml") + ".err")
				w := strings.TrimSpace(string(want))
				switch {
				case rerr != nil:
					t.Fatalf("no expected error: %v", rerr)
				case w == "":
					t.Fatal("expected error file is empty: the plan would pass on any error")
				case !strings.Contains(err.Error(), w):
					t.Errorf("error %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

// TestEveryBadPlanHasExpectedError checks that each testdata/X.bad.yaml has
// an X.err holding the text its error must contain: without one (or with an
// empty one) TestLoadFiles would accept any error at all for that plan.
func TestEveryBadPlanHasExpectedError(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad plans: %v", err)
	}
	for _, f := range files {
		errFile := strings.TrimSuffix(f, ".bad.yaml") + ".err"
		want, err := os.ReadFile(errFile)
		switch {
		case err != nil:
			t.Errorf("%s has no expected error: %v", f, err)
		case strings.TrimSpace(string(want)) == "":
			t.Errorf("%s is empty: %s passes on any error", errFile, f)
		}
	}
}

func TestLoadEmpty(t *testing.T) {
	if _, err := Load(strings.NewReader("")); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v, want ErrEmpty", err)
	}
	if _, err := Load(strings.NewReader("bands: []\n")); !errors.Is(err, ErrEmpty) {
		t.Errorf("no bands: %v, want ErrEmpty", err)
	}
}

func TestDefaultValid(t *testing.T) {
	p := Default()
	for _, b := range p.Bands() {
		if b.Pair == "" {
			continue
		}
		var pair *Band
		for _, c := range p.Bands() {
			if c.Name == b.Pair {
				pair = &c
			}
		}
		if pair == nil || pair.Pair != b.Name {
			t.Errorf("%s: pair %q does not point back", b.Name, b.Pair)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(defaultYAML)
	f.Add([]byte("bands:\n - {name: a, tech: [x], link: tdd, low_hz: 1, high_hz: 2}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, b := range p.Bands() {
			if !(b.HighHz > b.LowHz) {
				t.Fatalf("accepted inverted band %+v", b)
			}
			_ = p.Lookup((b.LowHz+b.HighHz)/2, 1e3)
		}
	})
}

// TestDroneBands: the default plan's drone bands are the RC bands (433,
// 868, 915 MHz), 2.4 GHz ISM, the 5.8 GHz SRD and FPV bands and 1.3 GHz
// video, in file order, and no cellular or Wi-Fi-only band.
func TestDroneBands(t *testing.T) {
	var got []string
	for _, b := range Default().DroneBands() {
		got = append(got, b.Name)
	}
	want := []string{"SRD 433", "SRD 868", "ISM 915", "ISM 2.4 GHz", "5.8 GHz SRD", "5.8 GHz FPV", "1.3 GHz FPV"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("DroneBands() = %q, want %q", got, want)
	}
}
