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
//
// With a limit (maxBytes > 0) the undelivered records never take more than
// maxBytes, framing included: an Append that would pass it first drops
// the oldest whole records (counted: Dropped). Once the log's delivered or
// dropped prefix reaches half the limit the rest is copied to a new log,
// so the file stays within one and a half times the limit (plus a
// copy of at most the limit while it is being compacted).
//
// Offsets (Peek's, Commit's, cursor and end) are logical: physical plus
// base, which a compaction moves, so an offset Peek returned before one
// still names the same record.
type spool struct {
	mu       sync.Mutex
	dir      string
	log      *os.File
	maxBytes int64 // 0: no limit
	base     int64 // the logical offset of the log's first byte
	end      int64 // length of the valid log
	cursor   int64 // offset of the first undelivered record
	count    int64 // records between cursor and end
	peekedAt int64 // the cursor when Peek last read
	rd       *os.File
	// dropped records and their payload bytes, since the spool opened
	droppedRecs, droppedBytes int64
	// badPos, when not empty, names why openSpool did not take the
	// cursor in spool.pos (it then delivers the whole log again)
	badPos string
	// crashAt, set by tests, stops Commit at the named step as a power
	// cut there would ("pos": the cursor is on disk; "truncate": the log
	// is emptied too).
	crashAt string
}

var errCrashed = errors.New("spool: stopped as by a power cut (test)")

var crcTable = crc32.MakeTable(crc32.Castagnoli)

const maxSpoolRecord = 64 << 20

// openSpool opens the spool in dir, creating it; maxBytes > 0 limits its
// undelivered records (spool).
func openSpool(dir string, maxBytes int64) (*spool, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool dir %q: %w", dir, err)
	}
	logPath := filepath.Join(dir, "spool.log")
	// A compaction cut short before its rename: spool.log is whole.
	if err := os.Remove(logPath + ".new"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove unfinished spool compaction: %w", err)
	}
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open spool %q: %w", logPath, err)
	}
	s := &spool{dir: dir, log: f, maxBytes: maxBytes}
	var pos []byte
	if b, err := os.ReadFile(filepath.Join(dir, "spool.pos")); err == nil {
		pos = b
		if s.cursor, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err != nil {
			s.cursor, s.badPos = 0, fmt.Sprintf("spool.pos %.40q is not an offset", b)
		}
	}
	// Scan the log: find the valid end, the record the cursor starts, and
	// count the records from it and in all.
	r := bufio.NewReader(io.NewSectionReader(f, 0, 1<<62))
	var off, total int64
	onRecord := s.cursor == 0
	for {
		n, err := readRecord(r, nil)
		if err != nil {
			break
		}
		if off >= s.cursor {
			s.count++
		}
		total++
		off += 8 + int64(n)
		onRecord = onRecord || off == s.cursor
	}
	s.end = off
	switch {
	case s.cursor > s.end:
		s.cursor, s.count = s.end, 0 // past a torn tail: all before it was delivered
	case !onRecord:
		// Inside a record or negative: delivering from there would fail
		// on every try and deliver nothing more. Deliver the whole log
		// again instead; the stores take what they have by ID.
		s.badPos = fmt.Sprintf("spool.pos %.40q is not the start of a record of %d bytes of spool.log", pos, s.end)
		s.cursor, s.count = 0, total
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
	if buf == nil {
		// Only measuring (openSpool's scan): a torn header may claim up
		// to maxSpoolRecord, which is not allocated to find it short.
		h := crc32.New(crcTable)
		if _, err := io.CopyN(h, r, int64(n)); err != nil {
			return 0, io.ErrUnexpectedEOF
		}
		if h.Sum32() != binary.LittleEndian.Uint32(hdr[4:]) {
			return 0, errors.New("spool record checksum mismatch")
		}
		return int(n), nil
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, err
	}
	if crc32.Checksum(p, crcTable) != binary.LittleEndian.Uint32(hdr[4:]) {
		return 0, errors.New("spool record checksum mismatch")
	}
	*buf = p
	return int(n), nil
}

// Append writes p durably (fsync) at the end of the spool, first dropping
// the oldest records when the undelivered ones would pass the limit
// (the newest record is always kept).
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
	if err := s.dropLocked(int64(len(rec))); err != nil {
		return err
	}
	if _, err := s.log.WriteAt(rec, s.end-s.base); err != nil {
		return fmt.Errorf("spool append: %w", err)
	}
	if err := s.log.Sync(); err != nil {
		return fmt.Errorf("spool sync: %w", err)
	}
	s.end += int64(len(rec))
	s.count++
	return s.compactLocked()
}

// dropLocked drops the oldest undelivered records until n more bytes fit
// within the limit, and puts the cursor past them on disk. Caller holds mu.
func (s *spool) dropLocked(n int64) error {
	if s.maxBytes <= 0 || s.end-s.cursor+n <= s.maxBytes {
		return nil
	}
	cursor := s.cursor
	var recs, bytes int64
	for cursor < s.end && s.end-cursor+n > s.maxBytes {
		l, err := s.recordLen(cursor)
		if err != nil {
			return err
		}
		cursor += 8 + l
		recs++
		bytes += l
	}
	if err := s.writePos(cursor - s.base); err != nil {
		return fmt.Errorf("spool: drop the oldest records: %w", err)
	}
	s.cursor = cursor
	s.count -= recs
	s.droppedRecs += recs
	s.droppedBytes += bytes
	return nil
}

// recordLen returns the payload length of the record at logical offset
// off. Caller holds mu.
func (s *spool) recordLen(off int64) (int64, error) {
	var hdr [8]byte
	if _, err := s.rd.ReadAt(hdr[:], off-s.base); err != nil {
		return 0, fmt.Errorf("spool read at %d: %w", off, err)
	}
	return int64(binary.LittleEndian.Uint32(hdr[:4])), nil
}

// compactLocked copies the undelivered records to a new log once the
// delivered or dropped prefix reaches half the limit. The new log is
// whole on disk before the cursor 0 is, and the cursor before the rename:
// a crash between the two delivers the old log's records again, which
// the stores take by ID (as in Commit). Caller holds mu.
func (s *spool) compactLocked() error {
	if s.maxBytes <= 0 || s.cursor-s.base < max(s.maxBytes/2, 1) {
		return nil
	}
	logPath := filepath.Join(s.dir, "spool.log")
	f, err := os.OpenFile(logPath+".new", os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("spool compaction: %w", err)
	}
	if _, err := io.Copy(f, io.NewSectionReader(s.rd, s.cursor-s.base, s.end-s.cursor)); err != nil {
		f.Close()
		return fmt.Errorf("spool compaction: copy: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("spool compaction: sync: %w", err)
	}
	if err := s.writePos(0); err != nil {
		f.Close()
		return fmt.Errorf("spool compaction: %w", err)
	}
	if err := os.Rename(logPath+".new", logPath); err != nil {
		f.Close()
		return fmt.Errorf("spool compaction: %w", err)
	}
	if d, err := os.Open(s.dir); err == nil {
		d.Sync()
		d.Close()
	}
	rd, err := os.Open(logPath)
	if err != nil {
		f.Close()
		return fmt.Errorf("spool compaction: %w", err)
	}
	s.log.Close()
	s.rd.Close()
	s.log, s.rd, s.base = f, rd, s.cursor
	return nil
}

// Dropped returns how many records, and payload bytes, were dropped to
// keep the spool within its limit since it opened.
func (s *spool) Dropped() (records, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.droppedRecs, s.droppedBytes
}

// Peek returns up to max undelivered records from the cursor, oldest first,
// stopping early once maxBytes is passed, and the offset after them.
func (s *spool) Peek(max int, maxBytes int) ([][]byte, int64, error) {
	// Under mu: an Append may drop records and compact the log.
	s.mu.Lock()
	defer s.mu.Unlock()
	cursor, end := s.cursor, s.end
	s.peekedAt = cursor
	r := bufio.NewReader(io.NewSectionReader(s.rd, cursor-s.base, end-cursor))
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
//
// Records the limit dropped since the Peek are not counted twice: an off
// at or before the cursor commits nothing.
func (s *spool) Commit(off int64, records int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if off <= s.cursor && off != s.end {
		return nil
	}
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
		s.cursor, s.end, s.count, s.base = 0, 0, 0, 0
		return nil
	}
	n := int64(records)
	if s.cursor != s.peekedAt { // records were dropped since the Peek: count what is left
		n = 0
		for at := s.cursor; at < off; n++ {
			l, err := s.recordLen(at)
			if err != nil {
				return err
			}
			at += 8 + l
		}
	}
	if err := s.writePos(off - s.base); err != nil {
		return err
	}
	s.cursor = off
	s.count -= n
	return s.compactLocked()
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
