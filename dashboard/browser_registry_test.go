package dashboard

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestBrowserRegistryValidity: the Registry form sets when an entry starts
// and ends (it could not, though the API took both), entered and shown in
// the site's zone, not the browser's: a named zone through summer and
// winter time, and one known only by its offset. Left empty, the start is
// the system's clock and there is no end; a time left as shown keeps the
// stored value (the field shows minutes, the entry may hold seconds);
// cleared, the end goes.
func TestBrowserRegistryValidity(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	tests := []struct {
		name      string
		loc       *time.Location
		zone      string // JS: a function of UTC milliseconds giving the name the page shows after the site's wall time (its zone then)
		fromInput string
		wantFrom  time.Time
		untilIn   string
		wantUntil time.Time
		seedShown string // the seeded entry's start, 2026-06-01T08:00:30Z, in the field
		editUntil string
		wantEdit  time.Time
		nowShown  string // testNow in the field
	}{
		{name: "Europe/London", loc: london, zone: `(ms) => new Intl.DateTimeFormat(undefined, { timeZone: 'Europe/London', timeZoneName: 'short' }).formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName').value`,
			fromInput: "2026-07-01T14:00", wantFrom: time.Date(2026, 7, 1, 13, 0, 0, 0, time.UTC), // BST
			untilIn: "2026-12-01T09:00", wantUntil: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), // GMT
			seedShown: "2026-06-01T09:00", editUntil: "2026-12-24T18:00", wantEdit: time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC), nowShown: "2026-11-24T10:30"},
		{name: "a fixed offset, +05:30", loc: time.FixedZone("", 5*3600+1800), zone: `() => 'UTC+05:30'`,
			fromInput: "2026-07-01T14:00", wantFrom: time.Date(2026, 7, 1, 8, 30, 0, 0, time.UTC),
			untilIn: "2026-12-01T09:00", wantUntil: time.Date(2026, 12, 1, 3, 30, 0, 0, time.UTC),
			seedShown: "2026-06-01T13:30", editUntil: "2026-12-24T18:00", wantEdit: time.Date(2026, 12, 24, 12, 30, 0, 0, time.UTC), nowShown: "2026-11-24T16:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var reg *registry.Registry
			ctx, _, srv := browserDashboard(t, func(d *Deps) {
				d.Location = tc.loc
				db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				reg, err = registry.Open(context.Background(), db.DB(), db, registry.Options{Location: tc.loc, Site: d.Site, Now: func() time.Time { return testNow }})
				if err != nil {
					t.Fatal(err)
				}
				d.Registry = reg
			})
			bg := context.Background()
			seedFrom := time.Date(2026, 6, 1, 8, 0, 30, 0, time.UTC)
			if _, err := reg.Add(bg, registry.Entry{Name: "Kiosk A", Kind: registry.KindKiosk, ValidFrom: seedFrom,
				Signature: registry.Signature{FreqMinHz: 2.4e9, FreqMaxHz: 2.4835e9}, Rooms: []string{"a-101"}}, "admin"); err != nil {
				t.Fatal(err)
			}
			// the browser is in neither zone
			if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
				t.Fatal(err)
			}
			browserLogin(t, ctx, srv.URL, "admin", "admin-password")
			within(t, ctx, 20*time.Second, "add an entry with its start and end",
				chromedp.Navigate(srv.URL+"/#registry"),
				chromedp.WaitVisible(chromedp.CSS(`#reg-rows tr[data-id="1"]`)),
				chromedp.Click(chromedp.CSS(`#reg-new`)),
				chromedp.WaitVisible(chromedp.CSS(`#reg-form`)),
				chromedp.SetValue(chromedp.CSS(`#reg-form [name=name]`), "Kiosk B"),
				chromedp.SetValue(chromedp.CSS(`#reg-form [name=kind]`), "kiosk"),
				chromedp.SetValue(chromedp.CSS(`#reg-form [name=fmin]`), "2400"),
				chromedp.SetValue(chromedp.CSS(`#reg-form [name=fmax]`), "2483.5"),
				chromedp.SetValue(chromedp.CSS(`#reg-form [name=rooms]`), "a-101"),
				chromedp.SetValue(chromedp.CSS(`#reg-form [name=valid_from]`), tc.fromInput),
				chromedp.SetValue(chromedp.CSS(`#reg-form [name=valid_until]`), tc.untilIn),
				chromedp.Click(chromedp.CSS(`#reg-form button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`#reg-rows tr[data-id="2"]`)),
			)
			shot(t, ctx, "registry-validity")
			e, err := reg.Get(bg, 2)
			if err != nil || !e.ValidFrom.Equal(tc.wantFrom) || !e.ValidUntil.Equal(tc.wantUntil) {
				t.Fatalf("stored %+v, %v; want valid %s..%s", e, err, tc.wantFrom, tc.wantUntil)
			}
			// the site's wall time, "2026-07-01 14:00:00 BST" (ISO order, 24 hours)
			show := func(at time.Time, zone string) string {
				return at.In(tc.loc).Format("2006-01-02 15:04:05") + " " + zone
			}
			got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const zone = `+tc.zone+`;
				const td = (n) => document.querySelector('#reg-rows tr[data-id="2"] td:nth-last-child(' + n + ')').textContent;
				return [td(2), zone(`+strconv.FormatInt(tc.wantFrom.UnixMilli(), 10)+`), td(1), zone(`+strconv.FormatInt(tc.wantUntil.UnixMilli(), 10)+`)]; })()`))
			if err == nil && len(got) == 4 {
				got[1], got[3] = show(tc.wantFrom, got[1]), show(tc.wantUntil, got[3])
			}
			if err != nil || len(got) != 4 || got[0] != got[1] || got[2] != got[3] {
				t.Errorf("listed valid from %q until %q, want %q and %q in the site's zone (%v)", at(got, 0), at(got, 2), at(got, 1), at(got, 3), err)
			}

			// the seeded entry: its start shown in the site's zone; a new
			// end, and the start left as shown keeps its seconds
			within(t, ctx, 20*time.Second, "open the seeded entry",
				clickNow(`#reg-rows tr[data-id="1"]`),
				chromedp.WaitVisible(chromedp.CSS(`#reg-form`)),
				chromedp.Poll[chromedp.Void](`document.querySelector('#reg-form [name=name]').value === 'Kiosk A'`),
			)
			shot(t, ctx, "registry-validity-form")
			shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`['valid_from', 'valid_until'].map((n) => document.querySelector('#reg-form [name=' + n + ']').value)`))
			if err != nil || len(shown) != 2 || shown[0] != tc.seedShown || shown[1] != "" {
				t.Errorf("form shows valid from, until %q (%v); want %q and empty", shown, err, tc.seedShown)
			}
			within(t, ctx, 20*time.Second, "give it an end",
				chromedp.SetValue(chromedp.CSS(`#reg-form [name=valid_until]`), tc.editUntil),
				chromedp.Click(chromedp.CSS(`#reg-form button[type=submit]`)),
				chromedp.WaitNotVisible(chromedp.CSS(`#reg-detail`)),
			)
			if e, err := reg.Get(bg, 1); err != nil || !e.ValidFrom.Equal(seedFrom) || !e.ValidUntil.Equal(tc.wantEdit) {
				t.Errorf("stored valid %s..%s, %v; want %s (as it was) .. %s", e.ValidFrom, e.ValidUntil, err, seedFrom, tc.wantEdit)
			}
			// each step waits for the list the save redrew: a click on the
			// list it replaced finds no row
			lastCell := `document.querySelector('#reg-rows tr[data-id="1"] td:last-child').textContent`
			within(t, ctx, 20*time.Second, "clear its end",
				chromedp.Poll[chromedp.Void](lastCell+` !== '—'`),
				clickNow(`#reg-rows tr[data-id="1"]`),
				chromedp.WaitVisible(chromedp.CSS(`#reg-form`)),
				chromedp.Poll[chromedp.Void](`document.querySelector('#reg-form [name=valid_until]').value !== ''`),
				chromedp.SetValue(chromedp.CSS(`#reg-form [name=valid_until]`), ""),
				chromedp.Click(chromedp.CSS(`#reg-form button[type=submit]`)),
				chromedp.WaitNotVisible(chromedp.CSS(`#reg-detail`)),
			)
			if e, err := reg.Get(bg, 1); err != nil || !e.ValidFrom.Equal(seedFrom) || !e.ValidUntil.IsZero() {
				t.Errorf("stored valid %s..%s, %v; want %s with no end", e.ValidFrom, e.ValidUntil, err, seedFrom)
			}

			// Expire now shows the new end in the form: a Save after it
			// sent the end from before and undid the expiry
			within(t, ctx, 20*time.Second, "expire entry 2 now, then save its form",
				chromedp.Poll[chromedp.Void](lastCell+` === '—'`),
				clickNow(`#reg-rows tr[data-id="2"]`),
				chromedp.WaitVisible(chromedp.CSS(`#reg-form`)),
				chromedp.Poll[chromedp.Void](`document.querySelector('#reg-form [name=name]').value === 'Kiosk B'`),
				chromedp.Click(chromedp.CSS(`#reg-expire`)),
				chromedp.Poll[chromedp.Void](`document.querySelector('#reg-form [name=valid_until]').value === '`+tc.nowShown+`'`),
				chromedp.Click(chromedp.CSS(`#reg-form button[type=submit]`)),
				chromedp.WaitNotVisible(chromedp.CSS(`#reg-detail`)),
			)
			if e, err := reg.Get(bg, 2); err != nil || !e.ValidUntil.Equal(testNow) {
				t.Errorf("stored valid until %s, %v; want the expiry, %s", e.ValidUntil, err, testNow)
			}
		})
	}
}

// at returns s[i], or "" when s is shorter.
func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// TestBrowserRegistryUnknownPlaces: an entry naming a zone the site model
// no longer has is marked in the list with its problem, which says where
// it still authorises (not "authorises nothing", which it does only in
// the unknown places); the import has its "undo expiries" box.
func TestBrowserRegistryUnknownPlaces(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	ev.reg.entries[4] = registry.Entry{ID: 4, Name: "staff radios", Kind: registry.KindStaffRadio, Zones: []string{"wing-a", "wing-old"},
		Signature: registry.Signature{FreqMinHz: 380e6, FreqMaxHz: 400e6}, UnknownPlaces: []string{"zone wing-old"},
		Problem: `zones ["wing-old"] not in site "hmp1"'s model (renamed or removed since the entry was saved): it authorises nothing there, and still authorises in its other places (wing-a); save it with the model's names to fix it`}
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	within(t, ctx, 20*time.Second, "open the registry",
		chromedp.Navigate(srv.URL+"/#registry"),
		chromedp.WaitVisible(chromedp.CSS(`#reg-rows tr[data-id="4"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#reg-import-force`)),
	)
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#reg-rows tr[data-id="4"] td:nth-child(2)').textContent`))
	if err != nil || !strings.Contains(text, "⚠ staff radios") || !strings.Contains(text, `zones ["wing-old"]`) || !strings.Contains(text, "still authorises") || strings.Contains(text, "authorises nothing:") {
		t.Errorf("the entry naming an unknown zone reads %q, %v; want its problem, not \"authorises nothing:\"", text, err)
	}
}

// TestBrowserRegistryDelete: the Registry form's Delete button asks, then
// deletes an expired entry, which leaves the list; an entry still in
// force is refused, and the form says to expire it first.
func TestBrowserRegistryDelete(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	ev.reg.entries[4] = registry.Entry{ID: 4, Name: "radio of a departed officer", Kind: registry.KindStaffRadio,
		Signature: registry.Signature{FreqMinHz: 380e6, FreqMaxHz: 400e6}, ValidFrom: testNow.Add(-48 * time.Hour), ValidUntil: testNow.Add(-time.Hour)}
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	within(t, ctx, 20*time.Second, "delete the expired entry",
		chromedp.Navigate(srv.URL+"/#registry"),
		clickNow(`#reg-rows tr[data-id="4"]`),
		chromedp.WaitVisible(chromedp.CSS(`#reg-delete`)),
		chromedp.Evaluate[chromedp.Void](`window.asked = []; window.confirm = (m) => { asked.push(m); return true; }`),
		chromedp.Click(chromedp.CSS(`#reg-delete`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#reg-rows tr[data-id="4"]`)),
	)
	asked, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.asked`))
	if err != nil || len(asked) != 1 || !strings.Contains(asked[0], "radio of a departed officer") {
		t.Errorf("asked %q (%v), want one question naming the entry", asked, err)
	}
	if _, err := ev.reg.Get(context.Background(), 4); err == nil {
		t.Error("the expired entry is still in the registry")
	}
	within(t, ctx, 20*time.Second, "the entry in force is kept",
		clickNow(`#reg-rows tr[data-id="1"]`),
		chromedp.WaitVisible(chromedp.CSS(`#reg-delete`)),
		chromedp.Click(chromedp.CSS(`#reg-delete`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('reg-error').textContent.includes('still authorises')`),
	)
	if _, err := ev.reg.Get(context.Background(), 1); err != nil {
		t.Errorf("the entry in force was deleted: %v", err)
	}
}

// TestBrowserRegistryWarnings: an entry saved on the Registry form that
// authorises phone uplinks in every cell (official phones, no class, the
// LTE B3 uplink, no rooms or zones) is taken, and the form stays open
// saying so (a warning the entry did not have); the list marks it with
// its warning. Until 2026-12-06 the page showed no entry's warnings:
// the form closed on a save, and only the API's answer carried them.
func TestBrowserRegistryWarnings(t *testing.T) {
	ctx, srv, reg := browserRegistry(t)
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	within(t, ctx, 20*time.Second, "add a site-wide phone entry",
		chromedp.Navigate(srv.URL+"/#registry"),
		chromedp.WaitVisible(chromedp.CSS(`#reg-new`)),
		chromedp.Click(chromedp.CSS(`#reg-new`)),
		chromedp.WaitVisible(chromedp.CSS(`#reg-form`)),
		chromedp.SetValue(chromedp.CSS(`#reg-form [name=name]`), "Staff phones"),
		chromedp.SetValue(chromedp.CSS(`#reg-form [name=kind]`), "official_phone"),
		chromedp.SetValue(chromedp.CSS(`#reg-form [name=fmin]`), "1710"),
		chromedp.SetValue(chromedp.CSS(`#reg-form [name=fmax]`), "1785"),
		chromedp.Click(chromedp.CSS(`#reg-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#reg-rows tr[data-id="1"]`)),
	)
	e, err := reg.Get(context.Background(), 1)
	if err != nil || e.Name != "Staff phones" || len(e.Warnings) == 0 {
		t.Fatalf("stored %+v, %v; want the entry taken, with its warning", e, err)
	}
	form, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('reg-detail').classList.contains('hidden') ? 'closed' : document.getElementById('reg-error').textContent`))
	if err != nil || !strings.HasPrefix(form, "Warning: ") || !strings.Contains(form, "authorises phone uplinks in every cell on the site") {
		t.Errorf("after the save the form reads %q, %v; want it open, with the warning", form, err)
	}
	row, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#reg-rows tr[data-id="1"] td:nth-child(2)').textContent`))
	if err != nil || !strings.Contains(row, "⚠ Staff phones (warning: authorises phone uplinks in every cell") {
		t.Errorf("the entry reads %q in the list, %v; want it marked with its warning", row, err)
	}
}

// browserRegistry serves a browser dashboard whose Registry is a real
// one on a SQLite store of its own, and returns it.
func browserRegistry(t *testing.T) (context.Context, *httptest.Server, *registry.Registry) {
	t.Helper()
	var reg *registry.Registry
	ctx, _, srv := browserDashboard(t, func(d *Deps) {
		db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		reg, err = registry.Open(context.Background(), db.DB(), db, registry.Options{Site: d.Site, Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		d.Registry = reg
	})
	return ctx, srv, reg
}

// TestBrowserRegistryBounds: an entry's bandwidth and power bounds, set
// by the CSV import or the API (the form has no fields for them and keeps
// them on Save), show in the list beside its band and, read-only, on its
// form. Until 2026-12-07 neither showed them, and an admin saving the
// form kept bounds it could not see.
func TestBrowserRegistryBounds(t *testing.T) {
	ctx, srv, reg := browserRegistry(t)
	pmin := -80.0
	if _, err := reg.Add(context.Background(), registry.Entry{Name: "radio", Kind: registry.KindStaffRadio, ValidFrom: testNow.Add(-time.Hour),
		Signature: registry.Signature{FreqMinHz: 389.8e6, FreqMaxHz: 390.2e6, BandwidthMinHz: 100e3, BandwidthMaxHz: 300e3, PowerMinDBm: &pmin}}, "admin"); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	within(t, ctx, 20*time.Second, "open the entry",
		chromedp.Navigate(srv.URL+"/#registry"),
		chromedp.WaitVisible(chromedp.CSS(`#reg-rows tr[data-id="1"]`)),
		chromedp.Click(chromedp.CSS(`#reg-rows tr[data-id="1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#reg-form`)),
	)
	const want = "bandwidth 0.1–0.3 MHz, power ≥ -80 dBm"
	band, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#reg-rows tr[data-id="1"] td:nth-child(5)').textContent`))
	if err != nil || band != "389.800–390.200 ("+want+")" {
		t.Errorf("the band reads %q in the list, %v; want its bounds beside it (%s)", band, err, want)
	}
	form, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('reg-bounds').textContent`))
	if err != nil || form != "Also bounded (set by CSV or API, kept on Save): "+want+"." {
		t.Errorf("the form reads %q, %v; want the bounds shown", form, err)
	}
}
