package dashboard

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// TestSaveEvidenceNames: a sensor's evidence must be named exactly as that
// sensor names its snippets, snippet-SENSOR-BOOT-START-SEQ (BOOT 12 hex
// digits, START and SEQ decimal). Only the prefix snippet-SENSOR- was
// checked, so sensor wing wrote snippet-wing-a-…, sensor wing-a's names.
func TestSaveEvidenceNames(t *testing.T) {
	tests := []struct {
		name       string // given
		sensor     string // when sent on this sensor's topic
		wantStored bool   // expect
	}{
		{"snippet-s1-0a1b2c3d4e5f-1830000-42", "s1", true},
		{"snippet-wing-a-0a1b2c3d4e5f-100-1", "wing-a", true},
		{"snippet-wing-a-0a1b2c3d4e5f-100-1", "wing", false}, // a dash-prefix of another sensor's ID
		{"snippet-wing-0a1b2c3d4e5f-100-1", "wing-a", false},
		{"snippet-s1-0a1b2c3d4e5-100-1", "s1", false},    // 11 hex digits
		{"snippet-s1-0A1B2C3D4E5F-100-1", "s1", false},   // upper case: the sensor writes lower
		{"snippet-s1-0a1b2c3d4e5g-100-1", "s1", false},   // not hex
		{"snippet-s1-0a1b2c3d4e5f-100", "s1", false},     // no SEQ
		{"snippet-s1-0a1b2c3d4e5f-100-1-2", "s1", false}, // one part too many
		{"snippet-s1-0a1b2c3d4e5f-1x0-1", "s1", false},
		{"snippet-s1-0a1b2c3d4e5f--1", "s1", false},
		{"snippet-s1-x", "s1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name+" from "+tc.sensor, func(t *testing.T) {
			dir := t.TempDir()
			got, err := SaveEvidence(dir, "rfw/v1/hmp1/evidence/"+tc.sensor, sigmftest.Archive(t, tc.name, 400))
			ents, _ := os.ReadDir(dir)
			if tc.wantStored && (err != nil || got != tc.name || len(ents) != 2) {
				t.Errorf("SaveEvidence: %q, %v, %d files; want %s stored", got, err, len(ents), tc.name)
			}
			if !tc.wantStored && (err == nil || !strings.Contains(err.Error(), "not a snippet name of sensor "+tc.sensor) || len(ents) != 0) {
				t.Errorf("SaveEvidence: %q, %v, %d files; want it refused as not a snippet name of sensor %s, nothing stored", got, err, len(ents), tc.sensor)
			}
		})
	}
}

// TestSaveEvidenceNeverOverwrites: evidence named as a snippet already
// saved does not replace it (the recording renamed over it); the same
// snippet sent again (MQTT QoS 1 delivers twice at times) is taken as
// saved.
func TestSaveEvidenceNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	const name, topic = "snippet-s1-0a1b2c3d4e5f-100-1", "rfw/v1/hmp1/evidence/s1"
	orig := sigmftest.Archive(t, name, 400)
	if _, err := SaveEvidence(dir, topic, orig); err != nil {
		t.Fatal(err)
	}
	read := func() (meta, data []byte) {
		meta, _ = os.ReadFile(filepath.Join(dir, name+sigmf.MetaExt))
		data, _ = os.ReadFile(filepath.Join(dir, name+sigmf.DataExt))
		return meta, data
	}
	meta0, data0 := read()
	if got, err := SaveEvidence(dir, topic, orig); err != nil || got != name {
		t.Errorf("the same snippet again: %q, %v; want it taken as saved", got, err)
	}
	if _, err := SaveEvidence(dir, topic, sigmftest.Archive(t, name, 800)); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("another recording under a saved snippet's name: %v, want refused (exists)", err)
	}
	if meta, data := read(); string(meta) != string(meta0) || string(data) != string(data0) {
		t.Error("the saved snippet was overwritten")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d entries left in the folder, want the snippet's 2", len(ents))
	}
	// a meta with no data beside it (half a snippet, written by hand) is not replaced either
	const half = "snippet-s1-0a1b2c3d4e5f-200-2"
	if err := os.WriteFile(filepath.Join(dir, half+sigmf.MetaExt), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := SaveEvidence(dir, topic, sigmftest.Archive(t, half, 400)); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a snippet whose meta is there: %v, want refused (exists)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, half+sigmf.DataExt)); err == nil {
		t.Error("the refused snippet's data was left in the folder")
	}
}

// TestEvidenceSaverSiteModel: with a site model, only its sensors'
// evidence on its own site's topic is taken; each refusal is counted by
// reason.
func TestEvidenceSaverSiteModel(t *testing.T) {
	st := testSite()
	dir := t.TempDir()
	s := NewEvidenceSaver(dir, st)
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Collectors()...)
	tests := []struct {
		name, topic, snippet string
		payload              []byte // nil: an archive of snippet
		wantErr              error  // nil: stored
		wantReason           string
	}{
		{"a sensor of the site", "rfw/v1/hmp1/evidence/s1", "snippet-s1-0a1b2c3d4e5f-1-1", nil, nil, ""},
		{"a sensor not in the site", "rfw/v1/hmp1/evidence/s9", "snippet-s9-0a1b2c3d4e5f-1-1", nil, ErrEvidenceSensor, "sensor"},
		{"another site", "rfw/v1/other/evidence/s1", "snippet-s1-0a1b2c3d4e5f-2-2", nil, ErrEvidenceSensor, "sensor"},
		{"a name of another sensor", "rfw/v1/hmp1/evidence/s1", "snippet-s2-0a1b2c3d4e5f-3-3", nil, ErrEvidenceName, "name"},
		{"not an archive", "rfw/v1/hmp1/evidence/s1", "", []byte("junk"), nil, "invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			payload := tc.payload
			if payload == nil {
				payload = sigmftest.Archive(t, tc.snippet, 400)
			}
			before := metricValue(t, reg, "rfwarden_dashboard_evidence_refused_total", "reason", tc.wantReason)
			_, err := s.Save(tc.topic, payload)
			switch {
			case tc.wantReason == "" && err != nil:
				t.Fatalf("Save: %v, want it stored", err)
			case tc.wantReason != "" && (err == nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr)):
				t.Fatalf("Save: %v, want %v", err, tc.wantErr)
			}
			if tc.wantReason != "" {
				if got := metricValue(t, reg, "rfwarden_dashboard_evidence_refused_total", "reason", tc.wantReason); got != before+1 {
					t.Errorf("refused{reason=%s} %v -> %v, want one more", tc.wantReason, before, got)
				}
				if _, err := os.Stat(filepath.Join(dir, tc.snippet+sigmf.MetaExt)); tc.snippet != "" && err == nil {
					t.Error("the refused snippet was stored")
				}
			}
		})
	}
	if _, err := s.Save("rfw/v1/hmp1/evidence/s1", sigmftest.Archive(t, "snippet-s1-0a1b2c3d4e5f-1-1", 800)); !errors.Is(err, ErrEvidenceExists) {
		t.Errorf("another recording under a saved name: %v, want ErrEvidenceExists", err)
	}
	if got := metricValue(t, reg, "rfwarden_dashboard_evidence_refused_total", "reason", "exists"); got != 1 {
		t.Errorf("refused{reason=exists} = %v, want 1", got)
	}
}
