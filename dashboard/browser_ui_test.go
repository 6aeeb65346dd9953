package dashboard

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// longSummaries adds n firing alerts with summaries of some 200
// characters, as fusion writes for a phone heard by many sensors.
func (ev *env) longSummaries(n int) {
	for i := range n {
		id := fmt.Sprintf("long%d", i)
		ev.al.alerts[id] = event.Alert{Schema: 1, ID: id, Site: "hmp1", Rule: "illicit_phone", Severity: event.SeverityWarning, State: event.AlertFiring,
			Summary: "LTE/NR uplink (LTE B3 UL, 15 kHz SCS) in cell A1-02 heard by s1, s2, s3 and s4 for 12 minutes, 46 detections, strongest -48 dBm, room probability 71% over a-101 and landing A",
			Room:    "a-102", Zone: "wing-a", ActiveNS: testNow.Add(-time.Duration(i) * time.Minute).UnixNano(), UpdatedNS: testNow.UnixNano()}
	}
}

// TestBrowserAlertListUsesWidth: at 1366x768 with no alert open the list
// takes the page's width, the summary has room and a row stays a line or
// two (the table took 2/3 of the width, the summary ~130 px, a row ~300
// px: one or two alerts on a screen); on a phone (390x844) the table
// scrolls in its own box, the page does not scroll sideways.
func TestBrowserAlertListUsesWidth(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	ev.longSummaries(6)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	within(t, ctx, 10*time.Second, "long alerts listed", chromedp.WaitReady(chromedp.CSS(`tr[data-id="long5"]`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(() => {
		const table = document.querySelector('#alert-rows').closest('table'), page = document.getElementById('page-alerts');
		const rows = [...document.querySelectorAll('#alert-rows tr')];
		return { table: table.getBoundingClientRect().width, page: page.clientWidth,
			summary: document.querySelector('tr[data-id="long0"] td.summary').getBoundingClientRect().width,
			row: Math.max(...rows.map((r) => r.getBoundingClientRect().height)) }; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if got["table"] < 0.95*got["page"] {
		t.Errorf("1366x768, no alert open: the list is %.0f px wide of the page's %.0f", got["table"], got["page"])
	}
	if got["summary"] < 350 {
		t.Errorf("1366x768: the Summary column is %.0f px wide, want at least 350", got["summary"])
	}
	if got["row"] > 110 {
		t.Errorf("1366x768: the tallest alert row is %.0f px, want at most 110 (two lines of summary)", got["row"])
	}
	// an alert open beside the list: the rows' State stays in view
	within(t, ctx, 10*time.Second, "open al1", clickNow(`tr[data-id="al1"] td.time`), chromedp.WaitVisible(chromedp.CSS(`#ack-btn`)))
	state, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[document.querySelector('tr[data-id="long0"]').lastElementChild.getBoundingClientRect().right,
		document.querySelector('#alert-rows').closest('.table-wrap, .split > *').getBoundingClientRect().right]`))
	if err != nil {
		t.Fatal(err)
	}
	if state[0] > state[1]+1 {
		t.Errorf("1366x768, an alert open: the list's State column ends at %.0f px, past the list's edge at %.0f", state[0], state[1])
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`tr[data-id="long5"]`))); err != nil {
		t.Fatal(err)
	}
	side, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[document.documentElement.scrollWidth, innerWidth]`))
	if err != nil {
		t.Fatal(err)
	}
	if side[0] > side[1]+1 {
		t.Errorf("390x844: the page is %.0f px wide on a %.0f px screen: it scrolls sideways", side[0], side[1])
	}
}

// TestBrowserAlertDetailAckFirst: the alert's detail puts its state and
// the Acknowledge note and button above the evidence, and shows the first
// 10 of a long evidence list with "show all N": the button was at the
// bottom, after ~50 evidence lines (a card 5,700 px tall).
func TestBrowserAlertDetailAckFirst(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	a := ev.al.alerts["al1"]
	a.Evidence = nil
	for i := range 30 {
		r := ev.ts.dets[0]
		r.ID = fmt.Sprintf("e%02d", i)
		r.Snippet = ""
		ev.ts.dets = append(ev.ts.dets, r)
		a.Evidence = append(a.Evidence, r.ID)
	}
	ev.al.alerts["al1"] = a
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	within(t, ctx, 10*time.Second, "open al1", clickNow(`tr[data-id="al1"]`), chromedp.WaitVisible(chromedp.CSS(`#ack-btn`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => {
		const d = document.getElementById('alert-detail'), top = (n) => n ? n.getBoundingClientRect().top : -1;
		const lis = [...d.querySelectorAll('li')].filter((li) => li.textContent.includes('@s1'));
		const more = [...d.querySelectorAll('button')].find((b) => /show all/.test(b.textContent));
		return { ack: top(document.getElementById('ack-btn')), state: top(d.querySelector('p')), ev: top(lis[0]),
			shown: lis.filter((li) => li.offsetParent !== null).length, more: more ? more.textContent : '' }; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if !(got["ack"].(float64) < got["ev"].(float64)) {
		t.Errorf("the Acknowledge button (top %v px) is below the first evidence line (%v px)", got["ack"], got["ev"])
	}
	if n := got["shown"].(float64); n > 10 {
		t.Errorf("%v of 30 evidence lines shown: a long list is not bounded", n)
	}
	if m := got["more"].(string); !strings.Contains(m, "30") {
		t.Fatalf("no \"show all 30\" button under a bounded evidence list (got %q)", m)
	}
	within(t, ctx, 5*time.Second, "show all", clickNow(`#alert-detail button#evidence-more`))
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('#alert-detail li')].filter((li) => li.textContent.includes('@s1') && li.offsetParent !== null).length`))
	if err != nil || n != 30 {
		t.Errorf("after \"show all 30\": %d evidence lines shown (%v)", n, err)
	}
}

// TestBrowserSensorsCompact: a sensor scanning many bands keeps a compact
// row (its noise floors and revisit times summarised, the list behind a
// disclosure; they wrapped the row to ~600 px), and an offline sensor is
// listed first and marked in the warning colour, not the muted grey that
// stood out less than a green "online".
func TestBrowserSensorsCompact(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatal(err)
	}
	nf, rv, span := map[string]float64{}, map[string]float64{}, map[string][2]float64{}
	for i, b := range []string{"gsm900", "gsm1800", "lte-b1", "lte-b3", "lte-b7", "lte-b8", "lte-b20", "nr-n78"} {
		nf[b], rv[b], span[b] = -104+float64(i), 1.2+float64(i)/2, [2]float64{float64(800+100*i) * 1e6, float64(820+100*i) * 1e6}
	}
	ev.deps.Hub.PublishHealth(event.Health{Schema: 1, Site: "hmp1", Sensor: "s1", TimeNS: testNow.UnixNano(), State: event.StateOK,
		NoiseFloorDBm: nf, RevisitS: rv, ScanBandsHz: span})
	ev.deps.Hub.PublishStatus("hmp1", "s2", "offline")
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	within(t, ctx, 10*time.Second, "sensors listed",
		chromedp.Navigate(srv.URL+"/#sensors"), chromedp.WaitReady(chromedp.CSS(`#sensor-rows tr[data-sensor="s1"]`)), chromedp.WaitReady(chromedp.CSS(`#sensor-rows tr[data-sensor="s2"]`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => {
		const row = (id) => document.querySelector('#sensor-rows tr[data-sensor="' + id + '"]');
		const cell = row('s2').children[1], marks = [cell, ...cell.querySelectorAll('*')].map((n) => getComputedStyle(n));
		const warn = getComputedStyle(document.documentElement).getPropertyValue('--warning').trim();
		return { first: document.querySelector('#sensor-rows tr').dataset.sensor, height: row('s1').getBoundingClientRect().height,
			cells: [...row('s1').children].map((c) => Math.round(c.getBoundingClientRect().width) + ' px: ' + c.textContent).join(' | '),
			status: cell.textContent, colours: marks.map((c) => c.color + ' on ' + c.backgroundColor).join('; '),
			warned: marks.some((c) => [c.color, c.backgroundColor].includes('rgb(210, 153, 34)')) && warn === '#d29922' }; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if got["first"] != "s2" {
		t.Errorf("the offline sensor s2 is not listed first (first: %v)", got["first"])
	}
	if h := got["height"].(float64); h > 90 {
		t.Errorf("s1's row, scanning 8 bands, is %.0f px tall at 1366x768: want at most 90 (cells: %v)", h, got["cells"])
	}
	if !got["warned"].(bool) {
		t.Errorf("offline sensor s2's status %q is not in the warning colour: %v", got["status"], got["colours"])
	}
}

// TestBrowserIncidentCloseNeedsOutcome: "Close incident" starts with no
// outcome chosen (it started on "found", so one click closed a case as
// found), refuses to close without one, saying so beside the button, and
// says beside it that the case's critical alert is still open and
// unacknowledged.
func TestBrowserIncidentCloseNeedsOutcome(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
	within(t, ctx, 10*time.Second, "open inc1",
		chromedp.Navigate(srv.URL+"/#incidents"), clickNow(`#inc-rows tr[data-id="inc1"]`), chromedp.WaitVisible(chromedp.CSS(`#inc-close`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.getElementById('inc-outcome-pick').value,
		document.getElementById('inc-outcome-pick').selectedOptions[0].textContent, document.getElementById('inc-detail').innerText]`))
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != "" {
		t.Errorf("the outcome starts chosen as %q (%s): a click closes the case with it", got[0], got[1])
	}
	if !strings.Contains(got[2], "open and unacknowledged") || !strings.Contains(got[2], "LTE uplink in cell A1-02") {
		t.Errorf("the case's alert al1 is open and unacknowledged, but the detail does not say so: %q", got[2])
	}
	within(t, ctx, 5*time.Second, "close with no outcome",
		chromedp.Click(chromedp.CSS(`#inc-close`)),
		chromedp.Poll[chromedp.Void](`(() => { const m = [...document.querySelectorAll('#inc-detail [role=alert]')].find((n) => n.textContent); return !!m && /outcome/i.test(m.textContent); })()`))
	if inc, _ := ev.al.Incident(t.Context(), "inc1"); inc.State != "open" {
		t.Errorf("inc1 closed (%s) with no outcome chosen", inc.Outcome)
	}
}

// TestBrowserLinksReadable: a link (Audit's "Export CSV", an alert's
// evidence "IQ (.sigmf)") reads on the dark background at 4.5:1 at
// least, and shows where the keyboard's focus is: they were the
// browser's #0000EE, 1.8:1 on #0d1117.
func TestBrowserLinksReadable(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	os.WriteFile(filepath.Join(ev.deps.SnippetDir, "snip-d1.sigmf-meta"), []byte(`{}`), 0o600)
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	within(t, ctx, 10*time.Second, "open al1's evidence",
		clickNow(`tr[data-id="al1"]`), chromedp.WaitVisible(chromedp.CSS(`#alert-detail a[href^="/api/v1/snippets/"]`)),
		chromedp.Navigate(srv.URL+"/#audit"), chromedp.WaitVisible(chromedp.CSS(`#audit-export`)))
	const colours = `((a) => { let b = a, bg = 'rgba(0, 0, 0, 0)';
		while (b && (bg = getComputedStyle(b).backgroundColor) === 'rgba(0, 0, 0, 0)') b = b.parentElement;
		return [getComputedStyle(a).color, bg]; })`
	for _, tc := range []struct{ name, path, sel string }{
		{"Audit's Export CSV", "#audit", "#audit-export"},
		{"al1's IQ (.sigmf)", "#alerts", `#alert-detail a[href^="/api/v1/snippets/"]`},
	} {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { location.hash = '`+tc.path+`'; return `+colours+`(document.querySelector('`+tc.sel+`')); })()`))
		if err != nil || len(got) != 2 {
			t.Fatalf("%s: %v (%v)", tc.name, got, err)
		}
		fg, err1 := parseColour(got[0])
		bg, err2 := parseColour(got[1])
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", tc.name, err1, err2)
		}
		if c := contrast(fg, bg); c < 4.5 {
			t.Errorf("%s: link %s on %s is %.1f:1, want 4.5:1 at least", tc.name, got[0], got[1], c)
		}
	}
	focus, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`[...document.styleSheets].some((s) => [...s.cssRules].some((r) =>
		/(^|,\s*)a:focus(-visible)?\b/.test(r.selectorText || '') && r.style.outlineStyle && r.style.outlineStyle !== 'none'))`))
	if err != nil || !focus {
		t.Errorf("no a:focus-visible rule with an outline in the style sheet: a keyboard user does not see which link has the focus (%v)", err)
	}
}

// noDialogs makes the page's alert() and confirm() record their text in
// window.__dialogs instead of blocking: a refusal must be said on the
// page, by the control, not in a dialog.
const noDialogs = `window.__dialogs = []; window.alert = (m) => { window.__dialogs.push(String(m)); };`

// TestBrowserErrorsInline: a refused maintenance window (no reason), an
// incident close the server refuses (a note too long) and a registry
// import it refuses are said beside their control in a live region, not
// in an alert() dialog.
func TestBrowserErrorsInline(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	said := func(step, in, want string) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		js := `(() => { const m = [...document.querySelectorAll('` + in + ` [role=alert], ` + in + ` [role=status], ` + in + `[role=status]')].find((n) => n.textContent.includes(` + strconv.Quote(want) + `));
			return m ? '' : 'dialogs: ' + JSON.stringify(window.__dialogs); })()`
		var got string
		for {
			s, err := chromedp.Run(c, chromedp.Evaluate[string](js))
			if err != nil {
				t.Errorf("%s: %q not said in %s (%s)", step, want, in, got)
				return
			}
			if got = s; s == "" {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	within(t, ctx, 10*time.Second, "maintenance with no reason",
		chromedp.Navigate(srv.URL+"/#sensors"), chromedp.Evaluate[chromedp.Void](noDialogs),
		clickNow(`#sensor-rows tr[data-sensor="s1"]`), chromedp.WaitVisible(chromedp.CSS(`#maint-start`)), clickNow(`#maint-start`))
	said("maintenance with no reason", "#maint", "reason")
	within(t, ctx, 10*time.Second, "close inc1 with a note too long",
		chromedp.Navigate(srv.URL+"/#incidents"), chromedp.Evaluate[chromedp.Void](noDialogs),
		clickNow(`#inc-rows tr[data-id="inc1"]`), chromedp.WaitVisible(chromedp.CSS(`#inc-close`)),
		chromedp.SetValue(chromedp.CSS(`#inc-outcome-pick`), "found"),
		chromedp.SetValue(chromedp.CSS(`#inc-note`), strings.Repeat("x", 2001)),
		clickNow(`#inc-close`))
	said("close refused", "#inc-detail", "note")
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("not,a,registry\n1,2,3\n"), 0o600)
	within(t, ctx, 10*time.Second, "import a bad CSV",
		chromedp.Navigate(srv.URL+"/#registry"), chromedp.Evaluate[chromedp.Void](noDialogs),
		chromedp.WaitReady(chromedp.CSS(`#reg-rows tr`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#reg-import`), []string{bad}))
	said("import refused", "#page-registry", "Not imported")
}

// TestBrowserRefusedPageSaysSo: a viewer opening #registry, #audit or
// #users directly is refused by the server (403); the page says so, with
// the server's reason, where it showed an empty table (the 403 in the
// console only).
func TestBrowserRefusedPageSaysSo(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	for _, page := range []string{"registry", "audit", "users"} {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := chromedp.Do(c, chromedp.Navigate(srv.URL+"/#"+page), chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#page-`+page+` [role=alert]')].some((n) => n.textContent.includes('needs role'))`))
		cancel()
		if err != nil {
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('page-`+page+`').innerText`))
			t.Errorf("a viewer opening #%s: no \"needs role\" refusal on the page: %q (%v)", page, text, err)
		}
	}
}

// TestBrowserTimesISO: times read "2026-11-23 21:04:56 GMT" (ISO date
// order, 24-hour clock, the site zone's name), not the browser locale's
// "11/23/2026, 9:04:56 PM GMT", misread in a UK control room.
func TestBrowserTimesISO(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	ctx, ev, srv := browserDashboard(t, func(d *Deps) { d.Location = london })
	at := time.Date(2026, 11, 23, 21, 4, 56, 0, time.UTC)
	ev.al.alerts["pm"] = event.Alert{Schema: 1, ID: "pm", Site: "hmp1", Rule: "illicit_phone", Severity: event.SeverityWarning, State: event.AlertResolved,
		Summary: "phone at night", Room: "a-102", Zone: "wing-a", ActiveNS: at.UnixNano(), UpdatedNS: testNow.Add(-time.Hour).UnixNano()}
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	within(t, ctx, 10*time.Second, "pm listed", chromedp.WaitReady(chromedp.CSS(`tr[data-id="pm"]`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('tr[data-id="pm"] td.time').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "2026-11-23 21:04:56 ") || !strings.Contains(got, "GMT") {
		t.Errorf("an alert at %s is shown at %q, want 2026-11-23 21:04:56 GMT", at.Format(time.RFC3339), got)
	}
}

// TestBrowserRegistryNewEntryForm: "Add entry" offers no Expire now or
// Delete (they did nothing on an entry not yet stored), and a band whose
// max is not above its min is refused before it is sent, in the form's
// MHz, where the server's refusal read "signature freq_max_hz is
// 8.8e+08, not above freq_min_hz 9e+08".
func TestBrowserRegistryNewEntryForm(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	within(t, ctx, 10*time.Second, "add an entry",
		chromedp.Navigate(srv.URL+"/#registry"), chromedp.WaitVisible(chromedp.CSS(`#reg-rows tr[data-id="1"]`)),
		clickNow(`#reg-new`), chromedp.WaitVisible(chromedp.CSS(`#reg-form`)))
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`['reg-expire', 'reg-delete'].filter((id) => document.getElementById(id).offsetParent !== null)`))
	if err != nil || len(shown) != 0 {
		t.Errorf("a new entry's form offers %v (%v): they act on a stored entry only", shown, err)
	}
	within(t, ctx, 10*time.Second, "a band upside down",
		chromedp.SetValue(chromedp.CSS(`#reg-form [name=name]`), "Tablet"),
		chromedp.SetValue(chromedp.CSS(`#reg-form [name=fmin]`), "900"),
		chromedp.SetValue(chromedp.CSS(`#reg-form [name=fmax]`), "880"),
		clickNow(`#reg-form button[type=submit]`),
		chromedp.Poll[chromedp.Void](`document.getElementById('reg-error').textContent !== ''`))
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('reg-error').textContent`))
	if err != nil || !strings.Contains(msg, "880") || !strings.Contains(msg, "MHz") || strings.Contains(msg, "e+08") {
		t.Errorf("max 880 MHz under min 900 MHz: the form says %q (%v), want it in MHz", msg, err)
	}
	if n := len(ev.reg.entries); n != 1 {
		t.Errorf("%d entries stored: the upside-down band was sent", n)
	}
	// an entry stored offers them
	within(t, ctx, 10*time.Second, "open entry 1",
		clickNow(`#reg-rows tr[data-id="1"]`), chromedp.WaitVisible(chromedp.CSS(`#reg-expire`)), chromedp.WaitVisible(chromedp.CSS(`#reg-delete`)))
}

// TestBrowserIncidentReplayControlNames: the incident's outcome, closing
// note and reopening note, and the replay's raw datatype, rate and
// centre have names a screen reader reads out; they had placeholders
// only (gone once something is typed).
func TestBrowserIncidentReplayControlNames(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	ev.al.incidents["inc2"] = store.Incident{ID: "inc2", Site: "hmp1", Kind: "illicit_phone", Summary: "phone in A1-03", State: "closed", Outcome: "not_found",
		ClosedBy: "analyst", ClosedNS: testNow.Add(-time.Hour).UnixNano(), OpenedNS: testNow.Add(-2 * time.Hour).UnixNano(), UpdatedNS: testNow.Add(-time.Hour).UnixNano()}
	browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
	name := func(sel string) {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[string](accName+`(document.querySelector('`+sel+`'))`))
		if err != nil || n == "" || n == "(missing)" {
			t.Errorf("%s has no accessible name (%q, %v)", sel, n, err)
		}
	}
	within(t, ctx, 10*time.Second, "open inc1",
		chromedp.Navigate(srv.URL+"/#incidents"), clickNow(`#inc-rows tr[data-id="inc1"]`), chromedp.WaitVisible(chromedp.CSS(`#inc-close`)))
	name("#inc-outcome-pick")
	name("#inc-note")
	within(t, ctx, 10*time.Second, "open inc2", clickNow(`#inc-rows tr[data-id="inc2"]`), chromedp.WaitVisible(chromedp.CSS(`#inc-reopen`)))
	name("#inc-reopen-note")
	for _, sel := range []string{"#r-raw-type", "#r-raw-rate", "#r-raw-center"} {
		name(sel)
	}
}

// TestBrowserPhoneHeaderCompact: on a phone (390x844) the header is the
// name and the pages' links in rows under it, and the first alert is on
// the first screen; the links stood one per line beside the name, and the
// header alone filled the screen.
func TestBrowserPhoneHeaderCompact(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, srv.URL, "admin", "admin-password")
	within(t, ctx, 10*time.Second, "alerts listed", chromedp.WaitReady(chromedp.CSS(`tr[data-id="al1"]`)))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[document.querySelector('header').getBoundingClientRect().height,
		document.querySelector('tr[data-id="al1"]').getBoundingClientRect().top]`))
	if err != nil {
		t.Fatal(err)
	}
	if got[0] > 0.2*844 {
		t.Errorf("390x844: the header is %.0f px tall, want at most a fifth of the screen", got[0])
	}
	if got[1] > 844 {
		t.Errorf("390x844: the first alert starts at %.0f px, below the first screen", got[1])
	}
}
