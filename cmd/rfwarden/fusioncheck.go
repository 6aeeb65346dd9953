package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/internal/english"
)

// checkFusion is `rfwarden fusion --check` of the config at path, once
// fusion.yaml (fc), its site (s) and its engine config (cfg, with the
// alert rules) have loaded: it checks, reading only, what fusion would
// refuse at its start before the broker or the database (the state
// folders, the location model, the alert rules, the seen file), prints
// "path: ok (site ..., N floors, N rooms, N sensors, N alert rules)" and
// a "path: note: ..." line for each warning fusion would log at its start
// (what in the site is likely a mistake among them: siteNotes), for the
// cells and landings too few sensors hear and a floor with no sensor
// (fusion.Engine.CoverageNotes), and for an http_addr it cannot listen
// on now. It neither connects to the
// broker nor opens the database, nor takes fusion's state locks: a
// running fusion's config can be checked beside it.
func checkFusion(stdout io.Writer, path string, fc fusion.FileConfig, s *site.Site, cfg fusion.Config) error {
	if err := checkStateFolders(fc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	notes := append(fc.SecretWarnings(), siteNotes(fc.Site, s)...)
	eng, err := fusion.New(cfg, fusion.Deps{Site: s, Logger: slog.New(&noteHandler{notes: &notes})})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	notes = append(notes, fileNotes(fc.Site, eng.CoverageNotes())...) // where sensors are too few
	if n := checkHTTPAddr("fusion", fc.HTTPAddr); n != "" {
		notes = append(notes, n)
	}
	rules := len(eng.Alerts().Rules())
	summary := fmt.Sprintf("site %s, %d %s, %d %s, %d %s, %d %s", s.ID,
		len(s.Floors), english.Plural(len(s.Floors), "floor", "floors"), len(s.Rooms), english.Plural(len(s.Rooms), "room", "rooms"),
		len(s.Sensors), english.Plural(len(s.Sensors), "sensor", "sensors"), rules, english.Plural(rules, "alert rule", "alert rules"))
	return printCheck(stdout, path, summary, notes)
}

// siteNotes returns what in the site s, read from file, is likely a
// mistake (site.Site.Notes), each after the file's path: fusion logs
// them at its start and --check prints them; none is refused.
func siteNotes(file string, s *site.Site) []string { return fileNotes(file, s.Notes()) }

// fileNotes returns notes on the site file, each after its path.
func fileNotes(file string, notes []string) []string {
	for i, n := range notes {
		notes[i] = file + ": " + n
	}
	return notes
}

// noteHandler is a slog.Handler that keeps each record at warn level or
// above as a note: its message, and its attributes as key=value in
// brackets. It lets --check show what fusion's parts log at their start.
type noteHandler struct {
	notes *[]string
	attrs []slog.Attr
}

// Enabled reports level >= warn.
func (h *noteHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

// Handle appends r to the notes.
func (h *noteHandler) Handle(_ context.Context, r slog.Record) error {
	var kv []string
	add := func(a slog.Attr) bool {
		kv = append(kv, a.Key+"="+a.Value.String())
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	n := r.Message
	if len(kv) > 0 {
		n += " (" + strings.Join(kv, ", ") + ")"
	}
	*h.notes = append(*h.notes, n)
	return nil
}

// WithAttrs returns a handler that adds as to every note.
func (h *noteHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &noteHandler{notes: h.notes, attrs: append(h.attrs[:len(h.attrs):len(h.attrs)], as...)}
}

// WithGroup returns h: notes are flat.
func (h *noteHandler) WithGroup(string) slog.Handler { return h }
