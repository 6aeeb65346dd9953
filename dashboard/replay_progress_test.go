package dashboard

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// progressLog collects the reports of a run's ReplayOptions.Progress.
type progressLog struct {
	mu  sync.Mutex
	got []ReplayProgress
}

func (l *progressLog) report(p ReplayProgress) {
	l.mu.Lock()
	l.got = append(l.got, p)
	l.mu.Unlock()
}

func (l *progressLog) reports() []ReplayProgress {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ReplayProgress(nil), l.got...)
}

// checkRanToEnd checks that got, the reports of a run after any waiting
// ones, begin at 0, never go back and end at 100.
func checkRanToEnd(t *testing.T, got []ReplayProgress) {
	t.Helper()
	for len(got) > 0 && got[0].Waiting {
		got = got[1:]
	}
	if len(got) < 2 || got[0] != (ReplayProgress{}) || got[len(got)-1] != (ReplayProgress{DonePct: 100}) {
		t.Fatalf("reports of the run %+v, want {0} first and {100} last", got)
	}
	for i, p := range got[1:] {
		if p.Waiting || p.DonePct < got[i].DonePct {
			t.Errorf("report %d %+v after %+v: want running and never going back", i+1, p, got[i])
		}
	}
}

// TestPipelineReplayerReportsProgress: a run tells its Progress how far
// it is, from 0 to 100 % of its samples; a run that finds the replay slot
// held says at once that it waits, with when the run holding the slot
// began and how far that one is (never whose it is), then runs when the
// slot is free. The page shows these (TestBrowserReplayLongRunShowsProgress);
// until 2026-12-06 only the server's log had a run's progress.
func TestPipelineReplayerReportsProgress(t *testing.T) {
	dir := t.TempDir()
	meta := writeSynthRecording(t, dir, "burst")
	r := newTestReplayer(t, dir)

	t.Run("given a free slot when run then it reports 0 to 100", func(t *testing.T) {
		var l progressLog
		if _, err := r.Replay(context.Background(), meta, ReplayOptions{Progress: l.report}); err != nil {
			t.Fatal(err)
		}
		got := l.reports()
		if got[0].Waiting {
			t.Errorf("first report %+v: the slot was free, want no wait", got[0])
		}
		checkRanToEnd(t, got)
	})

	t.Run("given the slot held when run then it says it waits and since when", func(t *testing.T) {
		holding, release := make(chan time.Time, 1), make(chan struct{})
		var once sync.Once
		// the first run holds the slot in its first report until released
		first := func(p ReplayProgress) {
			once.Do(func() { holding <- time.Now(); <-release })
		}
		errs := make(chan error, 2)
		before := time.Now()
		go func() {
			_, err := r.Replay(context.Background(), meta, ReplayOptions{Progress: first})
			errs <- err
		}()
		var heldAt time.Time
		select {
		case heldAt = <-holding:
		case <-time.After(10 * time.Second):
			t.Fatal("the first run never got the slot")
		}
		waits := make(chan ReplayProgress, 1)
		var l progressLog
		second := func(p ReplayProgress) {
			l.report(p)
			select {
			case waits <- p:
			default:
			}
		}
		go func() {
			_, err := r.Replay(context.Background(), meta, ReplayOptions{Progress: second})
			errs <- err
		}()
		select {
		case p := <-waits:
			if !p.Waiting || p.OtherStarted.Before(before) || p.OtherStarted.After(heldAt) || p.OtherDonePct != 0 {
				t.Errorf("first report of a run behind another %+v, want waiting for a run that began between %v and %v, 0 %% done",
					p, before.Format(time.RFC3339Nano), heldAt.Format(time.RFC3339Nano))
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the second run reported nothing while the slot was held")
		}
		close(release)
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		checkRanToEnd(t, l.reports())
	})

	t.Run("given the slot held when the waiting run's context ends then it stops waiting", func(t *testing.T) {
		r.sem <- struct{}{} // another run holds the slot
		defer func() { <-r.sem }()
		ctx, cancel := context.WithCancel(context.Background())
		var l progressLog
		_, err := r.Replay(ctx, meta, ReplayOptions{Progress: func(p ReplayProgress) { l.report(p); cancel() }})
		if err == nil || ctx.Err() == nil {
			t.Fatalf("a run cancelled while waiting: err %v, want the context's", err)
		}
		if got := l.reports(); len(got) != 1 || !got[0].Waiting {
			t.Errorf("reports of a run cancelled while waiting %+v, want one, waiting", got)
		}
	})
}

// heldReplayer reports progress once, says so on started, and holds its
// run until release closes (or the run's context ends).
type heldReplayer struct {
	progress ReplayProgress
	started  chan struct{}
	release  chan struct{}
}

func (*heldReplayer) Check(string) error { return nil }

func (h *heldReplayer) Replay(ctx context.Context, path string, opts ReplayOptions) (ReplayResult, error) {
	if opts.Progress != nil {
		opts.Progress(h.progress)
	}
	h.started <- struct{}{}
	select {
	case <-h.release:
	case <-ctx.Done():
		return ReplayResult{}, ctx.Err()
	}
	return ReplayResult{}, nil
}

// TestReplayProgressAnswersTheSessionsRun: GET /replay/progress?run=ID
// answers how far the replay run the session started with run_id ID is,
// as its Replayer reported it (here: waiting for another run, which began
// at 12:04 and is 40 % done), to that session only: another session of
// the same analyst and an officer are refused, a bad or missing run is
// 400, and a run that has ended is 404.
func TestReplayProgressAnswersTheSessionsRun(t *testing.T) {
	ev := newEnv(t)
	os.WriteFile(filepath.Join(ev.deps.ReplayDir, "rec.sigmf-meta"), []byte(`{}`), 0o600)
	h := &heldReplayer{progress: ReplayProgress{Waiting: true, OtherStarted: time.Date(2026, 12, 6, 12, 4, 0, 0, time.UTC), OtherDonePct: 40},
		started: make(chan struct{}, 1), release: make(chan struct{})}
	ev.deps.Replayer = h
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	a := login(t, e, RoleAnalyst, "analyst-password")
	other := login(t, e, RoleAnalyst, "analyst-password")
	officer := login(t, e, RoleOfficer, "officer-password")
	if rec := do(e, "POST", "/api/v1/replay/run", `{"path":"rec.sigmf-meta","run_id":"no spaces"}`, "application/json", &a, true); rec.Code != 400 || !strings.Contains(rec.Body.String(), "run_id") {
		t.Errorf("run with run_id %q: %d %s, want 400 naming run_id", "no spaces", rec.Code, trunc(rec.Body.String()))
	}
	ran := make(chan int, 1)
	go func() {
		ran <- do(e, "POST", "/api/v1/replay/run", `{"path":"rec.sigmf-meta","run_id":"r-1"}`, "application/json", &a, true).Code
	}()
	select {
	case <-h.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the run never reached the Replayer")
	}
	cases := []struct {
		name     string
		who      *creds
		query    string
		wantCode int
		wantBody string
	}{
		{"the session's run", &a, "run=r-1", 200, `{"waiting":true,"done_pct":0,"other_started":"2026-12-06T12:04:00Z","other_done_pct":40}`},
		{"another session's run", &other, "run=r-1", 404, "no replay run"},
		{"as officer", &officer, "run=r-1", 403, ""},
		{"no run", &a, "", 400, "run_id"},
		{"bad run", &a, "run=%3Cb%3E", 400, "run_id"},
		{"unknown query", &a, "run=r-1&x=1", 400, "x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(e, "GET", "/api/v1/replay/progress?"+tc.query, "", "", tc.who, false)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("GET progress?%s: %d %s, want %d with %s", tc.query, rec.Code, trunc(rec.Body.String()), tc.wantCode, tc.wantBody)
			}
		})
	}
	close(h.release)
	if code := <-ran; code != 200 {
		t.Fatalf("the run answered %d, want 200", code)
	}
	if rec := do(e, "GET", "/api/v1/replay/progress?run=r-1", "", "", &a, false); rec.Code != 404 {
		t.Errorf("progress of a run that has ended: %d %s, want 404", rec.Code, trunc(rec.Body.String()))
	}
}

// TestReplayRunsTrackedBounded: the dashboard keeps the progress of at
// most maxReplayRunsTracked runs under way: one more is refused (429)
// until one ends, a run under an id the session already runs replaces it
// (and the one replaced, ending, does not forget it), and a run without
// an id is not kept.
func TestReplayRunsTrackedBounded(t *testing.T) {
	var rr replayRuns
	dones := make([]func(), 0, maxReplayRunsTracked)
	for i := range maxReplayRunsTracked {
		_, done, err := rr.start("tok", "run-"+strconv.Itoa(i))
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		dones = append(dones, done)
	}
	steps := []struct {
		name     string
		token    string
		id       string
		wantCode int // 0: taken
	}{
		{"one more", "tok", "run-extra", http.StatusTooManyRequests},
		{"one more of another session", "other", "run-0", http.StatusTooManyRequests},
		{"an id under way again", "tok", "run-0", 0},
		{"no id", "tok", "", 0},
	}
	for _, st := range steps {
		report, _, err := rr.start(st.token, st.id)
		var he *echo.HTTPError
		switch {
		case st.wantCode == 0 && err != nil:
			t.Errorf("%s: %v, want it taken", st.name, err)
		case st.wantCode != 0 && (!errors.As(err, &he) || he.Code != st.wantCode):
			t.Errorf("%s: %v, want %d", st.name, err, st.wantCode)
		case st.id == "" && report != nil:
			t.Errorf("%s: a Progress given, want none (the run is not kept)", st.name)
		}
	}
	dones[0]() // the run-0 replaced ends: the one that replaced it stays
	if _, ok := rr.get("tok", "run-0"); !ok {
		t.Errorf("run-0 forgotten when the run it replaced ended")
	}
	dones[1]()
	if _, _, err := rr.start("tok", "run-extra"); err != nil {
		t.Errorf("a run after one ended: %v, want it taken", err)
	}
}
