package storetest

import (
	"context"
	"sync"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// Recorder is the time-series writer of engine tests: it keeps the
// detection and location records it is given (health reports it drops).
// It is safe for concurrent use; read Dets and Locs holding Mu while the
// engine may still write.
type Recorder struct {
	Mu   sync.Mutex
	Dets []store.DetectionRecord
	Locs []store.LocationRecord
}

// WriteDetections keeps recs.
func (r *Recorder) WriteDetections(_ context.Context, recs []store.DetectionRecord) error {
	r.Mu.Lock()
	defer r.Mu.Unlock()
	r.Dets = append(r.Dets, recs...)
	return nil
}

// WriteLocations keeps recs.
func (r *Recorder) WriteLocations(_ context.Context, recs []store.LocationRecord) error {
	r.Mu.Lock()
	defer r.Mu.Unlock()
	r.Locs = append(r.Locs, recs...)
	return nil
}

// WriteHealth drops the reports.
func (r *Recorder) WriteHealth(context.Context, []event.Health) error { return nil }
