package dashboard

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestIncidentHistoryShown: an incident closed, reopened with a reason and
// closed again with another outcome shows both closures and why it was
// reopened, oldest first, in its detail (GET /api/v1/incidents/{id}), in
// its evidence bundle's incident.json (each time also as RFC 3339) and in
// the incidents CSV export's history column; not only the latest closure.
func TestIncidentHistoryShown(t *testing.T) {
	ev, _ := refusingSQLite(t, "none", false)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	an := login(t, e, RoleAnalyst, "analyst-password")
	for _, step := range []struct{ path, body string }{
		{"/api/v1/incidents/inc-1/close", `{"outcome":"not_found","note":"yard searched"}`},
		{"/api/v1/incidents/inc-1/reopen", `{"note":"the package was over the wall"}`},
		{"/api/v1/incidents/inc-1/close", `{"outcome":"found","note":"package behind the gym"}`},
	} {
		if rec := do(e, "POST", step.path, step.body, "application/json", &an, true); rec.Code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", step.path, step.body, rec.Code, trunc(rec.Body.String()))
		}
	}
	at := testNow.UnixNano()
	want := []store.IncidentChange{
		{AtNS: at, By: "analyst", Action: "closed", Outcome: "not_found", Note: "yard searched"},
		{AtNS: at, By: "analyst", Action: "reopened", Note: "the package was over the wall"},
		{AtNS: at, By: "analyst", Action: "closed", Outcome: "found", Note: "package behind the gym"},
	}

	rec := do(e, "GET", "/api/v1/incidents/inc-1", "", "", &an, false)
	var d incidentDetail
	if err := json.Unmarshal(rec.Body.Bytes(), &d); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("detail: %d %v %s", rec.Code, err, trunc(rec.Body.String()))
	}
	if !reflect.DeepEqual(d.Incident.History, want) || d.Incident.Outcome != "found" {
		t.Errorf("detail's history %+v, outcome %q\nwant %+v, the latest outcome found", d.Incident.History, d.Incident.Outcome, want)
	}

	rec = do(e, "GET", "/api/v1/incidents/inc-1/bundle.zip", "", "", &an, false)
	if rec.Code != http.StatusOK {
		t.Fatalf("bundle: %d %s", rec.Code, trunc(rec.Body.String()))
	}
	zr, err := zip.NewReader(bytes.NewReader(rec.Body.Bytes()), int64(rec.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Incident struct {
			History []struct {
				store.IncidentChange
				AtRFC3339 string `json:"at_rfc3339"`
			} `json:"history"`
		} `json:"incident"`
	}
	for _, f := range zr.File {
		if f.Name != "incident.json" {
			continue
		}
		r, _ := f.Open()
		b, _ := io.ReadAll(r)
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("incident.json: %v", err)
		}
	}
	var got []store.IncidentChange
	for _, h := range doc.Incident.History {
		got = append(got, h.IncidentChange)
		if h.AtRFC3339 != testNow.Format(time.RFC3339Nano) {
			t.Errorf("incident.json history entry %+v: at_rfc3339 %q, want %q", h.IncidentChange, h.AtRFC3339, testNow.Format(time.RFC3339Nano))
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("incident.json's history %+v\nwant %+v", got, want)
	}

	rec = do(e, "GET", "/api/v1/incidents/export.csv?window=month", "", "", &an, false)
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if rec.Code != http.StatusOK || err != nil || len(rows) != 2 {
		t.Fatalf("export: %d %v %v", rec.Code, err, rows)
	}
	ts := testNow.Format(time.RFC3339)
	wantCell := ts + " closed by analyst: not_found: yard searched\n" + ts + " reopened by analyst: the package was over the wall\n" +
		ts + " closed by analyst: found: package behind the gym"
	if cell := rows[1][slices.Index(incidentsCSVHeader, "history")]; cell != wantCell {
		t.Errorf("export's history cell %q\nwant %q", cell, wantCell)
	}
}
