package dashboard

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// replayRunDetail is the detail of a replay run's audit row (replay.run):
// the options that choose what is analysed (threshold, pfa, start, tuning,
// length) and the size and modification time of each of the recording's
// files at p (NAME.sigmf-meta and NAME.sigmf-data beside it, or the
// NAME.sigmf archive, also for one recording of it, NAME.sigmf:dir/name), so the runs of an upload replaced under the same
// name are told apart. A file that cannot be read is named missing; the
// replay then says why it cannot run.
func replayRunDetail(req replayReq, p string) string {
	var b strings.Builder
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) } // 915000000, not 9.15e+08
	fmt.Fprintf(&b, "threshold_db=%g pfa=%g start_s=%s center_hz=%s max_seconds=%s", req.ThresholdDB, req.PFA, num(req.StartS), num(req.CenterHz), num(req.MaxSeconds))
	files := [][2]string{{"archive", p}}
	if i := strings.Index(p, sigmf.ArchiveExt+":"); i >= 0 { // one recording of an archive of several, NAME.sigmf:dir/name
		files = [][2]string{{"archive", p[:i+len(sigmf.ArchiveExt)]}}
	} else if meta, ok := strings.CutSuffix(p, sigmf.MetaExt); ok {
		files = [][2]string{{"meta", p}, {"data", meta + sigmf.DataExt}}
	}
	for _, f := range files {
		fi, err := os.Stat(f[1])
		if err != nil {
			fmt.Fprintf(&b, " %s=missing", f[0])
			continue
		}
		fmt.Fprintf(&b, " %s_bytes=%d %s_modified=%s", f[0], fi.Size(), f[0], fi.ModTime().UTC().Format(time.RFC3339Nano))
	}
	return b.String()
}

// maxReplayRunsTracked bounds the runs whose progress the dashboard keeps
// (replayRuns): each is a run under way, which holds its request open, so
// this is reached only by a client starting runs it never waits for.
const maxReplayRunsTracked = 256

// replayRuns keeps the progress of the replay runs under way that gave a
// run_id, by session and run_id: GET /replay/progress answers it to the
// session that started the run and to no other.
type replayRuns struct {
	mu   sync.Mutex
	runs map[replayRunKey]*ReplayProgress
}

type replayRunKey struct{ token, id string }

// start tracks the run id of the session whose cookie is token. It
// returns the Progress to give the run and the func that forgets it when
// the run ends. A run without an id is not tracked; one whose id the
// session is already running replaces it in the answers.
func (rr *replayRuns) start(token, id string) (func(ReplayProgress), func(), error) {
	if id == "" {
		return nil, func() {}, nil
	}
	k, p := replayRunKey{token, id}, &ReplayProgress{}
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if rr.runs == nil {
		rr.runs = map[replayRunKey]*ReplayProgress{}
	}
	if _, ok := rr.runs[k]; !ok && len(rr.runs) >= maxReplayRunsTracked {
		return nil, nil, httpError(http.StatusTooManyRequests, "%d replay runs are under way: wait for one to end", len(rr.runs))
	}
	rr.runs[k] = p
	report := func(np ReplayProgress) {
		rr.mu.Lock()
		*p = np
		rr.mu.Unlock()
	}
	done := func() {
		rr.mu.Lock()
		if rr.runs[k] == p {
			delete(rr.runs, k)
		}
		rr.mu.Unlock()
	}
	return report, done, nil
}

// get returns the progress of the session's run id.
func (rr *replayRuns) get(token, id string) (ReplayProgress, bool) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	p, ok := rr.runs[replayRunKey{token, id}]
	if !ok {
		return ReplayProgress{}, false
	}
	return *p, true
}

// checkRunID refuses a run_id the page would not send: 1 to 64 letters,
// digits, '-' or '_' ("" is no id: the run's progress is not kept).
func checkRunID(id string) error {
	if len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return httpError(http.StatusBadRequest, "run_id %q: use 1 to 64 letters, digits, '-' or '_'", trimForErr(id))
	}
	return nil
}

// replayProgress answers how far the session's replay run ?run=ID is
// (ReplayProgress): waiting for the replay slot (since when the run
// holding it has run, and how far that one is) or its share of samples
// done. A run not under way in this session (ended, not yet begun, or
// another session's) is 404.
func (s *server) replayProgress(c echo.Context) error {
	if err := checkQuery(c, "run"); err != nil {
		return err
	}
	id := c.QueryParam("run")
	if id == "" {
		return httpError(http.StatusBadRequest, "run: give the run_id the replay run was started with")
	}
	if err := checkRunID(id); err != nil {
		return err
	}
	p, ok := s.runs.get(session(c).Token, id)
	if !ok {
		return httpError(http.StatusNotFound, "no replay run %q under way in this session", trimForErr(id))
	}
	return c.JSON(http.StatusOK, p)
}
