package nodecheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/firmware/hackrf"
)

// Status is the outcome of one check.
type Status int

// Statuses, from best to worst; Skip means the check could not run.
const (
	OK Status = iota
	Skip
	Warn
	Fail
)

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Skip:
		return "skip"
	case Warn:
		return "warn"
	case Fail:
		return "FAIL"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// MarshalText writes the status name, so JSON reports read "warn", not 2.
func (s Status) MarshalText() ([]byte, error) { return []byte(strings.ToLower(s.String())), nil }

// Check is one line of the report.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Hint   string `json:"hint,omitempty"` // what to do about a warning or failure
}

// Report is the result of Run.
type Report struct {
	Board        *hackrf.Info `json:"board,omitempty"`
	LibVersion   string       `json:"libhackrf_version,omitempty"`
	NoiseDBFS    *float64     `json:"noise_floor_dbfs,omitempty"` // total noise power over the capture bandwidth
	Checks       []Check      `json:"checks"`
	CheckedAtUTC time.Time    `json:"checked_at"`
}

// Worst returns the worst status of the report (OK when it is empty).
func (r Report) Worst() Status {
	w := OK
	for _, c := range r.Checks {
		if c.Status > w {
			w = c.Status
		}
	}
	return w
}

// WriteText writes the report as aligned lines, hints indented below.
func (r Report) WriteText(w io.Writer) error {
	for _, c := range r.Checks {
		if _, err := fmt.Fprintf(w, "%-4s  %-9s %s\n", c.Status, c.Name, c.Detail); err != nil {
			return err
		}
		if c.Hint != "" {
			if _, err := fmt.Fprintf(w, "      %9s -> %s\n", "", c.Hint); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteJSON writes the report as one indented JSON object.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Deps are the node's outside world. DefaultDeps returns the real one.
type Deps struct {
	// Run runs a program and returns its combined output.
	Run func(ctx context.Context, name string, args ...string) ([]byte, error)
	// Capture starts a receive-only capture of raw ci8 IQ
	// (hackrf.Runner.Transfer fits).
	Capture func(ctx context.Context, opt hackrf.TransferOptions) (io.ReadCloser, error)
	// USB is sysfs' /sys/bus/usb/devices; nil skips the USB check.
	USB fs.FS
	// Now stamps the report.
	Now func() time.Time
}

// DefaultDeps runs the Debian hackrf tools and reads the real sysfs.
// serial selects the board hackrf_transfer opens ("" = the first).
func DefaultDeps(serial string) Deps {
	return Deps{
		Run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
			return exec.CommandContext(ctx, name, args...).CombinedOutput()
		},
		Capture: hackrf.Runner{Serial: serial}.Transfer,
		USB:     os.DirFS("/sys/bus/usb/devices"),
		Now:     time.Now,
	}
}

// Options select what Run checks.
type Options struct {
	Serial       string        // board to check; "" = the only (or first) board
	NoiseTest    bool          // run the noise-floor self-test
	CenterHz     int64         // self-test centre; 0 = DefaultNoiseCenterHz
	SampleRateHz int           // self-test rate; 0 = DefaultNoiseRateHz
	Dur          time.Duration // self-test capture length; 0 = DefaultNoiseDur
	Timeout      time.Duration // bound on each external program; 0 = 10 s
}

// Run performs every check and returns the report. It returns an error
// only when ctx ends; problems with the node are in the report.
func Run(ctx context.Context, d Deps, opt Options) (Report, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	r := Report{CheckedAtUTC: now().UTC()}
	board, lib, c := checkBoard(ctx, d, opt)
	r.Checks = append(r.Checks, c)
	if err := ctx.Err(); err != nil {
		return r, err
	}
	r.Board, r.LibVersion = board, lib
	if board == nil {
		r.Checks = append(r.Checks, Check{Name: "firmware", Status: Skip, Detail: "no board"})
	} else {
		r.Checks = append(r.Checks, checkFirmware(board.FirmwareVersion, lib))
	}
	r.Checks = append(r.Checks, checkUSB(d.USB, board))
	switch {
	case !opt.NoiseTest:
		r.Checks = append(r.Checks, Check{Name: "noise", Status: Skip, Detail: "self-test not requested"})
	case board == nil:
		r.Checks = append(r.Checks, Check{Name: "noise", Status: Skip, Detail: "no board to capture from"})
	default:
		if opt.Serial == "" {
			opt.Serial = board.Serial
		}
		floor, c := checkNoise(ctx, d, opt)
		r.Checks = append(r.Checks, c)
		r.NoiseDBFS = floor
	}
	return r, ctx.Err()
}

// checkBoard runs hackrf_info and picks the board to check.
func checkBoard(ctx context.Context, d Deps, opt Options) (*hackrf.Info, string, Check) {
	c := Check{Name: "board"}
	if d.Run == nil {
		c.Status, c.Detail = Skip, "no program runner"
		return nil, "", c
	}
	rctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	out, runErr := d.Run(rctx, "hackrf_info")
	text := string(out)
	lib := libVersion(text)
	if errors.Is(runErr, exec.ErrNotFound) || errors.Is(runErr, fs.ErrNotExist) {
		c.Status, c.Detail = Fail, "hackrf_info not found on PATH"
		c.Hint = "install the host tools: apt install hackrf"
		return nil, lib, c
	}
	if rctx.Err() == context.DeadlineExceeded {
		c.Status, c.Detail = Fail, fmt.Sprintf("hackrf_info did not finish within %v", opt.Timeout)
		c.Hint = "the board may be wedged: unplug it, wait 5 s, plug it into a USB 2.0 port"
		return nil, lib, c
	}
	if line := openFailure(text); line != "" {
		c.Status, c.Detail = Fail, "a board is present but cannot be opened: "+line
		c.Hint = "check the udev rule for 1d50:6089 and that the service user is in group plugdev; is another program using it?"
		return nil, lib, c
	}
	infos, err := hackrf.ParseInfo(text)
	if errors.Is(err, hackrf.ErrNoDevice) {
		c.Status, c.Detail = Fail, "no HackRF board found"
		c.Hint = "check the cable and power, `lsusb -d 1d50:` and the board's LEDs; a board in DFU mode needs hackrf_spiflash"
		return nil, lib, c
	}
	if err != nil {
		c.Status, c.Detail = Fail, err.Error()
		return nil, lib, c
	}
	var board *hackrf.Info
	for i := range infos {
		if opt.Serial == "" || strings.EqualFold(strings.TrimLeft(infos[i].Serial, "0"), strings.TrimLeft(strings.TrimPrefix(opt.Serial, "0x"), "0")) {
			board = &infos[i]
			break
		}
	}
	if board == nil {
		serials := make([]string, len(infos))
		for i, in := range infos {
			serials[i] = in.Serial
		}
		c.Status, c.Detail = Fail, fmt.Sprintf("no board with serial %s (found %s)", opt.Serial, strings.Join(serials, ", "))
		c.Hint = "fix source.serial in node.yaml"
		return nil, lib, c
	}
	name := board.BoardName
	if name == "" {
		name = fmt.Sprintf("board ID %d", board.BoardID)
	}
	c.Status, c.Detail = OK, fmt.Sprintf("%s, serial %s", name, board.Serial)
	if board.HardwareRev != "" {
		c.Detail += ", hardware " + board.HardwareRev
	}
	if len(infos) > 1 && opt.Serial == "" {
		c.Status = Warn
		c.Detail += fmt.Sprintf(" (first of %d boards)", len(infos))
		c.Hint = "several boards are attached: set source.serial in node.yaml so the sensor always opens the same one"
	}
	return board, lib, c
}

// libVersion returns the release of "libhackrf version: 2023.01.1 (0.8)".
func libVersion(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "libhackrf version:"); ok {
			v, _, _ = strings.Cut(strings.TrimSpace(v), " ")
			return v
		}
	}
	return ""
}

// openFailure returns hackrf_info's line saying it found but could not
// open a board, or "".
func openFailure(out string) string {
	for _, line := range strings.Split(out, "\n") {
		l := strings.TrimSpace(line)
		if strings.Contains(l, "hackrf_open() failed") || strings.Contains(l, "insufficient permissions") {
			return l
		}
	}
	return ""
}

// MinFirmware is the oldest firmware release rfwarden supports: the first
// with sweep mode (hackrf_sweep), which the sweep source needs.
const MinFirmware = "2017.02.1"

// parseRelease parses a HackRF release "YYYY.MM.N".
func parseRelease(s string) ([3]int, bool) {
	var v [3]int
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, v[0] >= 2000 && v[1] >= 1 && v[1] <= 12
}

func olderThan(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// checkFirmware compares the board's firmware with MinFirmware and with
// the host's libhackrf release.
func checkFirmware(fw, lib string) Check {
	c := Check{Name: "firmware"}
	v, ok := parseRelease(fw)
	if !ok {
		c.Status, c.Detail = Warn, fmt.Sprintf("firmware %q is not a release version; cannot compare", fw)
		c.Hint = "flash a release: hackrf_spiflash -w hackrf_one_usb.bin from the host's hackrf package"
		return c
	}
	min, _ := parseRelease(MinFirmware)
	if olderThan(v, min) {
		c.Status, c.Detail = Fail, fmt.Sprintf("firmware %s is older than %s, the oldest rfwarden supports", fw, MinFirmware)
		c.Hint = "update: hackrf_spiflash -w /usr/share/hackrf/hackrf_one_usb.bin, then press RESET"
		return c
	}
	if l, ok := parseRelease(lib); ok && olderThan(v, l) {
		c.Status, c.Detail = Warn, fmt.Sprintf("firmware %s is older than the host's libhackrf %s", fw, lib)
		c.Hint = "flash the matching release: hackrf_spiflash -w /usr/share/hackrf/hackrf_one_usb.bin, then press RESET"
		return c
	}
	c.Status, c.Detail = OK, "firmware "+fw
	if lib != "" {
		c.Detail += ", libhackrf " + lib
	}
	return c
}
