package store

import (
	"slices"
	"testing"
)

func peekAll(t *testing.T, sp *spool) []string {
	t.Helper()
	recs, _, err := sp.Peek(100, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, string(r))
	}
	return got
}

// TestSpoolCommitCrash: the log is emptied once all is delivered, and
// refilled. The cursor was written after the truncation, and without an
// fsync: a power cut between the two left the old cursor, pointing into
// the records appended after, which were then skipped. Now cursor 0 is on
// disk before the log is emptied; a cut at any step of Commit, then the
// process started again, delivers every record appended since (and at
// worst the delivered ones again, which the stores take by ID).
func TestSpoolCommitCrash(t *testing.T) {
	for _, step := range []string{"pos", "truncate"} {
		t.Run("cut after "+step, func(t *testing.T) {
			dir := t.TempDir()
			sp, err := openSpool(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"old-1", "old-2"} {
				if err := sp.Append([]byte(p)); err != nil {
					t.Fatal(err)
				}
			}
			_, off, err := sp.Peek(1, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if err := sp.Commit(off, 1); err != nil {
				t.Fatal(err)
			}
			_, off, err = sp.Peek(1, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			sp.crashAt = step
			if err := sp.Commit(off, 1); err != errCrashed { // all delivered: the log is emptied
				t.Fatalf("commit: %v", err)
			}
			sp.Close()
			sp, err = openSpool(dir) // the process starts again
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"new-1", "new-2"} {
				if err := sp.Append([]byte(p)); err != nil {
					t.Fatal(err)
				}
			}
			sp.Close()
			sp, err = openSpool(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer sp.Close()
			got := peekAll(t, sp)
			if !slices.Contains(got, "new-1") || !slices.Contains(got, "new-2") {
				t.Errorf("after the cut and two starts: %q, want new-1 and new-2 (and the old ones at most again)", got)
			}
		})
	}
}
