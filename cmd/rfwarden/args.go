package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// flagAfterArg reports a flag of fs written after fs's first positional
// argument (`rfwarden backup DIR --keep 30`): Go's flag package stops
// parsing at the first argument that is not a flag, so the flag and its
// value were taken for more positional arguments and the command printed
// only its usage. Commands with positional arguments call it once parsed.
// An argument that only looks like a flag (no flag of fs has its name)
// is left to the command.
func flagAfterArg(fs *flag.FlagSet) error {
	if fs.NArg() < 2 {
		return nil
	}
	for _, a := range fs.Args()[1:] {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if fs.Lookup(name) != nil {
			return fmt.Errorf("%s: flag %s comes after %q: put the flags before it (rfwarden %s [flags] %s ...)", fs.Name(), a, fs.Arg(0), fs.Name(), fs.Arg(0))
		}
	}
	return nil
}

// usageErr prints what is wrong with the arguments on its own first line,
// then the usage (usage, fs.Usage for a flag set), and returns errUsage
// (exit 1, nothing more printed). Missing or extra arguments printed the
// usage alone, saying nothing of what was wrong (`users reset-password`
// without NAME, `backup` without DIR, `version extra`).
func usageErr(stderr io.Writer, usage func(), format string, args ...any) error {
	fmt.Fprintf(stderr, format+"\n", args...)
	usage()
	return errUsage
}
