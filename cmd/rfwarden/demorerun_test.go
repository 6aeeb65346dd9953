package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// TestDemoTrackPrefix: two demos on one --dir start at the same simulated
// time (the default start is fixed by the seed), so fusion's default
// track-ID prefix, its clock at start, would be the same in both and the
// second run would reuse the first's track IDs. The demo names its fusion
// run by the wall clock instead.
func TestDemoTrackPrefix(t *testing.T) {
	w := sim.StandardWing(1)
	st, err := site.Load(strings.NewReader(string(w.SiteYAML())))
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Now()
	tests := []struct {
		name         string
		wallA, wallB time.Time
		wantSame     bool
	}{
		{"runs a minute apart", wall, wall.Add(time.Minute), false},
		{"runs a millisecond apart", wall, wall.Add(time.Millisecond), false},
		{"one run", wall, wall, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := demoTrackPrefix(tt.wallA), demoTrackPrefix(tt.wallB)
			if (a == b) != tt.wantSame {
				t.Errorf("prefixes %q and %q: same %v, want %v", a, b, a == b, tt.wantSame)
			}
			// fusion takes it
			if _, err := fusion.New(fusion.Config{}, fusion.Deps{Site: st, TrackPrefix: a}); err != nil {
				t.Errorf("fusion.New with TrackPrefix %q: %v", a, err)
			}
		})
	}
}

// TestDemoLoginNote: the banner's login. A second demo on the same --dir
// found the admin made by the first and printed "log in as admin / " with
// no password; it now says the account exists, its password is unchanged,
// and the command that sets a new one, which works as printed.
func TestDemoLoginNote(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "state with space")
	dbPath := filepath.Join(dir, "rfwarden.db")
	tests := []struct {
		name     string
		password string
		created  bool
		want     string
	}{
		{"first run", "5mwWrQEGMZVvIvQVcTpq", true, "log in as admin / 5mwWrQEGMZVvIvQVcTpq (the demo's own account: no password change asked)"},
		{"admin exists", "", false, "log in as admin: existing account; password unchanged — `rfwarden users --db '" + dbPath + "' reset-password admin` to set a new one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := demoLoginNote(tt.password, tt.created, dbPath)
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}

	// The printed command resets the password of the demo's admin.
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	users, err := dashboard.NewUsers(ctx, db.DB(), dashboard.UsersOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, created, err := users.EnsureAdmin(ctx, dashboard.AdminOptions{}); err != nil || !created {
		t.Fatalf("first EnsureAdmin: created %v, %v", created, err)
	}
	pw, created, err := users.EnsureAdmin(ctx, dashboard.AdminOptions{})
	if err != nil || created {
		t.Fatalf("second EnsureAdmin: created %v, %v", created, err)
	}
	db.Close()
	cmd := regexp.MustCompile("`([^`]*)`").FindStringSubmatch(demoLoginNote(pw, created, dbPath))
	if cmd == nil {
		t.Fatalf("no command in %q", demoLoginNote(pw, created, dbPath))
	}
	args := shellWords(t, cmd[1])
	if len(args) < 2 || args[0] != "rfwarden" || args[1] != "users" {
		t.Fatalf("command %q: want rfwarden users ...", cmd[1])
	}
	var out, errb bytes.Buffer
	if err := cmdUsers(ctx, args[2:], &out, &errb); err != nil {
		t.Fatalf("%s: %v\n%s", cmd[1], err, errb.String())
	}
	if !strings.Contains(out.String(), "new password of admin: ") {
		t.Errorf("%s printed %q, want admin's new password", cmd[1], out.String())
	}
}

// shellWords splits s as a POSIX shell would split words with single
// quotes, the only quoting demoLoginNote uses.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	in, quoted := false, false
	for _, c := range s {
		switch {
		case c == '\'':
			in, quoted = !in, true
		case c == ' ' && !in:
			if cur.Len() > 0 || quoted {
				words = append(words, cur.String())
			}
			cur.Reset()
			quoted = false
		default:
			cur.WriteRune(c)
		}
	}
	if in {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if cur.Len() > 0 || quoted {
		words = append(words, cur.String())
	}
	return words
}
