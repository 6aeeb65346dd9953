package dashboard

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// evalString runs js in the page and returns its string, or fails the test.
func evalString(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// TestBrowserAckKeepsOtherBanner: acknowledging one alert leaves the
// banner of another still firing and unacknowledged (a reminder about
// cell L1-N08) where it is; it goes when that one is acknowledged. The
// acknowledgement hid the banner whatever alert it was about.
func TestBrowserAckKeepsOtherBanner(t *testing.T) {
	ctx, ev, srv := browserDashboard(t)
	n08 := ev.al.alerts["al1"]
	n08.ID, n08.Summary, n08.Room, n08.Zone = "n08", "LTE uplink in cell L1-N08", "L1-N08", "wing-a"
	ev.al.UpsertAlert(context.Background(), n08)
	browserLogin(t, ctx, srv.URL, "officer", "officer-password")
	within(t, ctx, 10*time.Second, "the live feed", chromedp.WaitVisible(chromedp.CSS(`#live.ok`)))
	n08.Escalations, n08.EscalatedNS = 1, n08.ActiveNS+int64(5*time.Minute)
	ev.al.UpsertAlert(context.Background(), n08)
	ev.deps.Hub.PublishAlert(n08)
	within(t, ctx, liveWait, "the reminder about L1-N08 raises the banner",
		chromedp.WaitVisible(chromedp.CSS(`#banner`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('banner-text').textContent.includes('STILL UNACKNOWLEDGED') && document.getElementById('banner-text').textContent.includes('L1-N08')`))
	within(t, ctx, 10*time.Second, "acknowledge al1, another alert",
		clickNow(`tr[data-id="al1"]`),
		chromedp.Poll[chromedp.Void](`document.getElementById('alert-detail').dataset.id === 'al1' && !!document.getElementById('ack-btn')`),
		chromedp.SendKeys(chromedp.CSS(`#ack-note`), "cell A1-02 searched"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="al1"].acked`)))
	if v := evalString(t, ctx, `(document.getElementById('banner').classList.contains('hidden') ? 'hidden' : 'shown') + ' | ' + document.getElementById('banner-text').textContent`); !strings.HasPrefix(v, "shown | STILL UNACKNOWLEDGED") || !strings.Contains(v, "L1-N08") {
		t.Errorf("banner after acknowledging al1: %q, want L1-N08's still shown", v)
	}
	within(t, ctx, 10*time.Second, "acknowledge n08, the banner's",
		clickNow(`tr[data-id="n08"]`),
		chromedp.Poll[chromedp.Void](`document.getElementById('alert-detail').dataset.id === 'n08' && !!document.getElementById('ack-btn')`),
		chromedp.SendKeys(chromedp.CSS(`#ack-note`), "cell L1-N08 searched"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="n08"].acked`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#banner`)))
}

// TestBrowserSoundOffNotice: a page loaded with no click or key on it (a
// wall display that reloads itself) has its alarm sound kept off by the
// browser: the header says so until a click anywhere turns it on. The
// page beeped into a suspended AudioContext, silent all its life.
func TestBrowserSoundOffNotice(t *testing.T) {
	ctx, _, srv := browserDashboard(t)
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	const state = `(document.getElementById('sound-off').classList.contains('hidden') ? 'hidden' : document.getElementById('sound-off').textContent)`
	within(t, ctx, 10*time.Second, "reloaded with no gesture, the sound is off",
		chromedp.Reload(),
		chromedp.WaitReady(chromedp.CSS(`#page-alerts[data-drawn]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sound-off`)))
	if v := evalString(t, ctx, state); v != "sound off — click anywhere to enable" {
		t.Errorf("notice after a reload: %q", v)
	}
	shot(t, ctx, "sound-off")
	within(t, ctx, 10*time.Second, "a click turns it on",
		chromedp.Click(chromedp.CSS(`#page-alerts`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#sound-off`)))
	if v := evalString(t, ctx, `window.rfwAudioState ? window.rfwAudioState() : 'no state'`); v != "running" {
		t.Errorf("audio after a click: %q, want running", v)
	}
}
