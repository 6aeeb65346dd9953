package publish

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rfwarden/rfwarden/internal/atomicfile"
)

// headerBytes is the size of a record's frame header.
const headerBytes = 8

// MaxRecordBytes bounds one record's payload.
const MaxRecordBytes = 1 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors of the outbox.
var (
	ErrClosed        = errors.New("outbox closed")
	ErrRecordTooLong = errors.New("outbox record too long")
	ErrEmptyRecord   = errors.New("outbox record empty")
)

// OutboxOptions configures Open.
type OutboxOptions struct {
	QuotaBytes   int64        // total size of all segments; at least 2*SegmentBytes
	SegmentBytes int64        // a segment is closed once it reaches this size
	Logger       *slog.Logger // nil: discard
	// CursorEvery is how often at most Ack persists the acknowledgement
	// cursor (a write, rename and two fsyncs). 0: on every Ack. With a
	// period, an Ack within it of the last write leaves the write to a
	// timer at the period's end, so a crash re-delivers at most the records
	// acknowledged in the last period, which the consumer drops by event ID;
	// none is lost. The cursor is always written before an acknowledged
	// segment is deleted, and on Close.
	CursorEvery time.Duration
}

// Record is one queued payload with its sequence number.
type Record struct {
	Seq     uint64
	Payload []byte
}

// OutboxStats is a snapshot of the outbox's counters.
type OutboxStats struct {
	Depth     int64 // records not yet acknowledged
	Bytes     int64 // bytes on disk in segments
	Dropped   int64 // records dropped undelivered because of the quota, since Open
	Discarded int64 // torn or corrupt bytes discarded on Open
	Corrupt   int64 // of those, the corrupt ones: not a torn tail, but bytes that records follow, or an older segment's
	Lost      int64 // undelivered records that were in those bytes, as far as a later segment shows: at least one per corrupt stretch
	OverQuota bool  // records were dropped and the queue has not drained since
}

// segFile is what a segment needs of its file; *os.File implements it.
// Tests wrap it to make writes fail.
type segFile interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
	Truncate(size int64) error
	Close() error
}

var _ segFile = (*os.File)(nil)

type segment struct {
	base uint64 // seq of first record
	f    segFile
	path string
	size int64
	offs []int64 // offset of each record's header
	lens []int32 // payload length of each record
}

func (s *segment) end() uint64 { return s.base + uint64(len(s.offs)) }

// Outbox is a durable FIFO of payloads on disk. It is safe for concurrent use.
type Outbox struct {
	dir  string
	opts OutboxOptions
	log  *slog.Logger

	mu        sync.Mutex
	segs      []*segment // oldest first; the last is the one appended to
	acked     uint64     // first unacknowledged seq
	next      uint64     // seq of the next record enqueued
	bytes     int64
	dropped   int64
	discarded int64
	corrupt   int64
	lost      int64
	overQuota bool
	inflight  uint64 // seq Oldest last returned: the record the sender is publishing
	infDrop   bool   // inflight was dropped by the quota after Oldest returned it
	closed    bool
	notify    chan struct{} // closed and replaced when a record is enqueued
	cursorAt  time.Time     // last cursor write
	cursorT   *time.Timer   // pending late write, nil if none
}

// Open opens or creates the outbox in dir, recovering from a torn tail.
func Open(dir string, opts OutboxOptions) (*Outbox, error) {
	if opts.SegmentBytes < 4096 {
		return nil, fmt.Errorf("open outbox: segment size %d below 4096", opts.SegmentBytes)
	}
	if opts.QuotaBytes < 2*opts.SegmentBytes {
		return nil, fmt.Errorf("open outbox: quota %d below twice the segment size", opts.QuotaBytes)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open outbox: %w", err)
	}
	o := &Outbox{dir: dir, opts: opts, log: opts.Logger, notify: make(chan struct{})}
	if err := o.load(); err != nil {
		o.closeFiles()
		return nil, fmt.Errorf("open outbox %q: %w", dir, err)
	}
	return o, nil
}

// maxSeq bounds the record numbers in segment names: far more records
// than a sensor can send in its life, far from where uint64 wraps.
const maxSeq = 1 << 62

func segName(base uint64) string { return fmt.Sprintf("seg-%020d.log", base) }

func (o *Outbox) load() error {
	acked, err := readCursor(filepath.Join(o.dir, "cursor"))
	if err != nil {
		return err
	}
	names, err := filepath.Glob(filepath.Join(o.dir, "seg-*.log"))
	if err != nil {
		return err
	}
	var bases []uint64
	for _, n := range names {
		s := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(n), "seg-"), ".log")
		b, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			o.log.Warn("outbox: ignoring stray file", "file", n)
			continue
		}
		if b > maxSeq {
			// Not one this outbox wrote (it counts from 0, one a record):
			// its records' numbers would wrap around and be lost.
			return fmt.Errorf("segment %s: first record number %d is out of range (over %d): a damaged or hand-made name", n, b, uint64(maxSeq))
		}
		bases = append(bases, b)
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })
	if bases, err = o.rescueLast(bases, acked); err != nil {
		return err
	}
	o.acked, o.next = acked, acked
	for i, b := range bases {
		path := filepath.Join(o.dir, segName(b))
		f, err := os.OpenFile(path, os.O_RDWR, 0o640)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(f)
		if err != nil {
			f.Close()
			return pathErr("read", path, err)
		}
		offs, lens, valid := ScanSegment(data)
		if valid < int64(len(data)) {
			o.discarded += int64(len(data)) - valid
			if i < len(bases)-1 {
				// Only the last segment is appended to: an older one's
				// damage is not a torn append.
				o.corrupt += int64(len(data)) - valid
			}
			o.log.Warn("outbox: discarding torn or corrupt tail", "segment", path, "bytes", int64(len(data))-valid)
			if err := f.Truncate(valid); err != nil {
				f.Close()
				return pathErr("truncate", path, err)
			}
			if err := f.Sync(); err != nil {
				f.Close()
				return err
			}
		}
		s := &segment{base: b, f: f, path: path, size: valid, offs: offs, lens: lens}
		if i > 0 {
			prev := o.segs[len(o.segs)-1]
			if b < prev.end() {
				f.Close()
				return fmt.Errorf("segment %s overlaps its predecessor", path)
			}
			// A corrupt record in an older segment cut it short (or
			// rescueLast cut the last one): the records from there to
			// this segment's first are gone. The readers step over the
			// gap (see firstFrom).
			if lo := max(prev.end(), acked); b > lo {
				o.lost += int64(b - lo)
				o.log.Error("outbox: records lost to a corrupt segment", "segment", prev.path, "records", b-lo)
			}
		}
		o.segs = append(o.segs, s)
		o.bytes += valid
		if s.end() > o.next {
			o.next = s.end()
		}
	}
	if len(o.segs) > 0 && o.acked < o.segs[0].base {
		o.acked = o.segs[0].base
	}
	if o.acked > o.next {
		o.acked = o.next
	}
	if len(o.segs) == 0 || o.next > o.segs[len(o.segs)-1].end() {
		// A record appended to the last segment is numbered by its place
		// there: with the cursor past that segment's end (damage, a hand
		// edit) it would be numbered below the cursor, and taken as
		// delivered at the next start. Appends go to a segment of their own.
		return o.newSegment()
	}
	return nil // appends write at the segment's size (WriteAt), not at the file offset
}

// rescueLast keeps the records that follow a corrupt one in the last
// segment, bases[len(bases)-1]. A torn append leaves damage at the end
// only; damage with whole records after it is a bad sector (or an append
// the disk wrote out of order at a power loss). The records after it go
// to a new segment, and the last one is cut before the damage: load then
// sees a corrupt older segment and a gap, which it counts as lost and the
// readers step over (firstFrom), as for damage in an older segment.
//
// The frames hold no sequence numbers, so how many records the damage
// held is not known: the new segment's base counts one per stretch of
// damage, and is at least acked, so that every record kept is delivered
// (again, if it was already: receivers de-duplicate). The new segment is
// on disk before the cut, so a crash between the two loses nothing. It
// returns bases with the new segment's.
func (o *Outbox) rescueLast(bases []uint64, acked uint64) ([]uint64, error) {
	if len(bases) == 0 {
		return bases, nil
	}
	b := bases[len(bases)-1]
	path := filepath.Join(o.dir, segName(b))
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	offs, _, valid := ScanSegment(data)
	kept, stretches, skipped := rescue(data, valid)
	if stretches == 0 {
		return bases, nil // no damage, or a torn tail only: load cuts it
	}
	base := max(b+uint64(len(offs))+uint64(stretches), acked)
	newPath := filepath.Join(o.dir, segName(base))
	if err := atomicfile.Write(newPath, kept, 0o640); err != nil {
		return nil, fmt.Errorf("keep the records after corrupt ones in %s: %w", path, err)
	}
	if err := truncateSync(path, valid); err != nil {
		return nil, err
	}
	torn := int64(len(data)) - valid - int64(len(kept)) - skipped
	o.discarded += skipped + torn
	o.corrupt += skipped
	o.log.Error("outbox: corrupt records in the last segment: kept the records after them",
		"segment", path, "corrupt_bytes", skipped, "stretches", stretches, "kept_bytes", len(kept), "torn_tail_bytes", torn, "moved_to", newPath)
	return append(bases, base), nil
}

// truncateSync cuts the file at path to size and fsyncs it.
func truncateSync(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0o640)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return pathErr("truncate", path, err)
	}
	return nil
}

// ScanSegment parses the records of one segment's bytes. It returns each
// record's header offset and payload length, and the length of the valid
// prefix; anything after it (a length of 0 or over MaxRecordBytes, or a CRC
// that does not check) is a torn or corrupt tail. It never panics.
func ScanSegment(data []byte) (offs []int64, lens []int32, valid int64) {
	var off int64
	for {
		n := recordAt(data[off:])
		if n == 0 {
			return offs, lens, off
		}
		offs = append(offs, off)
		lens = append(lens, int32(n-headerBytes))
		off += n
	}
}

// recordAt returns the size (header and payload) of the record at the
// start of b, or 0 if none checks there.
func recordAt(b []byte) int64 {
	if len(b) < headerBytes {
		return 0
	}
	n := binary.LittleEndian.Uint32(b)
	if n == 0 || n > MaxRecordBytes || int64(n) > int64(len(b)-headerBytes) {
		// No record is empty (EnqueueBatch refuses them), so a zero
		// length is a torn tail: a file system may fill the length an
		// append had reached at a power loss with zeros, and eight zero
		// bytes would otherwise check (CRC-32C of nothing is 0).
		return 0
	}
	if crc32.Checksum(b[headerBytes:headerBytes+int(n)], castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return 0
	}
	return headerBytes + int64(n)
}

// rescue finds the records after the damage at data[valid:] (valid is
// ScanSegment's): it looks for the next offset at which a record checks,
// takes the run of records from there, and goes on after it the same
// way. It returns those records' bytes, the stretches of damage before
// them and their bytes; what follows the last run is a torn tail. A
// false record in damaged bytes needs a CRC-32C to match by chance.
//
// Each offset tried costs a checksum of the length its first bytes claim,
// so bytes made to claim long records at every offset would cost the
// square of the segment's size. The checksums are bounded to
// rescueWork·len(data) bytes: past that, the rest counts as a torn tail.
// Real damage (a bad sector's garbage) rarely claims a length that fits.
func rescue(data []byte, valid int64) (kept []byte, stretches int, skipped int64) {
	budget := rescueWork * int64(len(data))
	for off := valid; off < int64(len(data)); {
		at := off + 1
		for at < int64(len(data)) && budget > 0 && recordAt(data[at:]) == 0 {
			budget -= claimed(data[at:])
			at++
		}
		if at >= int64(len(data)) || budget <= 0 {
			break // a torn tail
		}
		_, _, n := ScanSegment(data[at:])
		kept = append(kept, data[at:at+n]...)
		stretches++
		skipped += at - off
		off = at + n
	}
	return kept, stretches, skipped
}

// rescueWork bounds rescue's checksums, in bytes per byte searched.
const rescueWork = 64

// claimed returns the payload bytes a record header at the start of b
// claims, when they fit in b (recordAt checksums them), else 0.
func claimed(b []byte) int64 {
	if len(b) < headerBytes {
		return 0
	}
	n := int64(binary.LittleEndian.Uint32(b))
	if n > MaxRecordBytes || n > int64(len(b)-headerBytes) {
		return 0
	}
	return n
}

func readCursor(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(b) != 12 || crc32.Checksum(b[:8], castagnoli) != binary.LittleEndian.Uint32(b[8:]) || binary.LittleEndian.Uint64(b) > maxSeq {
		// A bad cursor only causes re-sends: start from the oldest segment.
		return 0, nil
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (o *Outbox) writeCursor() error {
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:], o.acked)
	binary.LittleEndian.PutUint32(b[8:], crc32.Checksum(b[:8], castagnoli))
	return atomicfile.Write(filepath.Join(o.dir, "cursor"), b[:], 0o640)
}

// pathErr is err of op on the file at path, naming the path once: an
// *os.File's errors are an *fs.PathError naming their operation and path,
// so err itself when it is one of op on path, "op: err" when it is of
// another step of op on path (the open of a truncate), else "op path: err".
func pathErr(op, path string, err error) error {
	var pe *fs.PathError
	switch {
	case !errors.As(err, &pe) || pe.Path != path:
		return fmt.Errorf("%s %s: %w", op, path, err)
	case pe.Op != op:
		return fmt.Errorf("%s: %w", op, err)
	}
	return err
}

func (o *Outbox) newSegment() error {
	path := filepath.Join(o.dir, segName(o.next))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if err := atomicfile.SyncDir(o.dir); err != nil {
		// Records fsynced into a file whose name is not on disk could
		// vanish with a power loss: do not use it; the next append
		// creates it again.
		f.Close()
		os.Remove(path)
		return pathErr("sync", o.dir, err)
	}
	o.segs = append(o.segs, &segment{base: o.next, f: f, path: path})
	return nil
}

// Enqueue appends payload durably: when it returns nil the record is on disk
// (fsynced). It returns the record's sequence number.
func (o *Outbox) Enqueue(payload []byte) (uint64, error) {
	_, last, err := o.enqueue([][]byte{payload})
	if err != nil {
		return 0, err
	}
	return last, nil
}

// EnqueueBatch appends payloads in order with one fsync per segment
// touched. It returns n, how many it accepted: payloads[:n] are on disk,
// and when n < len(payloads) the rest are not and err says why
// payloads[n] was refused. An empty or too long payload is refused
// (ErrEmptyRecord, ErrRecordTooLong) before anything is written. A write
// or fsync that fails (a full disk, EIO) refuses the records it held
// and every one after them, and leaves the outbox as it was before them,
// in memory and, as far as the disk allows, on disk: the caller may offer
// them again, and the outbox takes records again once the disk does.
func (o *Outbox) EnqueueBatch(payloads [][]byte) (n int, err error) {
	n, _, err = o.enqueue(payloads)
	return n, err
}

// enqueue is EnqueueBatch, and returns the sequence number of the last
// record accepted too.
func (o *Outbox) enqueue(payloads [][]byte) (n int, last uint64, err error) {
	valid := len(payloads)
	var invalid error
	for i, p := range payloads {
		if len(p) == 0 {
			valid, invalid = i, fmt.Errorf("enqueue record %d of %d: %w", i, len(payloads), ErrEmptyRecord)
			break
		}
		if len(p) > MaxRecordBytes || int64(len(p))+headerBytes > o.opts.SegmentBytes {
			valid, invalid = i, fmt.Errorf("enqueue record %d of %d, %d bytes: %w", i, len(payloads), len(p), ErrRecordTooLong)
			break
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return 0, 0, ErrClosed
	}
	var buf []byte
	inBuf := 0 // records in buf: the last ones indexed in the current segment
	added := 0 // records indexed, flushed or in buf
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		cur := o.segs[len(o.segs)-1]
		off := cur.size - int64(len(buf))
		_, err := cur.f.WriteAt(buf, off)
		if err == nil {
			if err = cur.f.Sync(); err != nil {
				err = pathErr("sync", cur.path, err)
			}
		} else {
			err = pathErr("write", cur.path, err)
		}
		if err != nil {
			// Take buf's records back out of the index, and its bytes off
			// the file: a record offered again is written at the same
			// place. After a failed fsync the written pages may be
			// neither on disk nor dirty any more, so nothing of buf can
			// count as written; writing it again makes it dirty again.
			cur.offs = cur.offs[:len(cur.offs)-inBuf]
			cur.lens = cur.lens[:len(cur.lens)-inBuf]
			cur.size = off
			o.bytes -= int64(len(buf))
			o.next -= uint64(inBuf)
			added -= inBuf
			if terr := cur.f.Truncate(off); terr != nil {
				// The next write overwrites them; a reopen before it cuts
				// them as a torn tail.
				o.log.Warn("outbox: cannot cut a failed write", "err", pathErr("truncate", cur.path, terr))
			}
			return err
		}
		buf, inBuf = buf[:0], 0
		return nil
	}
	defer func() {
		if added > 0 {
			close(o.notify)
			o.notify = make(chan struct{})
		}
	}()
	for _, p := range payloads[:valid] {
		need := int64(len(p)) + headerBytes
		cur := o.segs[len(o.segs)-1]
		if cur.size+need > o.opts.SegmentBytes {
			if err := flush(); err != nil {
				return added, o.next - 1, fmt.Errorf("enqueue: %w", err)
			}
			if err := o.newSegment(); err != nil {
				return added, o.next - 1, fmt.Errorf("enqueue: new segment: %w", err)
			}
			cur = o.segs[len(o.segs)-1]
		}
		for o.bytes+need > o.opts.QuotaBytes && len(o.segs) > 1 {
			o.dropOldest()
		}
		var h [headerBytes]byte
		binary.LittleEndian.PutUint32(h[:], uint32(len(p)))
		binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(p, castagnoli))
		buf = append(append(buf, h[:]...), p...)
		// Index the record now; it becomes visible to readers only after the
		// flush below, because the lock is held until then.
		cur.offs = append(cur.offs, cur.size)
		cur.lens = append(cur.lens, int32(len(p)))
		cur.size += need
		o.bytes += need
		o.next++
		inBuf++
		added++
	}
	if err := flush(); err != nil {
		return added, o.next - 1, fmt.Errorf("enqueue: %w", err)
	}
	return added, o.next - 1, invalid
}

// dropOldest deletes the oldest segment, counting its unacknowledged records.
func (o *Outbox) dropOldest() {
	s := o.segs[0]
	if o.acked < s.end() {
		lost := s.end() - max(o.acked, s.base)
		if o.inflight >= max(o.acked, s.base) && o.inflight < s.end() {
			o.infDrop = true
		}
		o.dropped += int64(lost)
		o.overQuota = true
		o.acked = s.end()
		o.log.Warn("outbox over quota: dropped oldest records", "records", lost)
	}
	o.removeSeg()
	_ = o.writeCursor()
}

func (o *Outbox) removeSeg() {
	s := o.segs[0]
	s.f.Close()
	if err := os.Remove(s.path); err != nil {
		o.log.Warn("outbox: remove segment", "err", err)
	}
	o.bytes -= s.size
	o.segs = o.segs[1:]
}

// Oldest returns the oldest unacknowledged record, waiting for one until ctx ends.
func (o *Outbox) Oldest(ctx context.Context) (Record, error) {
	r, _, err := o.Peek(ctx, 0, true)
	return r, err
}

// Peek returns the unacknowledged record with the lowest sequence number
// at or after seq, waiting for one until ctx ends; with wait false it
// returns ok false at once when there is none. A pipelining sender reads
// ahead of the oldest record with it. Returning the oldest record marks it
// as the one being published (see Ack).
func (o *Outbox) Peek(ctx context.Context, seq uint64, wait bool) (r Record, ok bool, err error) {
	for {
		o.mu.Lock()
		if o.closed {
			o.mu.Unlock()
			return Record{}, false, ErrClosed
		}
		if seq = o.firstFrom(max(seq, o.acked)); seq < o.next {
			r, err := o.readLocked(seq)
			if seq == o.acked {
				o.inflight, o.infDrop = seq, false
			}
			o.mu.Unlock()
			return r, err == nil, err
		}
		ch := o.notify
		o.mu.Unlock()
		if !wait {
			return Record{}, false, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Record{}, false, ctx.Err()
		}
	}
}

// Pending reports whether record seq is still to be delivered: not yet
// acknowledged, nor dropped by the quota.
func (o *Outbox) Pending(seq uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return seq >= o.acked && seq < o.next && o.firstFrom(seq) == seq
}

// firstFrom returns the first record at or after seq that is on disk, or
// o.next if there is none: it steps over a gap that a corrupt segment left
// on Open.
func (o *Outbox) firstFrom(seq uint64) uint64 {
	for _, s := range o.segs {
		if seq < s.end() {
			return max(seq, s.base)
		}
	}
	return max(seq, o.next)
}

// depthLocked counts the records on disk not yet acknowledged.
func (o *Outbox) depthLocked() int64 {
	var n int64
	for _, s := range o.segs {
		if e := s.end(); e > o.acked {
			n += int64(e - max(s.base, o.acked))
		}
	}
	return n
}

func (o *Outbox) readLocked(seq uint64) (Record, error) {
	for _, s := range o.segs {
		if seq >= s.base && seq < s.end() {
			i := seq - s.base
			buf := make([]byte, s.lens[i])
			if _, err := s.f.ReadAt(buf, s.offs[i]+headerBytes); err != nil {
				return Record{}, fmt.Errorf("record %d: %w", seq, pathErr("read", s.path, err))
			}
			return Record{Seq: seq, Payload: buf}, nil
		}
	}
	return Record{}, fmt.Errorf("outbox: record %d not found", seq)
}

// Ack marks every record up to and including seq delivered, persists the
// cursor and deletes segments that are wholly delivered. Acknowledging the
// record Oldest last returned after the quota dropped it takes it back out
// of Stats.Dropped: it was delivered after all.
func (o *Outbox) Ack(seq uint64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrClosed
	}
	if seq == o.inflight && o.infDrop {
		// Dropped by the quota while the sender was publishing it, and
		// delivered after all: it is not lost, so it is not counted.
		o.infDrop = false
		o.dropped--
	}
	if seq < o.acked || seq >= o.next {
		return nil // already acknowledged, or dropped meanwhile
	}
	o.acked = seq + 1
	if o.acked == o.next {
		o.overQuota = false
	}
	freed := len(o.segs) > 1 && o.segs[0].end() <= o.acked
	now := time.Now()
	if wait := o.opts.CursorEvery - now.Sub(o.cursorAt); freed || wait <= 0 {
		if err := o.writeCursor(); err != nil {
			return fmt.Errorf("outbox: write cursor: %w", err)
		}
		o.cursorAt = now
	} else if o.cursorT == nil {
		o.cursorT = time.AfterFunc(wait, o.lateCursor)
	}
	for len(o.segs) > 1 && o.segs[0].end() <= o.acked {
		o.removeSeg()
	}
	return nil
}

// Stats returns a snapshot of the counters.
func (o *Outbox) Stats() OutboxStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return OutboxStats{Depth: o.depthLocked(), Bytes: o.bytes, Dropped: o.dropped,
		Discarded: o.discarded, Corrupt: o.corrupt, Lost: o.lost, OverQuota: o.overQuota}
}

// Close persists the cursor and closes the segment files. Records not yet
// acknowledged stay on disk for the next Open.
// lateCursor writes the cursor that an Ack left for later.
func (o *Outbox) lateCursor() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cursorT = nil
	if o.closed {
		return
	}
	if err := o.writeCursor(); err != nil {
		o.log.Warn("outbox: write cursor", "err", err)
		return
	}
	o.cursorAt = time.Now()
}

func (o *Outbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	close(o.notify)
	if o.cursorT != nil {
		o.cursorT.Stop()
		o.cursorT = nil
	}
	err := o.writeCursor()
	if cerr := o.closeFiles(); err == nil {
		err = cerr
	}
	return err
}

func (o *Outbox) closeFiles() error {
	var err error
	for _, s := range o.segs {
		if cerr := s.f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
