package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/influxtest"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// TestInfluxSimultaneousDetections writes detections of one sensor with the
// same capture time and tags but different frequencies (two phones starting
// in one block) and each detection twice (a redelivery): every detection is
// stored exactly once.
func TestInfluxSimultaneousDetections(t *testing.T) {
	ctx := context.Background()
	s := openInflux(t, influxtest.Start(t), "simultaneous")
	var recs []store.DetectionRecord
	for i := range 3 {
		r := storetest.Detection("site1", fmt.Sprintf("sim%d", i), storetest.Base, "A", false)
		r.CenterHz = 1.75e9 + float64(i)*200e3
		recs = append(recs, r)
	}
	for range 2 {
		if err := s.WriteDetections(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Detections(ctx, "site1", storetest.Base, storetest.Base.Add(time.Second), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("stored %d detections, want %d", len(got), len(recs))
	}
	for i, r := range got {
		if want := fmt.Sprintf("sim%d", i); r.ID != want {
			t.Errorf("detection %d: %s, want %s", i, r.ID, want)
		}
	}
}
