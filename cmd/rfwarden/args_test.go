package main

import (
	"bytes"
	"context"
	"errors"
	"runtime/debug"
	"strings"
	"testing"
)

// TestFlagAfterArg: a flag written after a command's first positional
// argument (Go's flag package stops at it) is refused with a line naming
// the flag, not only the usage text; an argument that merely starts with
// a dash, and flags before the arguments, are left alone.
func TestFlagAfterArg(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // "" no flagAfterArg error
	}{
		{"backup", []string{"backup", "bk", "--keep", "30"}, `backup: flag --keep comes after "bk"`},
		{"backup with =", []string{"backup", "bk", "-keep=3"}, "flag -keep=3"},
		{"restore", []string{"restore", "rfwarden-x.db", "--db", "/var/lib/rfwarden/rfwarden.db"}, `restore: flag --db comes after "rfwarden-x.db"`},
		{"node verify", []string{"node", "verify", "wing-a-1.bundle", "--pub", "site.pub"}, "node verify: flag --pub"},
		{"node install", []string{"node", "install", "wing-a-1.bundle", "--pub", "site.pub"}, "node install: flag --pub"},
		{"scan", []string{"scan", "a.sigmf-meta", "--classify=false"}, "scan: flag --classify=false"},
		{"users", []string{"users", "list", "--db", "x.db"}, "users: flag --db"},
		{"not a flag of the command", []string{"backup", "bk", "--nope"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tc.args, &out, &errOut)
			if tc.want == "" {
				if err != nil && strings.Contains(err.Error(), "comes after") {
					t.Errorf("%q: %v, want no flag-after-argument error", tc.args, err)
				}
				return
			}
			if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q: err %v, want %q", tc.args, err, tc.want)
			}
		})
	}
}

// TestMissingArgumentsSayWhatIsWrong: missing, extra or unknown
// arguments printed the usage text alone (`users reset-password` without
// NAME, `backup` without DIR, `version --bogus` not even "flag provided
// but not defined"). The first line says what is wrong, the usage
// follows, and the command fails.
func TestMissingArgumentsSayWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the first line of stderr
	}{
		{[]string{"users"}, "users: give an ACTION: list, reset-password, enable, disable, role, delete"},
		{[]string{"users", "frobnicate"}, `users: unknown action "frobnicate": give one of list, reset-password`},
		{[]string{"users", "reset-password"}, "users reset-password: give the user's NAME"},
		{[]string{"users", "role", "bob"}, "users role: give bob's ROLE after the NAME: viewer, officer, analyst or admin"},
		{[]string{"users", "list", "extra"}, `users list: takes no arguments, got "extra"`},
		{[]string{"users", "delete", "a", "b"}, `users delete: takes NAME, got 2 arguments: "a b"`},
		{[]string{"backup"}, "backup: give the folder DIR to write the backup into"},
		{[]string{"backup", "a", "b"}, `backup: give one DIR, got 2: "a b"`},
		{[]string{"restore"}, "restore: give the BACKUP.db file to restore"},
		{[]string{"restore", "a", "b"}, `restore: give one BACKUP.db, got 2: "a b"`},
		{[]string{"version", "extra"}, `version: takes no arguments, got "extra"`},
		{[]string{"version", "--bogus"}, "version: flag provided but not defined: --bogus"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), tc.args, &out, &errOut)
		if err == nil {
			t.Errorf("%q: no error", tc.args)
		}
		if got := firstLine(errOut.String()); !strings.Contains(got, tc.want) {
			t.Errorf("%q: stderr starts %q, want %q", tc.args, got, tc.want)
		}
		if !strings.Contains(errOut.String(), "usage: rfwarden") {
			t.Errorf("%q: no usage after the message:\n%s", tc.args, errOut.String())
		}
	}
	// help is no error, and prints the usage alone
	var errOut bytes.Buffer
	if err := run(context.Background(), []string{"version", "-h"}, &bytes.Buffer{}, &errOut); err != nil || !strings.HasPrefix(errOut.String(), "usage: rfwarden version") {
		t.Errorf("version -h: %v, %q", err, errOut.String())
	}
}

// TestVersionOf: the version set at build time is printed as it is; a
// plain go build from a git checkout ("dev") adds the commit Go recorded,
// its time and whether it had uncommitted changes, so two such builds
// are told apart; without a commit, "dev" alone.
func TestVersionOf(t *testing.T) {
	vcs := func(kv ...string) *debug.BuildInfo {
		var bi debug.BuildInfo
		for i := 0; i+1 < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return &bi
	}
	for _, tc := range []struct {
		set  string
		info *debug.BuildInfo
		want string
	}{
		{"2026.12.08", vcs("vcs.revision", "dca7ac25aaaaaaaaaaaa"), "2026.12.08"},
		{"dev", nil, "dev"},
		{"dev", vcs(), "dev"},
		{"dev", vcs("vcs.revision", "dca7ac25aaaaaaaaaaaa", "vcs.time", "2026-12-07T23:03:00Z", "vcs.modified", "false"), "dev (commit dca7ac25aaaa of 2026-12-07T23:03:00Z)"},
		{"dev", vcs("vcs.revision", "a3fa7f2b", "vcs.modified", "true"), "dev (commit a3fa7f2b, with uncommitted changes)"},
	} {
		if got := versionOf(tc.set, tc.info); got != tc.want {
			t.Errorf("versionOf(%q, %v) = %q, want %q", tc.set, tc.info, got, tc.want)
		}
	}
}
