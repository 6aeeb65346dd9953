package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/rfwarden/rfwarden/internal/atomicfile"
)

// spool is a durable first-in first-out queue of byte records on disk: an
// append-only log file plus a cursor file holding the offset of the first
// record not yet delivered. Records are framed as length (uint32 LE), CRC-32C
// (uint32 LE) and payload; a torn or corrupt tail (a crash mid-append) is
// detected by its CRC and cut off on open, never delivered.
//
// When every record has been delivered the log is truncated, so the spool
// stays small while its consumer keeps up.
type spool struct {
	mu     sync.Mutex
	dir    string
	log    *os.File
	end    int64 // length of the valid log
	cursor int64 // offset of the first undelivered record
	count  int64 // records between cursor and end
	rd     *os.File
	// crashAt, set by tests, stops Commit at the named step as a power
	// cut there would ("pos": the cursor is on disk; "truncate": the log
	// is emptied too).
	crashAt string
}

var errCrashed = errors.New("spool: stopped as by a power cut (test)")

var crcTable = crc32.MakeTable(crc32.Castagnoli)

const maxSpoolRecord = 64 << 20

func openSpool(dir string) (*spool, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool dir %q: %w", dir, err)
	}
	logPath := filepath.Join(dir, "spool.log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open spool %q: %w", logPath, err)
	}
	s := &spool{dir: dir, log: f}
	if b, err := os.ReadFile(filepath.Join(dir, "spool.pos")); err == nil {
		s.cursor, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	// Scan the log: find the valid end and count records after the cursor.
	r := bufio.NewReader(io.NewSectionReader(f, 0, 1<<62))
	var off int64
	for {
		n, err := readRecord(r, nil)
		if err != nil {
			break
		}
		if off >= s.cursor {
			s.count++
		}
		off += 8 + int64(n)
	}
	s.end = off
	if s.cursor > s.end {
		s.cursor, s.count = s.end, 0
	}
	if err := f.Truncate(s.end); err != nil {
		f.Close()
		return nil, fmt.Errorf("truncate spool tail: %w", err)
	}
	if s.rd, err = os.Open(logPath); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// readRecord reads one framed record; with a nil buf it only measures it.
func readRecord(r io.Reader, buf *[]byte) (int, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, err
	}
	n := binary.LittleEndian.Uint32(hdr[:4])
	if n > maxSpoolRecord {
		return 0, errors.New("spool record too long")
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, err
	}
	if crc32.Checksum(p, crcTable) != binary.LittleEndian.Uint32(hdr[4:]) {
		return 0, errors.New("spool record checksum mismatch")
	}
	if buf != nil {
		*buf = p
	}
	return int(n), nil
}

// Append writes p durably (fsync) at the end of the spool.
func (s *spool) Append(p []byte) error {
	if len(p) > maxSpoolRecord {
		return fmt.Errorf("spool record of %d bytes exceeds %d", len(p), maxSpoolRecord)
	}
	rec := make([]byte, 8+len(p))
	binary.LittleEndian.PutUint32(rec[:4], uint32(len(p)))
	binary.LittleEndian.PutUint32(rec[4:8], crc32.Checksum(p, crcTable))
	copy(rec[8:], p)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.log.WriteAt(rec, s.end); err != nil {
		return fmt.Errorf("spool append: %w", err)
	}
	if err := s.log.Sync(); err != nil {
		return fmt.Errorf("spool sync: %w", err)
	}
	s.end += int64(len(rec))
	s.count++
	return nil
}

// Peek returns up to max undelivered records from the cursor, oldest first,
// stopping early once maxBytes is passed, and the offset after them.
func (s *spool) Peek(max int, maxBytes int) ([][]byte, int64, error) {
	s.mu.Lock()
	cursor, end := s.cursor, s.end
	s.mu.Unlock()
	r := bufio.NewReader(io.NewSectionReader(s.rd, cursor, end-cursor))
	var out [][]byte
	off, size := cursor, 0
	for len(out) < max && off < end && size < maxBytes {
		var p []byte
		n, err := readRecord(r, &p)
		if err != nil {
			return nil, 0, fmt.Errorf("spool read at %d: %w", off, err)
		}
		out = append(out, p)
		off += 8 + int64(n)
		size += n
	}
	return out, off, nil
}

// Commit marks everything before off (as returned by Peek) delivered, and
// truncates the log when nothing is left. The cursor is on disk (fsynced)
// before Commit returns, and when the log is emptied the cursor 0 is on disk
// before the log is truncated: in the other order a power cut could leave
// an older cursor pointing into records appended after the truncation,
// which were then skipped. A crash between the two only delivers the old
// records again, which the stores take by ID.
func (s *spool) Commit(off int64, records int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if off == s.end {
		if err := s.writePos(0); err != nil {
			return err
		}
		if s.crashAt == "pos" {
			return errCrashed
		}
		if err := s.log.Truncate(0); err != nil {
			return err
		}
		if err := s.log.Sync(); err != nil {
			return err
		}
		if s.crashAt == "truncate" {
			return errCrashed
		}
		s.cursor, s.end, s.count = 0, 0, 0
		return nil
	}
	if err := s.writePos(off); err != nil {
		return err
	}
	s.cursor = off
	s.count -= int64(records)
	return nil
}

// writePos replaces spool.pos with v durably.
func (s *spool) writePos(v int64) error {
	return atomicfile.Write(filepath.Join(s.dir, "spool.pos"), []byte(strconv.FormatInt(v, 10)), 0o640)
}

// Len returns the number of undelivered records.
func (s *spool) Len() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

func (s *spool) Close() error {
	s.rd.Close()
	return s.log.Close()
}
