package publish

import (
	"context"
	"testing"
	"time"
)

// TestOutboxQuotaInflightDelivered drops the record the sender is publishing
// (read by Oldest, not yet acknowledged) to the quota; when its publish then
// succeeds and it is acknowledged, it no longer counts as dropped, so Dropped
// equals the records that were really lost.
func TestOutboxQuotaInflightDelivered(t *testing.T) {
	o, err := Open(t.TempDir(), OutboxOptions{QuotaBytes: 8192, SegmentBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if _, err := o.Enqueue(payload(0)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r, err := o.Oldest(ctx) // the sender starts publishing record 0
	if err != nil || r.Seq != 0 {
		t.Fatalf("Oldest: %v, %v", r.Seq, err)
	}
	const n = 200
	for i := 1; i < n; i++ { // the broker is down: the quota drops the oldest
		if _, err := o.Enqueue(payload(i)); err != nil {
			t.Fatal(err)
		}
	}
	before := o.Stats()
	if before.Dropped == 0 || before.Dropped+before.Depth != n {
		t.Fatalf("before: %+v", before)
	}
	if err := o.Ack(r.Seq); err != nil { // record 0's publish succeeded after all
		t.Fatal(err)
	}
	after := o.Stats()
	if after.Dropped != before.Dropped-1 || after.Depth != before.Depth {
		t.Errorf("after delivering the dropped in-flight record: dropped %d depth %d, want %d and %d",
			after.Dropped, after.Depth, before.Dropped-1, before.Depth)
	}
	if err := o.Ack(r.Seq); err != nil || o.Stats().Dropped != after.Dropped {
		t.Errorf("a second Ack changed the count: %v, %+v", err, o.Stats())
	}
}
