package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

func openRegistry(t *testing.T) (*registry.Registry, *store.SQLite) {
	t.Helper()
	s, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r, err := registry.Open(context.Background(), s.DB(), s, registry.Options{Location: time.UTC, Now: testClock})
	if err != nil {
		t.Fatal(err)
	}
	return r, s
}

// Monday 2026-11-23.
var monday = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// testClock is the registry's clock in the tests, a fortnight after
// monday: Expire takes no time after now, whatever the wall clock says.
func testClock() time.Time { return monday.AddDate(0, 0, 14) }

func tabletEntry() registry.Entry {
	return registry.Entry{
		Name: "tablet B2-14", Kind: registry.KindInCellTablet,
		Signature: registry.Signature{Class: event.ClassWiFi, FreqMinHz: 2.400e9, FreqMaxHz: 2.4835e9, BandwidthMaxHz: 25e6},
		Rooms:     []string{"B2-14"},
		Schedule:  []registry.Window{{Weekday: time.Monday, StartMin: 8 * 60, EndMin: 21 * 60}},
		ValidFrom: monday.Add(-24 * time.Hour),
	}
}

func wifiDet(at time.Time) event.Detection {
	return event.Detection{Schema: 1, ID: "x", Site: "s", Sensor: "a", TimeNS: at.UnixNano(), CenterHz: 2.437e9, BandwidthHz: 18e6,
		PowerDBm: -50, Link: event.LinkUnknown, Class: event.ClassWiFi, Confidence: 0.9}
}

func TestMatch(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	e, err := r.Add(ctx, tabletEntry(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	nrDet := wifiDet(monday)
	nrDet.Class, nrDet.CenterHz, nrDet.BandwidthHz = event.ClassNR, 1.95e9, 5e6
	tests := []struct {
		name  string
		d     event.Detection
		room  string
		zones []string
		at    time.Time
		want  bool
	}{
		{"tablet in its cell during its hours", wifiDet(monday.Add(10 * time.Hour)), "B2-14", []string{"B"}, monday.Add(10 * time.Hour), true},
		{"same signature in another wing at 3 am", wifiDet(monday.Add(3 * time.Hour)), "C1-02", []string{"C"}, monday.Add(3 * time.Hour), false},
		{"same cell at 3 am", wifiDet(monday.Add(3 * time.Hour)), "B2-14", []string{"B"}, monday.Add(3 * time.Hour), false},
		{"other cell in hours", wifiDet(monday.Add(10 * time.Hour)), "B2-15", []string{"B"}, monday.Add(10 * time.Hour), false},
		{"phone uplink in the cell", nrDet, "B2-14", []string{"B"}, monday.Add(10 * time.Hour), false},
		{"Tuesday in hours (not scheduled)", wifiDet(monday.Add(34 * time.Hour)), "B2-14", []string{"B"}, monday.Add(34 * time.Hour), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, got := r.Match(tc.d, registry.Place{Room: tc.room, Zones: tc.zones}, tc.at)
			if got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
	// Expired entries stop matching from the expiry time on.
	if _, err := r.Expire(ctx, e.ID, "admin", monday.Add(9*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Match(wifiDet(monday), registry.Place{Room: "B2-14"}, monday.Add(10*time.Hour)); ok {
		t.Error("expired entry still matches")
	}
	if _, ok := r.Match(wifiDet(monday), registry.Place{Room: "B2-14"}, monday.Add(8*time.Hour+30*time.Minute)); !ok {
		t.Error("entry stopped matching before its expiry")
	}
}

func TestOvernightWindow(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	e := tabletEntry()
	e.Schedule = []registry.Window{{Weekday: time.Monday, StartMin: 22 * 60, EndMin: 30 * 60}} // Mon 22:00 - Tue 06:00
	if _, err := r.Add(ctx, e, "admin"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Duration
		want bool
	}{{23 * time.Hour, true}, {29 * time.Hour, true}, {31 * time.Hour, false}, {21 * time.Hour, false}} {
		at := monday.Add(c.at)
		if _, ok := r.Match(wifiDet(at), registry.Place{Room: "B2-14"}, at); ok != c.want {
			t.Errorf("at Mon+%v: match = %v, want %v", c.at, ok, c.want)
		}
	}
}

// TestExpireRules: Expire revokes an entry from a time that is not in the
// future (an end to come is set with valid_until), brings a later end
// forward, and cancels an entry that has not started (it ends at its
// start, which stays). It refuses, with ErrInvalid naming what is wrong, a
// zero or future time, one before the start of an entry already in force
// (that would rewrite what it authorised; valid_from was moved back
// silently), an entry that already ends by then (Expire never extends
// one), and an entry with a problem (fixed by saving it in full). A
// refusal changes and audits nothing.
func TestExpireRules(t *testing.T) {
	ctx := context.Background()
	now := monday.Add(12 * time.Hour)
	start := monday.Add(-24 * time.Hour) // tabletEntry's valid_from
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	tests := []struct {
		name      string
		entry     func(e *registry.Entry)
		broken    bool // stored breaking a rule: the entry has a problem
		twice     bool // expired once at at before the expiry tested
		at        time.Time
		wantErr   []string  // in the error (ErrInvalid); nil: accepted
		wantUntil time.Time // valid_until after, when accepted
	}{
		{name: "now", at: now, wantUntil: now},
		{name: "in the past, after its start", at: monday, wantUntil: monday},
		{name: "at its start", at: start, wantUntil: start},
		{name: "a later end brought forward", entry: func(e *registry.Entry) { e.ValidUntil = now.Add(48 * time.Hour) }, at: now, wantUntil: now},
		{name: "not started: cancelled, ending at its start", entry: func(e *registry.Entry) { e.ValidFrom = now.Add(24 * time.Hour) }, at: now, wantUntil: now.Add(24 * time.Hour)},
		{name: "zero time", at: time.Time{}, wantErr: []string{"no expiry time"}},
		{name: "in the future", at: now.Add(time.Minute), wantErr: []string{"after now", stamp(now), "valid_until"}},
		{name: "far future", at: now.AddDate(100, 0, 0), wantErr: []string{"after now"}},
		{name: "before the start of an entry in force", at: start.Add(-time.Hour), wantErr: []string{"before", stamp(start.Add(-time.Hour)), stamp(start)}},
		{name: "already ended", entry: func(e *registry.Entry) { e.ValidUntil = monday }, at: now, wantErr: []string{"already ends", stamp(monday)}},
		{name: "already ends then", entry: func(e *registry.Entry) { e.ValidUntil = now }, at: now, wantErr: []string{"already ends"}},
		{name: "expired twice", twice: true, at: now, wantErr: []string{"already ends", stamp(now)}},
		{name: "cancelled twice", entry: func(e *registry.Entry) { e.ValidFrom = now.Add(24 * time.Hour) }, twice: true, at: now, wantErr: []string{"already ends"}},
		{name: "with a problem", broken: true, at: now, wantErr: []string{"authorises nothing", "freq_min_hz"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			r, err := registry.Open(ctx, s.DB(), s, registry.Options{Location: time.UTC, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			e := tabletEntry()
			if tc.entry != nil {
				tc.entry(&e)
			}
			e, err = r.Add(ctx, e, "admin")
			if err != nil {
				t.Fatal(err)
			}
			if tc.broken {
				if _, err := s.DB().ExecContext(ctx, `UPDATE registry_entry SET body = json_set(body, '$.signature.freq_min_hz', 0) WHERE id = ?`, e.ID); err != nil {
					t.Fatal(err)
				}
				if _, err := r.Refresh(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if tc.twice {
				if _, err := r.Expire(ctx, e.ID, "admin", tc.at); err != nil {
					t.Fatalf("first Expire: %v", err)
				}
			}
			before, _ := r.Get(ctx, e.ID)
			hist, _ := r.History(ctx, e.ID)
			got, err := r.Expire(ctx, e.ID, "carol", tc.at)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Expire = %v, want accepted", err)
				}
				if !got.ValidUntil.Equal(tc.wantUntil) || !got.ValidFrom.Equal(before.ValidFrom) {
					t.Errorf("valid %s..%s, want %s..%s (valid_from unchanged)", got.ValidFrom, got.ValidUntil, before.ValidFrom, tc.wantUntil)
				}
				if h, _ := r.History(ctx, e.ID); len(h) != len(hist)+1 || h[0].Action != "registry.expire" || h[0].User != "carol" {
					t.Errorf("history %+v; want the expiry audited", h)
				}
				return
			}
			if !errors.Is(err, registry.ErrInvalid) {
				t.Fatalf("Expire = %+v, %v; want ErrInvalid", got, err)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Expire error %q does not say %q", err, w)
				}
			}
			if after, _ := r.Get(ctx, e.ID); !after.ValidFrom.Equal(before.ValidFrom) || !after.ValidUntil.Equal(before.ValidUntil) {
				t.Errorf("refused, yet valid %s..%s, was %s..%s", after.ValidFrom, after.ValidUntil, before.ValidFrom, before.ValidUntil)
			}
			if h, _ := r.History(ctx, e.ID); len(h) != len(hist) {
				t.Errorf("refused, yet audited: %+v", h[0])
			}
		})
	}
}

func TestAuditHistory(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	e, err := r.Add(ctx, tabletEntry(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	e.Name = "tablet B2-14 (replaced)"
	if _, err := r.Update(ctx, e, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Expire(ctx, e.ID, "carol", monday.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	h, err := r.History(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range h {
		got = append(got, a.User+":"+a.Action)
	}
	want := "carol:registry.expire bob:registry.update alice:registry.add"
	if strings.Join(got, " ") != want {
		t.Errorf("history = %v, want %v", got, want)
	}
	if !strings.Contains(h[1].Before, `"tablet B2-14"`) || !strings.Contains(h[1].After, "replaced") {
		t.Errorf("update audit before/after = %q / %q", h[1].Before, h[1].After)
	}
	got2, _ := r.Get(ctx, e.ID)
	if got2.AddedBy != "alice" {
		t.Errorf("AddedBy = %q after update, want alice", got2.AddedBy)
	}
}

// TestUpdateWithoutChange: saving an entry unchanged (the Registry form's
// Save with nothing edited, its times in another zone) writes and audits
// nothing; the audit trail holds real changes only.
func TestUpdateWithoutChange(t *testing.T) {
	ctx := context.Background()
	r, s := openRegistry(t)
	e, err := r.Add(ctx, tabletEntry(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	version := func() (v int64) {
		t.Helper()
		if err := s.DB().QueryRowContext(ctx, `SELECT v FROM registry_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	v := version()
	same := e
	same.AddedBy = "someone else" // kept as stored
	same.ValidFrom = e.ValidFrom.In(time.FixedZone("CET", 3600))
	got, err := r.Update(ctx, same, "bob")
	if err != nil || got.Name != e.Name || !got.ValidFrom.Equal(e.ValidFrom) {
		t.Fatalf("Update = %+v, %v; want the entry as it was", got, err)
	}
	if h, _ := r.History(ctx, e.ID); len(h) != 1 {
		t.Errorf("history %+v; want only the add", h)
	}
	if version() != v {
		t.Error("an update that changed nothing was written")
	}
	same.Notes = "now with a note"
	if _, err := r.Update(ctx, same, "bob"); err != nil {
		t.Fatal(err)
	}
	if h, _ := r.History(ctx, e.ID); len(h) != 2 || h[0].User != "bob" {
		t.Errorf("history %+v; want the real change audited", h)
	}
}

func TestValidate(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	bad := map[string]func(*registry.Entry){
		"empty name":    func(e *registry.Entry) { e.Name = " " },
		"unknown kind":  func(e *registry.Entry) { e.Kind = "toaster" },
		"unknown class": func(e *registry.Entry) { e.Signature.Class = "5g" },
		"inverted freq": func(e *registry.Entry) { e.Signature.FreqMinHz, e.Signature.FreqMaxHz = 2e9, 1e9 },
		// An entry with no band authorised every emission on the site.
		"no band at all":    func(e *registry.Entry) { e.Signature = registry.Signature{}; e.Rooms = nil; e.Schedule = nil },
		"no freq_min_hz":    func(e *registry.Entry) { e.Signature.FreqMinHz = 0 },
		"no freq_max_hz":    func(e *registry.Entry) { e.Signature.FreqMaxHz = 0 },
		"empty band":        func(e *registry.Entry) { e.Signature.FreqMaxHz = e.Signature.FreqMinHz },
		"band over 1 GHz":   func(e *registry.Entry) { e.Signature.FreqMinHz, e.Signature.FreqMaxHz = 1e9, 2.0001e9 },
		"negative freq_min": func(e *registry.Entry) { e.Signature.FreqMinHz = -1 },
		"NaN freq_max":      func(e *registry.Entry) { e.Signature.FreqMaxHz = math.NaN() },
		"infinite freq_max": func(e *registry.Entry) { e.Signature.FreqMaxHz = math.Inf(1) },
		"bad window":        func(e *registry.Entry) { e.Schedule = []registry.Window{{Weekday: 1, StartMin: 600, EndMin: 500}} },
		"until before from": func(e *registry.Entry) { e.ValidUntil = e.ValidFrom.Add(-time.Hour) },
	}
	for name, mut := range bad {
		t.Run(name, func(t *testing.T) {
			e := tabletEntry()
			mut(&e)
			if _, err := r.Add(ctx, e, "admin"); !errors.Is(err, registry.ErrInvalid) {
				t.Errorf("Add = %v, want ErrInvalid", err)
			}
		})
	}
	good := map[string]func(*registry.Entry){
		"tablet":                 func(*registry.Entry) {},
		"whole 5 GHz Wi-Fi band": func(e *registry.Entry) { e.Signature.FreqMinHz, e.Signature.FreqMaxHz = 5.150e9, 5.895e9 },
		"exactly 1 GHz wide":     func(e *registry.Entry) { e.Signature.FreqMinHz, e.Signature.FreqMaxHz = 1e9, 2e9 },
		"narrowband staff radio": func(e *registry.Entry) { e.Signature.FreqMinHz, e.Signature.FreqMaxHz = 390e6, 390.025e6 },
	}
	for name, mut := range good {
		t.Run(name, func(t *testing.T) {
			e := tabletEntry()
			mut(&e)
			if err := e.Validate(); err != nil {
				t.Errorf("Validate = %v, want nil", err)
			}
		})
	}
}

// TestValidateNamesTheField: a missing band is refused naming the field
// to fix.
func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name string
		sig  registry.Signature
		want string
	}{
		{"nothing", registry.Signature{}, "freq_min_hz"},
		{"no max", registry.Signature{FreqMinHz: 2.4e9}, "freq_max_hz"},
		{"too wide", registry.Signature{FreqMinHz: 400e6, FreqMaxHz: 6e9}, "freq_max_hz"},
		// A bound that is NaN or infinite compared false and so bounded
		// nothing: the entry authorised any bandwidth or power.
		{"NaN bandwidth_min_hz", wifiSig(func(s *registry.Signature) { s.BandwidthMinHz = math.NaN() }), "bandwidth_min_hz"},
		{"NaN bandwidth_max_hz", wifiSig(func(s *registry.Signature) { s.BandwidthMaxHz = math.NaN() }), "bandwidth_max_hz"},
		{"infinite bandwidth_min_hz", wifiSig(func(s *registry.Signature) { s.BandwidthMinHz = math.Inf(1) }), "bandwidth_min_hz"},
		{"infinite bandwidth_max_hz", wifiSig(func(s *registry.Signature) { s.BandwidthMaxHz = math.Inf(1) }), "bandwidth_max_hz"},
		{"negative bandwidth_min_hz", wifiSig(func(s *registry.Signature) { s.BandwidthMinHz = -1 }), "bandwidth_min_hz"},
		{"negative bandwidth_max_hz", wifiSig(func(s *registry.Signature) { s.BandwidthMaxHz = -5e6 }), "bandwidth_max_hz"},
		{"bandwidth_max_hz over any detection's", wifiSig(func(s *registry.Signature) { s.BandwidthMaxHz = 2 * event.MaxBandwidthHz }), "bandwidth_max_hz"},
		{"bandwidth_min_hz above bandwidth_max_hz", wifiSig(func(s *registry.Signature) { s.BandwidthMinHz, s.BandwidthMaxHz = 20e6, 10e6 }), "bandwidth_min_hz"},
		{"NaN power_min_dbm", wifiSig(func(s *registry.Signature) { s.PowerMinDBm = ptr(math.NaN()) }), "power_min_dbm"},
		{"NaN power_max_dbm", wifiSig(func(s *registry.Signature) { s.PowerMaxDBm = ptr(math.NaN()) }), "power_max_dbm"},
		{"-Inf power_min_dbm", wifiSig(func(s *registry.Signature) { s.PowerMinDBm = ptr(math.Inf(-1)) }), "power_min_dbm"},
		{"+Inf power_max_dbm", wifiSig(func(s *registry.Signature) { s.PowerMaxDBm = ptr(math.Inf(1)) }), "power_max_dbm"},
		{"power_max_dbm above +100 dBm", wifiSig(func(s *registry.Signature) { s.PowerMaxDBm = ptr(event.MaxPowerDBm + 1) }), "power_max_dbm"},
		{"power_min_dbm below -400 dBm", wifiSig(func(s *registry.Signature) { s.PowerMinDBm = ptr(event.MinPowerDBm - 1) }), "power_min_dbm"},
		{"power_min_dbm above power_max_dbm", wifiSig(func(s *registry.Signature) { s.PowerMinDBm, s.PowerMaxDBm = ptr(-20), ptr(-30) }), "power_min_dbm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := tabletEntry()
			e.Signature = tc.sig
			err := e.Validate()
			if !errors.Is(err, registry.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want ErrInvalid naming %s", err, tc.want)
			}
		})
	}
	// the bounds themselves, and open ones, are fine
	good := map[string]registry.Signature{
		"open bounds":            wifiSig(func(s *registry.Signature) { s.BandwidthMinHz, s.BandwidthMaxHz = 0, 0 }),
		"min only":               wifiSig(func(s *registry.Signature) { s.BandwidthMinHz, s.BandwidthMaxHz = 5e6, 0 }),
		"equal bandwidth bounds": wifiSig(func(s *registry.Signature) { s.BandwidthMinHz, s.BandwidthMaxHz = 20e6, 20e6 }),
		"powers at the limits": wifiSig(func(s *registry.Signature) {
			s.PowerMinDBm, s.PowerMaxDBm = ptr(event.MinPowerDBm), ptr(event.MaxPowerDBm)
		}),
		"equal power bounds": wifiSig(func(s *registry.Signature) { s.PowerMinDBm, s.PowerMaxDBm = ptr(-40), ptr(-40) }),
	}
	for name, sig := range good {
		t.Run(name, func(t *testing.T) {
			e := tabletEntry()
			e.Signature = sig
			if err := e.Validate(); err != nil {
				t.Errorf("Validate = %v, want nil", err)
			}
		})
	}
}

// wifiSig is the tablet's signature changed by f.
func wifiSig(f func(*registry.Signature)) registry.Signature {
	s := tabletEntry().Signature
	f(&s)
	return s
}

func ptr(v float64) *float64 { return &v }

// TestCSVRefusesNonFiniteBounds: JSON cannot carry NaN or infinity, CSV
// can ("NaN", "Inf"); an imported bound like that must be refused naming
// its line and column, not stored as an open bound.
func TestCSVRefusesNonFiniteBounds(t *testing.T) {
	ctx := context.Background()
	head := "id,name,kind,class,freq_min_hz,freq_max_hz,bandwidth_min_hz,bandwidth_max_hz,power_min_dbm,power_max_dbm,rooms,zones,schedule,valid_from,valid_until,added_by,notes\n"
	good := ",radio,staff_radio,,380000000,400000000,,,,,,,,,,,\n"
	cols := []string{"bandwidth_min_hz", "bandwidth_max_hz", "power_min_dbm", "power_max_dbm"}
	for i, col := range cols {
		for _, v := range []string{"NaN", "nan", "Inf", "+Inf", "-Inf", "infinity", "-1e999"} {
			t.Run(col+"="+v, func(t *testing.T) {
				r, _ := openRegistry(t)
				cells := []string{"", "tablet", "in_cell_tablet", "wifi", "2400000000", "2483500000", "", "", "", "", "", "", "", "", "", "", ""}
				cells[6+i] = v
				_, err := r.ImportCSV(ctx, strings.NewReader(head+good+strings.Join(cells, ",")+"\n"), "admin", registry.ImportOptions{})
				if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), col) {
					t.Errorf("import = %v; want an error naming line 3 and %s", err, col)
				}
				if es, _ := r.List(ctx); len(es) != 0 {
					t.Errorf("a bad file imported %d entries: %+v", len(es), es)
				}
			})
		}
	}
}

// TestStoredEntryWithoutBandFailsSafe: an entry stored before the band
// rule (or written by hand) that breaks it is loaded, listed with its
// problem and logged naming it, but authorises nothing; the registry
// still opens and the other entries still match.
func TestStoredEntryWithoutBandFailsSafe(t *testing.T) {
	ctx := context.Background()
	s, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := registry.Open(ctx, s.DB(), s, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	good, err := r.Add(ctx, tabletEntry(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	open, err := r.Add(ctx, namedEntry("tablet B2-15"), "admin")
	if err != nil {
		t.Fatal(err)
	}
	// as an older version stored it: any class, any frequency, anywhere
	if _, err := s.DB().ExecContext(ctx, `UPDATE registry_entry SET body = json_set(body, '$.signature', json('{"class":"","freq_min_hz":0,"freq_max_hz":0}'), '$.rooms', json('[]'), '$.schedule', json('[]')) WHERE id = ?`, open.ID); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	r2, err := registry.Open(ctx, s.DB(), s, registry.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("Open with an entry that breaks the rules: %v (must still start)", err)
	}
	at := monday.Add(10 * time.Hour)
	phone := wifiDet(at)
	phone.Class, phone.CenterHz, phone.BandwidthHz = event.ClassLTE, 1.75e9, 5e6
	if m, ok := r2.Match(phone, registry.Place{Room: "C1-01"}, at); ok {
		t.Errorf("a phone in C1-01 matched entry %d: an entry without a band must authorise nothing", m.ID)
	}
	if m, ok := r2.Match(wifiDet(at), registry.Place{Room: "B2-14"}, at); !ok || m.ID != good.ID {
		t.Errorf("tablet matched %d, %v; want the good entry %d", m.ID, ok, good.ID)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), fmt.Sprintf("id=%d", open.ID)) {
		t.Errorf("log does not name entry %d as an error:\n%s", open.ID, logs.String())
	}
	es, err := r2.List(ctx)
	if err != nil || len(es) != 2 {
		t.Fatalf("List = %d entries, %v; want both listed", len(es), err)
	}
	if es[0].Problem != "" || !strings.Contains(es[1].Problem, "freq_min_hz") {
		t.Errorf("problems %q, %q; want none for the good entry and one naming freq_min_hz", es[0].Problem, es[1].Problem)
	}
	// Fixing it clears the problem.
	fixed := es[1]
	fixed.Signature = tabletEntry().Signature
	fixed.Problem = "typed by a client"
	got, err := r2.Update(ctx, fixed, "admin")
	if err != nil || got.Problem != "" {
		t.Fatalf("Update = %+v, %v; want the fixed entry without a problem", got, err)
	}
	if e, _ := r2.Get(ctx, open.ID); e.Problem != "" {
		t.Errorf("problem %q after the fix", e.Problem)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	e := tabletEntry()
	p := -30.0
	e.Signature.PowerMaxDBm = &p
	e.Zones = []string{"B", "yard"}
	e.Notes = "issued, with comma"
	if _, err := r.Add(ctx, e, "admin"); err != nil {
		t.Fatal(err)
	}
	// free text typed like a formula stays text in a spreadsheet, and
	// comes back as typed
	f := tabletEntry()
	f.Name, f.Notes = "+44 tablet", `=HYPERLINK("http://x","click")`
	if _, err := r.Add(ctx, f, "admin"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.ExportCSV(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `,'+44 tablet,`) || !strings.Contains(buf.String(), `"'=HYPERLINK(""http://x"",""click"")"`) {
		t.Errorf("formula-like cells not neutralised:\n%s", buf.String())
	}
	r2, _ := openRegistry(t)
	res, err := r2.ImportCSV(ctx, bytes.NewReader(buf.Bytes()), "importer", registry.ImportOptions{})
	if err != nil || res.Imported != 2 || res.Added != 2 {
		t.Fatalf("import: %+v err=%v\n%s", res, err, buf.String())
	}
	es, err := r2.List(ctx)
	if err != nil || len(es) != 2 || es[1].Name != f.Name || es[1].Notes != f.Notes {
		t.Errorf("imported %+v, %v; want the second named %q, notes %q", es, err, f.Name, f.Notes)
	}
	var buf2 bytes.Buffer
	if err := r2.ExportCSV(ctx, &buf2); err != nil {
		t.Fatal(err)
	}
	// Only added_by differs (the importer is recorded), and so the
	// revisions, the last column.
	noRevisions := func(s string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			out = append(out, l[:max(strings.LastIndex(l, ","), 0)])
		}
		return strings.Join(out, "\n")
	}
	want := noRevisions(strings.ReplaceAll(buf.String(), ",admin,", ",importer,"))
	if noRevisions(buf2.String()) != want {
		t.Errorf("round trip:\n got %s\nwant %s", noRevisions(buf2.String()), want)
	}
}

func TestCSVErrorsNameTheLine(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	head := "id,name,kind,class,freq_min_hz,freq_max_hz,bandwidth_min_hz,bandwidth_max_hz,power_min_dbm,power_max_dbm,rooms,zones,schedule,valid_from,valid_until,added_by,notes\n"
	good := ",radio,staff_radio,unknown,380000000,400000000,,,,,,,,,,,\n"
	cases := map[string]string{
		"bad number":   head + good + ",radio,staff_radio,,abc,,,,,,,,,,,,\n",
		"bad kind":     head + good + ",radio,walkie,,,,,,,,,,,,,,\n",
		"bad schedule": head + good + ",radio,staff_radio,,380000000,400000000,,,,,,,Funday 1-2,,,,\n",
		"no band":      head + good + ",radio,staff_radio,,,,,,,,,,,,,,\n",
		"bad header":   "name,id\n",
		"short row":    head + ",radio\n",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := r.ImportCSV(ctx, strings.NewReader(in), "u", registry.ImportOptions{})
			if err == nil {
				t.Fatal("import accepted bad CSV")
			}
			if name != "bad header" && name != "short row" && !strings.Contains(err.Error(), "line 3") {
				t.Errorf("error %q does not name line 3", err)
			}
			if es, _ := r.List(ctx); len(es) != 0 {
				t.Errorf("a bad file imported %d entries", len(es))
			}
		})
	}
}

// TestRefreshSeesOtherProcess: fusion and the dashboard each hold a
// Registry over one database file. A change made through one (or by any
// other writer of the table) reaches the other at its next Refresh, which
// reads nothing when nothing changed; an expiry stops the match there.
func TestRefreshSeesOtherProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	open := func() (*registry.Registry, *store.SQLite) {
		s, err := store.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		r, err := registry.Open(ctx, s.DB(), s, registry.Options{Location: time.UTC, Now: testClock})
		if err != nil {
			t.Fatal(err)
		}
		return r, s
	}
	dash, dashDB := open()
	fus, _ := open()
	at := monday.Add(10 * time.Hour)
	refresh := func(want bool) {
		t.Helper()
		got, err := fus.Refresh(ctx)
		if err != nil || got != want {
			t.Fatalf("Refresh = %v, %v; want %v, nil", got, err, want)
		}
	}
	refresh(false)

	e, err := dash.Add(ctx, tabletEntry(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fus.Match(wifiDet(at), registry.Place{Room: "B2-14"}, at); ok {
		t.Fatal("matched before refreshing")
	}
	refresh(true)
	if m, ok := fus.Match(wifiDet(at), registry.Place{Room: "B2-14"}, at); !ok || m.ID != e.ID {
		t.Fatalf("after refresh: match %v %+v", ok, m)
	}
	refresh(false)

	if _, err := dash.Expire(ctx, e.ID, "admin", at.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	refresh(true)
	if _, ok := fus.Match(wifiDet(at), registry.Place{Room: "B2-14"}, at); ok {
		t.Error("an expired entry still matches after refresh")
	}

	// A writer that is not a Registry (an older binary, a hand edit): the
	// table's triggers count its change too.
	if _, err := dashDB.DB().ExecContext(ctx, `UPDATE registry_entry SET body = json_set(body, '$.valid_until', '0001-01-01T00:00:00Z') WHERE id = ?`, e.ID); err != nil {
		t.Fatal(err)
	}
	refresh(true)
	if _, ok := fus.Match(wifiDet(at), registry.Place{Room: "B2-14"}, at); !ok {
		t.Error("the hand-edited entry (no end) does not match after refresh")
	}

	// Fusion's Update sees the dashboard's latest change first, so the
	// audit trail's "before" is what it replaced.
	if _, err := dash.Expire(ctx, e.ID, "admin", at.Add(-2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	upd := tabletEntry()
	upd.ID, upd.Name = e.ID, "tablet B2-14 (renamed)"
	if _, err := fus.Update(ctx, upd, "admin2"); err != nil {
		t.Fatal(err)
	}
	hist, err := fus.History(ctx, e.ID)
	if err != nil || len(hist) == 0 {
		t.Fatalf("history %v %v", hist, err)
	}
	if !strings.Contains(hist[0].Before, at.Add(-2*time.Minute).Format(time.RFC3339)) {
		t.Errorf("update's before %s, want the dashboard's expiry at %s", hist[0].Before, at.Add(-2*time.Minute).Format(time.RFC3339))
	}
}

// corrupt overwrites entry id's stored body with body, as a hand edit or
// a torn write would.
func corrupt(t *testing.T, s *store.SQLite, id int64, body string) {
	t.Helper()
	if _, err := s.DB().ExecContext(context.Background(), `UPDATE registry_entry SET body = ? WHERE id = ?`, body, id); err != nil {
		t.Fatal(err)
	}
}

// TestOpenWithUndecodableRow: one stored entry whose body does not decode
// does not stop fusion or the dashboard starting (Open failed, and both
// refused to start). The registry opens; the row is listed by its ID with
// a problem, so an admin sees it and replaces it, and logged at ERROR
// naming it; it authorises nothing, and the other entries still match.
func TestOpenWithUndecodableRow(t *testing.T) {
	ctx := context.Background()
	at := monday.Add(10 * time.Hour)
	for name, body := range map[string]string{
		"truncated":  `{"name": "tablet`,
		"wrong type": `{"name": 7, "kind": "in_cell_tablet", "signature": {"class": "wifi", "freq_min_hz": 2.4e9, "freq_max_hz": 2.4835e9}}`,
		"not JSON":   `garbage`,
		"empty":      ``,
		"an array":   `[]`,
	} {
		t.Run(name, func(t *testing.T) {
			r, s := openRegistry(t)
			good, err := r.Add(ctx, tabletEntry(), "admin")
			if err != nil {
				t.Fatal(err)
			}
			bad, err := r.Add(ctx, namedEntry("tablet B2-15"), "admin")
			if err != nil {
				t.Fatal(err)
			}
			corrupt(t, s, bad.ID, body)
			var logs bytes.Buffer
			r2, err := registry.Open(ctx, s.DB(), s, registry.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatalf("Open with an undecodable row: %v (must still start)", err)
			}
			es, err := r2.List(ctx)
			if err != nil || len(es) != 2 || es[0].ID != good.ID || es[1].ID != bad.ID {
				t.Fatalf("List = %+v, %v; want entries %d and %d", es, err, good.ID, bad.ID)
			}
			if es[0].Problem != "" || !strings.Contains(es[1].Problem, "does not decode") {
				t.Errorf("problems %q, %q; want none for the good entry, and the bad one's saying it does not decode", es[0].Problem, es[1].Problem)
			}
			if got, err := r2.Get(ctx, bad.ID); err != nil || got.Problem == "" {
				t.Errorf("Get(%d) = %+v, %v; want the entry with its problem", bad.ID, got, err)
			}
			if m, ok := r2.Match(wifiDet(at), registry.Place{Room: "B2-14"}, at); !ok || m.ID != good.ID {
				t.Errorf("tablet matched %d, %v; want the good entry %d", m.ID, ok, good.ID)
			}
			if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), fmt.Sprintf("id=%d", bad.ID)) {
				t.Errorf("log does not name entry %d as an error:\n%s", bad.ID, logs.String())
			}
		})
	}
	// alone, a row that decodes as the tablet's would match if it counted
	r, s := openRegistry(t)
	bad, err := r.Add(ctx, tabletEntry(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	corrupt(t, s, bad.ID, `{"name": 7, "kind": "in_cell_tablet", "signature": {"class": "wifi", "freq_min_hz": 2.4e9, "freq_max_hz": 2.4835e9}, "valid_from": "2026-01-01T00:00:00Z"}`)
	if _, err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if m, ok := r.Match(wifiDet(at), registry.Place{Room: "B2-14"}, at); ok {
		t.Errorf("matched entry %d, whose stored body does not decode: it must authorise nothing", m.ID)
	}
}

// TestRefreshListsBadRows: a reload after another process left a row
// that does not decode lists it with its problem, without an error (the
// database is readable), and loads the rest: one bad row must not freeze
// the copy (a revoked entry would keep matching). The row is logged once,
// not again at each reload, and saving the entry anew fixes it, the audit
// trail keeping the body it replaced.
func TestRefreshListsBadRows(t *testing.T) {
	ctx := context.Background()
	s, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var logs bytes.Buffer
	r, err := registry.Open(ctx, s.DB(), s, registry.Options{Location: time.UTC, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	at := monday.Add(10 * time.Hour)
	good, err := r.Add(ctx, tabletEntry(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	b15 := namedEntry("tablet B2-15")
	b15.Rooms = []string{"B2-15"} // not B2-14, or the two overlap, and the overlap is logged (TestOverlapWarning)
	bad, err := r.Add(ctx, b15, "admin")
	if err != nil {
		t.Fatal(err)
	}
	const torn = `{"name": 7`
	corrupt(t, s, bad.ID, torn)
	if _, err := s.DB().ExecContext(ctx, `UPDATE registry_entry SET body = json_set(body, '$.valid_until', ?) WHERE id = ?`,
		at.Add(-time.Minute).Format(time.RFC3339Nano), good.ID); err != nil {
		t.Fatal(err)
	}
	reloaded, err := r.Refresh(ctx)
	if !reloaded || err != nil {
		t.Fatalf("Refresh = %v, %v; want true, nil", reloaded, err)
	}
	if r.Len() != 2 {
		t.Errorf("%d entries loaded, want both listed", r.Len())
	}
	if e, err := r.Get(ctx, bad.ID); err != nil || !strings.Contains(e.Problem, "does not decode") {
		t.Errorf("Get(%d) = %+v, %v; want its problem", bad.ID, e, err)
	}
	if _, ok := r.Match(wifiDet(at), registry.Place{Room: "B2-14"}, at); ok {
		t.Error("the good entry's expiry, written beside a bad row, was not loaded")
	}
	if reloaded, err := r.Refresh(ctx); reloaded || err != nil {
		t.Errorf("second Refresh = %v, %v; want nothing to do", reloaded, err)
	}
	// another change elsewhere: reloaded again, the bad row not logged again
	if _, err := s.DB().ExecContext(ctx, `UPDATE registry_entry SET body = json_set(body, '$.notes', 'seen') WHERE id = ?`, good.ID); err != nil {
		t.Fatal(err)
	}
	if reloaded, err := r.Refresh(ctx); !reloaded || err != nil {
		t.Fatalf("Refresh after another change = %v, %v; want true, nil", reloaded, err)
	}
	if n := strings.Count(logs.String(), fmt.Sprintf("id=%d", bad.ID)); n != 1 {
		t.Errorf("entry %d logged %d times over two reloads, want once:\n%s", bad.ID, n, logs.String())
	}
	// saved anew: fixed, and the audit trail keeps the torn body it replaced
	fixed := tabletEntry()
	fixed.ID = bad.ID
	if got, err := r.Update(ctx, fixed, "admin"); err != nil || got.Problem != "" {
		t.Fatalf("Update = %+v, %v; want the entry fixed", got, err)
	}
	if e, _ := r.Get(ctx, bad.ID); e.Problem != "" || e.AddedBy != "admin" {
		t.Errorf("problem %q, added by %q after the fix; want none, and the admin who saved it anew (who added the torn row is not known)", e.Problem, e.AddedBy)
	}
	h, err := r.History(ctx, bad.ID)
	if err != nil || len(h) == 0 || h[0].Action != "registry.update" || h[0].Before != torn {
		t.Errorf("history %+v, %v; want the update first, its before the stored body %q", h, err, torn)
	}
}

// TestExpireUndecodableRow: a row that does not decode has no validity
// to end; Expire refuses it (ErrInvalid, naming the entry) and leaves the
// stored body as it was, to be replaced in full.
func TestExpireUndecodableRow(t *testing.T) {
	ctx := context.Background()
	r, s := openRegistry(t)
	bad, err := r.Add(ctx, tabletEntry(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	const torn = `{"name": 7`
	corrupt(t, s, bad.ID, torn)
	if _, err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = r.Expire(ctx, bad.ID, "admin", monday)
	if !errors.Is(err, registry.ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("entry %d", bad.ID)) {
		t.Errorf("Expire = %v, want ErrInvalid naming entry %d", err, bad.ID)
	}
	var body string
	if err := s.DB().QueryRowContext(ctx, `SELECT body FROM registry_entry WHERE id = ?`, bad.ID).Scan(&body); err != nil || body != torn {
		t.Errorf("stored body %q, %v; want it left as it was, %q", body, err, torn)
	}
	if h, _ := r.History(ctx, bad.ID); len(h) != 1 {
		t.Errorf("history %+v; want only the add", h)
	}
}

// TestFollow: Follow refreshes on its own and reports each reload.
func TestFollow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, s := openRegistry(t)
	other, err := registry.Open(ctx, s.DB(), s, registry.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	reloads := make(chan error, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Follow(ctx, 10*time.Millisecond, func(reloaded bool, err error) {
			if reloaded {
				reloads <- err
			}
		})
	}()
	if _, err := other.Add(ctx, tabletEntry(), "admin"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-reloads:
		if err != nil || r.Len() != 1 {
			t.Errorf("reload: %v, %d entries", err, r.Len())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not reload within 10 s")
	}
	cancel()
	<-done
}

// TestRegistryClock: a missing valid_from is the system's clock, not the
// wall clock, and so are the audit trail's times: the demo's clock is in
// the past, and entries added there never took effect while their audit
// entries sorted after everything else.
func TestRegistryClock(t *testing.T) {
	ctx := context.Background()
	s, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	r, err := registry.Open(ctx, s.DB(), s, registry.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	e := tabletEntry()
	e.ValidFrom = time.Time{}
	added, err := r.Add(ctx, e, "admin")
	if err != nil {
		t.Fatal(err)
	}
	head := "id,name,kind,class,freq_min_hz,freq_max_hz,bandwidth_min_hz,bandwidth_max_hz,power_min_dbm,power_max_dbm,rooms,zones,schedule,valid_from,valid_until,added_by,notes\n"
	if _, err := r.ImportCSV(ctx, strings.NewReader(head+",radio,staff_radio,,380000000,400000000,,,,,,,,,,,\n"), "admin", registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	es, _ := r.List(ctx)
	for _, e := range es {
		if !e.ValidFrom.Equal(now) {
			t.Errorf("entry %d %q valid from %s, want the registry's clock %s", e.ID, e.Name, e.ValidFrom, now)
		}
	}
	h, err := r.History(ctx, added.ID)
	if err != nil || len(h) != 1 || h[0].TimeNS != now.UnixNano() {
		t.Errorf("history %+v, %v; want one entry at %s", h, err, now)
	}
}

// TestUnknownPlaces: where the registry knows the site, an entry naming a
// room or zone the site has not is refused, naming them, on add, update
// and import (a typo authorised nothing, and the device raised alarms);
// without a site nothing is checked.
func TestUnknownPlaces(t *testing.T) {
	ctx := context.Background()
	st, err := site.LoadFile("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	head := "id,name,kind,class,freq_min_hz,freq_max_hz,bandwidth_min_hz,bandwidth_max_hz,power_min_dbm,power_max_dbm,rooms,zones,schedule,valid_from,valid_until,added_by,notes\n"
	good := ",radio 1,staff_radio,,380000000,400000000,,,,,B2-03,wing-b,,,,,\n"
	tests := []struct {
		name    string
		site    *site.Site
		rooms   []string
		zones   []string
		csvRow  string
		wantErr string // "" when accepted
	}{
		{name: "known room and zone", site: st, rooms: []string{"B2-14"}, zones: []string{"yard"}, csvRow: ",radio 2,staff_radio,,380000000,400000000,,,,,B2-14,yard,,,,,\n"},
		{name: "unknown room", site: st, rooms: []string{"B2-14", "NO-SUCH-ROOM"}, csvRow: ",radio,staff_radio,,380000000,400000000,,,,,NO-SUCH-ROOM,,,,,,\n", wantErr: `rooms ["NO-SUCH-ROOM"]`},
		{name: "unknown zone", site: st, rooms: []string{"B2-14"}, zones: []string{"wing-z"}, csvRow: ",radio,staff_radio,,380000000,400000000,,,,,,wing-z,,,,,\n", wantErr: `zones ["wing-z"]`},
		{name: "no site, nothing checked", rooms: []string{"NO-SUCH-ROOM"}, csvRow: ",radio,staff_radio,,380000000,400000000,,,,,NO-SUCH-ROOM,,,,,,\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := store.OpenSQLite(filepath.Join(t.TempDir(), "r.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			r, err := registry.Open(ctx, s.DB(), s, registry.Options{Site: tc.site})
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, err error) {
				t.Helper()
				if tc.wantErr == "" && err != nil {
					t.Errorf("%s: %v, want accepted", what, err)
				}
				if tc.wantErr != "" && (!errors.Is(err, registry.ErrInvalid) || !strings.Contains(err.Error(), tc.wantErr)) {
					t.Errorf("%s: %v, want ErrInvalid naming %s", what, err, tc.wantErr)
				}
			}
			e := tabletEntry()
			e.Rooms, e.Zones = tc.rooms, tc.zones
			_, err = r.Add(ctx, e, "admin")
			check("add", err)
			ok, err := r.Add(ctx, tabletEntry(), "admin")
			if err != nil {
				t.Fatal(err)
			}
			e.ID, e.Name = ok.ID, "tablet B2-14 (spare)" // not the first's device again (TestUpdateRefusesLiveDuplicate)
			_, err = r.Update(ctx, e, "admin")
			check("update", err)
			res, err := r.ImportCSV(ctx, strings.NewReader(head+good+tc.csvRow), "admin", registry.ImportOptions{})
			check("import", err)
			if tc.wantErr != "" && (res.Imported != 0 || !strings.Contains(err.Error(), "line 3")) {
				t.Errorf("import: %+v, %v; want none and line 3 named", res, err)
			}
		})
	}
}

// TestMatchRoomProbs: located, a fix authorises an entry in its rooms
// unless the location rules them out: the most likely of its rooms (its
// Rooms, and the rooms of its Zones) must be at least RoomShare times as
// likely as the top room. A tablet of B2-14 placed first in another cell
// by one vague fix stays authorised; one placed confidently elsewhere
// does not.
// floor returns probs with n more rooms (F-01...) at p each, and the
// rest of the probability in room F-00: a fix spread over a floor.
func floor(probs map[string]float64, p float64, n int) map[string]float64 {
	sum := 0.0
	for _, q := range probs {
		sum += q
	}
	for i := 1; i <= n; i++ {
		probs[fmt.Sprintf("F-%02d", i)] = p
		sum += p
	}
	probs["F-00"] = 1 - sum
	return probs
}

func TestMatchRoomProbs(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	tablet := tabletEntry() // rooms B2-14
	if _, err := r.Add(ctx, tablet, "admin"); err != nil {
		t.Fatal(err)
	}
	wing := tabletEntry()
	wing.Name, wing.Rooms, wing.Zones = "kiosk wing C", nil, []string{"C"}
	wing.Signature.FreqMinHz, wing.Signature.FreqMaxHz = 5.15e9, 5.35e9
	if _, err := r.Add(ctx, wing, "admin"); err != nil {
		t.Fatal(err)
	}
	zoneOf := func(room string) string { return room[:1] } // "B2-14" is in zone B
	at := monday.Add(10 * time.Hour)
	kiosk := wifiDet(at)
	kiosk.CenterHz = 5.2e9
	tests := []struct {
		name string
		d    event.Detection
		p    registry.Place
		want bool
	}{
		{name: "registered room on top", d: wifiDet(at), p: registry.Place{Room: "B2-14", RoomProbs: map[string]float64{"B2-14": 0.6, "B2-15": 0.4}}, want: true},
		{name: "confident fix elsewhere (60%, registered 5%)", d: wifiDet(at),
			p: registry.Place{Room: "B2-15", RoomProbs: map[string]float64{"B2-15": 0.6, "B2-13": 0.35, "B2-14": 0.05}}},
		{name: "vague fix: its cell or the one beside it", d: wifiDet(at),
			p: registry.Place{Room: "B2-15", RoomProbs: map[string]float64{"B2-15": 0.45, "B2-14": 0.4, "B2-landing": 0.15}}, want: true},
		{name: "vague fix: its cell or either beside it, some on the landing", d: wifiDet(at),
			p: registry.Place{Room: "B2-13", RoomProbs: map[string]float64{"B2-13": 0.3, "B2-14": 0.28, "B2-15": 0.27, "B2-landing": 0.15}}, want: true},
		{name: "registered room exactly FixShare of the fix", d: wifiDet(at),
			p: registry.Place{Room: "B2-13", RoomProbs: map[string]float64{"B2-13": 0.375, "B2-14": 0.25, "B2-15": 0.375}}, want: true},
		{name: "four rooms alike, registered room under FixShare (two sensors' mirror fix)", d: wifiDet(at),
			p: registry.Place{Room: "B2-13", RoomProbs: map[string]float64{"B2-13": 0.26, "B2-05": 0.26, "B2-14": 0.2, "B2-06": 0.2, "B2-landing": 0.08}}},
		{name: "one sensor: ten cells alike (9% each), registered room among them", d: wifiDet(at),
			p: registry.Place{Room: "B2-09", RoomProbs: map[string]float64{"B2-09": 0.095, "B2-14": 0.09, "B2-01": 0.09, "B2-02": 0.09, "B2-03": 0.09,
				"B2-10": 0.09, "B2-11": 0.09, "B2-12": 0.09, "B2-13": 0.09, "B2-15": 0.09, "B2-landing": 0.095}}},
		{name: "vague fix over the floor (3% each), registered room about as likely", d: wifiDet(at),
			p: registry.Place{Room: "A1-02", RoomProbs: floor(map[string]float64{"A1-02": 0.03, "B2-14": 0.029}, 0.028, 32)}},
		{name: "registered room exactly RoomShare of the top (and FixShare of the fix)", d: wifiDet(at),
			p: registry.Place{Room: "B2-15", RoomProbs: map[string]float64{"B2-15": 0.5, "B2-14": 0.25, "B2-13": 0.25}}, want: true},
		{name: "registered room just under RoomShare of the top", d: wifiDet(at),
			p: registry.Place{Room: "B2-15", RoomProbs: map[string]float64{"B2-15": 0.52, "B2-14": 0.2599, "B2-13": 0.2201}}},
		{name: "registered room not in the fix", d: wifiDet(at),
			p: registry.Place{Room: "B2-15", RoomProbs: map[string]float64{"B2-15": 0.5, "B2-13": 0.5}}},
		{name: "zone entry, a room of its zone nearly as likely", d: kiosk,
			p: registry.Place{Room: "B2-01", RoomProbs: map[string]float64{"B2-01": 0.3, "C1-04": 0.25, "C1-05": 0.2, "B2-02": 0.25}, ZoneOf: zoneOf}, want: true},
		{name: "zone entry, one sensor's fix spread over its zone", d: kiosk,
			p: registry.Place{Room: "C1-04", RoomProbs: map[string]float64{"C1-04": 0.1, "C1-05": 0.1, "C1-06": 0.09, "C1-07": 0.09, "C1-08": 0.09,
				"C1-09": 0.09, "C1-10": 0.09, "C1-11": 0.09, "C1-12": 0.09, "C1-13": 0.09, "B2-01": 0.08}, ZoneOf: zoneOf}, want: true},
		{name: "zone entry, its zone ruled out", d: kiosk,
			p: registry.Place{Room: "B2-01", RoomProbs: map[string]float64{"B2-01": 0.8, "C1-04": 0.1, "B2-02": 0.1}, ZoneOf: zoneOf}},
		{name: "zone entry, no ZoneOf: the top room's zones decide", d: kiosk,
			p: registry.Place{Room: "C1-04", Zones: []string{"C"}, RoomProbs: map[string]float64{"C1-04": 0.5, "B2-01": 0.5}}, want: true},
		{name: "not located: the top room alone, in it", d: wifiDet(at), p: registry.Place{Room: "B2-14"}, want: true},
		{name: "not located: the top room alone, elsewhere", d: wifiDet(at), p: registry.Place{Room: "B2-15"}},
		{name: "nowhere", d: wifiDet(at), p: registry.Place{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.p.Room != "" && len(tc.p.RoomProbs) > 0 {
				var sum float64
				for _, p := range tc.p.RoomProbs {
					sum += p
				}
				if sum < 0.99 || sum > 1.01 {
					t.Fatalf("the case's room probabilities sum to %.3f: a fix's sum to 1", sum)
				}
			}
			if _, got := r.Match(tc.d, tc.p, at); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestUpdateConflict: an update carrying the revision it read is refused
// (ErrConflict) when another admin changed the entry since, so a form
// loaded before an expiry cannot silently authorise the device again; one
// carrying the current revision, or none (API clients), goes through, and
// each write returns the entry's new revision.
func TestUpdateConflict(t *testing.T) {
	ctx := context.Background()
	r, _ := openRegistry(t)
	e, err := r.Add(ctx, tabletEntry(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := r.Get(ctx, e.ID)
	if err != nil || loaded.Revision == "" || loaded.Revision != e.Revision {
		t.Fatalf("Get revision %q (%v), Add's %q: want the same, not empty", loaded.Revision, err, e.Revision)
	}
	expired, err := r.Expire(ctx, e.ID, "bob", testClock())
	if err != nil || expired.Revision == loaded.Revision {
		t.Fatalf("Expire = revision %q, %v; want a new revision", expired.Revision, err)
	}
	stale := loaded
	stale.Notes = "moved to the other wing"
	if _, err := r.Update(ctx, stale, "alice"); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("Update from a form read before the expiry: %v, want ErrConflict", err)
	}
	if got, _ := r.Get(ctx, e.ID); got.ValidUntil.IsZero() || got.Notes == stale.Notes {
		t.Errorf("after the refused update: valid_until %v, notes %q; want the expiry kept and nothing changed", got.ValidUntil, got.Notes)
	}
	fresh, _ := r.Get(ctx, e.ID)
	fresh.Notes = stale.Notes
	got, err := r.Update(ctx, fresh, "alice")
	if err != nil || got.Revision == fresh.Revision || got.ValidUntil.IsZero() {
		t.Fatalf("Update from the current revision = %+v, %v; want it, expiry kept, a new revision", got, err)
	}
	if now, _ := r.Get(ctx, e.ID); now.Revision != got.Revision {
		t.Errorf("stored revision %q, Update returned %q", now.Revision, got.Revision)
	}
	none := got
	none.Revision, none.Notes = "", "no revision: an API client"
	if _, err := r.Update(ctx, none, "alice"); err != nil {
		t.Errorf("Update without a revision: %v", err)
	}
}
