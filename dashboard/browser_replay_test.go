package dashboard

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// scriptedTunings are the tunings of each recording scriptedReplayer
// knows, by name without .sigmf-meta.
var scriptedTunings = map[string][]float64{
	"a": {915e6, 916e6}, "b": {2.44e9, 2.45e9}, "slow": {433e6, 434e6}, "snip-d1": {1747.5e6}, "x": {100e6},
}

type replayCall struct {
	name     string
	centerHz float64
	startS   float64
}

// scriptedReplayer answers as PipelineReplayer does for the Replay page's
// sake: each recording has its own tunings, and a center_hz not among them
// is refused (400) as PipelineReplayer refuses it; "bad" fails (422); a run
// of "slow" waits for gate.
type scriptedReplayer struct {
	annotated string
	gate      chan struct{}
	started   chan string
	mu        sync.Mutex
	calls     []replayCall
}

func (*scriptedReplayer) Check(string) error { return nil }

func (f *scriptedReplayer) last() replayCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return replayCall{}
	}
	return f.calls[len(f.calls)-1]
}

func (f *scriptedReplayer) Replay(ctx context.Context, path string, opts ReplayOptions) (ReplayResult, error) {
	name := strings.TrimSuffix(filepath.Base(path), ".sigmf-meta")
	f.mu.Lock()
	f.calls = append(f.calls, replayCall{name, opts.CenterHz, opts.StartS})
	f.mu.Unlock()
	if name == "slow" {
		if opts.Progress != nil { // a quarter done, as PipelineReplayer reports it
			opts.Progress(ReplayProgress{DonePct: 25})
		}
		f.started <- name
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ReplayResult{}, ctx.Err()
		}
	}
	tunings, ok := scriptedTunings[name]
	if !ok {
		return ReplayResult{}, fmt.Errorf("replay %q: broken recording", name)
	}
	center := tunings[0]
	if opts.CenterHz != 0 {
		if !slices.Contains(tunings, opts.CenterHz) {
			return ReplayResult{}, fmt.Errorf("%w: center_hz %.0f: no capture of the analysed stretch is tuned there", ErrReplayInput, opts.CenterHz)
		}
		center = opts.CenterHz
	}
	res := ReplayResult{AnnotatedMeta: f.annotated, AnalysedToS: 1, RecordingS: 1, Notes: []string{"a note about " + name},
		Spectrogram: Spectrogram{CenterHz: center, DurationS: 1, FreqLowHz: center - 5e5, FreqHighHz: center + 5e5, NFFT: 4,
			RowsDB: [][]float32{{-100, -90, -95, -100}, {-100, -60, -95, -100}}, RowStartS: []float64{0, 0.5}},
		Detections: []ReplayDetection{{StartS: 0.5, EndS: 0.9, TuneCenterHz: center, OnSpectrogram: true, SpecY0: 0.5, SpecY1: 0.9,
			FreqLowHz: center - 2e5, FreqHighHz: center + 1e5, Class: "gsm", Label: "gsm " + name, PowerDB: -60, SNRDB: 30}}}
	for _, t := range tunings {
		res.Tunings = append(res.Tunings, ReplayTuning{CenterHz: t, DurationS: 0.5, Captures: 1})
	}
	return res, nil
}

// TestBrowserReplayRecordingChange: every path that changes the Replay
// page's recording starts afresh: the list, an alert's replay button, an
// upload, and a run still under way whose answer arrives after another
// recording was chosen. They sent the previous recording's tuning, so the
// run failed with 400 "no capture of the analysed stretch is tuned there".
// A failed run leaves no earlier results or Download link behind.
func TestBrowserReplayRecordingChange(t *testing.T) {
	f := &scriptedReplayer{gate: make(chan struct{}), started: make(chan string, 1)}
	ctx, _, srv := browserDashboard(t, func(d *Deps) {
		for _, n := range []string{"a", "b", "slow", "bad"} {
			os.WriteFile(filepath.Join(d.ReplayDir, n+".sigmf-meta"), []byte(`{}`), 0o600)
		}
		os.WriteFile(filepath.Join(d.SnippetDir, "snip-d1.sigmf-meta"), []byte(`{}`), 0o600)
		f.annotated = filepath.Join(t.TempDir(), "run.replay.sigmf-meta")
		os.WriteFile(f.annotated, []byte(`{}`), 0o600)
		d.Replayer = f
	})
	str := func(t *testing.T, js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	const tuneOpts = `[...document.getElementById('r-tune').options].map((o) => o.value).join(',')`
	// pick chooses a recording as an analyst does (a change event)
	pick := func(v string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('r-file'); s.value = '` + v + `'; s.dispatchEvent(new Event('change')); })()`)
	}
	// chooseTuning picks a tuning as an analyst does: the page runs again
	chooseTuning := func(hz string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('r-tune'); delete document.getElementById('r-status').dataset.count; s.value = '` + hz + `'; s.dispatchEvent(new Event('change')); })()`)
	}
	done := chromedp.WaitReady(chromedp.CSS(`#r-status[data-count]`))
	// runAt runs b at its second tuning: the state each case starts from
	runAt := func(t *testing.T, step string) {
		t.Helper()
		within(t, ctx, 15*time.Second, step,
			chromedp.Navigate(srv.URL+"/#replay"),
			chromedp.WaitReady(chromedp.CSS(`#r-file option[value="b.sigmf-meta"]`)),
			pick("b.sigmf-meta"),
			chromedp.Click(chromedp.CSS(`#r-run`)), done,
			chooseTuning("2450000000"), done,
		)
		if c := f.last(); c.name != "b" || c.centerHz != 2.45e9 || str(t, `document.getElementById('r-tune').value`) != "2450000000" {
			t.Fatalf("%s: last run %+v, tuning %s; want b at 2.45 GHz", step, c, str(t, `document.getElementById('r-tune').value`))
		}
	}
	// fresh checks that the last run was of name from its start at its first tuning
	fresh := func(t *testing.T, step, name string) {
		t.Helper()
		st := str(t, `document.getElementById('r-status').textContent`)
		c := f.last()
		if c.name != name || c.centerHz != 0 || c.startS != 0 || strings.Contains(st, "no capture") {
			t.Errorf("%s: last run %+v, status %q; want %s from its start at its first tuning (center_hz 0)", step, c, st, name)
		}
		if got := str(t, `[...document.getElementById('r-rows').querySelectorAll('td')].map((td) => td.textContent).join('|')`); strings.Contains(got, "gsm b") {
			t.Errorf("%s: the detections table still shows b's: %q", step, got)
		}
	}
	browserLogin(t, ctx, srv.URL, "analyst", "analyst-password")

	t.Run("the list", func(t *testing.T) {
		runAt(t, "b at its second tuning")
		within(t, ctx, 15*time.Second, "pick a and run", pick("a.sigmf-meta"), chromedp.Click(chromedp.CSS(`#r-run`)), done)
		fresh(t, "the list", "a")
	})

	t.Run("an alert's replay button", func(t *testing.T) {
		runAt(t, "b at its second tuning")
		within(t, ctx, 15*time.Second, "replay the alert's evidence",
			chromedp.Navigate(srv.URL+"/#alerts"),
			// Found and clicked in one evaluation: the list and the
			// detail are drawn again as the page loads, and a click on
			// a node found before that failed "Could not find node with
			// given id" (CI, 2026-12-07).
			clickNow(`tr[data-id="al1"]`),
			chromedp.WaitVisible(chromedp.CSS(`button.replay-snippet`)),
			chromedp.Evaluate[chromedp.Void](`delete document.getElementById('r-status').dataset.count`),
			clickNow(`button.replay-snippet`),
			chromedp.WaitVisible(chromedp.CSS(`#page-replay`)),
			chromedp.Poll[chromedp.Void](`document.getElementById('r-status').dataset.count !== undefined || /no capture|error/.test(document.getElementById('r-status').textContent)`),
		)
		fresh(t, "an alert's replay button", "snip-d1")
		if v := str(t, `document.getElementById('r-tune').value`); v != "1747500000" {
			t.Errorf("tuning %s after the alert's run, want the snippet's 1747500000", v)
		}
	})

	t.Run("an upload", func(t *testing.T) {
		runAt(t, "b at its second tuning")
		src := t.TempDir()
		meta, data := filepath.Join(src, "x.sigmf-meta"), filepath.Join(src, "x.sigmf-data")
		os.WriteFile(meta, []byte(tinyMeta("ci8", "", "")), 0o644)
		os.WriteFile(data, []byte(tinyData(32)), 0o644)
		within(t, ctx, 15*time.Second, "upload x and run it",
			chromedp.SetUploadFiles(chromedp.CSS(`#r-upload`), []string{meta, data}),
			chromedp.Poll[chromedp.Void](`document.getElementById('r-status').textContent.startsWith('uploaded')`),
			chromedp.Click(chromedp.CSS(`#r-run`)),
			chromedp.Poll[chromedp.Void](`document.getElementById('r-status').dataset.count !== undefined || /no capture/.test(document.getElementById('r-status').textContent)`),
		)
		fresh(t, "an upload", "x")
	})

	t.Run("a run under way", func(t *testing.T) {
		runAt(t, "b at its second tuning")
		// runsDone counts the runs' answers the page has taken: the count
		// goes up in a task after the answer's JSON is read, so after the
		// page's code that follows it has run. The page aborts a run it
		// drops (TestBrowserReplayDroppedRunIsCancelled); here the abort is
		// not passed on (the signal dropped), as for an answer already on
		// its way, so slow's late answer reaches the page.
		within(t, ctx, 15*time.Second, "run slow",
			chromedp.Evaluate[chromedp.Void](`(() => { window.runsDone = 0; const f = window.fetch; window.fetch = async (u, o) => {
				const r = await f(u, { ...o, signal: undefined });
				if (String(u).includes('/replay/run')) { const j = r.json.bind(r); r.json = async () => { const d = await j(); setTimeout(() => window.runsDone++, 0); return d; }; }
				return r; }; })()`),
			pick("slow.sigmf-meta"), chromedp.Click(chromedp.CSS(`#r-run`)))
		select {
		case <-f.started:
		case <-time.After(10 * time.Second):
			t.Fatal("the run of slow never reached the server")
		}
		// the analyst picks a while slow runs; then slow's answer arrives
		within(t, ctx, 5*time.Second, "pick a", pick("a.sigmf-meta"))
		f.gate <- struct{}{}
		within(t, ctx, 10*time.Second, "slow's answer", chromedp.Poll[chromedp.Void](`window.runsDone === 1`))
		if got := str(t, tuneOpts); strings.Contains(got, "433000000") {
			t.Errorf("after slow's late answer the Tuning list offers slow's tunings %q", got)
		}
		if got := str(t, `document.getElementById('r-rows').textContent`); strings.Contains(got, "gsm slow") {
			t.Errorf("slow's late answer filled the detections table: %q", got)
		}
		within(t, ctx, 15*time.Second, "run a", chromedp.Evaluate[chromedp.Void](`delete document.getElementById('r-status').dataset.count`),
			chromedp.Click(chromedp.CSS(`#r-run`)),
			chromedp.Poll[chromedp.Void](`document.getElementById('r-status').dataset.count !== undefined || /no capture/.test(document.getElementById('r-status').textContent)`))
		fresh(t, "a run under way", "a")
	})

	t.Run("a failed run", func(t *testing.T) {
		runAt(t, "b at its second tuning")
		if hidden := str(t, `String(document.getElementById('r-download').classList.contains('hidden'))`); hidden != "false" {
			t.Fatalf("Download hidden after b's run")
		}
		within(t, ctx, 15*time.Second, "pick bad and run", pick("bad.sigmf-meta"), chromedp.Click(chromedp.CSS(`#r-run`)),
			chromedp.Poll[chromedp.Void](`document.getElementById('r-status').textContent.includes('broken recording')`))
		got := str(t, `[document.getElementById('r-rows').children.length, document.getElementById('r-boxes').children.length, document.getElementById('r-notes').children.length,
			document.getElementById('r-download').classList.contains('hidden')].join(',')`)
		if got != "0,0,0,true" {
			t.Errorf("after a failed run: rows, boxes, notes, Download hidden = %s; want 0,0,0,true (no earlier results)", got)
		}
		// a failed run of the same recording too
		within(t, ctx, 15*time.Second, "b again, then a tuning it lacks",
			pick("b.sigmf-meta"), chromedp.Click(chromedp.CSS(`#r-run`)), done,
			chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('r-tune'); s.append(new Option('1', '1')); s.value = '1'; s.dispatchEvent(new Event('change')); })()`),
			chromedp.Poll[chromedp.Void](`document.getElementById('r-status').textContent.includes('no capture')`))
		if got := str(t, `[document.getElementById('r-rows').children.length, document.getElementById('r-download').classList.contains('hidden')].join(',')`); got != "0,true" {
			t.Errorf("after a refused run of the same recording: rows, Download hidden = %s; want 0,true", got)
		}
	})
}

// clickNow clicks the first element matching the CSS selector sel once
// there is one: the page expression finds and clicks it in one
// evaluation, false while there is none, so that a list drawn again in
// between cannot take the node away. For the rows of the alert and
// registry lists and the buttons of the alert's detail, which the page
// draws again on a live update or a load.
func clickNow(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => { const el = document.querySelector(` + strconv.Quote(sel) + `); if (!el) return false; el.click(); return true; })()`)
}
