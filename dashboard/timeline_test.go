package dashboard

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestTimelineSaysLabel: the incident timeline and the evidence bundle's
// incident.json called a phone "unknown uplink 1747.511 MHz" (its class)
// while the alert named it as the classifier did, "LTE/NR uplink (LTE B3
// UL, 15 kHz SCS)". A detection's entry now says its label, and its class
// and link when it has no label.
func TestTimelineSaysLabel(t *testing.T) {
	ev := newEnv(t)
	ev.ts.mu.Lock()
	for i := range ev.ts.dets {
		switch ev.ts.dets[i].ID {
		case "d1":
			ev.ts.dets[i].Class, ev.ts.dets[i].Label = "unknown", "LTE/NR uplink (LTE B3 UL, 15 kHz SCS)"
		case "d2":
			ev.ts.dets[i].Label = "" // an older sensor's: no label
		}
	}
	ev.ts.mu.Unlock()
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	want := map[string]string{
		"d1": "LTE/NR uplink (LTE B3 UL, 15 kHz SCS) 1747.500 MHz -60 dBm at s1 (a-102)",
		"d2": "lte uplink 1747.500 MHz -60 dBm at s2 (a-102)",
	}
	check := func(where string, timeline []TimelineItem) {
		t.Helper()
		got := map[string]string{}
		for _, it := range timeline {
			if it.Kind == "detection" {
				got[it.ID] = it.Summary
			}
		}
		for id, w := range want {
			if got[id] != w {
				t.Errorf("%s: %s's timeline entry %q, want %q", where, id, got[id], w)
			}
		}
	}
	for _, tc := range []struct {
		name, path string
		read       func(body []byte) ([]TimelineItem, error)
	}{
		{"given a labelled detection, when reading the incident, expect its label", "/api/v1/incidents/inc1", func(b []byte) ([]TimelineItem, error) {
			var d struct {
				Timeline []TimelineItem `json:"timeline"`
			}
			return d.Timeline, json.Unmarshal(b, &d)
		}},
		{"given a labelled detection, when exporting the bundle, expect its label in incident.json", "/api/v1/incidents/inc1/bundle.zip", func(b []byte) ([]TimelineItem, error) {
			zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				return nil, err
			}
			for _, f := range zr.File {
				if f.Name != "incident.json" {
					continue
				}
				r, err := f.Open()
				if err != nil {
					return nil, err
				}
				raw, _ := io.ReadAll(r)
				var d struct {
					Timeline []TimelineItem `json:"timeline"`
				}
				return d.Timeline, json.Unmarshal(raw, &d)
			}
			return nil, io.ErrUnexpectedEOF
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(e, "GET", tc.path, "", "", &c, false)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s: %d %s", tc.path, rec.Code, rec.Body)
			}
			tl, err := tc.read(rec.Body.Bytes())
			if err != nil || len(tl) == 0 {
				t.Fatalf("GET %s: timeline %v (%v)", tc.path, tl, err)
			}
			check(tc.path, tl)
			if strings.Contains(rec.Body.String(), "unknown uplink") {
				t.Errorf("GET %s still says \"unknown uplink\"", tc.path)
			}
		})
	}
}
