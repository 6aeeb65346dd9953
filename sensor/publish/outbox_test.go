package publish

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func testOpts() OutboxOptions { return OutboxOptions{QuotaBytes: 64 << 10, SegmentBytes: 4096} }

func payload(i int) []byte { return []byte(fmt.Sprintf(`{"id":"rec-%05d","pad":"%0100d"}`, i, i)) }

func drain(t *testing.T, o *Outbox, n int) []Record {
	t.Helper()
	var got []Record
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		r, err := o.Oldest(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Oldest after %d: %v", len(got), err)
		}
		if err := o.Ack(r.Seq); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	return got
}

func TestOutboxOrderAndReopen(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(dir, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	const n = 100 // spans several 4 KiB segments
	for i := range n {
		seq, err := o.Enqueue(payload(i))
		if err != nil {
			t.Fatal(err)
		}
		if seq != uint64(i) {
			t.Fatalf("seq: got %d, want %d", seq, i)
		}
	}
	got := drain(t, o, 30)
	for i, r := range got {
		if !bytes.Equal(r.Payload, payload(i)) {
			t.Fatalf("record %d: got %q", i, r.Payload)
		}
	}
	// Simulate a kill: no Close, reopen from disk.
	o2, err := Open(dir, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer o2.Close()
	if got, want := o2.Stats().Depth, int64(n-30); got != want {
		t.Fatalf("depth after reopen: got %d, want %d", got, want)
	}
	rest := drain(t, o2, n-30)
	for i, r := range rest {
		if want := payload(30 + i); !bytes.Equal(r.Payload, want) {
			t.Fatalf("record %d after reopen: got %q, want %q", 30+i, r.Payload, want)
		}
	}
	if s, err := o2.Enqueue([]byte("next")); err != nil || s != n {
		t.Fatalf("seq continues: got %d, %v, want %d", s, err, n)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "seg-*.log"))
	if len(segs) != 1 {
		t.Errorf("acked segments not deleted: %d remain", len(segs))
	}
	o.Close()
}

func TestOutboxTornTail(t *testing.T) {
	for _, tc := range []struct {
		name string
		tear func(b []byte) []byte
		want int64 // depth after reopen
	}{
		{"half header", func(b []byte) []byte { return append(b, 7, 0, 0) }, 10},
		{"short payload", func(b []byte) []byte {
			return append(b, 50, 0, 0, 0, 1, 2, 3, 4, 'x')
		}, 10},
		{"bad crc on last", func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }, 9},
		{"huge length", func(b []byte) []byte { return append(b, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0) }, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o, err := Open(dir, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			for i := range 10 {
				if _, err := o.Enqueue([]byte(fmt.Sprintf("r%d", i))); err != nil {
					t.Fatal(err)
				}
			}
			o.Close()
			seg := filepath.Join(dir, segName(0))
			b, _ := os.ReadFile(seg)
			if err := os.WriteFile(seg, tc.tear(b), 0o640); err != nil {
				t.Fatal(err)
			}
			o2, err := Open(dir, testOpts())
			if err != nil {
				t.Fatalf("reopen torn: %v", err)
			}
			defer o2.Close()
			st := o2.Stats()
			if st.Depth != tc.want || st.Discarded == 0 {
				t.Fatalf("stats: got %+v, want depth %d and discarded > 0", st, tc.want)
			}
			// The outbox stays usable: a new record follows the good ones.
			if _, err := o2.Enqueue([]byte("after")); err != nil {
				t.Fatal(err)
			}
			recs := drain(t, o2, int(tc.want)+1)
			if got := string(recs[len(recs)-1].Payload); got != "after" {
				t.Errorf("last record: got %q, want %q", got, "after")
			}
		})
	}
}

func TestOutboxQuotaDropsOldest(t *testing.T) {
	o, err := Open(t.TempDir(), OutboxOptions{QuotaBytes: 8192, SegmentBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	const n = 200
	for i := range n {
		if _, err := o.Enqueue(payload(i)); err != nil {
			t.Fatal(err)
		}
	}
	st := o.Stats()
	if st.Bytes > 8192 {
		t.Errorf("bytes %d over quota", st.Bytes)
	}
	if !st.OverQuota || st.Dropped == 0 {
		t.Fatalf("no alarm: %+v", st)
	}
	if st.Dropped+st.Depth != n {
		t.Errorf("dropped %d + depth %d != %d enqueued", st.Dropped, st.Depth, n)
	}
	recs := drain(t, o, int(st.Depth))
	// What is left is the newest records, in order.
	for i, r := range recs {
		if want := payload(int(st.Dropped) + i); !bytes.Equal(r.Payload, want) {
			t.Fatalf("kept record %d: got %q, want %q", i, r.Payload, want)
		}
	}
	if o.Stats().OverQuota {
		t.Error("alarm still raised after the queue drained")
	}
}

func TestOutboxRejects(t *testing.T) {
	if _, err := Open(t.TempDir(), OutboxOptions{QuotaBytes: 4096, SegmentBytes: 4096}); err == nil {
		t.Error("quota below twice segment accepted")
	}
	o, err := Open(t.TempDir(), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Enqueue(make([]byte, 5000)); err == nil {
		t.Error("record larger than a segment accepted")
	}
	o.Close()
	if _, err := o.Enqueue([]byte("x")); err != ErrClosed {
		t.Errorf("enqueue after close: got %v, want ErrClosed", err)
	}
}

func frame(p []byte) []byte {
	b := make([]byte, 8, 8+len(p))
	binary.LittleEndian.PutUint32(b, uint32(len(p)))
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(p, castagnoli))
	return append(b, p...)
}

func FuzzScanSegment(f *testing.F) {
	f.Add([]byte{})
	f.Add(frame([]byte("hello")))
	f.Add(append(frame([]byte(`{"id":"a"}`)), frame([]byte("b"))[:5]...))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Add(append(append(frame([]byte("a")), 0xde, 0xad, 0, 0), frame([]byte("b"))...)) // damage between records
	f.Fuzz(func(t *testing.T, data []byte) {
		offs, lens, valid := ScanSegment(data)
		if valid < 0 || valid > int64(len(data)) || len(offs) != len(lens) {
			t.Fatalf("bad result: valid %d of %d, %d offs, %d lens", valid, len(data), len(offs), len(lens))
		}
		// The valid prefix re-scans to the same records, and every record checks.
		var end int64
		for i, off := range offs {
			if off != end {
				t.Fatalf("record %d at %d, want %d", i, off, end)
			}
			end = off + 8 + int64(lens[i])
		}
		if end != valid {
			t.Fatalf("records end at %d, valid %d", end, valid)
		}
		// What rescue keeps after the damage is whole records, of bytes
		// after the valid prefix, with a stretch of damage before each run.
		kept, stretches, skipped := rescue(data, valid)
		if _, _, v := ScanSegment(kept); v != int64(len(kept)) {
			t.Fatalf("rescue kept %d bytes, of which %d scan as records", len(kept), v)
		}
		if (stretches == 0) != (len(kept) == 0) || skipped < int64(stretches) || valid+skipped+int64(len(kept)) > int64(len(data)) {
			t.Fatalf("rescue: %d stretches, %d bytes skipped, %d kept, of %d after %d valid", stretches, skipped, len(kept), len(data)-int(valid), valid)
		}
	})
}

// TestOutboxLazyCursor: with CursorEvery, a kill re-delivers the records
// acknowledged since the last cursor write (here all but the first) and
// loses none; the write left for later happens when the period ends.
func TestOutboxLazyCursor(t *testing.T) {
	for _, tc := range []struct {
		name      string
		every     time.Duration
		wantDepth int64 // after acking 5 of 20 and a kill, once the period has ended
	}{
		{"kill before the late write", time.Hour, 20 - 1}, // the first Ack wrote, the next four did not
		{"late write done", 20 * time.Millisecond, 20 - 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := testOpts()
			opts.CursorEvery = tc.every
			o, err := Open(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			const n = 20 // within one 4 KiB segment: no segment is freed
			for i := range n {
				if _, err := o.Enqueue(payload(i)); err != nil {
					t.Fatal(err)
				}
			}
			drain(t, o, 5)
			// Simulate a kill: no Close, reopen from disk (after the period
			// for the second case: poll, the timer runs on its own).
			var depth int64
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				o2, err := Open(dir, opts)
				if err != nil {
					t.Fatal(err)
				}
				depth = o2.Stats().Depth
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				first, err := o2.Oldest(ctx) // read, not acknowledged: this cursor stays as it was
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				if want := payload(int(n - depth)); !bytes.Equal(first.Payload, want) {
					t.Fatalf("first record after reopen: got %q, want %q (re-delivered in order, none lost)", first.Payload, want)
				}
				o2.closeFiles() // a second kill
				if depth == tc.wantDepth || time.Now().After(deadline) {
					break
				}
			}
			if depth != tc.wantDepth {
				t.Fatalf("depth after kill: got %d, want %d", depth, tc.wantDepth)
			}
			if err := o.Close(); err != nil {
				t.Fatal(err)
			}
			o3, err := Open(dir, opts) // Close persisted the cursor
			if err != nil {
				t.Fatal(err)
			}
			defer o3.Close()
			if got := o3.Stats().Depth; got != n-5 {
				t.Fatalf("depth after Close: got %d, want %d", got, n-5)
			}
		})
	}
}

// TestOutboxCorruptOlderSegment: a corrupt record in a segment that is not
// the last (a bad sector) cuts that segment on Open, which leaves a gap
// before the next segment. The records in the gap are counted as lost, and
// the sender steps over the gap and delivers every later record; before,
// Peek failed with "record N not found", the sender stopped and delivery
// ended for good.
func TestOutboxCorruptOlderSegment(t *testing.T) {
	rec := len(frame(payload(0)))
	perSeg := 4096 / rec
	for _, corrupt := range []int{0, 5} { // record of the first segment whose payload is damaged
		t.Run(fmt.Sprint("record ", corrupt), func(t *testing.T) {
			dir := t.TempDir()
			o, err := Open(dir, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			const n = 100 // four segments
			for i := range n {
				if _, err := o.Enqueue(payload(i)); err != nil {
					t.Fatal(err)
				}
			}
			o.Close()
			seg0 := filepath.Join(dir, segName(0))
			b, err := os.ReadFile(seg0)
			if err != nil {
				t.Fatal(err)
			}
			b[corrupt*rec+headerBytes+3] ^= 0xff
			if err := os.WriteFile(seg0, b, 0o640); err != nil {
				t.Fatal(err)
			}
			o2, err := Open(dir, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer o2.Close()
			lost := perSeg - corrupt
			if st := o2.Stats(); st.Lost != int64(lost) || st.Depth != int64(n-lost) {
				t.Errorf("stats %+v, want %d lost and a depth of %d", st, lost, n-lost)
			}
			if o2.Pending(uint64(corrupt)) {
				t.Errorf("record %d, lost, is pending", corrupt)
			}
			fc := &fakeClient{}
			s := &Sender{Outbox: o2, Client: fc, Topic: "t", RetryDur: time.Millisecond, Window: 4}
			cancel, done := runSender(s)
			drainThenStop(t, o2, cancel, done)
			got := map[string]bool{}
			for _, p := range fc.snapshot() {
				got[p] = true
			}
			for i := range n {
				if want := i < corrupt || i >= perSeg; got[string(payload(i))] != want {
					t.Errorf("record %d delivered %v, want %v", i, !want, want)
				}
			}
		})
	}
}

// TestOutboxCorruptLastSegment: a corrupt record in the middle of the
// segment appended to (a bad sector, not a torn append: good records
// follow it) loses the damaged records only. Open keeps the records after
// them, counts the damaged bytes as discarded and corrupt and one record
// lost per damaged stretch (how many it held is not known), and still
// cuts a torn tail after them. Before, everything from the damage on was
// cut as a torn tail, counted in bytes only.
func TestOutboxCorruptLastSegment(t *testing.T) {
	rec := len(frame(payload(0))) // every record of payload(i) has this size
	for _, tc := range []struct {
		name   string
		acked  int                   // records acknowledged before the damage
		damage func(b []byte) []byte // of a segment holding records 0-9
		keep   []int                 // records delivered after reopen
		lost   int64
	}{
		{"payload bit flip", 0, func(b []byte) []byte {
			b[4*rec+headerBytes+3] ^= 0x10
			return b
		}, []int{0, 1, 2, 3, 5, 6, 7, 8, 9}, 1},
		{"garbage length", 0, func(b []byte) []byte {
			copy(b[4*rec:], []byte{0xde, 0xad, 0xbe, 0xef})
			return b
		}, []int{0, 1, 2, 3, 5, 6, 7, 8, 9}, 1},
		{"two records zeroed", 0, func(b []byte) []byte {
			clear(b[4*rec : 6*rec])
			return b
		}, []int{0, 1, 2, 3, 6, 7, 8, 9}, 1}, // at least one
		{"two corrupt stretches", 0, func(b []byte) []byte {
			b[1*rec+headerBytes] ^= 0x01
			b[7*rec+5] ^= 0x01
			return b
		}, []int{0, 2, 3, 4, 5, 6, 8, 9}, 2},
		{"corrupt and torn tail", 0, func(b []byte) []byte {
			b[2*rec+headerBytes] ^= 0x01
			return append(b, frame(payload(10))[:rec/2]...)
		}, []int{0, 1, 3, 4, 5, 6, 7, 8, 9}, 1},
		{"first record corrupt", 0, func(b []byte) []byte {
			b[headerBytes] ^= 0x01
			return b
		}, []int{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1},
		// The damaged record was delivered: none is known lost, and the
		// records after it are delivered (again: the cursor no longer
		// tells which of them were).
		{"damage already delivered", 7, func(b []byte) []byte {
			b[4*rec+headerBytes+3] ^= 0x10
			return b
		}, []int{5, 6, 7, 8, 9}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o, err := Open(dir, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			for i := range 10 {
				if _, err := o.Enqueue(payload(i)); err != nil {
					t.Fatal(err)
				}
			}
			drain(t, o, tc.acked)
			o.Close()
			seg := filepath.Join(dir, segName(0))
			b, err := os.ReadFile(seg)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(seg, tc.damage(b), 0o640); err != nil {
				t.Fatal(err)
			}
			o2, err := Open(dir, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer o2.Close()
			st := o2.Stats()
			if st.Depth != int64(len(tc.keep)) || st.Lost != tc.lost || st.Corrupt == 0 || st.Discarded < st.Corrupt {
				t.Errorf("stats %+v, want a depth of %d, %d lost, corrupt bytes counted and discarded", st, len(tc.keep), tc.lost)
			}
			var got []int
			for _, r := range drain(t, o2, int(st.Depth)) {
				got = append(got, recordIndex(t, r.Payload))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.keep) {
				t.Errorf("delivered records %v, want %v", got, tc.keep)
			}
			// Records enqueued now follow the kept ones, and a reopen finds
			// nothing more to mend.
			if _, err := o2.Enqueue(payload(10)); err != nil {
				t.Fatal(err)
			}
			o3, err := Open(dir, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer o3.closeFiles()
			if st := o3.Stats(); st.Discarded != 0 || st.Lost != 0 {
				t.Errorf("second reopen: %+v, want nothing discarded or lost", st)
			}
			if r := drain(t, o3, 1); recordIndex(t, r[0].Payload) != 10 {
				t.Errorf("record after recovery: %q, want record 10", r[0].Payload)
			}
		})
	}
}

// TestOutboxRescueCrash: a crash after Open wrote the segment of the
// records kept after a corrupt one, and before it cut the damaged segment,
// loses nothing: the next Open finds the damaged segment older and cuts it.
func TestOutboxRescueCrash(t *testing.T) {
	rec := len(frame(payload(0)))
	damaged := func(dir string) {
		o, err := Open(dir, testOpts())
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			if _, err := o.Enqueue(payload(i)); err != nil {
				t.Fatal(err)
			}
		}
		o.Close()
		seg := filepath.Join(dir, segName(0))
		b, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		b[4*rec+headerBytes] ^= 1
		if err := os.WriteFile(seg, b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	done, crashed := t.TempDir(), t.TempDir()
	damaged(done)
	damaged(crashed)
	o, err := Open(done, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	o.closeFiles()
	// The crashed one has the new segment but not the cut.
	kept, err := os.ReadFile(filepath.Join(done, segName(5)))
	if err != nil {
		t.Fatalf("the records kept: %v", err)
	}
	if err := os.WriteFile(filepath.Join(crashed, segName(5)), kept, 0o640); err != nil {
		t.Fatal(err)
	}
	o2, err := Open(crashed, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer o2.Close()
	if st := o2.Stats(); st.Depth != 9 || st.Lost != 1 {
		t.Errorf("stats %+v, want a depth of 9 and 1 lost", st)
	}
	var got []int
	for _, r := range drain(t, o2, 9) {
		got = append(got, recordIndex(t, r.Payload))
	}
	if want := []int{0, 1, 2, 3, 5, 6, 7, 8, 9}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
}

// recordIndex returns i of a payload(i).
func recordIndex(t *testing.T, p []byte) int {
	t.Helper()
	var i int
	if _, err := fmt.Sscanf(string(p), `{"id":"rec-%05d"`, &i); err != nil {
		t.Fatalf("record %q: %v", p, err)
	}
	return i
}

// TestOutboxZeroFilledTail: after a power loss during an append a file
// system may leave the segment's new length filled with zeros. Eight zero
// bytes check as a frame (length 0, and CRC-32C of nothing is 0), so the
// torn tail was read as empty records, counted and published. No record
// is empty: a zero length is a torn tail, cut on Open.
func TestOutboxZeroFilledTail(t *testing.T) {
	for _, zeros := range []int{8, 4096 - 10*10} {
		t.Run(fmt.Sprint(zeros, " zeros"), func(t *testing.T) {
			dir := t.TempDir()
			o, err := Open(dir, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			for i := range 10 {
				if _, err := o.Enqueue(fmt.Appendf(nil, "r%d", i)); err != nil {
					t.Fatal(err)
				}
			}
			o.Close()
			seg := filepath.Join(dir, segName(0))
			b, err := os.ReadFile(seg)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(seg, append(b, make([]byte, zeros)...), 0o640); err != nil {
				t.Fatal(err)
			}
			o2, err := Open(dir, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer o2.Close()
			if st := o2.Stats(); st.Depth != 10 || st.Discarded != int64(zeros) {
				t.Errorf("stats %+v, want a depth of 10 and the %d zeros discarded", st, zeros)
			}
			for i, r := range drain(t, o2, 10) {
				if want := fmt.Sprintf("r%d", i); string(r.Payload) != want {
					t.Errorf("record %d: %q, want %q", i, r.Payload, want)
				}
			}
		})
	}
}

func TestOutboxRefusesEmptyRecord(t *testing.T) {
	o, err := Open(t.TempDir(), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	// The records before the empty one are accepted, it and those after it not.
	if n, err := o.EnqueueBatch([][]byte{[]byte("a"), nil, []byte("b")}); n != 1 || !errors.Is(err, ErrEmptyRecord) {
		t.Errorf("EnqueueBatch with an empty payload: %d accepted, %v; want 1, ErrEmptyRecord", n, err)
	}
	if st := o.Stats(); st.Depth != 1 {
		t.Errorf("depth %d after a batch refused from its second record, want 1", st.Depth)
	}
}

// hostileSegment is 4 MiB (a default segment) whose every fourth offset
// claims a record of 1 MiB that fits but does not check: without a bound,
// rescue would checksum about 1.5 TiB of it.
func hostileSegment() []byte {
	data := make([]byte, 4<<20)
	for i := 0; i+4 <= len(data); i += 4 {
		binary.LittleEndian.PutUint32(data[i:], MaxRecordBytes)
	}
	return data
}

// TestRescueHostileBounded: such bytes are a torn tail, found within
// rescueWork checksummed bytes per byte.
func TestRescueHostileBounded(t *testing.T) {
	data := hostileSegment()
	kept, stretches, skipped := rescue(data, 0)
	if len(kept) != 0 || stretches != 0 || skipped != 0 {
		t.Errorf("rescue kept %d bytes in %d stretches, skipped %d: want a torn tail", len(kept), stretches, skipped)
	}
}

// BenchmarkRescueHostile measures rescue on hostileSegment.
func BenchmarkRescueHostile(b *testing.B) {
	data := hostileSegment()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rescue(data, 0)
	}
}
