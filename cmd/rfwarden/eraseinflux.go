package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/redact"
)

// eraseInflux is where erase reads, in InfluxDB, the rooms the case's
// detections and its tracks' locations were placed in (--influx): url ""
// for none.
type eraseInflux struct{ url, database, rp, user, password string }

// influxCase is what erase reads of InfluxDB: store.Influx.
type influxCase interface {
	DetectionsByID(ctx context.Context, site string, from, to time.Time, ids []string) ([]store.DetectionRecord, error)
	Locations(ctx context.Context, site string, from, to time.Time, limit int) ([]store.LocationRecord, error)
}

// influxLocationLimit is the most locations of the case's window erase
// reads: past it the rooms of its tracks are not known.
const influxLocationLimit = 100000

// lookUp reads the rooms of p's case in InfluxDB, when c names one, into
// p (readInfluxRooms). InfluxDB not answering is a warning: the
// statements then have no room condition.
func (c eraseInflux) lookUp(ctx context.Context, p *erasePlan, stdout io.Writer) {
	if c.url == "" || p.fromNS <= 0 {
		return
	}
	in, err := store.OpenInflux(store.InfluxConfig{URL: c.url, Database: c.database, RP: c.rp, Username: c.user, Password: c.password, ReadOnly: true})
	if err == nil {
		defer in.Close()
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		err = readInfluxRooms(cctx, in, p)
	}
	if err != nil {
		fmt.Fprintf(stdout, "warning: InfluxDB (--influx %s): %v: the rooms of the case there are not known\n", redact.URL(c.url), err)
	}
}

// readInfluxRooms reads from in the rooms p's detections, and the
// locations of its alerts' tracks, were placed in within p's window, and
// sets them as p's rooms when it found every detection of the case
// (p.roomsKnown); the rooms of the incident and the alerts' latest are
// kept. A case with a detection in does not hold (deleted by the
// retention policy, or still in fusion's spool) keeps its rooms unknown.
func readInfluxRooms(ctx context.Context, in influxCase, p *erasePlan) error {
	from, to := time.Unix(0, p.fromNS), time.Unix(0, p.toNS)
	rooms := map[string]bool{}
	for _, r := range p.rooms {
		rooms[r] = true
	}
	found := map[string]bool{}
	var valid []string
	for _, d := range p.detections {
		if _, ok := detectionSensor(d); ok {
			valid = append(valid, d)
		}
	}
	for chunk := range slices.Chunk(valid, store.MaxIDs) {
		dets, err := in.DetectionsByID(ctx, p.site, from, to, chunk)
		if err != nil {
			return fmt.Errorf("read the case's detections: %w", err)
		}
		for _, d := range dets {
			found[d.ID] = true
			if d.Room != "" {
				rooms[d.Room] = true
			}
		}
	}
	locsKnown := true
	if len(p.tracks) > 0 {
		locs, err := in.Locations(ctx, p.site, from, to, influxLocationLimit)
		if err != nil {
			return fmt.Errorf("read the locations of its tracks: %w", err)
		}
		locsKnown = len(locs) < influxLocationLimit
		for _, l := range locs {
			if slices.Contains(p.tracks, l.Track) && l.Room != "" {
				rooms[l.Room] = true
			}
		}
	}
	p.influxFound = len(found)
	if len(p.detections) > 0 && len(found) == len(p.detections) && locsKnown {
		p.rooms, p.roomsKnown = slices.Sorted(maps.Keys(rooms)), true
	}
	p.influxRead = true
	return nil
}
