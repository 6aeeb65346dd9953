package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/internal/sitedoc"
)

// TestCmdFusionCheck: fusion --check loads fusion.yaml, its site and its
// alert rules, says ok with what it found and the warnings fusion would
// log at its start as notes, or fails naming the problem, each without
// the broker (none listens on port 1) or the database (never created).
func TestCmdFusionCheck(t *testing.T) {
	wing, err := filepath.Abs("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("RFW_WEBHOOK_SECRET", "")
	far := farSensorSite(t)
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	tests := []struct {
		name   string
		config string
		files  map[string]string // more files in the config's folder
		want   []string          // in stdout, all of them (ok) or in the error (else)
		ok     bool
	}{
		{name: "good", config: "site: " + wing + "\nseen_file: seen\n", ok: true,
			want: []string{"fusion.yaml: ok (site hmp-test, 1 floor, 18 rooms, 7 sensors, 7 alert rules)\n"}},
		{name: "rule never fires", config: "site: " + wing + "\nalerts: alerts.yaml\n", ok: true,
			files: map[string]string{"alerts.yaml": "rules:\n  - {name: office_phone, kind: unauthorised_uplink, severity: warning, room_kinds: [office]}\n"},
			want:  []string{"ok (site hmp-test, 1 floor, 18 rooms, 7 sensors, 1 alert rule)", "fusion.yaml: note: alert rule names only room kinds this site has no room of: it will never fire (rule=office_phone, missing=office"}},
		{name: "http_addr in use", config: "site: " + wing + "\nhttp_addr: " + held.Addr().String() + "\n", ok: true,
			want: []string{"fusion.yaml: ok", "fusion.yaml: note: http_addr \"" + held.Addr().String() + "\" cannot be listened on now", "as this fusion runs"}},
		{name: "sensor far from every room", config: "site: " + far + "\n", ok: true,
			want: []string{"fusion.yaml: ok", "fusion.yaml: note: " + far + `: sensors[6].pos: sensor "s7" at (130, -10) is 70 m from the nearest room of floor "g"`}},
		{name: "cells few sensors hear, a floor with no sensor", config: "site: site.yaml\n", ok: true,
			files: map[string]string{"site.yaml": `id: cov
floors: [{id: g, name: Ground}, {id: u, name: Upper, elevation_m: 3}]
rooms:
  - {id: near, floor: g, kind: cell, zone: z, polygon: [{x: 0, y: 0}, {x: 4, y: 0}, {x: 4, y: 3}, {x: 0, y: 3}]}
  - {id: far, floor: g, kind: cell, zone: z, polygon: [{x: 300, y: 0}, {x: 304, y: 0}, {x: 304, y: 3}, {x: 300, y: 3}]}
  - {id: up, floor: u, kind: office, zone: z, polygon: [{x: 0, y: 0}, {x: 4, y: 0}, {x: 4, y: 3}, {x: 0, y: 3}]}
sensors:
  - {id: s1, floor: g, pos: {x: 0, y: -1}, zones: [z]}
  - {id: s2, floor: g, pos: {x: 4, y: -1}, zones: [z]}
  - {id: s3, floor: g, pos: {x: 2, y: 4}, zones: [z]}
`},
			want: []string{"fusion.yaml: ok (site cov", `site.yaml: floors: floor "u" has 1 room and no sensor (up)`,
				"site.yaml: sensors: 1 of 2 cells and landings are heard by fewer than 3 sensors (far (0): sensors hearing an LTE phone at 23 dBm EIRP"}},
		{name: "unknown key", config: "site: " + wing + "\ncolour: red\n", want: []string{"colour"}},
		{name: "no site file", config: "site: none.yaml\n", want: []string{"open site", "none.yaml"}},
		{name: "invalid site", config: "site: site.yaml\n", files: map[string]string{"site.yaml": "id: x\nfloors: []\n"},
			want: []string{"site.yaml", "at least one floor"}},
		{name: "bad alert rules", config: "site: " + wing + "\nalerts: alerts.yaml\n",
			files: map[string]string{"alerts.yaml": "rules:\n  - {name: r, kind: unauthorised_uplink, severity: critical, room_kinds: [cells]}\n"},
			want:  []string{"alert rules", "cells"}},
		{name: "no alert rules file", config: "site: " + wing + "\nalerts: gone.yaml\n", want: []string{"open alert rules", "gone.yaml"}},
		{name: "state folder missing", config: "site: " + wing + "\ndb: nowhere/rfwarden.db\n", want: []string{"db:", "does not exist"}},
		{name: "webhook without secret", config: "site: " + wing + "\nwebhook: {url: 'https://127.0.0.1:1/hook'}\n", want: []string{"RFW_WEBHOOK_SECRET"}},
		{name: "subscription misses the site", config: "site: " + wing + "\nsubscription: 'rfw/v1/other/sensor/+/+'\n", want: []string{"subscription"}},
		{name: "damaged seen file", config: "site: " + wing + "\nseen_file: seen\n", ok: true,
			files: map[string]string{"seen": strings.Repeat("x", 1<<17) + "\n"},
			want:  []string{"fusion.yaml: ok", "fusion.yaml: note: seen file damaged"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "fusion.yaml")
			if err := os.WriteFile(cfg, []byte("broker: tcp://127.0.0.1:1\n"+tt.config), 0o644); err != nil {
				t.Fatal(err)
			}
			for name, body := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			err := cmdFusion(context.Background(), []string{"--check", "--config", cfg}, &out, &bytes.Buffer{})
			got := out.String()
			if err != nil {
				got = err.Error()
			}
			if (err == nil) != tt.ok {
				t.Fatalf("--check: %v (stdout %q), want ok %v", err, out.String(), tt.ok)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("--check said %q, want %q in it", got, w)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "rfwarden.db")); err == nil {
				t.Errorf("--check created the database")
			}
		})
	}
}

// farSensorSite writes the test wing with sensor s7 mistyped at x 130,
// 70 m beyond its yard, and returns the file's path.
func farSensorSite(t *testing.T) string {
	t.Helper()
	body, err := os.ReadFile("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	moved := bytes.Replace(body, []byte("{id: s7, floor: g, pos: {x: 20, y: -10}"), []byte("{id: s7, floor: g, pos: {x: 130, y: -10}"), 1)
	if bytes.Equal(moved, body) {
		t.Fatal("sensor s7 of the test wing not found")
	}
	p := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(p, moved, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCmdFusionLogsSiteNotes: fusion logs at its start, as a warning,
// what --check notes in the site file (a sensor far from every room), and
// starts: none is refused.
func TestCmdFusionLogsSiteNotes(t *testing.T) {
	far := farSensorSite(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fusion.yaml"), []byte("site: "+far+"\nbroker: tcp://127.0.0.1:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, stop := runFusionIn(t, dir)
	waitLine(t, stdout, stderr, regexp.MustCompile(`(?m)^fusion: site hmp-test`))
	if want := "site model: " + far + `: sensors[6].pos: sensor \"s7\" at (130, -10) is 70 m`; !strings.Contains(stderr.String(), want) {
		t.Errorf("fusion's log %s\nwant a warning containing %s", stderr.String(), want)
	}
	if err := stop(); err != nil {
		t.Errorf("fusion: %v", err)
	}
}

// TestSiteDocExample: the example site of docs/site.md, its only yaml
// block, passes fusion --check with no note, and the ok line the page
// shows is what --check prints for it.
func TestSiteDocExample(t *testing.T) {
	doc, example := sitedoc.Example(t, "../..")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), example, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "fusion.yaml")
	if err := os.WriteFile(cfg, []byte("site: site.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cmdFusion(context.Background(), []string{"--check", "--config", cfg}, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("--check of the example: %v", err)
	}
	line, rest, _ := strings.Cut(out.String(), "\n")
	if rest != "" {
		t.Errorf("--check of the example noted %q, want no note", rest)
	}
	if ok := strings.TrimPrefix(line, cfg); !bytes.Contains(doc, []byte("/etc/rfwarden/fusion.yaml"+ok+"\n")) {
		t.Errorf("docs/site.md does not show the ok line --check prints: %q", ok)
	}
}
