package main

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"
)

// TestSubcommandHelp: every subcommand's --help and -h print its usage,
// "usage: rfwarden NAME", and succeed (sensor printed Go's bare "Usage of
// sensor:" and exited 1; version printed the version).
func TestSubcommandHelp(t *testing.T) {
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, flag := range []string{"--help", "-h"} {
			t.Run(name+flag, func(t *testing.T) {
				var out bytes.Buffer
				err := run(context.Background(), []string{name, flag}, &out, &out)
				if err != nil {
					t.Errorf("rfwarden %s %s: %v, want success", name, flag, err)
				}
				if want := "usage: rfwarden " + name; !strings.Contains(out.String(), want) {
					t.Errorf("rfwarden %s %s printed %q, want %q", name, flag, out.String(), want)
				}
			})
		}
	}
}
