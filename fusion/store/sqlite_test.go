package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

func openSQLite(t testing.TB) *store.SQLite {
	t.Helper()
	s, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openTwiceAtOnce opens the store at path from two goroutines at once, as
// fusion and the dashboard starting together do, and closes both.
func openTwiceAtOnce(t *testing.T, path string) {
	t.Helper()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			s, err := store.OpenSQLite(path)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	if err := errors.Join(<-errs, <-errs); err != nil {
		t.Fatalf("opening the old store twice at once: %v", err)
	}
}

func TestSQLiteTimeSeriesConformance(t *testing.T) {
	storetest.TimeSeries(t, func(t *testing.T) store.TimeSeries { return openSQLite(t) })
}

// oldHeatTable turns the store at path back into its layout before the
// heatmap counted emissions: detections with no lead column, and the
// roll-up heat_hour counting every detection per clock hour (without its
// target column when noTarget, older still).
func oldHeatTable(ctx context.Context, path string, noTarget bool) error {
	s, err := store.OpenSQLite(path)
	if err != nil {
		return err
	}
	defer s.Close()
	target, targetSum := `, target INTEGER NOT NULL DEFAULT 0`, `, SUM(CASE WHEN json_extract(body, '$.class') IN ('lte', 'nr', 'gsm', 'umts') AND json_extract(body, '$.link') != 'downlink' THEN 1 ELSE 0 END)`
	cols := `site, room, hour, authorised, count, target`
	if noTarget {
		target, targetSum, cols = "", "", `site, room, hour, authorised, count`
	}
	for _, q := range []string{
		`CREATE TABLE heat_hour (site TEXT NOT NULL, room TEXT NOT NULL, hour INTEGER NOT NULL, authorised INTEGER NOT NULL, count INTEGER NOT NULL` + target + `,
			PRIMARY KEY (site, hour, room, authorised)) WITHOUT ROWID`,
		`INSERT INTO heat_hour(` + cols + `) SELECT site, room, time_ns / 3600000000000, authorised, COUNT(*)` + targetSum + ` FROM detection GROUP BY 1, 2, 3, 4`,
		`DROP TABLE heat_quarter`,
		`ALTER TABLE detection DROP COLUMN lead`,
	} {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// emissionsAndFixes returns n emissions of site1 each heard by 2 to 5
// sensors, in rooms R0-R2, every 7 minutes (mixedDetections' kinds), and a
// location for each but every fifth (heard too vaguely, or by too few, to
// locate: no fix), as fusion stores them: the location at the time of the
// emission's first detection, of its track.
func emissionsAndFixes(n int) ([]store.DetectionRecord, []store.LocationRecord) {
	var recs []store.DetectionRecord
	var locs []store.LocationRecord
	sensors := []string{"s1", "s2", "s3", "s4", "s5"}
	for i, r := range mixedDetections(n) {
		at := time.Unix(0, r.TimeNS)
		em := storetest.Emission(r.Site, r.ID, at, r.Room, r.Authorised, sensors[:2+i%4]...)
		for j := range em {
			em[j].Class, em[j].Link, em[j].Track = r.Class, r.Link, fmt.Sprintf("trk-%d", i%7)
		}
		if i%5 == 4 {
			for j := range em {
				em[j].Room, em[j].RoomProb = "", 0
			}
		} else {
			locs = append(locs, store.LocationRecord{Site: r.Site, Track: em[0].Track, Class: r.Class, Link: r.Link, TimeNS: r.TimeNS,
				Room: r.Room, RoomProb: r.RoomProb, Authorised: r.Authorised})
		}
		recs = append(recs, em...)
	}
	return recs, locs
}

// TestSQLiteHeatEmissionUpgrade: a store written while the heatmap counted
// detection records (heat_hour: per detection and clock hour, with or
// without its target column) is upgraded when opened, also by fusion and
// the dashboard at once: each stored location marks its emission's first
// detection as the lead, the roll-up is rebuilt per emission and quarter
// hour, and heat_hour is gone. The heatmap then counts each located
// emission once; an unlocated one, which no location names, is not
// counted (it has no room). New writes count as usual.
func TestSQLiteHeatEmissionUpgrade(t *testing.T) {
	for _, noTarget := range []bool{false, true} {
		t.Run(fmt.Sprint("no target column ", noTarget), func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "old.db")
			s, err := store.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			recs, locs := emissionsAndFixes(60)
			if err := errors.Join(s.WriteDetections(ctx, recs), s.WriteLocations(ctx, locs)); err != nil {
				t.Fatal(err)
			}
			s.Close()
			if err := oldHeatTable(ctx, path, noTarget); err != nil {
				t.Fatal(err)
			}
			// what the upgrade can know: the leads of located emissions
			var want []store.DetectionRecord
			for _, r := range recs {
				r.Lead = r.Lead && r.Room != ""
				want = append(want, r)
			}
			openTwiceAtOnce(t, path)
			s, err = store.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var old int
			if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'heat_hour'`).Scan(&old); err != nil || old != 0 {
				t.Errorf("heat_hour still there (%d, %v)", old, err)
			}
			from, to := storetest.Base, storetest.Base.Add(8*time.Hour)
			check := func(step string) {
				t.Helper()
				for _, w := range [][2]time.Time{{from, to}, {from.Add(20 * time.Minute), to.Add(-50 * time.Minute)}} {
					for _, kind := range []store.HeatKind{store.HeatTargets, store.HeatUnauthorised, store.HeatAll} {
						got, err := s.Heatmap(ctx, "site1", w[0], w[1], kind)
						if want := storetest.WantHeat(want, "site1", w[0], w[1], kind); err != nil || !reflect.DeepEqual(got, want) {
							t.Errorf("%s: heatmap of %v over [%s, %s) = %v, %v; want %v", step, kind, w[0].Format("15:04"), w[1].Format("15:04"), got, err, want)
						}
					}
				}
			}
			check("after the upgrade")
			got, err := s.Detections(ctx, "site1", from, to, 0)
			if err != nil || len(got) != len(recs) {
				t.Fatalf("after the upgrade, %d detections (%v), want %d", len(got), err, len(recs))
			}
			more := storetest.Emission("site1", "new", from.Add(3*time.Hour+time.Minute), "R1", false, "s1", "s2", "s3")
			if err := s.WriteDetections(ctx, more); err != nil {
				t.Fatal(err)
			}
			want = append(want, more...)
			check("a new emission")
		})
	}
}

// oldDetectionTable turns the detection table of the store at path back
// into its layout before it was keyed by site, sensor and ID: keyed by ID
// alone, with no sensor column.
func oldDetectionTable(ctx context.Context, path string) error {
	s, err := store.OpenSQLite(path)
	if err != nil {
		return err
	}
	defer s.Close()
	for _, q := range []string{
		`CREATE TABLE detection_old (
			id TEXT PRIMARY KEY,
			site TEXT NOT NULL,
			time_ns INTEGER NOT NULL,
			room TEXT NOT NULL,
			authorised INTEGER NOT NULL,
			body TEXT NOT NULL)`,
		`INSERT INTO detection_old SELECT id, site, time_ns, room, authorised, body FROM detection`,
		`DROP TABLE detection`,
		`ALTER TABLE detection_old RENAME TO detection`,
		`CREATE INDEX detection_site_time ON detection(site, time_ns)`,
	} {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// TestSQLiteDetectionKeyUpgrade: a store whose detections were keyed by ID
// alone (an ID another sensor had used first was ignored) is keyed by
// site, sensor and ID when it is opened, also when fusion and the
// dashboard open it at once, and also when its heatmap roll-up still
// counted detections (heat_hour). Every detection stays, with its sensor;
// the heatmap counts the located emissions (here every detection is one,
// and located) as before; afterwards another sensor's detection with a stored ID is
// stored, a redelivery is still ignored, and an older binary's insert
// (no sensor) still works after a rollback.
func TestSQLiteDetectionKeyUpgrade(t *testing.T) {
	tests := []struct {
		name     string
		heatHour bool // the roll-up counts detections in heat_hour too
	}{
		{"keyed by ID", false},
		{"keyed by ID, heat_hour counting detections", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "old.db")
			s, err := store.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			recs := mixedDetections(60)
			for i := range recs {
				recs[i].Sensor = fmt.Sprintf("s%d", i%4+1)
			}
			var locs []store.LocationRecord
			for _, r := range recs {
				locs = append(locs, store.LocationRecord{Site: r.Site, Track: r.Track, Class: r.Class, Link: r.Link, TimeNS: r.TimeNS, Room: r.Room, RoomProb: r.RoomProb, Authorised: r.Authorised})
			}
			if err := errors.Join(s.WriteDetections(ctx, recs), s.WriteLocations(ctx, locs)); err != nil {
				t.Fatal(err)
			}
			s.Close()
			if err := oldDetectionTable(ctx, path); err != nil {
				t.Fatal(err)
			}
			if tt.heatHour {
				db, err := sql.Open("sqlite", path)
				if err != nil {
					t.Fatal(err)
				}
				_, err = db.ExecContext(ctx, `CREATE TABLE heat_hour (site TEXT NOT NULL, room TEXT NOT NULL, hour INTEGER NOT NULL, authorised INTEGER NOT NULL, count INTEGER NOT NULL,
					PRIMARY KEY (site, hour, room, authorised)) WITHOUT ROWID`)
				db.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			openTwiceAtOnce(t, path)
			s, err = store.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var key []string
			rows, err := s.DB().QueryContext(ctx, `SELECT name FROM pragma_table_info('detection') WHERE pk > 0 ORDER BY pk`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var c string
				if err := rows.Scan(&c); err != nil {
					t.Fatal(err)
				}
				key = append(key, c)
			}
			rows.Close()
			if want := []string{"site", "sensor", "id"}; !reflect.DeepEqual(key, want) {
				t.Errorf("detection key %v, want %v", key, want)
			}
			var mismatched, index int
			if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM detection WHERE sensor != json_extract(body, '$.sensor')`).Scan(&mismatched); err != nil || mismatched != 0 {
				t.Errorf("%d rows whose sensor is not their record's (%v)", mismatched, err)
			}
			if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'detection_site_time' AND tbl_name = 'detection'`).Scan(&index); err != nil || index != 1 {
				t.Errorf("index detection_site_time on detection: %d (%v), want 1", index, err)
			}
			from, to := storetest.Base, storetest.Base.Add(8*time.Hour)
			got, err := s.Detections(ctx, "site1", from, to, 0)
			if err != nil || len(got) != len(recs) {
				t.Fatalf("after the upgrade, %d detections (%v), want %d", len(got), err, len(recs))
			}
			for _, g := range got {
				want := recs[slices.IndexFunc(recs, func(r store.DetectionRecord) bool { return r.ID == g.ID })]
				if !reflect.DeepEqual(g, want) {
					t.Errorf("after the upgrade, detection %s = %+v, want %+v", g.ID, g, want)
				}
			}
			// c001 again from s2 (its own, a redelivery) and from s3 (new)
			again, other := recs[1], recs[1]
			other.Sensor = "s3"
			if err := s.WriteDetections(ctx, []store.DetectionRecord{again, other}); err != nil {
				t.Fatal(err)
			}
			all := append(slices.Clone(recs), other)
			// an older binary after a rollback writes no sensor
			if _, err := s.DB().ExecContext(ctx, `INSERT OR IGNORE INTO detection(id, site, time_ns, room, authorised, body) VALUES(?,?,?,?,?,?)`,
				"old-binary", "site9", from.UnixNano(), "R0", 0, `{"id":"old-binary"}`); err != nil {
				t.Errorf("an older binary's insert after the upgrade: %v", err)
			}
			if got, err := s.DetectionsByID(ctx, "site1", from, to, []string{"c001"}); err != nil || len(got) != 2 {
				t.Errorf("c001 after s3 used it and s2 sent it again: %d detections (%v), want 2", len(got), err)
			}
			for _, kind := range []store.HeatKind{store.HeatTargets, store.HeatUnauthorised, store.HeatAll} {
				got, err := s.Heatmap(ctx, "site1", from, to, kind)
				want := storetest.WantHeat(all, "site1", from, to, kind)
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("after the upgrade, heatmap of %v = %v, %v; want %v", kind, got, err, want)
				}
			}
		})
	}
}

// TestSQLitePrune: Prune removes one site's history before the clock hour
// of its cut, in several batches, and leaves the rest alone; the heatmap
// then agrees with the detections that are left.
func TestSQLitePrune(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rfw.db")
	s, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	const n = 12000 // 6000 before the cut: more than one prune batch (5000)
	var recs []store.DetectionRecord
	for i := range n {
		at := storetest.Base.Add(time.Duration(i) * 3 * time.Second) // 10 hours
		recs = append(recs, storetest.Detection("site1", fmt.Sprintf("d%05d", i), at, fmt.Sprintf("R%d", i%7), i%4 == 0))
	}
	other := storetest.Detection("site2", "o1", storetest.Base, "R1", false)
	if err := s.WriteDetections(ctx, append(recs, other)); err != nil {
		t.Fatal(err)
	}
	var locs []store.LocationRecord
	var hs []event.Health
	var sps []event.Spectrum
	for h := range 10 {
		at := storetest.Base.Add(time.Duration(h)*time.Hour + time.Minute).UnixNano()
		locs = append(locs, store.LocationRecord{Site: "site1", Track: fmt.Sprint(h), TimeNS: at})
		hs = append(hs, event.Health{Schema: event.SchemaVersion, Site: "site1", Sensor: "s1", TimeNS: at, State: event.StateOK})
		sps = append(sps, event.Spectrum{Schema: event.SchemaVersion, Site: "site1", Sensor: "s1", TimeNS: at,
			CenterHz: 1800e6, SampleRateHz: 20e6, PowerDBm: []float32{-90, -80}})
	}
	if err := errors.Join(s.WriteLocations(ctx, locs), s.WriteHealth(ctx, hs), s.WriteSpectrum(ctx, sps)); err != nil {
		t.Fatal(err)
	}

	cut := storetest.Base.Add(5*time.Hour + 30*time.Minute) // rounded down to Base+5h
	deleted, err := s.Prune(ctx, "site1", cut)
	if err != nil {
		t.Fatal(err)
	}
	kept := recs[5*1200:] // 1200 detections an hour
	end := storetest.Base.Add(11 * time.Hour)
	got, err := s.Detections(ctx, "site1", storetest.Base, end, 2*n)
	if err != nil || len(got) != len(kept) || got[len(got)-1].ID != kept[0].ID {
		t.Fatalf("after prune: %d detections (%v), want the %d from %s on", len(got), err, len(kept), kept[0].ID)
	}
	for _, kind := range []store.HeatKind{store.HeatTargets, store.HeatUnauthorised, store.HeatAll} {
		heat, err := s.Heatmap(ctx, "site1", storetest.Base, end, kind)
		if want := storetest.WantHeat(kept, "site1", storetest.Base, end, kind); err != nil || !reflect.DeepEqual(heat, want) {
			t.Errorf("heatmap after prune (%v) = %v, %v; want %v", kind, heat, err, want)
		}
	}
	gl, err1 := s.Locations(ctx, "site1", storetest.Base, end, 100)
	gh, err2 := s.HealthSeries(ctx, "site1", "s1", storetest.Base, end)
	if err := errors.Join(err1, err2); err != nil || len(gl) != 5 || len(gh) != 5 || gh[0].TimeNS != hs[5].TimeNS {
		t.Errorf("after prune: %d locations, %d health reports (%v); want the 5 from hour 5 on", len(gl), len(gh), err)
	}
	// The store has no reader of spectra: count them in the file.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var spectra, first int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(time_ns) FROM spectrum WHERE site = 'site1'`).Scan(&spectra, &first); err != nil || spectra != 5 || first != sps[5].TimeNS {
		t.Errorf("after prune: %d spectra from %d (%v); want the 5 from hour 5 on (%d)", spectra, first, err, sps[5].TimeNS)
	}
	if o, err := s.Detections(ctx, "site2", storetest.Base, end, 10); err != nil || len(o) != 1 {
		t.Errorf("another site's detections: %d, %v; want its one kept", len(o), err)
	}
	// 6000 detections, 5 locations, 5 health reports, 5 spectra, and the
	// roll-up rows of 5 hours (7 rooms, authorised or not, as the data has
	// them).
	if min := int64(6000 + 5 + 5 + 5); deleted < min {
		t.Errorf("Prune reported %d rows deleted, want at least %d", deleted, min)
	}
}

func TestSQLiteAlerts(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	base := storetest.Base
	a := event.Alert{Schema: 1, ID: "a1", Site: "site1", Rule: "unauthorised_uplink", Severity: event.SeverityCritical,
		State: event.AlertPending, Room: "B2-14", Zone: "B", ActiveNS: base.UnixNano(), UpdatedNS: base.UnixNano()}
	if err := s.UpsertAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	acked, err := s.Ack(ctx, "a1", "officer1", "searching", base.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if acked.AckBy != "officer1" || acked.AckNote != "searching" || acked.State != event.AlertPending {
		t.Errorf("ack = %+v", acked)
	}
	// A later state change from fusion carries no ack: the stored ack must survive.
	a.State, a.UpdatedNS = event.AlertFiring, base.Add(2*time.Minute).UnixNano()
	if err := s.UpsertAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.Alert(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != event.AlertFiring || got.AckBy != "officer1" {
		t.Errorf("after upsert = %+v, want firing and still acked", got)
	}
	// A publication carrying an older acknowledgement (read before a
	// second person acknowledged in a dashboard) keeps the newer stored one;
	// a newer one replaces it.
	if _, err := s.Ack(ctx, "a1", "officer2", "cell searched", base.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	old := a
	old.AckBy, old.AckNote, old.AckNS = "officer1", "searching", base.Add(time.Minute).UnixNano()
	if err := s.UpsertAlert(ctx, old); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Alert(ctx, "a1"); err != nil || got.AckBy != "officer2" || got.AckNote != "cell searched" {
		t.Errorf("after an upsert with an older ack = %+v, %v; want officer2's", got, err)
	}
	newer := a
	newer.AckBy, newer.AckNS = "officer3", base.Add(4*time.Minute).UnixNano()
	if err := s.UpsertAlert(ctx, newer); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Alert(ctx, "a1"); err != nil || got.AckBy != "officer3" || got.AckNote != "" {
		t.Errorf("after an upsert with a newer ack = %+v, %v; want officer3's", got, err)
	}
	b := a
	b.ID, b.Zone, b.Severity, b.UpdatedNS = "a2", "C", event.SeverityWarning, base.Add(3*time.Minute).UnixNano()
	if err := s.UpsertAlert(ctx, b); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    store.AlertFilter
		want []string
	}{
		{"all newest first", store.AlertFilter{}, []string{"a2", "a1"}},
		{"zone", store.AlertFilter{Zone: "B"}, []string{"a1"}},
		{"severity", store.AlertFilter{Severity: event.SeverityWarning}, []string{"a2"}},
		{"unacked", store.AlertFilter{Unacked: true}, []string{"a2"}},
		{"other site", store.AlertFilter{Site: "x"}, nil},
		{"limit", store.AlertFilter{Limit: 1}, []string{"a2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			as, err := s.Alerts(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, a := range as {
				ids = append(ids, a.ID)
			}
			if len(ids) != len(tc.want) || (len(ids) > 0 && ids[0] != tc.want[0]) {
				t.Errorf("got %v, want %v", ids, tc.want)
			}
		})
	}
	if _, err := s.Ack(ctx, "nope", "u", "", base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ack of missing alert: err = %v, want ErrNotFound", err)
	}
}

func TestSQLiteIncidentsAndAudit(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	inc := store.Incident{ID: "i1", Site: "site1", Kind: "drone_drop", State: "open", OpenedNS: 1, UpdatedNS: 2, Alerts: []string{"a1", "a2"}}
	if err := s.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	inc.Alerts = append(inc.Alerts, "a3")
	inc.UpdatedNS = 3
	if err := s.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	got, err := s.Incident(ctx, "i1")
	if err != nil || len(got.Alerts) != 3 {
		t.Fatalf("incident = %+v, %v", got, err)
	}
	list, err := s.Incidents(ctx, store.IncidentFilter{Site: "site1", Since: time.Unix(0, 0), Limit: 10})
	if err != nil || len(list) != 1 {
		t.Fatalf("incidents = %v, %v", list, err)
	}
	if _, err := s.Incident(ctx, "none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing incident err = %v", err)
	}
	for i, e := range []store.AuditEntry{
		{User: "admin", Action: "registry.add", Object: "registry/1", After: `{"name":"tablet"}`},
		{User: "admin", Action: "registry.update", Object: "registry/1", Before: `{"name":"tablet"}`, After: `{"name":"tablet 2"}`},
		{User: "officer", Action: "alert.ack", Object: "alert/a1"},
	} {
		e.TimeNS = int64(i + 1)
		if err := s.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	log, err := s.AuditLog(ctx, store.AuditFilter{Object: "registry/1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Action != "registry.update" || log[0].Before != `{"name":"tablet"}` {
		t.Errorf("audit for registry/1 = %+v", log)
	}
	log, err = s.AuditLog(ctx, store.AuditFilter{Prefix: "alert."})
	if err != nil || len(log) != 1 || log[0].User != "officer" {
		t.Errorf("audit prefix alert. = %+v, %v", log, err)
	}
}

// TestSQLiteAuditTx: an audit row written in a transaction is stored when
// it commits and not at all when it rolls back, with the change it
// records; a zero time is set, as Audit's.
func TestSQLiteAuditTx(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	if _, err := s.DB().ExecContext(ctx, `CREATE TABLE thing (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	write := func(v string, commit bool) {
		t.Helper()
		tx, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `INSERT INTO thing (v) VALUES (?)`, v); err != nil {
			t.Fatal(err)
		}
		if err := s.AuditTx(ctx, tx, store.AuditEntry{User: "admin", Action: "thing.add", Object: "thing/" + v}); err != nil {
			t.Fatal(err)
		}
		if commit {
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("kept", true)
	write("dropped", false)
	log, err := s.AuditLog(ctx, store.AuditFilter{Prefix: "thing."})
	if err != nil || len(log) != 1 || log[0].Object != "thing/kept" || log[0].TimeNS == 0 {
		t.Errorf("audit log %+v, %v; want the committed row alone, timed", log, err)
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM thing`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d things (%v), want 1", n, err)
	}
}

// TestSQLiteAuditAddr: an audit row keeps the client address it was
// made from; a store written before the audit log had addresses gets the
// column when it is opened (also by fusion and the dashboard at once), its
// rows with none, and an older binary's insert (no address) still works.
func TestSQLiteAuditAddr(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Audit(ctx, store.AuditEntry{TimeNS: 1, User: "admin", Action: "login", Object: "user/admin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `ALTER TABLE audit DROP COLUMN addr`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	openTwiceAtOnce(t, path)
	s, err = store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Audit(ctx, store.AuditEntry{TimeNS: 2, User: "ops", Action: "login.failed", Object: "user/ops", Addr: "2001:db8::7"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO audit(time_ns, user, action, object, before, after) VALUES(3, 'x', 'logout', 'user/x', '', '')`); err != nil {
		t.Fatalf("an older binary's audit insert: %v", err)
	}
	log, err := s.AuditLog(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, e := range log {
		addrs = append(addrs, e.Addr)
	}
	if want := []string{"", "2001:db8::7", ""}; !slices.Equal(addrs, want) {
		t.Errorf("audit addresses, newest first: %q, want %q", addrs, want)
	}
}

// BenchmarkSQLiteHeatmapWeek measures the dashboard's heatmap query for one
// week over one million stored detections (filled once, ~1 min).
func BenchmarkSQLiteHeatmapWeek(b *testing.B) {
	storetest.HeatmapWeek(b, openSQLite(b), nil)
}

// BenchmarkSQLiteHeatEmissionUpgrade measures opening a store of one
// million detections (storetest.Fill, filled once) and a location for
// every fifth written while heat_hour counted detections: the upgrade
// marks the leads from the locations and rebuilds the roll-up. Each
// iteration turns the store back (oldHeatTable), outside the timer.
func BenchmarkSQLiteHeatEmissionUpgrade(b *testing.B) {
	var locs bool
	benchUpgrade(b, func(ctx context.Context, path string) error {
		if !locs {
			locs = true
			s, err := store.OpenSQLite(path)
			if err != nil {
				return err
			}
			// Fill's detections: f%09d at Base + week/n·i in R%03d (i mod 120)
			const n = 1_000_000
			week := int64(7 * 24 * time.Hour)
			var ls []store.LocationRecord
			for i := 0; i < n && err == nil; i += 5 {
				r := storetest.Detection("site1", "", storetest.Base.Add(time.Duration(week/n*int64(i))), fmt.Sprintf("R%03d", i%120), i%5 == 0)
				ls = append(ls, store.LocationRecord{Site: r.Site, Track: r.Track, Class: r.Class, Link: r.Link, TimeNS: r.TimeNS, Room: r.Room, RoomProb: r.RoomProb, Authorised: r.Authorised})
				if len(ls) == 5000 {
					err, ls = s.WriteLocations(ctx, ls), ls[:0]
				}
			}
			s.Close()
			if err != nil {
				return err
			}
		}
		return oldHeatTable(ctx, path, false)
	})
}

// BenchmarkSQLiteDetectionKeyUpgrade measures opening a store of one
// million detections (storetest.Fill, filled once) keyed by ID alone: the
// upgrade copies the table, keyed by site, sensor and ID. Each iteration
// turns the table back, outside the timer.
func BenchmarkSQLiteDetectionKeyUpgrade(b *testing.B) {
	benchUpgrade(b, oldDetectionTable)
}

// benchUpgrade times opening a store of a million detections after
// downgrade, outside the timer, has made it older each time.
func benchUpgrade(b *testing.B, downgrade func(ctx context.Context, path string) error) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "old.db")
	s, err := store.OpenSQLite(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := storetest.Fill(ctx, s, "site1", 1_000_000, 120); err != nil {
		b.Fatal(err)
	}
	s.Close()
	for b.Loop() {
		b.StopTimer()
		if err := downgrade(ctx, path); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		s, err := store.OpenSQLite(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// TestOpenInfluxChecks: a URL that is not http(s) is refused by name; a
// writing store needs its spool, a read-only one does not, and refuses
// writes without reaching any server.
func TestOpenInfluxChecks(t *testing.T) {
	for _, u := range []string{"", "ftp://db:8086", "127.0.0.1:8086", "http://"} {
		if _, err := store.OpenInflux(store.InfluxConfig{URL: u, SpoolDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "URL") {
			t.Errorf("URL %q: error %v, want one about the URL", u, err)
		}
	}
	if _, err := store.OpenInflux(store.InfluxConfig{URL: "http://127.0.0.1:1"}); err == nil || !strings.Contains(err.Error(), "SpoolDir") {
		t.Errorf("no spool: error %v, want one naming SpoolDir", err)
	}
	r, err := store.OpenInflux(store.InfluxConfig{URL: "http://127.0.0.1:1", ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHealth(context.Background(), []event.Health{{Site: "a"}}); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("read-only write: %v, want ErrReadOnly", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

// TestSQLiteIncidentClosure: staff close an incident; fusion's later writes
// of the same incident keep the closure, unless a new alert joined it after
// the closure (then it is open again, the closure kept for the record).
// A case continuing a deleted one (Continues) that staff reopen is theirs:
// the reopening clears Continues, and fusion's later writes, whose copy
// still names the deleted case, leave it cleared (until 2026-12-08 it
// stayed, and fusion closed the case over them as its alerts resolved).
func TestSQLiteIncidentClosure(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	at := func(s int) time.Time { return time.Unix(1_800_000_000+int64(s), 0) }
	inc := store.Incident{ID: "i1", Site: "site1", Kind: "drone_drop", State: store.IncidentOpen, OpenedNS: at(0).UnixNano(), UpdatedNS: at(10).UnixNano(), Alerts: []string{"a1"},
		Continues: "i0"}
	if err := s.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CloseIncident(ctx, "i1", "analyst1", "seized", "", at(20)); err == nil || !strings.Contains(err.Error(), `outcome "seized"`) {
		t.Errorf("an unknown outcome: %v, want an error naming it", err)
	}
	if _, err := s.CloseIncident(ctx, "none", "analyst1", "found", "", at(20)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("closing a missing incident: %v, want ErrNotFound", err)
	}
	closed, err := s.CloseIncident(ctx, "i1", "analyst1", "found", "package in the yard", at(20))
	if err != nil || closed.State != store.IncidentClosed || closed.ClosedBy != "analyst1" || closed.Outcome != "found" || closed.ClosedNS != at(20).UnixNano() || closed.UpdatedNS != at(20).UnixNano() {
		t.Fatalf("CloseIncident = %+v, %v", closed, err)
	}
	if _, err := s.CloseIncident(ctx, "i1", "analyst2", "other", "", at(21)); !errors.Is(err, store.ErrClosed) {
		t.Errorf("closing it again: %v, want ErrClosed", err)
	}
	// fusion writes the incident as it last knew it (older than the closure)
	inc.Summary = "drone over the yard"
	if err := s.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	got, err := s.Incident(ctx, "i1")
	if err != nil || got.State != store.IncidentClosed || got.Outcome != "found" || got.Note != "package in the yard" || got.Summary != "drone over the yard" {
		t.Errorf("after an older write from fusion: %+v, %v; want still closed, found", got, err)
	}
	// its alert gains evidence after the closure: still closed, its
	// detections as at the closure
	more := inc
	more.Detections, more.UpdatedNS = []string{"d1", "d2"}, at(25).UnixNano()
	if err := s.UpsertIncident(ctx, more); err != nil {
		t.Fatal(err)
	}
	got, err = s.Incident(ctx, "i1")
	if err != nil || got.State != store.IncidentClosed || got.ReopenedNS != 0 || len(got.Detections) != 0 || got.UpdatedNS != at(20).UnixNano() {
		t.Errorf("after new evidence of its alert: %+v, %v; want still closed, no detections, updated at the closure", got, err)
	}
	// a new alert joins the case after the closure: open again
	inc.Alerts, inc.UpdatedNS = append(inc.Alerts, "a2"), at(30).UnixNano()
	if err := s.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	got, err = s.Incident(ctx, "i1")
	if err != nil || got.State != store.IncidentOpen || got.ReopenedNS != at(30).UnixNano() || got.ClosedBy != "analyst1" || len(got.Alerts) != 2 {
		t.Errorf("after a new alert joined: %+v, %v; want open again, reopened at 30 s, the closure kept", got, err)
	}
	// and the next write of fusion keeps it open with its record
	inc.UpdatedNS = at(40).UnixNano()
	if err := s.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	if got, err = s.Incident(ctx, "i1"); err != nil || got.State != store.IncidentOpen || got.ReopenedNS != at(30).UnixNano() || got.Outcome != "found" {
		t.Errorf("a later write: %+v, %v", got, err)
	}
	if got, err = s.CloseIncident(ctx, "i1", "analyst2", "not_found", "", at(50)); err != nil || got.ClosedBy != "analyst2" || got.State != store.IncidentClosed {
		t.Errorf("closing the reopened incident: %+v, %v", got, err)
	}

	// staff reopen it (closed in error); fusion's next write, no newer,
	// leaves it open, the closure and who reopened it kept
	if _, err := s.ReopenIncident(ctx, "none", "analyst3", "wrong cell", at(60)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("reopening a missing incident: %v, want ErrNotFound", err)
	}
	if got, err = s.Incident(ctx, "i1"); err != nil || got.Continues != "i0" {
		t.Fatalf("before staff reopen it: %+v, %v; want it continuing i0", got, err)
	}
	if got, err = s.ReopenIncident(ctx, "i1", "analyst3", "wrong cell", at(60)); err != nil || got.State != store.IncidentOpen || got.ReopenedBy != "analyst3" ||
		got.ReopenedNS != at(60).UnixNano() || got.ClosedBy != "analyst2" || got.Outcome != "not_found" || got.Continues != "" {
		t.Fatalf("ReopenIncident = %+v, %v; want it continuing none", got, err)
	}
	if _, err := s.ReopenIncident(ctx, "i1", "analyst3", "wrong cell", at(61)); !errors.Is(err, store.ErrOpen) {
		t.Errorf("reopening an open incident: %v, want ErrOpen", err)
	}
	if err := s.UpsertIncident(ctx, inc); err != nil { // UpdatedNS 40
		t.Fatal(err)
	}
	if got, err = s.Incident(ctx, "i1"); err != nil || got.State != store.IncidentOpen || got.ReopenedBy != "analyst3" || got.UpdatedNS != at(60).UnixNano() || got.Continues != "" {
		t.Errorf("fusion's write after a reopening: %+v, %v; want open, reopened by analyst3, updated at 60 s, continuing none", got, err)
	}
	// closed again with another outcome; then a new alert reopens it, and
	// the reopening is the alert's, nobody's
	if got, err = s.CloseIncident(ctx, "i1", "analyst3", "found", "in the next cell", at(70)); err != nil || got.State != store.IncidentClosed {
		t.Fatalf("closing again: %+v, %v", got, err)
	}
	inc.Alerts, inc.UpdatedNS = append(inc.Alerts, "a3"), at(80).UnixNano()
	if err := s.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	if got, err = s.Incident(ctx, "i1"); err != nil || got.State != store.IncidentOpen || got.ReopenedNS != at(80).UnixNano() || got.ReopenedBy != "" || got.Outcome != "found" {
		t.Errorf("a new alert after the second closure: %+v, %v; want open, reopened at 80 s by no one", got, err)
	}
}

// TestSQLiteIncidentHistory: an incident closed, reopened with a reason
// and closed again with another outcome keeps every step, oldest first
// (the closure fields hold only the latest); fusion's writes, which know
// nothing of it, keep it; and a new alert joining the closed case adds a
// reopening by fusion naming the alert.
func TestSQLiteIncidentHistory(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	at := func(s int) time.Time { return time.Unix(1_800_000_000+int64(s), 0) }
	inc := store.Incident{ID: "i1", Site: "site1", Kind: "illicit_phone", State: store.IncidentOpen, OpenedNS: at(0).UnixNano(), UpdatedNS: at(10).UnixNano(), Alerts: []string{"a1"}}
	if err := s.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CloseIncident(ctx, "i1", "analyst1", "not_found", "cell 12 searched", at(20)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReopenIncidentWith(ctx, "i1", "analyst2", "wrong cell searched", at(30), store.IncidentOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CloseIncidentWith(ctx, "i1", "analyst2", "found", "phone in cell 14", at(40), store.IncidentOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []store.IncidentChange{
		{AtNS: at(20).UnixNano(), By: "analyst1", Action: store.IncidentClosed, Outcome: "not_found", Note: "cell 12 searched"},
		{AtNS: at(30).UnixNano(), By: "analyst2", Action: store.IncidentReopened, Note: "wrong cell searched"},
		{AtNS: at(40).UnixNano(), By: "analyst2", Action: store.IncidentClosed, Outcome: "found", Note: "phone in cell 14"},
	}
	got, err := s.Incident(ctx, "i1")
	if err != nil || !reflect.DeepEqual(got.History, want) || got.Outcome != "found" || got.Note != "phone in cell 14" {
		t.Fatalf("after close, reopen, close: %+v, %v\nwant history %+v and the latest closure", got, err, want)
	}
	// fusion's write of the case, older and without a history, keeps it
	if err := s.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	if got, err = s.Incident(ctx, "i1"); err != nil || !reflect.DeepEqual(got.History, want) {
		t.Errorf("after fusion's older write: history %+v, %v; want %+v", got.History, err, want)
	}
	// a new alert joins the closed case: reopened by fusion, naming it
	inc.Alerts, inc.UpdatedNS = append(inc.Alerts, "a2"), at(50).UnixNano()
	if err := s.UpsertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	want = append(want, store.IncidentChange{AtNS: at(50).UnixNano(), By: "fusion", Action: store.IncidentReopened, Note: "new alert joined: a2"})
	if got, err = s.Incident(ctx, "i1"); err != nil || got.State != store.IncidentOpen || !reflect.DeepEqual(got.History, want) {
		t.Errorf("after a new alert joined: %+v, %v\nwant open, history %+v", got, err, want)
	}
	// fusion's next write (a stale copy holding a shorter history) keeps it
	stale := inc
	stale.UpdatedNS, stale.History = at(60).UnixNano(), want[:1]
	if err := s.UpsertIncident(ctx, stale); err != nil {
		t.Fatal(err)
	}
	if got, err = s.Incident(ctx, "i1"); err != nil || !reflect.DeepEqual(got.History, want) {
		t.Errorf("after fusion's next write: history %+v, %v; want %+v", got.History, err, want)
	}
}

// TestSQLiteMaintenance: a sensor's maintenance window is listed while it
// lasts, replaced by a new one, ended early, and refused when malformed.
func TestSQLiteMaintenance(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	at := func(min int) time.Time { return time.Unix(1_800_000_000+int64(min)*60, 0) }
	list := func(when time.Time) string {
		t.Helper()
		ms, err := s.Maintenance(ctx, "site1", when)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%s until %d by %s (%s)", m.Sensor, (m.UntilNS-at(0).UnixNano())/int64(time.Minute), m.By, m.Reason))
		}
		return strings.Join(out, "; ")
	}
	for _, m := range []store.Maintenance{
		{Site: "site1", Sensor: "s4", FromNS: at(0).UnixNano(), UntilNS: at(60).UnixNano(), By: "admin", Reason: "new antenna"},
		{Site: "site1", Sensor: "s2", FromNS: at(0).UnixNano(), UntilNS: at(30).UnixNano(), By: "admin", Reason: "power cut"},
		{Site: "site2", Sensor: "s4", FromNS: at(0).UnixNano(), UntilNS: at(90).UnixNano(), By: "admin", Reason: "other site"},
	} {
		if err := s.SetMaintenance(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := list(at(10)), "s2 until 30 by admin (power cut); s4 until 60 by admin (new antenna)"; got != want {
		t.Errorf("at 10 min: %q, want %q", got, want)
	}
	if got, want := list(at(30)), "s4 until 60 by admin (new antenna)"; got != want {
		t.Errorf("at 30 min (s2's window over): %q, want %q", got, want)
	}
	if err := s.SetMaintenance(ctx, store.Maintenance{Site: "site1", Sensor: "s4", FromNS: at(40).UnixNano(), UntilNS: at(120).UnixNano(), By: "eng", Reason: "longer"}); err != nil {
		t.Fatal(err)
	}
	if got, want := list(at(40)), "s4 until 120 by eng (longer)"; got != want {
		t.Errorf("after replacing s4's window: %q, want %q", got, want)
	}
	if err := s.EndMaintenance(ctx, "site1", "s4", at(50)); err != nil {
		t.Fatal(err)
	}
	if got := list(at(50)); got != "" {
		t.Errorf("after ending s4's window: %q, want none", got)
	}
	if err := s.EndMaintenance(ctx, "site1", "s2", at(50)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ending a window already over: %v, want ErrNotFound", err)
	}
	if got, want := func() string { ms, _ := s.Maintenance(ctx, "site2", at(50)); return ms[0].Reason }(), "other site"; got != want {
		t.Errorf("site2's window: %q, want %q", got, want)
	}
	if err := s.SetMaintenance(ctx, store.Maintenance{Site: "site1", Sensor: "s1", FromNS: at(10).UnixNano(), UntilNS: at(10).UnixNano(), By: "admin"}); err == nil {
		t.Error("a window that ends as it starts was stored")
	}
}

// BenchmarkSQLiteCommit measures the small durable transactions of a live
// site: a batch of 20 detections (about a second of a busy wing) and an
// audit entry.
func BenchmarkSQLiteCommit(b *testing.B) {
	ctx := context.Background()
	s := openSQLite(b)
	b.Run("detections20", func(b *testing.B) {
		recs := make([]store.DetectionRecord, 20)
		i := 0
		for b.Loop() {
			for k := range recs {
				recs[k] = storetest.Detection("site1", fmt.Sprintf("d%09d", i), storetest.Base.Add(time.Duration(i)*time.Millisecond), "R001", false)
				i++
			}
			if err := s.WriteDetections(ctx, recs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("audit", func(b *testing.B) {
		i := int64(0)
		for b.Loop() {
			i++
			if err := s.Audit(ctx, store.AuditEntry{TimeNS: i, User: "officer", Action: "alert.ack", Object: "alert/a1"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSQLiteDurable: every connection of the pool commits durably
// (synchronous=FULL with WAL), so an acknowledgement or audit entry the
// dashboard confirmed survives a power cut; NORMAL may roll back the last
// commits.
func TestSQLiteDurable(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	conns := make([]*sql.Conn, 3) // held at once: three connections of the pool
	for i := range conns {
		c, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	for i, c := range conns {
		var mode string
		var sync int
		if err := c.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || sync != 2 {
			t.Errorf("connection %d: journal_mode %s, synchronous %d; want wal and 2 (FULL)", i, mode, sync)
		}
	}
}

// TestSQLiteWindowUntil: alerts and incidents are chosen by the time they
// were last updated, from Since (inclusive) to Until (exclusive), so a
// report for a past month takes that month and nothing after it.
func TestSQLiteWindowUntil(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	for _, d := range []int{1, 15, 30} {
		id := fmt.Sprint("d", d)
		at := day(d).Add(time.Hour).UnixNano()
		if err := s.UpsertAlert(ctx, event.Alert{Schema: 1, ID: id, Site: "site1", State: event.AlertFiring, ActiveNS: at, UpdatedNS: at}); err != nil {
			t.Fatal(err)
		}
		if err := s.UpsertIncident(ctx, store.Incident{ID: id, Site: "site1", State: store.IncidentOpen, OpenedNS: at, UpdatedNS: at}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		since, until time.Time
		want         []string
	}{
		{day(1), day(30), []string{"d15", "d1"}},
		{day(2), time.Time{}, []string{"d30", "d15"}},
		{time.Time{}, day(15).Add(time.Hour), []string{"d1"}},
		{time.Time{}, time.Time{}, []string{"d30", "d15", "d1"}},
		{day(16), day(30), nil},
	}
	for _, tc := range tests {
		as, err := s.Alerts(ctx, store.AlertFilter{Site: "site1", Since: tc.since, Until: tc.until})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range as {
			got = append(got, a.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("alerts %v..%v: %v, want %v", tc.since, tc.until, got, tc.want)
		}
		incs, err := s.Incidents(ctx, store.IncidentFilter{Site: "site1", Since: tc.since, Until: tc.until})
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		for _, i := range incs {
			got = append(got, i.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("incidents %v..%v: %v, want %v", tc.since, tc.until, got, tc.want)
		}
	}
}

// TestSQLiteOpenAlertsIndexed: the dashboard's alert list asks for a
// site's pending and firing alerts at every load, whatever their age; the
// query uses an index on the state, not a scan of every alert ever stored.
func TestSQLiteOpenAlertsIndexed(t *testing.T) {
	s := openSQLite(t)
	got := queryPlan(t, s, `SELECT body FROM alert WHERE site = ? AND state = ? ORDER BY updated_ns DESC, id LIMIT ?`, "site1", "firing", 100000)
	if !strings.Contains(got, "alert_site_state") {
		t.Errorf("query plan %q; want it to use index alert_site_state", got)
	}
}

// TestSQLiteWritesWaitForOtherWriters: fusion and the dashboard write one
// file. A write that reads first (an alert upsert keeps the newer ack, an
// ack reads the alert) must wait for the other process's write, as the
// busy timeout promises, not fail with SQLITE_BUSY: a deferred transaction
// that has read is refused its upgrade to a write without waiting, and the
// alert was lost (27 of 50 upserts failed against a writer holding the
// lock 20 ms in every 40 ms).
func TestSQLiteWritesWaitForOtherWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rfw.db")
	s, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	base := storetest.Base
	if err := s.UpsertAlert(ctx, event.Alert{Schema: 1, ID: "a0", Site: "site1", State: event.AlertFiring, ActiveNS: base.UnixNano(), UpdatedNS: base.UnixNano()}); err != nil {
		t.Fatal(err)
	}

	// The other process: a write holding the lock 20 ms in every 40 ms.
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			conn, err := other.DB().Conn(ctx)
			if err != nil {
				return err
			}
			defer conn.Close()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return nil
				default:
				}
				if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
					return fmt.Errorf("other writer: %w", err)
				}
				if _, err := conn.ExecContext(ctx, `INSERT INTO audit (time_ns, user, action, object, before, after) VALUES (?, 'x', 'test', 'o', '', '')`, i); err != nil {
					conn.ExecContext(ctx, `ROLLBACK`)
					return fmt.Errorf("other writer: %w", err)
				}
				time.Sleep(20 * time.Millisecond)
				if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
					return fmt.Errorf("other writer: %w", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}()

	var failed []error
	for i := range 40 {
		at := base.Add(time.Duration(i+1) * time.Second).UnixNano()
		id := fmt.Sprintf("a%d", i%4)
		if err := s.UpsertAlert(ctx, event.Alert{Schema: 1, ID: id, Site: "site1", State: event.AlertFiring, ActiveNS: base.UnixNano(), UpdatedNS: at}); err != nil {
			failed = append(failed, fmt.Errorf("upsert %d: %w", i, err))
		}
		if _, err := s.Ack(ctx, "a0", "officer1", "searching", time.Unix(0, at)); err != nil {
			failed = append(failed, fmt.Errorf("ack %d: %w", i, err))
		}
		if err := s.UpsertIncident(ctx, store.Incident{ID: "i1", Site: "site1", Kind: "drone_drop", State: store.IncidentOpen, OpenedNS: base.UnixNano(), UpdatedNS: at, Alerts: []string{id}}); err != nil {
			failed = append(failed, fmt.Errorf("incident %d: %w", i, err))
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(failed) > 0 {
		t.Fatalf("%d of 120 writes failed while another process wrote; first: %v", len(failed), failed[0])
	}
}

// TestSQLiteAckWith: a bulk acknowledgement read an alert unacknowledged,
// then Ack overwrote the acknowledgement someone made meanwhile, though
// docs/alerts.md promises it stands. AckWith with Unacked applies only
// to an alert nobody has acknowledged, in one transaction, else returns
// ErrAlreadyAcked with the alert as it stands; with Audit it writes the
// audit row in that transaction: an acknowledgement whose row cannot be
// written is not stored, and one refused writes no row.
func TestSQLiteAckWith(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	base := storetest.Base
	for _, id := range []string{"open", "acked", "noaudit"} {
		a := event.Alert{Schema: 1, ID: id, Site: "site1", Rule: "unauthorised_uplink", Severity: event.SeverityCritical,
			State: event.AlertFiring, Room: "B2-14", Zone: "B", ActiveNS: base.UnixNano(), UpdatedNS: base.UnixNano()}
		if err := s.UpsertAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Ack(ctx, "acked", "officer2", "on my way", base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	entry := func(id string) *store.AuditEntry {
		return &store.AuditEntry{User: "officer1", Action: "alert.ack", Object: "alert/" + id, After: "wing searched"}
	}
	unacked := func(id string) store.AckOptions { return store.AckOptions{Unacked: true, Audit: entry(id)} }
	at := base.Add(2 * time.Minute)

	got, err := s.AckWith(ctx, "open", "officer1", "wing searched", at, unacked("open"))
	if err != nil || got.AckBy != "officer1" || got.AckNS != at.UnixNano() {
		t.Errorf("AckWith unacked alert: %+v, %v; want acknowledged by officer1", got, err)
	}
	got, err = s.AckWith(ctx, "acked", "officer1", "wing searched", at, unacked("acked"))
	if !errors.Is(err, store.ErrAlreadyAcked) || got.AckBy != "officer2" || got.AckNote != "on my way" {
		t.Errorf("AckWith acknowledged alert: %+v, %v; want ErrAlreadyAcked and officer2's acknowledgement", got, err)
	}
	if stored, _ := s.Alert(ctx, "acked"); stored.AckBy != "officer2" || stored.AckNote != "on my way" {
		t.Errorf("stored after a refused AckWith: %+v, want officer2's acknowledgement standing", stored)
	}
	if _, err := s.AckWith(ctx, "nope", "officer1", "", at, unacked("nope")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AckWith unknown alert: %v, want ErrNotFound", err)
	}
	// without Unacked a second acknowledgement replaces the first, as Ack
	if got, err := s.AckWith(ctx, "acked", "officer3", "again", at, store.AckOptions{Audit: entry("acked")}); err != nil || got.AckBy != "officer3" {
		t.Errorf("AckWith replacing: %+v, %v; want officer3's", got, err)
	}
	// an audit row that cannot be written takes the acknowledgement with it
	if _, err := s.DB().ExecContext(ctx, `CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit refused'); END`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AckWith(ctx, "noaudit", "officer1", "wing searched", at, unacked("noaudit")); err == nil || !strings.Contains(err.Error(), "audit refused") {
		t.Errorf("AckWith with the audit failing: %v, want the audit's error", err)
	}
	if stored, _ := s.Alert(ctx, "noaudit"); stored.AckNS != 0 {
		t.Errorf("acknowledged without its audit row: %+v", stored)
	}
	if _, err := s.DB().ExecContext(ctx, `DROP TRIGGER no_audit`); err != nil {
		t.Fatal(err)
	}
	log, err := s.AuditLog(ctx, store.AuditFilter{Prefix: "alert.ack"})
	if err != nil {
		t.Fatal(err)
	}
	var objs []string
	for _, e := range log {
		objs = append(objs, e.Object)
	}
	slices.Sort(objs)
	if want := []string{"alert/acked", "alert/open"}; !slices.Equal(objs, want) {
		t.Errorf("audited %v, want %v (the refused and the failed ones not)", objs, want)
	}
}

// TestSQLiteStoreLastFix: StoreLastFix sets an open alert's last fix,
// later ones only, and nothing else of it (not its updated_ns, nor the
// acknowledgement a dashboard stored meanwhile); a resolved alert, or one
// not stored, is left as it is. An alert stored without one (by a
// version before it, or a row written so) reads with none.
func TestSQLiteStoreLastFix(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	base := storetest.Base
	a := event.Alert{Schema: 1, ID: "d1", Site: "site1", Rule: "drone", Severity: event.SeverityCritical,
		State: event.AlertFiring, Room: "yard", ActiveNS: base.UnixNano(), UpdatedNS: base.Add(time.Second).UnixNano(), Band: "5.8 GHz SRD"}
	if err := s.UpsertAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Alert(ctx, "d1"); err != nil || got.LastFixNS != 0 || got.Band != "5.8 GHz SRD" {
		t.Fatalf("stored with no last fix: %+v, %v", got, err)
	}
	if _, err := s.Ack(ctx, "d1", "officer1", "yard searched", base.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []int64{base.Add(90 * time.Second).UnixNano(), base.Add(60 * time.Second).UnixNano()} {
		if err := s.StoreLastFix(ctx, "d1", ns); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Alert(ctx, "d1")
	if err != nil {
		t.Fatal(err)
	}
	if got.LastFixNS != base.Add(90*time.Second).UnixNano() || got.UpdatedNS != a.UpdatedNS || got.AckBy != "officer1" || got.Band != a.Band {
		t.Errorf("after StoreLastFix at 90 s, then 60 s: %+v; want the last fix at 90 s, updated_ns and acknowledgement as they were", got)
	}
	if open, err := s.Alerts(ctx, store.AlertFilter{Site: "site1", State: event.AlertFiring}); err != nil || len(open) != 1 || open[0].LastFixNS != got.LastFixNS {
		t.Errorf("Alerts: %+v, %v; want d1 with its last fix", open, err)
	}
	a.State, a.UpdatedNS, a.LastFixNS = event.AlertResolved, base.Add(100*time.Second).UnixNano(), base.Add(95*time.Second).UnixNano()
	if err := s.UpsertAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLastFix(ctx, "d1", base.Add(120*time.Second).UnixNano()); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLastFix(ctx, "none", base.Add(120*time.Second).UnixNano()); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Alert(ctx, "d1"); err != nil || got.LastFixNS != a.LastFixNS {
		t.Errorf("resolved, then StoreLastFix: %+v, %v; want its resolution's last fix kept", got, err)
	}
	if _, err := s.Alert(ctx, "none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an alert not stored after StoreLastFix: %v, want ErrNotFound", err)
	}
}

// TestSQLiteIncidentsByState: IncidentFilter.State keeps the open or the
// closed incidents, newest first, an open one however old; none keeps
// both, and another state is refused. The dashboard's ?state=open read
// every incident kept and kept the open ones itself.
func TestSQLiteIncidentsByState(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	for i, id := range []string{"old-open", "closed", "other-site", "new-open"} {
		site := "site1"
		if id == "other-site" {
			site = "site2"
		}
		if err := s.UpsertIncident(ctx, store.Incident{ID: id, Site: site, Kind: "illicit_phone", State: store.IncidentOpen, OpenedNS: int64(i + 1), UpdatedNS: int64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CloseIncident(ctx, "closed", "analyst", store.IncidentOutcomes[0], "", time.Unix(0, 5)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		site, state string
		since       time.Time
		want        string
	}{
		{"site1", store.IncidentOpen, time.Time{}, "new-open old-open"},
		{"site1", store.IncidentOpen, time.Unix(0, 3), "new-open"},
		{"site1", store.IncidentClosed, time.Time{}, "closed"},
		{"site1", "", time.Time{}, "closed new-open old-open"}, // closed at 5
		{"", store.IncidentOpen, time.Time{}, "new-open other-site old-open"},
	} {
		incs, err := s.Incidents(ctx, store.IncidentFilter{Site: tc.site, State: tc.state, Since: tc.since})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, i := range incs {
			got = append(got, i.ID)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("site %q state %q since %v: %v, want %s", tc.site, tc.state, tc.since, got, tc.want)
		}
	}
	if _, err := s.Incidents(ctx, store.IncidentFilter{Site: "site1", State: "firing"}); err == nil || !strings.Contains(err.Error(), `state "firing"`) {
		t.Errorf("state firing: %v, want refused, naming it", err)
	}
}

// TestSQLiteCount: CountAlerts and CountIncidents count what Alerts and
// Incidents return for a filter, up to its Limit.
func TestSQLiteCount(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	for i := range 5 {
		a := event.Alert{Schema: 1, ID: fmt.Sprint("a", i), Site: "site1", Rule: "r", Severity: event.SeverityCritical, State: event.AlertFiring, UpdatedNS: int64(i + 1)}
		if err := s.UpsertAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := s.UpsertIncident(ctx, store.Incident{ID: fmt.Sprint("i", i), Site: "site1", State: store.IncidentOpen, UpdatedNS: int64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name  string
		since time.Time
		limit int
		want  int
	}{
		{"all", time.Time{}, 0, 5},
		{"since 3", time.Unix(0, 3), 0, 3},
		{"up to 4", time.Time{}, 4, 4},
	} {
		na, err := s.CountAlerts(ctx, store.AlertFilter{Site: "site1", Since: tc.since, Limit: tc.limit})
		if err != nil {
			t.Fatal(err)
		}
		ni, err := s.CountIncidents(ctx, store.IncidentFilter{Site: "site1", Since: tc.since, Limit: tc.limit})
		if err != nil {
			t.Fatal(err)
		}
		if na != tc.want || ni != tc.want {
			t.Errorf("%s: %d alerts, %d incidents, want %d of each", tc.name, na, ni, tc.want)
		}
	}
	if n, err := s.CountIncidents(ctx, store.IncidentFilter{Site: "site1", State: store.IncidentClosed}); n != 0 || err != nil {
		t.Errorf("closed incidents: %d, %v, want 0", n, err)
	}
}
