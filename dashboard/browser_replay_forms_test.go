package dashboard

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// TestBrowserReplayUploadForms: from the Replay page an analyst uploads
// what `rfwarden scan` reads: an archive of several recordings (the
// status names each, the list offers each), a raw hackrf_transfer
// capture with its datatype, rate and centre, and a GNU Radio pair
// whose metadata names capture.cfile; an archive named REC.SIGMF is sent
// (matched in any case) and the page says to rename it. A recording of
// the folder in upper case is named on the page, with what to rename it
// to.
func TestBrowserReplayUploadForms(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	for name, content := range map[string]string{"FAT.SIGMF-META": tinyMeta("ci8", "", ""), "FAT.SIGMF-DATA": tinyData(32)} {
		if err := os.WriteFile(filepath.Join(ev.deps.ReplayDir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("day-0.sigmf-meta", tinyMeta("ci8", "", ""))
	write("day-0.sigmf-data", tinyData(32))
	write("day-1.sigmf-meta", tinyMeta("ci8", "", ""))
	write("day-1.sigmf-data", tinyData(48))
	day := filepath.Join(src, "day.sigmf")
	sigmftest.WriteArchive(t, day, src, "day-0", "day-1")
	raw := write("night.cs8", tinyData(64))
	gnuMeta := write("capture.sigmf-meta", tinyMeta("ci8", `,"core:dataset":"capture.cfile"`, ""))
	gnuData := write("capture.cfile", tinyData(32))
	upper := filepath.Join(src, "REC.SIGMF")
	if err := os.WriteFile(upper, sigmftest.Archive(t, "rec", 64), 0o644); err != nil {
		t.Fatal(err)
	}
	upload := func(files []string, want string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.Evaluate[chromedp.Void](`document.getElementById('r-status').textContent = ''`),
			chromedp.SetUploadFiles(chromedp.CSS(`#r-upload`), files),
			chromedp.Poll[chromedp.Void](`document.getElementById('r-status').textContent.includes(` + strconv.Quote(want) + `)`),
		}
	}
	browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
	within(t, ctx, 10*time.Second, "the Replay page names the upper-case recording",
		chromedp.Navigate(srv.URL+"/#replay"),
		chromedp.Poll[chromedp.Void](`document.getElementById('r-left').textContent.includes('rename them FAT.sigmf-meta and FAT.sigmf-data')`),
	)
	within(t, ctx, 10*time.Second, "an archive of two recordings",
		upload([]string{day}, "2 recordings, each in the list by its name: uploads/day-0.sigmf-meta, uploads/day-1.sigmf-meta")...)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('r-file').value + ' | ' + [...document.querySelectorAll('#r-file option')].map((o) => o.value).join(' ')`))
	if err != nil || !strings.HasPrefix(got, "uploads/day-0.sigmf-meta | ") || !strings.Contains(got, "uploads/day-1.sigmf-meta") {
		t.Errorf("after the archive: chosen | offered = %q (%v); want day-0 chosen, day-1 offered", got, err)
	}
	within(t, ctx, 10*time.Second, "a raw capture with its datatype, rate and centre",
		append([]chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.CSS(`#r-raw-type`), "ci8"),
			chromedp.SetValue(chromedp.CSS(`#r-raw-rate`), "1e6"),
			chromedp.SetValue(chromedp.CSS(`#r-raw-center`), "915e6"),
		}, upload([]string{raw}, "uploaded")...)...)
	r, err := sigmf.Open(filepath.Join(ev.deps.ReplayDir, "uploads", "night.sigmf-meta"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Datatype() != "ci8" || r.SampleRateHz() != 1e6 || r.CenterHzAt(0) != 915e6 || r.NumSamples() != 64 {
		t.Errorf("raw capture stored as %s at %g, centre %g, %d samples; want ci8 at 1e6, 915e6, 64", r.Datatype(), r.SampleRateHz(), r.CenterHzAt(0), r.NumSamples())
	}
	r.Close()
	within(t, ctx, 10*time.Second, "a GNU Radio pair", upload([]string{gnuMeta, gnuData}, "uploaded")...)
	if _, err := os.Stat(filepath.Join(ev.deps.ReplayDir, "uploads", "capture.sigmf-data")); err != nil {
		t.Errorf("the GNU Radio pair's data not stored as capture.sigmf-data: %v", err)
	}
	within(t, ctx, 10*time.Second, "an archive named in upper case", upload([]string{upper}, "rename it REC.sigmf")...)
}
