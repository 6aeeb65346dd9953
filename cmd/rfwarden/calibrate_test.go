package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/rfwarden/rfwarden/fusion/locate"
)

// syntheticWalk is a walk test CSV of testdata/sites/wing.yaml: n = 3,
// 40 dB reference loss, offsets s1 +2 dB, s2 -2 dB, no noise; walls as in
// the site (8 dB corridor, 6 dB cell walls...).
func syntheticWalk() string {
	sensors := map[string][2]float64{"s1": {2, 5.5}, "s2": {38, 5.5}}
	var b strings.Builder
	b.WriteString("x,y,floor,sensor,rx_dbm,tx_dbm\n")
	off := map[string]float64{"s1": 2, "s2": -2}
	for i := range 40 {
		x := 1 + float64(i)*0.95
		for _, id := range []string{"s1", "s2"} {
			p := sensors[id]
			d := math.Max(math.Hypot(x-p[0], 5.5-p[1]), 1)
			rx := 10 - 40 - 30*math.Log10(d) - off[id]
			fmt.Fprintf(&b, "%.3f,5.5,g,%s,%.4f,10\n", x, id, rx)
		}
	}
	return b.String()
}

func TestCmdCalibrate(t *testing.T) {
	dir := t.TempDir()
	sitePath := "../../testdata/sites/wing.yaml"
	walk := filepath.Join(dir, "walk.csv")
	if err := os.WriteFile(walk, []byte(syntheticWalk()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "cal.yaml")
	var stdout, stderr bytes.Buffer
	if err := cmdCalibrate(context.Background(), []string{"--site", sitePath, "--walk", walk, "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("calibrate: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "exponent     3.000") {
		t.Errorf("stdout lacks the exponent:\n%s", stdout.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var c locate.Calibration
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if math.Abs(c.OffsetsDB["s1"]-2) > 0.01 || math.Abs(c.OffsetsDB["s2"]+2) > 0.01 || math.Abs(c.Exponent-3) > 0.01 {
		t.Errorf("got %+v", c)
	}
}

func TestCmdCalibrateErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("x,y\n"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{nil, "usage"},
		{[]string{"--site", "../../testdata/sites/wing.yaml", "--walk", filepath.Join(dir, "none.csv")}, "open walk test"},
		{[]string{"--site", "../../testdata/sites/wing.yaml", "--walk", bad}, "header"},
		{[]string{"--site", filepath.Join(dir, "nosite.yaml"), "--walk", bad}, "open site"},
	}
	for _, tt := range tests {
		err := cmdCalibrate(context.Background(), tt.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want error containing %q", tt.args, err, tt.want)
		}
	}
}

// TestCmdCalibrateOutNotInput: `calibrate --out walk.csv` (its --walk) or
// `--out wing.yaml` (its --site) replaced the input with the fit. Both are
// refused naming the flags, and the input is as it was.
func TestCmdCalibrateOutNotInput(t *testing.T) {
	dir := t.TempDir()
	site := filepath.Join(dir, "wing.yaml")
	walk := filepath.Join(dir, "walk.csv")
	siteYAML, err := os.ReadFile("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(site, siteYAML, 0o644)
	walkCSV := syntheticWalk()
	os.WriteFile(walk, []byte(walkCSV), 0o644)
	for _, tc := range []struct{ out, want string }{
		{walk, "calibrate: --out " + walk + " is the --walk " + walk + ", which it would overwrite: name another file"},
		{site, "calibrate: --out " + site + " is the --site " + site},
		{dir + "/./walk.csv", "is the --walk"},
	} {
		err := cmdCalibrate(context.Background(), []string{"--site", site, "--walk", walk, "--out", tc.out}, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--out %s: err %v, want %q", tc.out, err, tc.want)
		}
	}
	if b, _ := os.ReadFile(site); !bytes.Equal(b, siteYAML) {
		t.Error("the site YAML changed")
	}
	if b, _ := os.ReadFile(walk); string(b) != walkCSV {
		t.Errorf("the walk changed:\n%s", b)
	}
}
