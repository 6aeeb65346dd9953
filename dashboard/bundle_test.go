package dashboard

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestIncidentBundleDates checks that an evidence bundle dates its
// entries (they read 1980-00-00 in a zip tool): incident.json and the
// manifest at the incident's last update, each snippet at its
// detection's time; and that incident.json gives each time as an RFC 3339
// string in the site's zone beside its nanosecond count (kept for
// programs that read them).
func TestIncidentBundleDates(t *testing.T) {
	ev := newEnv(t)
	ev.deps.Location = time.FixedZone("site", 3600) // +01:00
	os.WriteFile(filepath.Join(ev.deps.SnippetDir, "snip-d1.sigmf-meta"), []byte(`{}`), 0o600)
	os.WriteFile(filepath.Join(ev.deps.SnippetDir, "snip-d1.sigmf-data"), []byte{1, 2}, 0o600)
	e, _ := New(ev.deps)
	c := login(t, e, RoleAnalyst, "analyst-password")
	rec := do(e, "GET", "/api/v1/incidents/inc1/bundle.zip", "", "", &c, false)
	if rec.Code != 200 {
		t.Fatalf("bundle: %d %s", rec.Code, rec.Body)
	}
	zr, err := zip.NewReader(bytes.NewReader(rec.Body.Bytes()), int64(rec.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	at := testNow.Add(-20 * time.Minute) // the seeded incident's and detections' time
	var doc map[string]any
	for _, f := range zr.File {
		if f.Modified.Unix() != at.Unix() {
			t.Errorf("%s dated %v, want %v (the incident's or its detection's time)", f.Name, f.Modified, at)
		}
		if f.Name == "incident.json" {
			r, _ := f.Open()
			b, _ := io.ReadAll(r)
			d := json.NewDecoder(bytes.NewReader(b))
			d.UseNumber()
			if err := d.Decode(&doc); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := at.In(ev.deps.Location).Format(time.RFC3339Nano)
	inc, _ := doc["incident"].(map[string]any)
	dets, _ := doc["detections"].([]any)
	if len(dets) == 0 {
		t.Fatalf("incident.json has no detections: %v", doc)
	}
	det, _ := dets[0].(map[string]any)
	for _, f := range []struct {
		where string
		obj   map[string]any
		key   string
	}{{"incident", inc, "opened"}, {"incident", inc, "updated"}, {"detection", det, "time"}} {
		if f.obj[f.key+"_ns"] != json.Number(itoa(at.UnixNano())) || f.obj[f.key+"_rfc3339"] != want {
			t.Errorf("%s %s_ns %v, %s_rfc3339 %v; want %d and %q (the site's zone)", f.where, f.key, f.obj[f.key+"_ns"], f.key, f.obj[f.key+"_rfc3339"], at.UnixNano(), want)
		}
	}
	if doc["time_zone"] != "+01:00" {
		t.Errorf("time_zone %v, want the site's, +01:00", doc["time_zone"])
	}
}

// TestAddRFC3339OnlyDates: a length of time (duration_ns, period_ns) gets
// no date beside it; a 13 ms burst read "1969-12-31T19:00:00.0131072-05:00"
// in incident.json.
func TestAddRFC3339OnlyDates(t *testing.T) {
	doc := map[string]any{"time_ns": json.Number("1800000000000000000"), "duration_ns": json.Number("13107200"),
		"period_ns": json.Number("1999400"), "nested": []any{map[string]any{"updated_ns": json.Number("1800000000000000000"), "duration_ns": json.Number("5")}}}
	addRFC3339(doc, time.UTC)
	if doc["time_rfc3339"] != "2027-01-15T08:00:00Z" {
		t.Errorf("time_rfc3339 %v", doc["time_rfc3339"])
	}
	n := doc["nested"].([]any)[0].(map[string]any)
	if n["updated_rfc3339"] == nil {
		t.Errorf("nested updated_rfc3339 missing: %v", n)
	}
	for _, m := range []map[string]any{doc, n} {
		for _, k := range []string{"duration_rfc3339", "period_rfc3339"} {
			if v, ok := m[k]; ok {
				t.Errorf("%s = %v: a length of time made a date", k, v)
			}
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
