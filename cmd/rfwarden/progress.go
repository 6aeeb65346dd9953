package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress output of scan, eval and sim.
const (
	progressBarWidth = 20                     // cells of the bar on a terminal (fewer on one too narrow for the line)
	progressRedraw   = 100 * time.Millisecond // least time between redraws on a terminal
	progressLineGap  = 5 * time.Second        // time between lines elsewhere (a log, a pipe)
)

// progress reports how far a long job has got on stderr: on a terminal the
// progressbar package's bar, redrawn in place; elsewhere a plain line when
// the job starts (when the progress is made), every progressLineGap and at
// the end (a bar's carriage returns make a log unreadable). Its clock
// starts when it is made, so a job whose first unit takes long (one large
// recording) shows the time it took. close shows the state the job reached,
// so a job that failed or was cancelled shows where it stopped, not a
// full bar. A nil *progress draws nothing. It is not safe for concurrent
// use.
type progress struct {
	w           io.Writer
	desc        string
	bar         *progressbar.ProgressBar // on a terminal, else nil
	total, done int64
	now         func() time.Time
	start, last time.Time // when it was made; when a line was last written (not on a terminal)
}

// newProgress returns a progress of total units on w, or nil when !show
// or there is nothing to count. tty selects the redrawn bar.
func newProgress(w io.Writer, show, tty bool, total int64, desc string) *progress {
	return newProgressClock(w, show, tty, total, desc, time.Now)
}

// newProgressClock is newProgress reading the time from now.
func newProgressClock(w io.Writer, show, tty bool, total int64, desc string, now func() time.Time) *progress {
	if !show || total <= 0 {
		return nil
	}
	p := &progress{w: w, desc: desc, total: total, now: now, start: now()}
	if tty {
		p.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
			progressbar.OptionSetWidth(progressBarWidth), progressbar.OptionShowCount(), progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(progressRedraw))
		_ = p.bar.RenderBlank()
		return p
	}
	p.line(p.start, false)
	return p
}

// interject writes line (a message met during the job) on a line of its
// own: on a terminal the bar is cleared first and redrawn at the next add.
func (p *progress) interject(line string) {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintln(p.w, line)
}

// add counts n more units done.
func (p *progress) add(n int64) {
	if p == nil {
		return
	}
	n = min(n, p.total-p.done)
	p.done += n
	if p.bar != nil {
		_ = p.bar.Add64(n)
		return
	}
	if t := p.now(); t.Sub(p.last) >= progressLineGap {
		p.line(t, false)
	}
}

// close shows the final state, where the job stopped, and ends the line.
func (p *progress) close() {
	if p == nil {
		return
	}
	if p.bar != nil {
		if p.done == p.total {
			_ = p.bar.Finish() // draws the full bar
			fmt.Fprintln(p.w)
			return
		}
		// Exit, not Finish or Close, which fill the bar: the bar stays
		// as last drawn (throttled), and a line says where it stopped.
		_ = p.bar.Exit()
		fmt.Fprintf(p.w, "\n%s: stopped at %d%% (%d/%d) after %v\n", p.desc, 100*p.done/p.total, p.done, p.total,
			roundDur(p.now().Sub(p.start)))
		return
	}
	p.line(p.now(), true)
}

// line writes the state as a plain line (not on a terminal).
func (p *progress) line(t time.Time, final bool) {
	p.last = t
	elapsed := t.Sub(p.start)
	pct := 100 * p.done / p.total
	switch {
	case final && p.done == p.total:
		fmt.Fprintf(p.w, "%s: %d%% (%d/%d) in %v\n", p.desc, pct, p.done, p.total, roundDur(elapsed))
	case final:
		fmt.Fprintf(p.w, "%s: stopped at %d%% (%d/%d) after %v\n", p.desc, pct, p.done, p.total, roundDur(elapsed))
	case p.done == 0 && elapsed == 0:
		fmt.Fprintf(p.w, "%s: 0%% (0/%d)\n", p.desc, p.total)
	case p.done > 0 && elapsed > 0:
		left := time.Duration(float64(elapsed) * float64(p.total-p.done) / float64(p.done))
		fmt.Fprintf(p.w, "%s: %d%% (%d/%d) after %v, about %v left\n", p.desc, pct, p.done, p.total, roundDur(elapsed), roundDur(left))
	default:
		fmt.Fprintf(p.w, "%s: %d%% (%d/%d) after %v\n", p.desc, pct, p.done, p.total, roundDur(elapsed))
	}
}

// roundDur rounds d for display: to 0.1 s under a minute, else to seconds.
func roundDur(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
