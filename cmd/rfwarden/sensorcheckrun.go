package main

import (
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// checkHTTPAddr returns a note on an http_addr (addr) the service who
// (sensor, fusion) cannot listen on now (in use, or no address of this
// host), "" when it can: the run would fail at once, unless what holds it
// is this service, running while an admin checks its config, so it is a
// note and not a failure.
func checkHTTPAddr(who, addr string) string {
	if addr == "" {
		return ""
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Sprintf("http_addr %q cannot be listened on now (%v): as this %s runs, that is its own; otherwise another process holds it, and the %s would stop at once: choose a free port, or stop that process", addr, err, who, who)
	}
	_ = l.Close()
	return ""
}

// printCheck prints what --check found in the config at path: "path: ok
// (summary)", then "path: note: ..." for each note.
func printCheck(stdout io.Writer, path, summary string, notes []string) error {
	if _, err := fmt.Fprintf(stdout, "%s: ok (%s)\n", path, summary); err != nil {
		return err
	}
	for _, n := range notes {
		if _, err := fmt.Fprintf(stdout, "%s: note: %s\n", path, n); err != nil {
			return err
		}
	}
	return nil
}

// recordingNotes returns notes on a file source's recording that runs but
// not as its node's config means: tuned outside every configured band
// (its detections are named by their frequency), or made so long before
// now that fusion refuses its detections (fusion.DefaultMaxAge, fusion's
// default history_days).
func recordingNotes(rec *sigmf.Recording, cfg config.Config, now time.Time) []string {
	var notes []string
	caps := rec.Meta().Captures
	if out := outsideBands(caps, cfg.Bands); len(out) > 0 && len(cfg.Bands) > 0 {
		names := make([]string, len(cfg.Bands))
		for i, b := range cfg.Bands {
			names[i] = fmt.Sprintf("%s %.6g-%.6g MHz", b.Name, b.LowHz/1e6, b.HighHz/1e6)
		}
		notes = append(notes, fmt.Sprintf("the recording %s is tuned to %s, outside every band of bands: (%s): its detections are named by their frequency, not a band; add the band the recording holds",
			cfg.Source.Path, strings.Join(out, ", "), strings.Join(names, ", ")))
	}
	var oldest time.Time
	for _, c := range caps {
		if t := rec.TimeAt(c.SampleStart); !t.IsZero() && (oldest.IsZero() || t.Before(oldest)) {
			oldest = t
		}
	}
	if age := now.Sub(oldest); !oldest.IsZero() && age > fusion.DefaultMaxAge {
		notes = append(notes, fmt.Sprintf("the recording %s was made at %s, %d days ago: fusion refuses every detection stamped more than its history_days (%d days by default) before its clock (a dead letter, reason=time, \"the sensor's clock is wrong\"); analyse an old recording with rfwarden scan, or raise fusion's history_days",
			cfg.Source.Path, oldest.Format(time.RFC3339), int(age.Hours()/24), int(fusion.DefaultMaxAge.Hours()/24)))
	}
	return notes
}

// outsideBands returns the centre frequencies, in MHz, of the captures
// no band contains, each once.
func outsideBands(caps []sigmf.Capture, bands []config.Band) []string {
	var out []string
	seen := map[float64]bool{}
	for _, c := range caps {
		if c.FrequencyHz <= 0 || seen[c.FrequencyHz] {
			continue
		}
		seen[c.FrequencyHz] = true
		in := false
		for _, b := range bands {
			in = in || c.FrequencyHz >= b.LowHz && c.FrequencyHz <= b.HighHz
		}
		if !in {
			out = append(out, fmt.Sprintf("%.6g MHz", c.FrequencyHz/1e6))
		}
	}
	return out
}
