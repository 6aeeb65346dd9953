package hackrf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// Commander starts a process; tests inject a fake. exec.CommandContext
// fits once wrapped by ExecCommander.
type Commander func(ctx context.Context, name string, args ...string) *exec.Cmd

// ExecCommander runs real programs found on PATH.
func ExecCommander(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, name, args...)
}

// Runner runs Debian's hackrf_info, hackrf_sweep and hackrf_transfer in
// receive mode only.
type Runner struct {
	Command Commander // nil means ExecCommander
	Serial  string    // -d serial; "" means the first board
}

func (r Runner) cmd(ctx context.Context, name string, args ...string) *exec.Cmd {
	if r.Serial != "" {
		args = append([]string{"-d", r.Serial}, args...)
	}
	c := r.Command
	if c == nil {
		c = ExecCommander
	}
	return c(ctx, name, args...)
}

// Info runs hackrf_info and parses its output.
func (r Runner) Info(ctx context.Context) ([]Info, error) {
	c := r.Command
	if c == nil {
		c = ExecCommander
	}
	var out bytes.Buffer
	cmd := c(ctx, "hackrf_info")
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	infos, perr := ParseInfo(out.String())
	if perr != nil {
		if err != nil {
			return nil, fmt.Errorf("hackrf_info: %w (%w)", perr, err)
		}
		return nil, fmt.Errorf("hackrf_info: %w", perr)
	}
	return infos, nil
}

// SweepOptions are hackrf_sweep arguments.
type SweepOptions struct {
	FreqMinMHz, FreqMaxMHz int  // -f min:max
	BinWidthHz             int  // -w
	LNAGainDB, VGAGainDB   int  // -l, -g
	AmpOn                  bool // -a 1
	OneShot                bool // -1
	NumSweeps              int  // -N; 0 means until ctx ends
}

func (o SweepOptions) args() []string {
	a := []string{"-f", fmt.Sprintf("%d:%d", o.FreqMinMHz, o.FreqMaxMHz),
		"-l", strconv.Itoa(o.LNAGainDB), "-g", strconv.Itoa(o.VGAGainDB)}
	if o.BinWidthHz > 0 {
		a = append(a, "-w", strconv.Itoa(o.BinWidthHz))
	}
	if o.AmpOn {
		a = append(a, "-a", "1")
	}
	if o.OneShot {
		a = append(a, "-1")
	}
	if o.NumSweeps > 0 {
		a = append(a, "-N", strconv.Itoa(o.NumSweeps))
	}
	return a
}

// Sweep runs hackrf_sweep and calls fn for each row until the program ends,
// fn returns an error or ctx ends. A row's PowersDB is reused after fn
// returns.
func (r Runner) Sweep(ctx context.Context, opt SweepOptions, fn func(SweepRow) error) error {
	if opt.FreqMinMHz < 0 || opt.FreqMaxMHz <= opt.FreqMinMHz {
		return fmt.Errorf("hackrf_sweep: bad range %d:%d MHz", opt.FreqMinMHz, opt.FreqMaxMHz)
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := r.cmd(ctx, "hackrf_sweep", opt.args()...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("hackrf_sweep: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start hackrf_sweep: %w", err)
	}
	sr := NewSweepReader(out)
	var ferr error
	for {
		row, err := sr.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = fn(row)
		}
		if err != nil {
			ferr = err
			cancel()
			io.Copy(io.Discard, out)
			break
		}
	}
	werr := cmd.Wait()
	switch {
	case ferr != nil:
		return fmt.Errorf("hackrf_sweep: %w", ferr)
	case parent.Err() != nil:
		return parent.Err()
	case werr != nil:
		return fmt.Errorf("hackrf_sweep: %w: %s", werr, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}

// TransferOptions are hackrf_transfer receive arguments.
type TransferOptions struct {
	CenterHz             int64 // -f
	SampleRateHz         int   // -s
	BasebandFilterHz     int   // -b; 0 lets the tool choose
	LNAGainDB, VGAGainDB int   // -l, -g
	AmpOn                bool  // -a 1
	NumSamples           int64 // -n; 0 means until closed
}

func (o TransferOptions) args() []string {
	a := []string{"-r", "-", "-f", strconv.FormatInt(o.CenterHz, 10), "-s", strconv.Itoa(o.SampleRateHz),
		"-l", strconv.Itoa(o.LNAGainDB), "-g", strconv.Itoa(o.VGAGainDB)}
	if o.BasebandFilterHz > 0 {
		a = append(a, "-b", strconv.Itoa(o.BasebandFilterHz))
	}
	if o.AmpOn {
		a = append(a, "-a", "1")
	}
	if o.NumSamples > 0 {
		a = append(a, "-n", strconv.FormatInt(o.NumSamples, 10))
	}
	return a
}

// TransferWaitDelay bounds how long a transfer's Close waits, once the
// program is stopped, for its output to close: a process it left behind
// outside its process group that holds stdout or stderr open (a wrapper
// script's child) no longer holds Close up for ever.
const TransferWaitDelay = 2 * time.Second

// Transfer starts hackrf_transfer -r - and returns its stdout: interleaved
// ci8 IQ (decode with sensor/sigmf.DecodeSamples and datatype "ci8").
// Close stops the program, with every process of its process group where
// the system has them (a wrapper script's children too), and reports how
// it ended, with the end of what it printed on stderr; it waits at most
// TransferWaitDelay for output held open by a process that escaped.
func (r Runner) Transfer(ctx context.Context, opt TransferOptions) (io.ReadCloser, error) {
	if opt.SampleRateHz <= 0 || opt.CenterHz <= 0 {
		return nil, fmt.Errorf("hackrf_transfer: centre %d Hz, rate %d Hz: both must be positive", opt.CenterHz, opt.SampleRateHz)
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := r.cmd(ctx, "hackrf_transfer", opt.args()...)
	st := &transferStream{cmd: cmd, cancel: cancel, stderr: tailBuffer{max: stderrTailBytes}}
	cmd.Stderr = &st.stderr
	cmd.WaitDelay = TransferWaitDelay
	ownGroup(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("hackrf_transfer: %w", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start hackrf_transfer: %w", err)
	}
	st.out = out
	return st, nil
}

type transferStream struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	out    io.ReadCloser
	stderr tailBuffer
	once   sync.Once
	err    error
}

func (t *transferStream) Read(p []byte) (int, error) { return t.out.Read(p) }

// Close stops hackrf_transfer. A stop we caused is not an error.
func (t *transferStream) Close() error {
	t.once.Do(func() {
		t.cancel()
		killGroup(t.cmd)
		werr := t.cmd.Wait()
		var ee *exec.ExitError
		if werr != nil && !(errors.As(werr, &ee) && !ee.Exited()) {
			t.err = fmt.Errorf("hackrf_transfer: %w: %s", werr, t.stderr.tail())
		}
	})
	return t.err
}

// stderrTailBytes is how much of the end of hackrf_transfer's stderr a
// stream keeps for its error: the tool prints a line of statistics every
// second for as long as it runs.
const stderrTailBytes = 2048

// tailBuffer keeps the last max bytes written to it. It is safe for
// concurrent use (exec's copying goroutine writes while Close may read).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
	cut bool // bytes before b were dropped
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
		t.cut = true
	}
	return len(p), nil
}

// tail returns what was kept, trimmed, from its first whole line when
// earlier bytes were dropped.
func (t *tailBuffer) tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.b
	if i := bytes.IndexByte(b, '\n'); t.cut && i >= 0 {
		b = b[i+1:]
	}
	return string(bytes.TrimSpace(b))
}
