package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress output of eval and sim. (scan draws its own bar.)
const (
	progressBarWidth = 20                     // cells of the bar on a terminal, whatever its width
	progressRedraw   = 100 * time.Millisecond // least time between redraws on a terminal
	progressLineGap  = 5 * time.Second        // time between lines elsewhere (a log, a pipe)
)

// progress reports how far a long job has got on stderr: on a terminal a
// bar of fixed width redrawn in place, elsewhere a plain line when the job
// starts, every progressLineGap and at the end. close draws the state the
// job reached, so a job that failed or was cancelled shows where it
// stopped. A nil *progress draws nothing. It is not safe for concurrent use.
type progress struct {
	w           io.Writer
	desc        string
	tty         bool
	total, done int64
	now         func() time.Time
	start, last time.Time
	drawn       bool // a line or the bar has been drawn
	width       int  // of the last terminal line, to blank a shorter one
}

// newProgress returns a progress of total units on w, or nil when !show
// or there is nothing to count. tty selects the redrawn bar.
func newProgress(w io.Writer, show, tty bool, total int64, desc string) *progress {
	if !show || total <= 0 {
		return nil
	}
	return &progress{w: w, desc: desc, tty: tty, total: total, now: time.Now}
}

// add counts n more units done.
func (p *progress) add(n int64) {
	if p == nil {
		return
	}
	t := p.now()
	if p.start.IsZero() {
		p.start = t
	}
	p.done = min(p.done+n, p.total)
	gap := progressLineGap
	if p.tty {
		gap = progressRedraw
	}
	if !p.drawn || t.Sub(p.last) >= gap || (p.tty && p.done == p.total) {
		p.draw(t, false)
	}
}

// close draws the final state, where the job stopped, and ends the line.
func (p *progress) close() {
	if p == nil {
		return
	}
	t := p.now()
	if p.start.IsZero() {
		p.start = t
	}
	p.draw(t, true)
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) draw(t time.Time, final bool) {
	p.last, p.drawn = t, true
	elapsed := t.Sub(p.start)
	pct := 100 * p.done / p.total
	var left string
	if p.done > 0 && p.done < p.total && elapsed > 0 {
		rest := time.Duration(float64(elapsed) * float64(p.total-p.done) / float64(p.done))
		left = roundDur(rest).String()
	}
	if !p.tty {
		switch {
		case final && p.done == p.total:
			fmt.Fprintf(p.w, "%s: %d%% (%d/%d) in %v\n", p.desc, pct, p.done, p.total, roundDur(elapsed))
		case final:
			fmt.Fprintf(p.w, "%s: stopped at %d%% (%d/%d) after %v\n", p.desc, pct, p.done, p.total, roundDur(elapsed))
		case left != "":
			fmt.Fprintf(p.w, "%s: %d%% (%d/%d) after %v, about %s left\n", p.desc, pct, p.done, p.total, roundDur(elapsed), left)
		default:
			fmt.Fprintf(p.w, "%s: %d%% (%d/%d) after %v\n", p.desc, pct, p.done, p.total, roundDur(elapsed))
		}
		return
	}
	cells := int(int64(progressBarWidth) * p.done / p.total)
	times := roundDur(elapsed).String()
	if left != "" {
		times += ":" + left
	}
	line := fmt.Sprintf("\r%s %3d%% |%s%s| (%d/%d) [%s]", p.desc, pct,
		strings.Repeat("█", cells), strings.Repeat(" ", progressBarWidth-cells), p.done, p.total, times)
	n := len([]rune(line))
	if n < p.width {
		line += strings.Repeat(" ", p.width-n)
	}
	p.width = max(p.width, n)
	fmt.Fprint(p.w, line)
}

// roundDur rounds d for display: to 0.1 s under a minute, else to seconds.
func roundDur(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
