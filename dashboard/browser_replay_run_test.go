package dashboard

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// abandonWatch is a scriptedReplayer that reports the runs whose request
// ended (the page aborted it) before they finished.
type abandonWatch struct {
	*scriptedReplayer
	cancelled chan string
}

func (w *abandonWatch) Replay(ctx context.Context, path string, opts ReplayOptions) (ReplayResult, error) {
	res, err := w.scriptedReplayer.Replay(ctx, path, opts)
	if ctx.Err() != nil {
		w.cancelled <- strings.TrimSuffix(filepath.Base(path), ".sigmf-meta")
	}
	return res, err
}

// TestBrowserReplayDroppedRunIsCancelled: a run the Replay page no longer
// wants (the analyst chose another recording, or changed Min SNR, which
// starts a new run, or pressed Cancel) is aborted by the page
// (AbortController), so the server's run ends with its request and frees
// PipelineReplayer's one replay slot, which the run the analyst asked
// for, and every other analyst's, waits for (a run may take up to 10
// minutes, RunTimeout). Until 2026-12-06 the page only ignored the
// dropped run's answer (replaySeq), the server's run went on, and the
// page had no Cancel. Cancel, pressed from the keyboard, says so in the
// status, hides itself and leaves the focus on Run.
func TestBrowserReplayDroppedRunIsCancelled(t *testing.T) {
	cases := []struct {
		name       string
		drop       []chromedp.Action[chromedp.Void]
		wantStatus string // "": not checked
	}{
		{name: "another recording chosen", drop: []chromedp.Action[chromedp.Void]{
			chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('r-file'); s.value = 'a.sigmf-meta'; s.dispatchEvent(new Event('change')); })()`)}},
		{name: "Min SNR changed", drop: []chromedp.Action[chromedp.Void]{
			chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('r-thr'); s.value = '12'; s.dispatchEvent(new Event('change')); })()`)}},
		{name: "Cancel pressed", drop: []chromedp.Action[chromedp.Void]{
			chromedp.Focus(chromedp.CSS(`#r-cancel`)), chromedp.KeyEvent(kb.Enter)}, wantStatus: "cancelled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &abandonWatch{&scriptedReplayer{gate: make(chan struct{}), started: make(chan string, 2)}, make(chan string, 4)}
			ctx, _, srv := browserDashboard(t, func(d *Deps) {
				for _, n := range []string{"a", "slow"} {
					os.WriteFile(filepath.Join(d.ReplayDir, n+".sigmf-meta"), []byte(`{}`), 0o600)
				}
				d.Replayer = f
			})
			t.Cleanup(func() { close(f.gate) }) // a run still waiting ends
			browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
			within(t, ctx, 15*time.Second, "run slow",
				chromedp.Navigate(srv.URL+"/#replay"),
				chromedp.WaitReady(chromedp.CSS(`#r-file option[value="slow.sigmf-meta"]`)),
				chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('r-file'); s.value = 'slow.sigmf-meta'; s.dispatchEvent(new Event('change')); })()`),
				chromedp.Click(chromedp.CSS(`#r-run`)))
			select {
			case <-f.started:
			case <-time.After(10 * time.Second):
				t.Fatal("the run of slow never reached the server")
			}
			within(t, ctx, 5*time.Second, "Cancel shown", chromedp.WaitVisible(chromedp.CSS(`#r-cancel`)))
			within(t, ctx, 5*time.Second, tc.name, tc.drop...)
			select {
			case name := <-f.cancelled:
				if name != "slow" {
					t.Errorf("run of %s cancelled, want slow's", name)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("the run of slow, dropped by the page (%s), still runs on the server 5 s later (holding the replay slot)", tc.name)
			}
			if tc.wantStatus == "" {
				return
			}
			within(t, ctx, 5*time.Second, "Cancel hidden", chromedp.WaitNotVisible(chromedp.CSS(`#r-cancel`)))
			got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.getElementById('r-status').textContent, document.activeElement.id]`))
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != tc.wantStatus || got[1] != "r-run" {
				t.Errorf("after Cancel: status %q with the focus on #%s, want %q with the focus on #r-run", got[0], got[1], tc.wantStatus)
			}
		})
	}
}

// reportingReplayer is a scriptedReplayer whose runs report report as
// their progress (in place of its own).
type reportingReplayer struct {
	*scriptedReplayer
	report ReplayProgress
}

func (r *reportingReplayer) Replay(ctx context.Context, path string, opts ReplayOptions) (ReplayResult, error) {
	if progress := opts.Progress; progress != nil {
		opts.Progress = func(ReplayProgress) { progress(r.report) }
	}
	return r.scriptedReplayer.Replay(ctx, path, opts)
}

// TestBrowserReplayLongRunShowsProgress: while a run is under way the
// Replay page shows how far it is, as the Replayer reports it (GET
// /replay/progress, asked every second): its share of samples analysed,
// or that it waits for another run, which began when and is how far
// (not whose it is), in a live region. Until 2026-12-06 the status said "running…" and
// nothing more until the answer, for up to 10 minutes (RunTimeout), and
// a run waiting behind another analyst's said the same.
func TestBrowserReplayLongRunShowsProgress(t *testing.T) {
	cases := []struct {
		name   string
		report ReplayProgress
		want   []string
	}{
		{"running", ReplayProgress{DonePct: 25}, []string{"running… 25% of the samples analysed"}},
		{"waiting", ReplayProgress{Waiting: true, OtherStarted: time.Date(2026, 12, 6, 12, 4, 0, 0, time.UTC), OtherDonePct: 40},
			[]string{"waiting for another replay run (started ", "40% done"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &reportingReplayer{&scriptedReplayer{gate: make(chan struct{}), started: make(chan string, 1)}, tc.report}
			ctx, _, srv := browserDashboard(t, func(d *Deps) {
				os.WriteFile(filepath.Join(d.ReplayDir, "slow.sigmf-meta"), []byte(`{}`), 0o600)
				d.Replayer = f
			})
			t.Cleanup(func() { close(f.gate) })
			browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
			within(t, ctx, 15*time.Second, "run slow",
				chromedp.Navigate(srv.URL+"/#replay"),
				chromedp.WaitReady(chromedp.CSS(`#r-file option[value="slow.sigmf-meta"]`)),
				chromedp.Click(chromedp.CSS(`#r-run`)))
			select {
			case <-f.started:
			case <-time.After(10 * time.Second):
				t.Fatal("the run of slow never reached the server")
			}
			// the page asks every second: wait for its answer to show
			c, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := chromedp.Do(c, chromedp.Poll[chromedp.Void](`document.getElementById('r-status').textContent !== 'running…'`)); err != nil {
				t.Fatalf("status of a run under way: still %q after 10 s, want its progress", statusText(t, ctx))
			}
			got := statusText(t, ctx)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("status of a run under way %q, want it to hold %q", got, w)
				}
			}
			// the status line is a live region: a screen reader hears it too
			const inLive = `((n) => !!(n && n.closest('[aria-live]:not([aria-live="off"]), [role=status], [role=alert], [role=log]')))`
			if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](inLive+`(document.getElementById('r-status'))`)); err != nil || !ok {
				t.Errorf("the Replay page's status (#r-status) is in no live region: a screen reader is not told the run's progress (%v)", err)
			}
		})
	}
}

// statusText is the Replay page's status line.
func statusText(t *testing.T, ctx context.Context) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('r-status').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// gatedAuditor holds the audit row of an upload (replay.upload) until
// gate closes, so the upload is under way for as long as a test likes.
type gatedAuditor struct {
	store.Auditor
	gate    chan struct{}
	waiting chan struct{}
}

func (a *gatedAuditor) Audit(ctx context.Context, e store.AuditEntry) error {
	if e.Action == "replay.upload" {
		a.waiting <- struct{}{}
		<-a.gate
	}
	return a.Auditor.Audit(ctx, e)
}

// TestBrowserReplayUploadShowsItIsUnderWay: while an upload is sent and
// checked (up to 256 MiB, its hash and every sample read on the server)
// the Replay page's status says so: how much is sent (XMLHttpRequest's
// upload progress; fetch has none), then that the server checks the
// recording, until its answer (here held at its audit row). Until
// 2026-12-06 the status stayed as it was, and an analyst with a large
// recording chose the files again. An upload over the limit still shows
// the server's answer naming the limit.
func TestBrowserReplayUploadShowsItIsUnderWay(t *testing.T) {
	src := t.TempDir()
	meta, data := filepath.Join(src, "big.sigmf-meta"), filepath.Join(src, "big.sigmf-data")
	os.WriteFile(meta, []byte(tinyMeta("ci8", "", "")), 0o644)
	os.WriteFile(data, []byte(tinyData(64<<10)), 0o644) // 128 KiB

	t.Run("under way", func(t *testing.T) {
		aud := &gatedAuditor{gate: make(chan struct{}), waiting: make(chan struct{}, 1)}
		ctx, _, srv := browserDashboard(t, func(d *Deps) {
			os.WriteFile(filepath.Join(d.ReplayDir, "a.sigmf-meta"), []byte(`{}`), 0o600)
			d.Replayer = &scriptedReplayer{gate: make(chan struct{}), started: make(chan string, 1)}
			aud.Auditor = d.Auditor
			d.Auditor = aud
			d.MaxUpload = 4 << 20
		})
		t.Cleanup(func() { close(aud.gate) })
		browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
		within(t, ctx, 15*time.Second, "the Replay page",
			chromedp.Navigate(srv.URL+"/#replay"),
			chromedp.WaitReady(chromedp.CSS(`#r-file option[value="a.sigmf-meta"]`)),
			chromedp.SetUploadFiles(chromedp.CSS(`#r-upload`), []string{meta, data}))
		select {
		case <-aud.waiting:
		case <-time.After(10 * time.Second):
			t.Fatalf("the upload never reached the server; status %q", statusText(t, ctx))
		}
		// the body is all sent when the server audits it; the page learns
		// that in an event of its own: wait for it
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := chromedp.Do(c, chromedp.Poll[chromedp.Void](`document.getElementById('r-status').textContent.includes('checking')`)); err != nil {
			t.Errorf("status while the upload is checked %q, want it to say the upload is sent and being checked", statusText(t, ctx))
		}
	})

	t.Run("over the limit", func(t *testing.T) {
		ctx, _, srv := browserDashboard(t, func(d *Deps) {
			os.WriteFile(filepath.Join(d.ReplayDir, "a.sigmf-meta"), []byte(`{}`), 0o600)
			d.Replayer = &scriptedReplayer{gate: make(chan struct{}), started: make(chan string, 1)}
			d.MaxUpload = 16 << 10
		})
		browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")
		within(t, ctx, 15*time.Second, "upload too large",
			chromedp.Navigate(srv.URL+"/#replay"),
			chromedp.WaitReady(chromedp.CSS(`#r-file option[value="a.sigmf-meta"]`)),
			chromedp.SetUploadFiles(chromedp.CSS(`#r-upload`), []string{meta, data}))
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := chromedp.Do(c, chromedp.Poll[chromedp.Void](`document.getElementById('r-status').textContent.includes('16384 byte limit')`)); err != nil {
			t.Errorf("status after an upload over the limit %q, want the server's answer naming the 16384 byte limit", statusText(t, ctx))
		}
	})
}
