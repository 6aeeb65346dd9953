package main

import (
	"fmt"
	"path/filepath"
)

// input is a file a command reads, named as its user knows it: a flag
// ("--walk") or what it is ("corpus recording").
type input struct{ what, path string }

// notInput refuses, before any work, an output path given to outFlag that
// is one of inputs ("" paths are none): the same file (os.SameFile, so a
// symbolic or hard link counts) or, where either does not exist yet, the
// same path once cleaned and made absolute. Writing it would replace what
// the command reads with what it writes: eval --json over a corpus
// recording's metadata, node bundle --out over the site's signing key.
func notInput(outFlag, out string, inputs ...input) error {
	if out == "" {
		return nil
	}
	absOut, _ := filepath.Abs(out)
	for _, in := range inputs {
		if in.path == "" {
			continue
		}
		same := sameFileAs(out, in.path) != ""
		if !same {
			absIn, _ := filepath.Abs(in.path)
			same = absIn == absOut
		}
		if same {
			return fmt.Errorf("%s %s is the %s %s, which it would overwrite: name another file", outFlag, out, in.what, in.path)
		}
	}
	return nil
}
