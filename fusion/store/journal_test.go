package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/store"
)

func journalSeqs(t *testing.T, s *store.SQLite) []int64 {
	t.Helper()
	es, err := s.Journal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, e := range es {
		seqs = append(seqs, e.Seq)
	}
	return seqs
}

// TestSQLiteJournal: appended entries come back whole and by Seq, also
// after the store is opened again; an append one of whose entries is
// stored already stores none of them; ReleaseJournal deletes those below
// its Seq and says how many.
func TestSQLiteJournal(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	in := []store.JournalEntry{
		{Seq: 2, Topic: "rfw/v1/hmp/sensor/s1/detection", Payload: []byte(`{"id":"b"}`), ReceivedNS: 20},
		{Seq: 1, Topic: "rfw/v1/hmp/sensor/s2/detection", Payload: []byte(`{"id":"a"}`), ReceivedNS: 10},
	}
	if err := s.AppendJournal(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.Journal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.JournalEntry{in[1], in[0]}
	if !slices.EqualFunc(got, want, func(a, b store.JournalEntry) bool {
		return a.Seq == b.Seq && a.Topic == b.Topic && string(a.Payload) == string(b.Payload) && a.ReceivedNS == b.ReceivedNS
	}) {
		t.Errorf("Journal = %+v, want %+v", got, want)
	}
	if err := s.AppendJournal(ctx, []store.JournalEntry{{Seq: 3, Topic: "t", Payload: []byte("x")}, {Seq: 2, Topic: "t", Payload: []byte("y")}}); err == nil {
		t.Error("an append of a Seq stored already succeeded")
	}
	if seqs := journalSeqs(t, s); !slices.Equal(seqs, []int64{1, 2}) {
		t.Errorf("after the failed append the journal holds %v, want [1 2] (none of it)", seqs)
	}
	if n, err := s.ReleaseJournal(ctx, 2); err != nil || n != 1 {
		t.Errorf("ReleaseJournal(2) = %d, %v; want 1", n, err)
	}
	if seqs := journalSeqs(t, s); !slices.Equal(seqs, []int64{2}) {
		t.Errorf("after ReleaseJournal(2) the journal holds %v, want [2]", seqs)
	}
}

// BenchmarkJournalAppend measures the intake journal's group commit
// (fusion.Run, docs/performance.md): one durable transaction
// (synchronous=FULL) of n detection messages of a typical size, then
// their release, as Run does once their batch is stored. msgs/s is the
// rate one commit after another sustains.
func BenchmarkJournalAppend(b *testing.B) {
	ctx := context.Background()
	payload := make([]byte, 420) // an encoded detection
	for i := range payload {
		payload[i] = 'x'
	}
	for _, n := range []int{1, 16, 256} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := openSQLite(b)
			batch := make([]store.JournalEntry, n)
			seq := int64(1)
			for b.Loop() {
				for i := range batch {
					batch[i] = store.JournalEntry{Seq: seq, Topic: "rfw/v1/hmp/sensor/s1/detection", Payload: payload, ReceivedNS: seq}
					seq++
				}
				if err := s.AppendJournal(ctx, batch); err != nil {
					b.Fatal(err)
				}
				if seq%4096 < int64(n) { // about one release a 4096 messages (a flush)
					if _, err := s.ReleaseJournal(ctx, seq); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
