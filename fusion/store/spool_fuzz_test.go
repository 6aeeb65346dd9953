package store

import (
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// spoolFrame frames p as the spool writes it.
func spoolFrame(p string) []byte {
	b := make([]byte, 8, 8+len(p))
	binary.LittleEndian.PutUint32(b, uint32(len(p)))
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum([]byte(p), crcTable))
	return append(b, p...)
}

// spoolRecords returns the records of the whole frames at the start of
// log, and the offset each starts at (the offset after the last too).
func spoolRecords(log []byte) (recs []string, offs []int64) {
	off := 0
	for {
		offs = append(offs, int64(off))
		if len(log)-off < 8 {
			return recs, offs
		}
		n := int(binary.LittleEndian.Uint32(log[off:]))
		if n > maxSpoolRecord || len(log)-off-8 < n || crc32.Checksum(log[off+8:off+8+n], crcTable) != binary.LittleEndian.Uint32(log[off+4:]) {
			return recs, offs
		}
		recs = append(recs, string(log[off+8:off+8+n]))
		off += 8 + n
	}
}

// FuzzOpenSpool opens fusion's InfluxDB spool from any spool.log and
// spool.pos left on disk (a crash, a damaged disk, a hand edit) and checks
// that what it then delivers is the log's whole records from one record's
// start to the end (from the saved cursor when it is a record's start,
// from the first record otherwise: a resend the stores take by ID, never a
// record lost nor a read that fails forever), that Len counts them, and
// that a record appended after them and a commit of everything work.
func FuzzOpenSpool(f *testing.F) {
	two := append(spoolFrame("batch-1"), spoolFrame("batch-2")...)
	f.Add(two, []byte("0"), uint16(0))
	f.Add(two, []byte("15"), uint16(0))                                                          // the second record's start
	f.Add(two, []byte("3"), uint16(0))                                                           // inside the first record
	f.Add(two, []byte("-5"), uint16(0))                                                          // negative
	f.Add(two, []byte("999"), uint16(0))                                                         // past the end
	f.Add(two, []byte(" 15\n"), uint16(40))                                                      // with a limit
	f.Add(append(slices.Clone(two), 0xff, 0xff, 0xff, 0x03, 0, 0, 0, 0), []byte("x"), uint16(0)) // a torn tail claiming 64 MiB
	f.Fuzz(func(t *testing.T, log, pos []byte, limit uint16) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "spool.log"), log, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "spool.pos"), pos, 0o600); err != nil {
			t.Fatal(err)
		}
		sp, err := openSpool(dir, int64(limit))
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer func() { sp.Close() }()
		recs, offs := spoolRecords(log)
		got, _, err := sp.Peek(len(recs)+1, 1<<30)
		if err != nil {
			t.Fatalf("peek after open: %v", err)
		}
		from := len(recs) - len(got)
		if from < 0 || !slices.Equal(strs(got), recs[from:]) {
			t.Fatalf("delivers %q; want a tail of the log's records %q", got, recs)
		}
		if sp.Len() != int64(len(got)) {
			t.Fatalf("Len %d, delivers %d", sp.Len(), len(got))
		}
		if c, err := strconv.ParseInt(strings.TrimSpace(string(pos)), 10, 64); err == nil && c <= offs[len(offs)-1] && slices.Contains(offs, c) {
			if want := slices.Index(offs, c); from != want {
				t.Fatalf("cursor %d, a record's start: delivers from record %d, want %d", c, from, want)
			}
		} else if err == nil && c > offs[len(offs)-1] && len(got) != 0 {
			t.Fatalf("cursor %d past the end (%d): delivers %d records", c, offs[len(offs)-1], len(got))
		}
		if err := sp.Append([]byte("new")); err != nil {
			t.Fatalf("append: %v", err)
		}
		got, off, err := sp.Peek(len(recs)+2, 1<<30)
		if err != nil || len(got) == 0 || string(got[len(got)-1]) != "new" || sp.Len() != int64(len(got)) {
			t.Fatalf("after an append: %q (Len %d), %v; want the new record last", got, sp.Len(), err)
		}
		if err := sp.Commit(off, len(got)); err != nil {
			t.Fatalf("commit: %v", err)
		}
		sp.Close()
		if sp, err = openSpool(dir, int64(limit)); err != nil {
			t.Fatalf("reopen: %v", err)
		}
		if sp.Len() != 0 {
			t.Fatalf("everything committed: reopened with %d records", sp.Len())
		}
	})
}

func strs(bs [][]byte) []string {
	var s []string
	for _, b := range bs {
		s = append(s, string(b))
	}
	return s
}

// TestSpoolBadCursor: a spool.pos that is not the start of one of
// spool.log's records (damage, a hand edit) made every Peek fail, so the
// InfluxDB sender delivered nothing more, ever; a number out of range
// skipped every record. Now such a cursor delivers the whole log again
// (the stores take what they have by ID) and says why (badPos, which
// OpenInflux logs); a cursor past the valid log still means all of it
// was delivered.
func TestSpoolBadCursor(t *testing.T) {
	log := append(spoolFrame("batch-1"), spoolFrame("batch-2")...) // records at 0 and 15, end 30
	for _, tc := range []struct {
		name, pos string
		want      []string
		wantBad   bool
	}{
		{"the first record", "0", []string{"batch-1", "batch-2"}, false},
		{"the second record", "15\n", []string{"batch-2"}, false},
		{"the end", "30", nil, false},
		{"past the end", "31", nil, false},
		{"inside a record", "3", []string{"batch-1", "batch-2"}, true},
		{"negative", "-5", []string{"batch-1", "batch-2"}, true},
		{"not a number", "fifteen", []string{"batch-1", "batch-2"}, true},
		{"out of range", "99999999999999999999", []string{"batch-1", "batch-2"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "spool.log"), log, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "spool.pos"), []byte(tc.pos), 0o600); err != nil {
				t.Fatal(err)
			}
			sp, err := openSpool(dir, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer sp.Close()
			if got := peekAll(t, sp); !slices.Equal(got, tc.want) {
				t.Errorf("delivers %q, want %q", got, tc.want)
			}
			if got := sp.Len(); got != int64(len(tc.want)) {
				t.Errorf("Len %d, want %d", got, len(tc.want))
			}
			if (sp.badPos != "") != tc.wantBad || tc.wantBad && !strings.Contains(sp.badPos, "spool.pos") {
				t.Errorf("badPos %q, want a problem named: %v", sp.badPos, tc.wantBad)
			}
		})
	}
}

// TestSpoolTornHeaderNoAllocation: opening a log whose torn last header
// claims 64 MiB does not allocate them to find the record short.
func TestSpoolTornHeaderNoAllocation(t *testing.T) {
	dir := t.TempDir()
	log := append(spoolFrame("batch-1"), 0xff, 0xff, 0xff, 0x03, 0, 0, 0, 0)
	if err := os.WriteFile(filepath.Join(dir, "spool.log"), log, 0o600); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sp, err := openSpool(dir, 0)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Errorf("open allocated %d bytes for a 23-byte log", got)
	}
	if got := peekAll(t, sp); !slices.Equal(got, []string{"batch-1"}) {
		t.Errorf("delivers %q, want the whole record before the torn one", got)
	}
}

// TestInfluxLogsBadSpoolCursor: fusion says in its log when it delivers
// the whole spool again because spool.pos is not a record's start.
func TestInfluxLogsBadSpoolCursor(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() // nothing answers: the spool keeps its records
	l.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "spool.log"), spoolFrame("batch-1"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "spool.pos"), []byte("3"), 0o600); err != nil {
		t.Fatal(err)
	}
	var log syncbuf.Buffer
	s, err := OpenInflux(InfluxConfig{URL: closed, Database: "rfwarden", SpoolDir: dir, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := log.String(); !strings.Contains(got, "spool cursor unreadable; delivering the whole spool again") || !strings.Contains(got, `spool.pos \"3\" is not the start of a record`) {
		t.Errorf("log %q, want the cursor named", got)
	}
	if n := s.Pending(); n != 1 {
		t.Errorf("%d batches pending, want the one in the log", n)
	}
}
