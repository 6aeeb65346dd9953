package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// Bounds of one read of the stored fixes, by GET /locations and GET
// /search: each walks its window newest first, a page of the store at a
// time, so that neither a busy phone nor a week's window makes an answer
// unbounded, and says when a bound cut it (LocationsAnswer.Truncated).
const (
	// MaxLocationScan is the most stored fixes of the site (authorised
	// devices' too) one read walks; older ones are left unread. A fix
	// walked is read by its head (store.FixHead); only those a read keeps
	// are decoded whole, at ~20 µs and ~1.9 KB of garbage each (its JSON
	// body, room probabilities included; 2-core AMD EPYC). Before heads,
	// 200,000 took 5 s and 480 MB a request, 20,000 about a tenth of
	// that (docs/performance.md, "Dashboard: the stored fixes"). The
	// demo's 30 minutes hold ~5,000.
	MaxLocationScan = 20_000
	// MaxLocationTracks is the most tracks GET /locations gives: the most
	// recently heard.
	MaxLocationTracks = 1000
	// LocationTrail is the most fixes GET /locations gives of one track:
	// its newest, the first the track's latest place.
	LocationTrail = 10
	// locationPage is how many fixes one store query returns.
	locationPage = 5000
)

// LocationsAnswer is GET /locations' answer.
type LocationsAnswer struct {
	// Fixes are the located emitters, newest first: of each track heard
	// in the window (at most MaxLocationTracks, the most recently heard)
	// its newest LocationTrail fixes.
	Fixes []Location `json:"fixes"`
	// Truncated: a bound (MaxLocationScan stored fixes walked, or
	// MaxLocationTracks tracks) cut the answer; it holds every track heard
	// after CompleteFromNS, and tracks last heard at or before it may be
	// missing.
	Truncated      bool  `json:"truncated"`
	CompleteFromNS int64 `json:"complete_from_ns,omitempty"`
	// TrailFixes and MaxTracks are the bounds the answer kept to
	// (LocationTrail, MaxLocationTracks).
	TrailFixes int `json:"trail_fixes"`
	MaxTracks  int `json:"max_tracks"`
}

// fixIndex reads a window's stored fixes head first (store.FixIndex):
// the walks decide on each fix's head which to keep, and only the kept
// are read whole, their JSON bodies (room probabilities included)
// decoded. SQLite implements it from columns; any other TimeSeries is read
// whole (store.WholeFixes).
type fixIndex interface {
	LocationHeads(ctx context.Context, site string, from, to time.Time, limit int) ([]store.FixHead, error)
	LocationsOf(ctx context.Context, site string, heads []store.FixHead) ([]store.LocationRecord, error)
}

var _ fixIndex = store.FixIndex(nil)

// fixes returns the TimeSeries' fixIndex, or one that reads every fix whole.
func (s *server) fixes() fixIndex {
	if fi, ok := s.d.TimeSeries.(fixIndex); ok {
		return fi
	}
	return store.WholeFixes{TimeSeries: s.d.TimeSeries}
}

// walkLocations calls head with each stored fix of the site in [from,
// to), newest first, as its head (store.FixHead, its body unread), until
// head says no more or it has walked the scan bound (MaxLocationScan
// unless Deps says less); and use, in the same order, with each fix
// whose head head kept, read whole (a page of the store at a time, after
// head has seen the page's fixes). It returns 0 when it walked the whole
// window, or else the time (ns) of the last fix it walked: every fix
// after it was walked, those at or before it perhaps not. Until
// 2026-12-05 it decoded every fix it walked, body and all.
func (s *server) walkLocations(ctx context.Context, from, to time.Time, head func(store.FixHead) (keep, more bool), use func(store.LocationRecord)) (int64, error) {
	fixes := s.fixes()
	remaining := max(1, cmp.Or(s.d.maxLocationScan, MaxLocationScan))
	var last int64 // time of the last fix walked
	// walk calls head with hs and use with the kept, read whole.
	walk := func(hs []store.FixHead) (stoppedAt int64, stopped bool, err error) {
		var kept []store.FixHead
		for _, h := range hs {
			keep, more := head(h)
			if !more {
				stoppedAt, stopped = h.TimeNS, true
				break
			}
			if keep {
				kept = append(kept, h)
			}
			last = h.TimeNS
		}
		if len(kept) == 0 {
			return stoppedAt, stopped, nil
		}
		recs, err := fixes.LocationsOf(ctx, s.siteID(), kept)
		if err != nil {
			return 0, false, fmt.Errorf("%d fixes before %s: %w", len(kept), time.Unix(0, kept[0].TimeNS).UTC().Format(time.RFC3339Nano), err)
		}
		for _, r := range recs {
			use(r)
		}
		return stoppedAt, stopped, nil
	}
	cur := to
	for {
		// one more than may be walked tells whether the bound cut the window
		n := min(locationPage, remaining+1)
		rows, err := fixes.LocationHeads(ctx, s.siteID(), from, cur, n)
		if err != nil {
			return 0, fmt.Errorf("fixes before %s: %w", cur.UTC().Format(time.RFC3339Nano), err)
		}
		rows = rows[:min(len(rows), n)]
		if len(rows) < n { // the rest of the window
			at, _, err := walk(rows)
			return at, err
		}
		if n == remaining+1 { // the bound falls in this page
			if at, stopped, err := walk(rows[:remaining]); stopped || err != nil {
				return at, err
			}
			return last, nil
		}
		// A full page: more fixes may share its oldest instant. Walk the
		// newer ones and read that instant again with the next page.
		oldest := rows[len(rows)-1].TimeNS
		k := len(rows)
		for k > 0 && rows[k-1].TimeNS == oldest {
			k--
		}
		if k == 0 { // a page of one instant: walk it, the instant's rest is cut
			if at, stopped, err := walk(rows); stopped || err != nil {
				return at, err
			}
			return oldest, nil
		}
		if at, stopped, err := walk(rows[:k]); stopped || err != nil {
			return at, err
		}
		remaining -= k
		cur = time.Unix(0, oldest+1)
	}
}
