package dashboard

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite"
)

// testNow is the fixed clock of every test.
var testNow = time.Date(2026, 11, 24, 10, 30, 0, 0, time.UTC)

type fakeTS struct {
	store.TimeSeries // unused write methods panic if called
	mu               sync.Mutex
	dets             []store.DetectionRecord
	locs             []store.LocationRecord
	cells            []store.HeatCell
	health           []event.Health
}

func (f *fakeTS) Heatmap(_ context.Context, _ string, from, to time.Time, _ store.HeatKind) ([]store.HeatCell, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.HeatCell
	for _, c := range f.cells {
		if !c.Start.Before(from.Truncate(store.HeatBucket)) && c.Start.Before(to) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeTS) Detections(_ context.Context, _ string, from, to time.Time, _ int) ([]store.DetectionRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.DetectionRecord
	for _, d := range f.dets {
		if d.TimeNS >= from.UnixNano() && d.TimeNS < to.UnixNano() {
			out = append(out, d)
		}
	}
	return out, nil
}

// Locations returns the fixes in [from, to), newest first, at most limit,
// as the stores do.
func (f *fakeTS) Locations(_ context.Context, _ string, from, to time.Time, limit int) ([]store.LocationRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.LocationRecord
	for _, l := range f.locs {
		if l.TimeNS >= from.UnixNano() && l.TimeNS < to.UnixNano() {
			out = append(out, l)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].TimeNS > out[j].TimeNS })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (f *fakeTS) HealthSeries(_ context.Context, _, sensor string, _, _ time.Time) ([]event.Health, error) {
	var out []event.Health
	for _, h := range f.health {
		if h.Sensor == sensor {
			out = append(out, h)
		}
	}
	return out, nil
}

type fakeAlerts struct {
	mu        sync.Mutex
	alerts    map[string]event.Alert
	incidents map[string]store.Incident
	// incidentReads are the filters Incidents was called with
	incidentReads []store.IncidentFilter
}

func (f *fakeAlerts) UpsertAlert(_ context.Context, a event.Alert) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alerts[a.ID] = a
	return nil
}

func (f *fakeAlerts) Alert(_ context.Context, id string) (event.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.alerts[id]
	if !ok {
		return a, fmt.Errorf("alert %q: %w", id, store.ErrNotFound) // as store.SQLite says it
	}
	return a, nil
}

func (f *fakeAlerts) Alerts(_ context.Context, fl store.AlertFilter) ([]event.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []event.Alert
	for _, a := range f.alerts {
		if (fl.Zone == "" || a.Zone == fl.Zone) && (fl.Rule == "" || a.Rule == fl.Rule) && (!fl.Unacked || a.AckBy == "") && (fl.State == "" || a.State == fl.State) &&
			(fl.Severity == "" || a.Severity == fl.Severity) &&
			inWindow(a.UpdatedNS, fl.Since, fl.Until) {
			out = append(out, a)
		}
	}
	// most recently updated first, then by ID, as the stores return them
	sort.Slice(out, func(i, j int) bool {
		if out[i].UpdatedNS != out[j].UpdatedNS {
			return out[i].UpdatedNS > out[j].UpdatedNS
		}
		return out[i].ID < out[j].ID
	})
	return out[:min(len(out), fakeLimit(fl.Limit))], nil
}

// fakeLimit is the most rows a query with limit returns, as the stores
// clamp it (store.SQLite: 100000 for none or more).
func fakeLimit(limit int) int {
	if limit <= 0 || limit > 100000 {
		return 100000
	}
	return limit
}

func (f *fakeAlerts) Ack(_ context.Context, id, user, note string, at time.Time) (event.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.alerts[id]
	if !ok {
		return a, fmt.Errorf("alert %q: %w", id, store.ErrNotFound) // as store.SQLite says it
	}
	a.AckBy, a.AckNote, a.AckNS = user, note, at.UnixNano()
	f.alerts[id] = a
	return a, nil
}

func (f *fakeAlerts) UpsertIncident(_ context.Context, inc store.Incident) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.incidents[inc.ID] = inc
	return nil
}

func (f *fakeAlerts) CloseIncident(_ context.Context, id, user, outcome, note string, at time.Time) (store.Incident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.incidents[id]
	switch {
	case !ok:
		return i, store.ErrNotFound
	case i.State == store.IncidentClosed:
		return i, store.ErrClosed
	}
	i.State, i.ClosedBy, i.Outcome, i.Note, i.ClosedNS = store.IncidentClosed, user, outcome, note, at.UnixNano()
	i.UpdatedNS = max(i.UpdatedNS, i.ClosedNS)
	i.History = append(slices.Clip(i.History), store.IncidentChange{AtNS: i.ClosedNS, By: user, Action: store.IncidentClosed, Outcome: outcome, Note: note})
	f.incidents[id] = i
	return i, nil
}

func (f *fakeAlerts) ReopenIncident(_ context.Context, id, user, note string, at time.Time) (store.Incident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.incidents[id]
	switch {
	case !ok:
		return i, store.ErrNotFound
	case i.State != store.IncidentClosed:
		return i, store.ErrOpen
	}
	i.State, i.ReopenedBy, i.ReopenedNS = store.IncidentOpen, user, at.UnixNano()
	i.UpdatedNS = max(i.UpdatedNS, i.ReopenedNS)
	i.History = append(slices.Clip(i.History), store.IncidentChange{AtNS: i.ReopenedNS, By: user, Action: store.IncidentReopened, Note: note})
	f.incidents[id] = i
	return i, nil
}

func (f *fakeAlerts) Incident(_ context.Context, id string) (store.Incident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.incidents[id]
	if !ok {
		return i, store.ErrNotFound
	}
	return i, nil
}

func (f *fakeAlerts) Incidents(_ context.Context, fl store.IncidentFilter) ([]store.Incident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Incident
	for _, i := range f.incidents {
		if inWindow(i.UpdatedNS, fl.Since, fl.Until) && (fl.State == "" || i.State == fl.State) {
			out = append(out, i)
		}
	}
	f.incidentReads = append(f.incidentReads, fl)
	sort.Slice(out, func(a, b int) bool { return out[a].UpdatedNS > out[b].UpdatedNS })
	return out[:min(len(out), fakeLimit(fl.Limit))], nil
}

// inWindow says whether ns is at or after since and before until, as the
// stores' filters take them (zero: no bound).
func inWindow(ns int64, since, until time.Time) bool {
	return (since.IsZero() || ns >= since.UnixNano()) && (until.IsZero() || ns < until.UnixNano())
}

type fakeAudit struct {
	mu      sync.Mutex
	entries []store.AuditEntry
}

func (f *fakeAudit) Audit(_ context.Context, e store.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	e.ID = int64(len(f.entries) + 1)
	f.entries = append(f.entries, e)
	return nil
}

func (f *fakeAudit) AuditLog(_ context.Context, fl store.AuditFilter) ([]store.AuditEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.AuditEntry
	for _, e := range f.entries {
		if (fl.User == "" || e.User == fl.User) && strings.HasPrefix(e.Action, fl.Prefix) && (fl.Object == "" || e.Object == fl.Object) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeAudit) has(action, object string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.entries {
		if e.Action == action && e.Object == object {
			return true
		}
	}
	return false
}

type fakeRegistry struct {
	mu      sync.Mutex
	entries map[int64]registry.Entry
	next    int64
	audit   *fakeAudit
}

func (f *fakeRegistry) List(context.Context) ([]registry.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []registry.Entry
	for _, e := range f.entries {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (f *fakeRegistry) Get(_ context.Context, id int64) (registry.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[id]
	if !ok {
		return e, store.ErrNotFound
	}
	return e, nil
}

func (f *fakeRegistry) Add(ctx context.Context, e registry.Entry, user string) (registry.Entry, error) {
	if e.Name == "" {
		return e, fmt.Errorf("%w: name: missing", registry.ErrInvalid)
	}
	f.mu.Lock()
	f.next++
	e.ID, e.AddedBy = f.next, user
	f.entries[e.ID] = e
	f.mu.Unlock()
	return e, f.audit.Audit(ctx, store.AuditEntry{User: user, Action: "registry.add", Object: fmt.Sprintf("registry/%d", e.ID)})
}

func (f *fakeRegistry) Update(ctx context.Context, e registry.Entry, user string) (registry.Entry, error) {
	f.mu.Lock()
	if _, ok := f.entries[e.ID]; !ok {
		f.mu.Unlock()
		return e, store.ErrNotFound
	}
	f.entries[e.ID] = e
	f.mu.Unlock()
	return e, f.audit.Audit(ctx, store.AuditEntry{User: user, Action: "registry.update", Object: fmt.Sprintf("registry/%d", e.ID)})
}

func (f *fakeRegistry) Expire(ctx context.Context, id int64, user string, at time.Time) (registry.Entry, error) {
	f.mu.Lock()
	e, ok := f.entries[id]
	if !ok {
		f.mu.Unlock()
		return e, store.ErrNotFound
	}
	e.ValidUntil = at
	f.entries[id] = e
	f.mu.Unlock()
	return e, f.audit.Audit(ctx, store.AuditEntry{User: user, Action: "registry.expire", Object: fmt.Sprintf("registry/%d", id)})
}

func (f *fakeRegistry) Delete(ctx context.Context, id int64, user string) error {
	f.mu.Lock()
	e, ok := f.entries[id]
	if !ok {
		f.mu.Unlock()
		return store.ErrNotFound
	}
	if e.ValidUntil.IsZero() {
		f.mu.Unlock()
		return fmt.Errorf("%w: entry %d has no end", registry.ErrInForce, id)
	}
	delete(f.entries, id)
	f.mu.Unlock()
	return f.audit.Audit(ctx, store.AuditEntry{User: user, Action: "registry.delete", Object: fmt.Sprintf("registry/%d", id)})
}

func (f *fakeRegistry) History(ctx context.Context, id int64) ([]store.AuditEntry, error) {
	return f.audit.AuditLog(ctx, store.AuditFilter{Object: fmt.Sprintf("registry/%d", id), Prefix: "registry."})
}

func (f *fakeRegistry) ImportCSV(ctx context.Context, r io.Reader, user string, _ registry.ImportOptions) (registry.ImportResult, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return registry.ImportResult{}, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 1 || !strings.HasPrefix(lines[0], "name") {
		return registry.ImportResult{}, fmt.Errorf("line 1: header must start with name")
	}
	for _, l := range lines[1:] {
		if _, err := f.Add(ctx, registry.Entry{Name: strings.Split(l, ",")[0]}, user); err != nil {
			return registry.ImportResult{}, err
		}
	}
	return registry.ImportResult{Imported: len(lines) - 1, Added: len(lines) - 1}, nil
}

func (f *fakeRegistry) ExportCSV(_ context.Context, w io.Writer) error {
	es, _ := f.List(context.Background())
	fmt.Fprintln(w, "name")
	for _, e := range es {
		fmt.Fprintln(w, e.Name)
	}
	return nil
}

type fakeZones map[string]string

func (z fakeZones) ZoneStatus(zone string) string {
	if s, ok := z[zone]; ok {
		return s
	}
	return "ok"
}

// fakeReplayer reports the detections whose SNR reaches the threshold.
type fakeReplayer struct{ annotated string }

func (fakeReplayer) Check(string) error { return nil }

func (f fakeReplayer) Replay(_ context.Context, path string, opts ReplayOptions) (ReplayResult, error) {
	all := []ReplayDetection{
		{StartS: 0.1, EndS: 0.3, FreqLowHz: 2.41e9, FreqHighHz: 2.42e9, Class: "droneid", Label: "droneid", PowerDB: -30, SNRDB: 25},
		{StartS: 0.5, EndS: 0.55, FreqLowHz: 2.44e9, FreqHighHz: 2.445e9, Class: "wifi", Label: "wifi", PowerDB: -43, SNRDB: 12},
		{StartS: 0.7, EndS: 0.9, FreqLowHz: 2.43e9, FreqHighHz: 2.435e9, Class: "unknown", Label: "unknown", PowerDB: -49, SNRDB: 4},
	}
	res := ReplayResult{AnnotatedMeta: f.annotated, Spectrogram: Spectrogram{CenterHz: 2.44e9, DurationS: 1, FreqLowHz: 2.4e9, FreqHighHz: 2.48e9},
		Tunings: []ReplayTuning{{CenterHz: 2.44e9, DurationS: 1, Captures: 1}}, AnalysedToS: 1, RecordingS: 1}
	for i := range all { // one tuning, one second: spectrogram height is time
		all[i].TuneCenterHz, all[i].OnSpectrogram, all[i].SpecY0, all[i].SpecY1 = 2.44e9, true, all[i].StartS, all[i].EndS
	}
	if strings.Contains(filepath.Base(path), "snip-") { // an evidence snippet: the sensor said LTE
		note := "the replay did not confirm the sensor's label \"lte uplink\": it found droneid there"
		res.SensorLabels = []SensorLabel{{DetectionID: "d1", Label: "lte uplink", Class: "lte", Link: "uplink", StartS: 0.1, EndS: 0.3,
			Replay: []string{"droneid"}, Note: note}}
		res.Notes = []string{"The" + note[3:] + "."}
	}
	const rows, cols = 100, 160
	for t := 0; t < rows; t++ {
		res.Spectrogram.RowStartS = append(res.Spectrogram.RowStartS, float64(t)/rows)
		row := make([]float32, cols)
		ts := (float64(t) + 0.5) / rows
		for i := range row {
			fz := 2.4e9 + (float64(i)+0.5)/cols*0.08e9
			row[i] = -100 + float32((t*7+i*13)%5) // deterministic noise floor
			for _, d := range all {
				if ts >= d.StartS && ts <= d.EndS && fz >= d.FreqLowHz && fz <= d.FreqHighHz {
					row[i] += float32(d.SNRDB)
				}
			}
		}
		res.Spectrogram.RowsDB = append(res.Spectrogram.RowsDB, row)
	}
	for _, d := range all {
		if d.SNRDB >= opts.ThresholdDB {
			res.Detections = append(res.Detections, d)
		}
	}
	return res, nil
}

func testSite() *site.Site {
	sq := func(x, y, w, h float64) []site.Point {
		return []site.Point{{X: x, Y: y}, {X: x + w, Y: y}, {X: x + w, Y: y + h}, {X: x, Y: y + h}}
	}
	return &site.Site{ID: "hmp1", Name: "HMP Test",
		Floors: []site.Floor{{ID: "g", Name: "Ground"}},
		Rooms: []site.Room{
			{ID: "a-101", Name: "A1-01", Floor: "g", Kind: site.KindCell, Zone: "wing-a", Polygon: sq(0, 0, 3, 4)},
			{ID: "a-102", Name: "A1-02", Floor: "g", Kind: site.KindCell, Zone: "wing-a", Polygon: sq(3, 0, 3, 4)},
			{ID: "a-103", Name: "A1-03", Floor: "g", Kind: site.KindCell, Zone: "wing-a", Polygon: sq(6, 0, 3, 4)},
			{ID: "land-a", Name: "Landing A", Floor: "g", Kind: site.KindLanding, Zone: "wing-a", Polygon: sq(0, 4, 9, 2)},
			{ID: "b-101", Name: "B1-01", Floor: "g", Kind: site.KindCell, Zone: "wing-b", Polygon: sq(0, 6, 3, 4)},
			{ID: "b-102", Name: "B1-02", Floor: "g", Kind: site.KindCell, Zone: "wing-b", Polygon: sq(3, 6, 3, 4)},
			{ID: "yard", Name: "Yard", Floor: "g", Kind: site.KindYard, Zone: "yard", Polygon: sq(9, 0, 6, 10)},
		},
		Sensors: []site.Sensor{{ID: "s1", Floor: "g", Pos: site.Point{X: 1, Y: 5}}, {ID: "s2", Floor: "g", Pos: site.Point{X: 8, Y: 5}}},
	}
}

// fakeMaintenance keeps maintenance windows by site/sensor.
type fakeMaintenance struct {
	mu sync.Mutex
	m  map[string]store.Maintenance
}

func (f *fakeMaintenance) SetMaintenance(_ context.Context, m store.Maintenance) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[m.Site+"/"+m.Sensor] = m
	return nil
}

func (f *fakeMaintenance) EndMaintenance(_ context.Context, site, sensor string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.m[site+"/"+sensor]; !ok || m.UntilNS <= at.UnixNano() {
		return store.ErrNotFound
	}
	delete(f.m, site+"/"+sensor)
	return nil
}

func (f *fakeMaintenance) Maintenance(_ context.Context, site string, at time.Time) ([]store.Maintenance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Maintenance
	for _, m := range f.m {
		if m.Site == site && m.UntilNS > at.UnixNano() {
			out = append(out, m)
		}
	}
	return out, nil
}

// env is a dashboard wired to fakes, with one user per role.
type env struct {
	deps  Deps
	ts    *fakeTS
	al    *fakeAlerts
	audit *fakeAudit
	reg   *fakeRegistry
	maint *fakeMaintenance
}

// memDB is an SQLite database in memory for one test.
func memDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func newEnv(t testing.TB) *env {
	t.Helper()
	users, err := NewUsers(context.Background(), memDB(t), UsersOptions{BcryptCost: bcrypt.MinCost, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{RoleViewer, RoleOfficer, RoleAnalyst, RoleAdmin} {
		if err := users.Create(context.Background(), r, r+"-password", r); err != nil {
			t.Fatal(err)
		}
	}
	ev := &env{ts: &fakeTS{}, al: &fakeAlerts{alerts: map[string]event.Alert{}, incidents: map[string]store.Incident{}}, audit: &fakeAudit{}}
	ev.reg = &fakeRegistry{entries: map[int64]registry.Entry{}, audit: ev.audit}
	ev.maint = &fakeMaintenance{m: map[string]store.Maintenance{}}
	ev.seed()
	dir := t.TempDir()
	ev.deps = Deps{Users: users, Site: testSite(), Hub: NewHub(16), TimeSeries: ev.ts, Alerts: ev.al, Auditor: ev.audit,
		Registry: ev.reg, Zones: fakeZones{"yard": "unknown"}, Maintenance: ev.maint, Replayer: fakeReplayer{}, ReplayDir: dir, SnippetDir: t.TempDir(),
		MaxUpload: 64 << 10, Now: func() time.Time { return testNow },
		AllowedHosts: []string{"example.com"}} // httptest.NewRequest's Host
	return ev
}

// serveAs builds the dashboard on a fresh newEnv and logs in as role
// (its password role+"-password").
func serveAs(t testing.TB, role string) (*echo.Echo, creds) {
	t.Helper()
	e, err := New(newEnv(t).deps)
	if err != nil {
		t.Fatal(err)
	}
	return e, login(t, e, role, role+"-password")
}

// analystWithLog builds the dashboard from ev.deps with its log kept in
// the returned buffer, and logs in as the analyst.
func (ev *env) analystWithLog(t testing.TB) (*echo.Echo, creds, *syncbuf.Buffer) {
	t.Helper()
	logs := new(syncbuf.Buffer)
	ev.deps.Logger = slog.New(slog.NewTextHandler(logs, nil))
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	return e, login(t, e, RoleAnalyst, "analyst-password"), logs
}

func (ev *env) seed() {
	at := testNow.Add(-20 * time.Minute).UnixNano()
	det := func(id, sensor, room string) store.DetectionRecord {
		return store.DetectionRecord{Detection: event.Detection{Schema: 1, ID: id, Site: "hmp1", Sensor: sensor, TimeNS: at, CenterHz: 1747.5e6,
			BandwidthHz: 5e6, PowerDBm: -60, Band: "lte-b3", Link: event.LinkUplink, Class: event.ClassLTE, Snippet: "snip-" + id},
			Floor: "g", Room: room, RoomProb: 0.8}
	}
	ev.ts.dets = []store.DetectionRecord{det("d1", "s1", "a-102"), det("d2", "s2", "a-102"), det("d3", "s1", "b-101")}
	ev.ts.cells = []store.HeatCell{
		{Room: "a-102", Start: testNow.Truncate(time.Hour), Count: 7},
		{Room: "b-101", Start: testNow.Add(-3 * time.Hour).Truncate(time.Hour), Count: 2},
	}
	// newest first, as the stores return them: t1 was in b-101 a minute
	// before its latest fix in a-102
	ev.ts.locs = []store.LocationRecord{{Site: "hmp1", Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, TimeNS: at, Floor: "g",
		Room: "a-102", RoomProb: 0.7, RoomProbs: map[string]float64{"a-102": 0.7, "a-101": 0.2, "land-a": 0.1}, XM: 4.5, YM: 2, SemiMajorM: 1.5, SemiMinorM: 0.8},
		{Site: "hmp1", Track: "t1", Class: event.ClassLTE, Link: event.LinkUplink, TimeNS: at - int64(time.Minute), Floor: "g",
			Room: "b-101", RoomProb: 0.6, XM: 1.5, YM: 8, SemiMajorM: 2, SemiMinorM: 1}}
	ev.ts.health = []event.Health{{Schema: 1, Site: "hmp1", Sensor: "s1", TimeNS: at, State: event.StateOK, NoiseFloorDBm: map[string]float64{"lte-b3": -101}}}
	ev.al.alerts["al1"] = event.Alert{Schema: 1, ID: "al1", Site: "hmp1", Rule: "illicit_phone", Severity: event.SeverityCritical, State: event.AlertFiring,
		Summary: "LTE uplink in cell A1-02", Room: "a-102", Zone: "wing-a", Probability: 0.7, RoomProbs: map[string]float64{"a-102": 0.7},
		Evidence: []string{"d1", "d2"}, ActiveNS: at, UpdatedNS: at}
	ev.al.incidents["inc1"] = store.Incident{ID: "inc1", Site: "hmp1", Kind: "illicit_phone", Summary: "phone in A1-02", State: "open",
		OpenedNS: at, UpdatedNS: at, Alerts: []string{"al1"}, Detections: []string{"d1", "d2"}, Rooms: []string{"a-102"}}
	ev.reg.entries[1] = registry.Entry{ID: 1, Name: "Officer radio", Kind: registry.KindStaffRadio, Signature: registry.Signature{FreqMinHz: 380e6, FreqMaxHz: 400e6}}
	ev.reg.next = 1
}
