package store

import (
	"context"
	"time"
)

// FixHead is a stored fix (LocationRecord) as far as the reads of the
// dashboard's floor plan and search list filter and group by it, read
// without decoding its JSON body (room probabilities included): which
// fixes to keep is decided on heads, and only the kept are read whole
// (FixIndex.LocationsOf).
type FixHead struct {
	// Ref is the store's key of the fix, for LocationsOf.
	Ref        int64
	TimeNS     int64
	Track      string
	Class      string
	Link       string
	Authorised bool
	// Record is the whole fix when the store had to read it to tell its
	// head (SQLite: a row written before the head's columns, or by an
	// older binary after a rollback; InfluxDB: every fix), nil otherwise.
	Record *LocationRecord
}

// HeadOf returns r's head, r itself attached.
func HeadOf(r LocationRecord) FixHead {
	return FixHead{TimeNS: r.TimeNS, Track: r.Track, Class: r.Class, Link: r.Link, Authorised: r.Authorised, Record: &r}
}

// FixIndex reads the stored fixes of a window head first: SQLite keeps
// the head's fields in columns of their own; InfluxDB reads every fix
// whole, as Locations does. The dashboard's walks of the fixes (GET
// /locations, GET /search) use it; the conformance suite
// (storetest.TimeSeries) checks that it gives what Locations gives.
type FixIndex interface {
	// LocationHeads returns the heads of the fixes Locations(ctx, site,
	// from, to, limit) returns, in its order.
	LocationHeads(ctx context.Context, site string, from, to time.Time, limit int) ([]FixHead, error)
	// LocationsOf returns the whole fixes of heads (LocationHeads' of
	// site), in their order; a fix deleted since (Prune) is left out.
	LocationsOf(ctx context.Context, site string, heads []FixHead) ([]LocationRecord, error)
}

// WholeFixes serves FixIndex over any TimeSeries by reading the fixes
// whole (Locations) and attaching each to its head: no cheaper than
// Locations, for a store with no head of its own (InfluxDB, tests' fakes).
type WholeFixes struct{ TimeSeries }

var _ FixIndex = WholeFixes{}

// LocationHeads returns the heads of the fixes Locations returns, each
// with its Record.
func (w WholeFixes) LocationHeads(ctx context.Context, site string, from, to time.Time, limit int) ([]FixHead, error) {
	recs, err := w.Locations(ctx, site, from, to, limit)
	if err != nil {
		return nil, err
	}
	return headsOf(recs), nil
}

// LocationsOf returns the Records of heads; those with none are left out.
func (WholeFixes) LocationsOf(_ context.Context, _ string, heads []FixHead) ([]LocationRecord, error) {
	return attached(heads), nil
}

// headsOf returns the heads of recs, each with its record.
func headsOf(recs []LocationRecord) []FixHead {
	out := make([]FixHead, len(recs))
	for i := range recs {
		out[i] = HeadOf(recs[i])
	}
	return out
}

// attached returns the Records of heads, leaving out heads with none.
func attached(heads []FixHead) []LocationRecord {
	out := make([]LocationRecord, 0, len(heads))
	for _, h := range heads {
		if h.Record != nil {
			out = append(out, *h.Record)
		}
	}
	return out
}
