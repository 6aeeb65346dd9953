package dashboard

import (
	"strings"
	"testing"
	"time"
)

// TestExportNamedAfterRange: a CSV export of from and to dates is named
// after the days it holds, not after the day it was downloaded; a named
// window (which ends now) is named after today. A from date after today
// with no to is refused naming the from given and today, not a to the
// user never gave.
func TestExportNamedAfterRange(t *testing.T) {
	ev := newEnv(t)
	ev.deps.Location = time.FixedZone("site", 2*3600)
	// 09:00 UTC on 5 December: 11:00 site time, the 5th
	ev.deps.Now = func() time.Time { return time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC) }
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	an := login(t, e, RoleAnalyst, "analyst-password")
	tests := []struct {
		query    string
		code     int
		file     string   // for 200: the download's name after kind-hmp1-
		words    []string // else: what the error must say
		notWords []string
	}{
		{query: "from=2026-12-04&to=2026-12-04", code: 200, file: "2026-12-04.csv"},
		{query: "from=2026-12-01&to=2026-12-04", code: 200, file: "2026-12-01_2026-12-04.csv"},
		{query: "from=2026-12-01", code: 200, file: "2026-12-01_2026-12-05.csv"},
		{query: "from=2026-12-05", code: 200, file: "2026-12-05.csv"},
		{query: "window=week", code: 200, file: "2026-12-05.csv"},
		{query: "", code: 200, file: "2026-12-05.csv"},
		{query: "from=2026-12-06", code: 400, words: []string{"from 2026-12-06", "after today", "2026-12-05"}, notWords: []string{"to 2026-12-05"}},
		{query: "from=2026-12-04&to=2026-12-01", code: 400, words: []string{"to 2026-12-01 is before from 2026-12-04"}},
	}
	for _, kind := range []string{"alerts", "incidents"} {
		for _, tc := range tests {
			rec := do(e, "GET", "/api/v1/"+kind+"/export.csv?"+tc.query, "", "", &an, false)
			if rec.Code != tc.code {
				t.Errorf("%s %q: %d %s, want %d", kind, tc.query, rec.Code, trunc(rec.Body.String()), tc.code)
				continue
			}
			if tc.code == 200 {
				want := `filename="` + kind + "-hmp1-" + tc.file + `"`
				if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, want) {
					t.Errorf("%s %q: Content-Disposition %q, want %s", kind, tc.query, cd, want)
				}
				continue
			}
			for _, w := range tc.words {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("%s %q: %s, want it to say %q", kind, tc.query, trunc(rec.Body.String()), w)
				}
			}
			for _, w := range tc.notWords {
				if strings.Contains(rec.Body.String(), w) {
					t.Errorf("%s %q: %s, names %q, which the user did not give", kind, tc.query, trunc(rec.Body.String()), w)
				}
			}
		}
	}
}

// TestExportDatesBounded: an export's dates must lie within the times the
// stores can hold (int64 nanoseconds since 1970): to=9999-12-31 wrapped
// round and the export held only its header, audited as "0 alerts". Such a
// window is refused naming the days an export can name; one ending on the
// last of them holds what a window ending today holds. An audit window
// whose to equals its from says it holds no time, not that to is before
// from.
func TestExportDatesBounded(t *testing.T) {
	e, an := serveAs(t, RoleAnalyst)
	today := testNow.Format(time.DateOnly)
	held := map[string]string{"alerts": "LTE uplink in cell A1-02", "incidents": "phone in A1-02"} // the seeded row's summary
	for _, kind := range []string{"alerts", "incidents"} {
		for _, tc := range []struct {
			query string
			code  int
			words []string // for 400, what the error must say (200: the seeded row)
		}{
			{"from=2026-01-01&to=" + today, 200, nil},
			{"from=2026-01-01&to=2262-04-10", 200, nil},
			{"from=2026-01-01&to=9999-12-31", 400, []string{"from 2026-01-01 to 9999-12-31", "outside 1677-09-22 to 2262-04-10"}},
			{"from=2026-01-01&to=2262-04-11", 400, []string{"outside"}},
			{"from=1677-09-21&to=" + today, 400, []string{"from 1677-09-21", "outside"}},
		} {
			rec := do(e, "GET", "/api/v1/"+kind+"/export.csv?"+tc.query, "", "", &an, false)
			if rec.Code != tc.code {
				t.Errorf("%s %q: %d %s, want %d", kind, tc.query, rec.Code, trunc(rec.Body.String()), tc.code)
				continue
			}
			if tc.code == 200 {
				tc.words = []string{held[kind]}
			}
			for _, w := range tc.words {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("%s %q: %s, want it to hold %q", kind, tc.query, trunc(rec.Body.String()), w)
				}
			}
		}
	}
	admin := login(t, e, RoleAdmin, "admin-password")
	rec := do(e, "GET", "/api/v1/audit/export.csv?from=2026-01-15T00:00:00Z&to=2026-01-15T00:00:00Z", "", "", &admin, false)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "the window holds no time") || strings.Contains(rec.Body.String(), "before") {
		t.Errorf("audit export with to equal to from: %d %s, want 400 saying the window holds no time", rec.Code, trunc(rec.Body.String()))
	}
}
