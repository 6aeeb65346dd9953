package dashboard

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// streamSpy wraps the page's EventSource before its scripts run:
// window.streams holds every live stream the page opened.
const streamSpy = `window.streams = []; window.EventSource = class extends window.EventSource {
	constructor(url, opts) { super(url, opts); window.streams.push(this); }
};`

// openStreams is a JS expression: the URLs of the page's live streams not
// closed.
const openStreams = `window.streams.filter((s) => s.readyState !== EventSource.CLOSED).map((s) => s.url)`

// TestBrowserSpectrumStopsOffSensors: a sensor chosen on the Sensors page
// streams its spectrum (the live feed asks ?sensor=s1); leaving the page
// stops it (the feed is opened again without the sensor), where it kept
// streaming, and drawing hidden canvases, on every page.
func TestBrowserSpectrumStopsOffSensors(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: streamSpy}); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	within(t, ctx, 20*time.Second, "choose s1",
		chromedp.Navigate(srv.URL+"/#sensors"),
		chromedp.Click(chromedp.CSS(`#sensor-rows tr[data-sensor="s1"]`)),
		chromedp.Poll[chromedp.Void](openStreams+`.some((u) => u.includes('sensor=s1'))`))
	within(t, ctx, 20*time.Second, "leave the page",
		chromedp.Navigate(srv.URL+"/#alerts"),
		chromedp.Poll[chromedp.Void](`(() => { const o = `+openStreams+`; return o.length === 1 && !o[0].includes('sensor='); })()`))
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('spec-title').textContent`)); err != nil || got != "Spectrum: choose a sensor" {
		t.Errorf("the sensors page's spectrum title after leaving it %q (%v), want it to ask for a sensor again", got, err)
	}
}
