package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
			sp, err := openSpool(dir, 0)
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
			sp, err = openSpool(dir, 0) // the process starts again
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"new-1", "new-2"} {
				if err := sp.Append([]byte(p)); err != nil {
					t.Fatal(err)
				}
			}
			sp.Close()
			sp, err = openSpool(dir, 0)
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

// TestSpoolLimit: a spool holding more than its limit drops its oldest
// whole records, counts them, and keeps its file within one and a half
// times the limit (it had no limit: a long InfluxDB outage filled
// /var/lib/rfwarden, and SQLite's alerts and audit with it). What is kept
// survives a restart.
func TestSpoolLimit(t *testing.T) {
	rec := func(i int) []byte { return []byte(fmt.Sprintf("%04d%s", i, strings.Repeat("x", 96))) } // 100 bytes, 108 framed
	for _, tc := range []struct {
		name        string
		maxBytes    int64
		n           int
		deliverEach int // commit this many records after every append (0: InfluxDB down)
		wantLen     int64
		wantDropped int64
	}{
		{name: "no limit", maxBytes: 0, n: 200, wantLen: 200},
		{name: "under the limit", maxBytes: 108 * 50, n: 50, wantLen: 50},
		{name: "outage past the limit", maxBytes: 108 * 50, n: 1000, wantLen: 50, wantDropped: 950},
		{name: "limit smaller than a record", maxBytes: 50, n: 10, wantLen: 1, wantDropped: 9},
		// A backlog that never empties: delivered records are reclaimed too.
		{name: "delivering behind", maxBytes: 108 * 50, n: 1000, deliverEach: 1, wantLen: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sp, err := openSpool(dir, tc.maxBytes)
			if err != nil {
				t.Fatal(err)
			}
			maxFile := int64(0)
			for i := range tc.n {
				if err := sp.Append(rec(i)); err != nil {
					t.Fatal(err)
				}
				if tc.deliverEach > 0 && i > 0 {
					_, off, err := sp.Peek(tc.deliverEach, 1<<20)
					if err != nil {
						t.Fatal(err)
					}
					if err := sp.Commit(off, tc.deliverEach); err != nil {
						t.Fatal(err)
					}
				}
				fi, err := os.Stat(filepath.Join(dir, "spool.log"))
				if err != nil {
					t.Fatal(err)
				}
				maxFile = max(maxFile, fi.Size())
			}
			if got := sp.Len(); got != tc.wantLen {
				t.Errorf("Len %d, want %d", got, tc.wantLen)
			}
			if recs, bytes := sp.Dropped(); recs != tc.wantDropped || bytes != 100*tc.wantDropped {
				t.Errorf("dropped %d records, %d bytes; want %d, %d", recs, bytes, tc.wantDropped, 100*tc.wantDropped)
			}
			if limit := tc.maxBytes + tc.maxBytes/2 + 108; tc.maxBytes > 0 && maxFile > limit {
				t.Errorf("spool.log reached %d bytes, want at most %d", maxFile, limit)
			}
			want := []string{}
			for i := tc.n - int(tc.wantLen); i < tc.n; i++ {
				want = append(want, string(rec(i)))
			}
			got := peekAll(t, sp)
			if got == nil {
				got = []string{}
			}
			if !slices.Equal(got, want[:min(len(want), 100)]) {
				t.Errorf("kept %d records (first %.4q), want the newest %d", len(got), got, len(want))
			}
			sp.Close()
			if sp, err = openSpool(dir, tc.maxBytes); err != nil {
				t.Fatal(err)
			}
			defer sp.Close()
			if got := sp.Len(); got != tc.wantLen {
				t.Errorf("after a restart Len %d, want %d", got, tc.wantLen)
			}
		})
	}
}

// TestSpoolDropWhileDelivering: records dropped between the sender's Peek
// and its Commit are neither delivered twice nor counted twice.
func TestSpoolDropWhileDelivering(t *testing.T) {
	sp, err := openSpool(t.TempDir(), 3*13)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	for _, p := range []string{"r0", "r1", "r2"} { // 5 bytes framed 13
		if err := sp.Append([]byte(p + "xxx")); err != nil {
			t.Fatal(err)
		}
	}
	recs, off, err := sp.Peek(2, 1<<20) // r0, r1 in flight
	if err != nil || len(recs) != 2 {
		t.Fatalf("peek %d, %v", len(recs), err)
	}
	if err := sp.Append([]byte("r3xxx")); err != nil { // drops r0
		t.Fatal(err)
	}
	if err := sp.Commit(off, 2); err != nil {
		t.Fatal(err)
	}
	if got, want := peekAll(t, sp), []string{"r2xxx", "r3xxx"}; !slices.Equal(got, want) {
		t.Errorf("after the commit %q, want %q", got, want)
	}
	if got := sp.Len(); got != 2 {
		t.Errorf("Len %d, want 2", got)
	}
	for _, p := range []string{"r4xxx", "r5xxx", "r6xxx", "r7xxx"} { // drops all in flight and more, compacting
		if err := sp.Append([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	_, off, _ = sp.Peek(2, 1<<20) // r5, r6
	for _, p := range []string{"r8xxx", "r9xxx", "raxxx"} {
		if err := sp.Append([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := sp.Commit(off, 2); err != nil {
		t.Fatal(err)
	}
	if got, want := peekAll(t, sp), []string{"r8xxx", "r9xxx", "raxxx"}; !slices.Equal(got, want) {
		t.Errorf("after a stale commit %q, want %q", got, want)
	}
	if got := sp.Len(); got != 3 {
		t.Errorf("Len %d, want 3", got)
	}
}
