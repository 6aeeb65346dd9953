package main

import (
	"bytes"
	"context"
	"errors"
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
