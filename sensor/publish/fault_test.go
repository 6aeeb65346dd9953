package publish

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// faultFile makes a segment file's writes or fsyncs fail while fail is
// set: "write" fails with ENOSPC after writing half the bytes (a full
// disk), "sync" with EIO after a whole write (a failing one).
type faultFile struct {
	segFile
	path string
	fail string // "", "write" or "sync"
	// bare: the error does not name the file (an *os.File's errors are
	// an *os.PathError naming the operation and the path)
	bare bool
}

// err is the fault's error for op.
func (f *faultFile) err(op string, errno syscall.Errno) error {
	if f.bare {
		return errno
	}
	return &os.PathError{Op: op, Path: f.path, Err: errno}
}

func (f *faultFile) WriteAt(b []byte, off int64) (int, error) {
	if f.fail == "write" {
		n, _ := f.segFile.WriteAt(b[:len(b)/2], off)
		return n, f.err("write", syscall.ENOSPC)
	}
	return f.segFile.WriteAt(b, off)
}

func (f *faultFile) Sync() error {
	if f.fail == "sync" {
		return f.err("sync", syscall.EIO)
	}
	return f.segFile.Sync()
}

// injectFault wraps the segment appended to in a faultFile.
func injectFault(o *Outbox) *faultFile {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.segs[len(o.segs)-1]
	ff := &faultFile{segFile: s.f, path: s.path}
	s.f = ff
	return ff
}

// TestOutboxWriteFaultMessage: the error of a failed segment write or
// fsync names the operation and the segment's path once, as the agent
// logs it and health's reason quotes it. It said "enqueue: write
// /x/outbox/seg-....log: write /x/outbox/seg-....log: no space left on
// device": the outbox put the path before the *os.PathError, which names
// it again.
func TestOutboxWriteFaultMessage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault string
		bare  bool
		want  string // with PATH for the segment's path
	}{
		{"write", "write", false, "enqueue: write PATH: no space left on device"},
		{"sync", "sync", false, "enqueue: sync PATH: input/output error"},
		{"write, an error not naming the file", "write", true, "enqueue: write PATH: no space left on device"},
		{"sync, an error not naming the file", "sync", true, "enqueue: sync PATH: input/output error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Open(t.TempDir(), testOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			ff := injectFault(o)
			ff.fail, ff.bare = tc.fault, tc.bare
			_, err = o.Enqueue(payload(0))
			if err == nil {
				t.Fatal("Enqueue with a failing disk: nil error")
			}
			if want := strings.ReplaceAll(tc.want, "PATH", ff.path); err.Error() != want {
				t.Errorf("Enqueue with a failing disk:\n got %q\nwant %q", err, want)
			}
		})
	}
}

// TestPathErr: pathErr names the operation and the path once, whatever
// the error it wraps says of them.
func TestPathErr(t *testing.T) {
	const path = "/x/outbox/seg-00000000000000000007.log"
	for _, tc := range []struct {
		name string
		op   string
		err  error
		want string
	}{
		{"the file's error", "write", &os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}, "write " + path + ": no space left on device"},
		{"another step's", "truncate", &os.PathError{Op: "open", Path: path, Err: syscall.EACCES}, "truncate: open " + path + ": permission denied"},
		{"another file's", "sync", &os.PathError{Op: "sync", Path: "/x/outbox", Err: syscall.EIO}, "sync " + path + ": sync /x/outbox: input/output error"},
		{"an error naming no file", "read", syscall.EIO, "read " + path + ": input/output error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := pathErr(tc.op, path, tc.err)
			if err.Error() != tc.want {
				t.Errorf("pathErr(%q, path, %v) = %q, want %q", tc.op, tc.err, err, tc.want)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("pathErr(%q, path, %v) does not wrap it", tc.op, tc.err)
			}
		})
	}
}

// TestOutboxWriteFault: a write or fsync that fails (a disk full for a
// while, a transient EIO) refuses that batch and nothing else. The outbox
// takes records again once the disk does, in order, and what a reopen
// (a kill) finds on disk is exactly the records accepted: the failed
// write's bytes are not read as records.
func TestOutboxWriteFault(t *testing.T) {
	for _, tc := range []struct {
		fault   string
		wantErr error
	}{
		{"write", syscall.ENOSPC},
		{"sync", syscall.EIO},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			dir := t.TempDir()
			o, err := Open(dir, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			for i := range 5 {
				if _, err := o.Enqueue(payload(i)); err != nil {
					t.Fatal(err)
				}
			}
			ff := injectFault(o)
			ff.fail = tc.fault
			batch := [][]byte{payload(5), payload(6), payload(7)}
			if _, err := o.EnqueueBatch(batch); !errors.Is(err, tc.wantErr) {
				t.Fatalf("EnqueueBatch with a failing disk: %v, want %v", err, tc.wantErr)
			}
			if st := o.Stats(); st.Depth != 5 {
				t.Errorf("depth %d after a refused batch, want 5", st.Depth)
			}
			// A kill now: the failed write left nothing to discard.
			k, err := Open(dir, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			if st := k.Stats(); st.Depth != 5 || st.Discarded != 0 {
				t.Errorf("reopened after the failed write: %+v, want a depth of 5 and nothing discarded", st)
			}
			k.closeFiles()
			ff.fail = "" // the disk has room again
			if _, err := o.EnqueueBatch(batch); err != nil {
				t.Fatalf("EnqueueBatch once the disk recovered: %v", err)
			}
			if _, err := o.Enqueue(payload(8)); err != nil {
				t.Fatal(err)
			}
			// A kill: what is on disk is the nine records, in order.
			o2, err := Open(dir, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer o2.Close()
			if st := o2.Stats(); st.Depth != 9 || st.Discarded != 0 {
				t.Errorf("after reopen: %+v, want a depth of 9 and nothing discarded", st)
			}
			for i, r := range drain(t, o2, 9) {
				if !bytes.Equal(r.Payload, payload(i)) {
					t.Errorf("record %d: %q, want %q", i, r.Payload, payload(i))
				}
			}
		})
	}
}

// TestOutboxNewSegmentFault: a batch that fills a segment and cannot
// create the next (the outbox directory gone) is accepted up to the full
// segment, and EnqueueBatch says how far; the rest, offered again once
// the directory is back, follows without a gap or a duplicate.
func TestOutboxNewSegmentFault(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "outbox")
	o, err := Open(dir, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	perSeg := 4096 / len(frame(payload(0)))
	for i := range perSeg - 3 {
		if _, err := o.Enqueue(payload(i)); err != nil {
			t.Fatal(err)
		}
	}
	var batch [][]byte
	for i := perSeg - 3; i < perSeg+7; i++ {
		batch = append(batch, payload(i))
	}
	away := filepath.Join(parent, "away")
	if err := os.Rename(dir, away); err != nil {
		t.Fatal(err)
	}
	n, err := o.EnqueueBatch(batch)
	if n != 3 || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("EnqueueBatch without a directory for the next segment: %d accepted, %v; want 3, not exist", n, err)
	}
	if st := o.Stats(); st.Depth != int64(perSeg) {
		t.Errorf("depth %d, want %d", st.Depth, perSeg)
	}
	if err := os.Rename(away, dir); err != nil {
		t.Fatal(err)
	}
	if m, err := o.EnqueueBatch(batch[n:]); m != len(batch)-n || err != nil {
		t.Fatalf("EnqueueBatch of the rest: %d accepted, %v; want %d", m, err, len(batch)-n)
	}
	o2, err := Open(dir, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer o2.closeFiles()
	total := perSeg + 7
	if st := o2.Stats(); st.Depth != int64(total) {
		t.Errorf("depth after reopen %d, want %d", st.Depth, total)
	}
	for i, r := range drain(t, o2, total) {
		if !bytes.Equal(r.Payload, payload(i)) {
			t.Errorf("record %d: %q, want %q", i, r.Payload, payload(i))
		}
	}
}
