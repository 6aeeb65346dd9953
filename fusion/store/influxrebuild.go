package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	influxhttp "github.com/influxdata/influxdb-client-go/v2/api/http"
)

// Rebuilding the heat roll-up for data written before the heatmap counted
// emissions (2026-12-05).
//
// Detection points written before then have no lead field, so count(lead)
// passes them all by and the heatmap showed nothing before the upgrade.
// The stored locations tell the leads apart, as SQLite's upgrade
// (migrateHeatEmissions) uses them: fusion stores one location per
// located emission, at the time of its group's first detection, with its
// track. The sender marks, for each location, the detection point of its
// site at its time whose stored record has its track, as the lead: it
// writes lead=1i onto that point (same measurement, tags and time: InfluxDB
// merges the field into the stored point, which is otherwise unchanged).
// The heatmap then counts the past exactly as SQLite does, from the raw
// points too (the partial quarter hours at a window's edges). It then marks
// the quarter hours of those locations written (heat_quarter's `written`
// token) and rolls them up as it rolls up any delivery (rollHeat).
// An emission never located (no location) stays uncounted, as in SQLite.
//
// Which past: per site, every quarter hour from the site's first location
// up to and including its first heat_quarter point (the first this version
// or 28c09f6 counted), or up to now when there is none; never before the
// retention policy's horizon (a point older than it cannot be written). A
// site whose first location is not older than its first heat_quarter point
// has nothing to rebuild: every rebuilt quarter hour with a location gets
// a heat_quarter point, so a finished rebuild, or a store this version
// started, is never rebuilt again.
//
// In chunks (a UTC day, rebuildChunkDefault), newest first, each in three
// steps: mark the leads, mark the chunk's quarter hours written, roll them
// up. Every step is idempotent (a lead marked twice is one field; a
// roll-up recounts the points), and the progress is in the data itself:
// the first heat_quarter point is where the rebuilt part begins, so a
// rebuild stopped anywhere (a crash, fusion stopped, InfluxDB down) is
// resumed at the next start for what is older, and a quarter hour marked
// but not rolled up is found by scanHeat. No marker to keep, nothing
// counted twice. Newest first also means the officer sees the latest
// weeks first.
//
// It runs on the sender goroutine: what to rebuild is found before the
// sender delivers anything (a late detection delivered first would move
// the first heat_quarter point back); the chunks are rebuilt after the
// spool is delivered, the scan for quarter hours left behind and the
// roll-ups due, a step at a time between deliveries and roll-ups, so
// fusion starts at once and its writes wait at most one step (a day's
// detection points read an hour at a time). Meanwhile
// the heatmap counts the quarter hours not rebuilt yet from the raw
// points, which have no leads yet: they show nothing until their day is
// rebuilt. Each chunk is logged with the progress.
const (
	rebuildChunkDefault = 24 * time.Hour
	// rebuildLookup is the span of detection points one query reads to
	// find the locations' leads.
	rebuildLookup = time.Hour
	// rebuildStepTimeout bounds one step's requests.
	rebuildStepTimeout = 5 * time.Minute
)

// rebuildRange is a site's span [from, until) (Unix ns, quarter hours)
// whose roll-up is still to rebuild; until moves down as chunks are done.
type rebuildRange struct {
	site        string
	from, until int64
}

// heatRebuild is the sender's state of the rebuild (sender goroutine only).
type heatRebuild struct {
	checked, over bool
	ranges        []rebuildRange
	horizon       time.Duration // the retention policy's duration, 0 for none
	steps         int
	start         time.Time
	total, done   int64 // ns of ranges, for the progress
	locs, leads   int
}

// rebuildOn reports whether the sender rebuilds the roll-up of old data.
func (c InfluxConfig) rebuildOn() bool {
	return !c.ReadOnly && !c.noRollup && !c.noTarget && !c.noRebuild
}

// rebuildHeatStep does the next step of the rebuild: first finding what
// to rebuild, then one step of one chunk.
func (s *Influx) rebuildHeatStep(ctx context.Context) error {
	r := &s.rebuild
	if !r.checked {
		ranges, horizon, err := s.rebuildRanges(ctx, s.cfg.now())
		if err != nil {
			return fmt.Errorf("heat roll-up rebuild: %w", err)
		}
		r.checked, r.ranges, r.horizon, r.start = true, ranges, horizon, time.Now()
		for _, g := range ranges {
			r.total += g.until - g.from
			s.log.Info("influx: rebuilding the heat roll-up of data written before the heatmap counted emissions, from the stored locations, newest first",
				"site", g.site, "from", time.Unix(0, g.from).UTC(), "until", time.Unix(0, g.until).UTC())
		}
		if len(ranges) == 0 {
			s.rebuildOver()
		}
		return nil
	}
	g := &r.ranges[0]
	chunk := s.cfg.rebuildChunk
	if chunk <= 0 {
		chunk = rebuildChunkDefault
	}
	// The newest location left: the chunk holding it (empty spans skipped).
	res, err := s.influxQL(ctx, fmt.Sprintf("SELECT last(track) FROM %s WHERE site = %s AND time >= %d AND time < %d",
		s.qlFrom("location"), qlString(g.site), g.from, g.until))
	if err != nil {
		return fmt.Errorf("heat roll-up rebuild: %w", err)
	}
	last, ok := int64(0), false
	if len(res[0].Series) > 0 && len(res[0].Series[0].Values) > 0 {
		last, ok = qlInt(res[0].Series[0].Values[0], 0)
	}
	if !ok {
		r.done += g.until - g.from
		s.nextRange()
		return nil
	}
	from := max(g.from, last/int64(chunk)*int64(chunk))
	until := min(g.until, from+int64(chunk))
	if r.horizon > 0 {
		// leave an hour: a point within the horizon's edge may expire while written
		floor := (s.cfg.now().Add(-r.horizon+time.Hour).UnixNano() + int64(HeatBucket) - 1) / int64(HeatBucket) * int64(HeatBucket)
		from = max(from, floor)
	}
	if from >= until {
		r.done += g.until - g.from
		s.nextRange()
		return nil
	}
	crashed, err := s.rebuildChunk(ctx, g.site, from, until)
	if err != nil || crashed {
		return err
	}
	s.mu.Lock()
	s.rebuildChunks++
	s.mu.Unlock()
	r.done += g.until - from
	g.until = from
	s.log.Info("influx: heat roll-up rebuild", "site", g.site, "chunk", time.Unix(0, from).UTC(),
		"done_pct", 100*r.done/max(r.total, 1), "locations", r.locs, "leads_marked", r.leads, "took", time.Since(r.start).Round(time.Second))
	if g.until <= g.from {
		s.nextRange()
	}
	return nil
}

// nextRange drops the range done, ending the rebuild after the last.
func (s *Influx) nextRange() {
	s.rebuild.ranges = s.rebuild.ranges[1:]
	if len(s.rebuild.ranges) == 0 {
		s.log.Info("influx: heat roll-up rebuilt", "locations", s.rebuild.locs, "leads_marked", s.rebuild.leads,
			"took", time.Since(s.rebuild.start).Round(time.Millisecond))
		s.rebuildOver()
	}
}

// rebuildOver ends the rebuild (done, nothing to do, or crashed by a test).
func (s *Influx) rebuildOver() {
	s.rebuild.over = true
	s.mu.Lock()
	s.rebuildPending = false
	s.flushed.Broadcast()
	s.mu.Unlock()
}

// rebuildRanges finds, per site, the span to rebuild (see above) and the
// retention policy's duration.
func (s *Influx) rebuildRanges(ctx context.Context, now time.Time) ([]rebuildRange, time.Duration, error) {
	res, err := s.influxQL(ctx,
		"SELECT first(track) FROM "+s.qlFrom("location")+" GROUP BY site",
		"SELECT first(written) FROM "+s.qlFrom(heatMeasurement)+" GROUP BY site",
		"SHOW RETENTION POLICIES ON "+qlIdent(s.cfg.Database))
	if err != nil {
		return nil, 0, err
	}
	first := func(r qlResult) map[string]int64 {
		out := map[string]int64{}
		for _, sr := range r.Series {
			if len(sr.Values) > 0 {
				if t, ok := qlInt(sr.Values[0], 0); ok {
					out[sr.Tags["site"]] = t
				}
			}
		}
		return out
	}
	locs, rolled := first(res[0]), first(res[1])
	var horizon time.Duration
	for _, sr := range res[2].Series {
		for _, row := range sr.Values {
			if len(row) > 1 && row[0] == s.cfg.RP {
				d, _ := row[1].(string)
				if horizon, err = time.ParseDuration(d); err != nil {
					return nil, 0, fmt.Errorf("retention policy %q: duration %q: %w", s.cfg.RP, d, err)
				}
			}
		}
	}
	bucket := int64(HeatBucket)
	var out []rebuildRange
	for _, site := range slices.Sorted(maps.Keys(locs)) {
		l := locs[site]
		until := (now.UnixNano()/bucket + 1) * bucket
		if q, ok := rolled[site]; ok {
			if l >= q {
				continue
			}
			until = (q/bucket + 1) * bucket
		}
		out = append(out, rebuildRange{site: site, from: l / bucket * bucket, until: until})
	}
	return out, horizon, nil
}

// crash counts a step of the rebuild and reports whether a test asked it
// to stop there.
func (s *Influx) crash() bool {
	s.rebuild.steps++
	if s.cfg.rebuildCrash > 0 && s.rebuild.steps >= s.cfg.rebuildCrash {
		s.log.Warn("influx: heat roll-up rebuild stopped (test)", "steps", s.rebuild.steps)
		s.rebuildOver()
		return true
	}
	return false
}

// rebuildChunk rebuilds [from, until) of site in three steps (mark the
// leads, mark the quarter hours written, roll them up); crashed when a
// test stopped it.
func (s *Influx) rebuildChunk(ctx context.Context, site string, from, until int64) (crashed bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, rebuildStepTimeout)
	defer cancel()
	where := fmt.Sprintf("site = %s AND time >= %d AND time < %d", qlString(site), from, until)
	res, err := s.influxQL(ctx, "SELECT track FROM "+s.qlFrom("location")+" WHERE "+where)
	if err != nil {
		return false, fmt.Errorf("heat roll-up rebuild: locations: %w", err)
	}
	tracks, n := locationTracks(res[0]) // location time -> the tracks located then
	s.rebuild.locs += n
	times := slices.Sorted(func(yield func(int64) bool) {
		for t := range tracks {
			if !yield(t) {
				return
			}
		}
	})
	// 1. The leads: at each location's time, the detection point of its
	// track (one already marked first, then the first by series key). The
	// points are read an hour (rebuildLookup) at a time, the hours with
	// locations only: one range read costs InfluxDB far less than a
	// lookup per location time.
	cands := map[int64][]leadCand{}
	for i := 0; i < len(times); {
		h := times[i] / int64(rebuildLookup) * int64(rebuildLookup)
		res, err := s.influxQL(ctx, fmt.Sprintf("SELECT body, lead FROM %s WHERE site = %s AND time >= %d AND time < %d GROUP BY *",
			s.qlFrom("detection"), qlString(site), h, h+int64(rebuildLookup)))
		if err != nil {
			return false, fmt.Errorf("heat roll-up rebuild: detections: %w", err)
		}
		addLeadCands(cands, res[0], tracks)
		for i < len(times) && times[i] < h+int64(rebuildLookup) {
			i++
		}
	}
	var marks []string
	for _, t := range times {
		marks = append(marks, leadMarks(cands[t], t, tracks[t])...)
	}
	if err := s.rebuildWrite(ctx, marks); err != nil {
		return false, err
	}
	s.rebuild.leads += len(marks)
	if s.crash() {
		return true, nil
	}
	// 2. Mark the quarter hours written, newest first: a write cut short
	// leaves the older ones unmarked, which the next start rebuilds.
	token := rand.Int64()
	var quarters []string
	for i := len(times) - 1; i >= 0; i-- {
		q := times[i] / int64(HeatBucket)
		if i < len(times)-1 && q == times[i+1]/int64(HeatBucket) {
			continue
		}
		quarters = append(quarters, strings.TrimSuffix(point(heatMeasurement, map[string]string{"site": site},
			map[string]any{"written": token}, q*int64(HeatBucket)), "\n"))
	}
	if err := s.rebuildWrite(ctx, quarters); err != nil {
		return false, err
	}
	if s.crash() {
		return true, nil
	}
	// 3. Roll them up.
	if err := s.rollHeat(ctx, site, from/int64(HeatBucket), until/int64(HeatBucket)); err != nil && !refused(err) {
		return false, err
	}
	return s.crash(), nil
}

// locationTracks returns the tracks of the rows (time, track) of r by
// their time, and how many rows it took. A row without a time is
// skipped; one without a track (a hand-written point, or an answer not
// of this query: a row of one column) is taken with track "".
func locationTracks(r qlResult) (map[int64][]string, int) {
	tracks, n := map[int64][]string{}, 0
	for _, sr := range r.Series {
		for _, row := range sr.Values {
			t, ok := qlInt(row, 0)
			if !ok {
				continue
			}
			var track string
			if len(row) > 1 {
				track, _ = row[1].(string)
			}
			tracks[t] = append(tracks[t], track)
			n++
		}
	}
	return tracks, n
}

// leadCand is a detection point at a location's time: its tags (those its
// series has), series key, track and whether it is marked lead.
type leadCand struct {
	tags       map[string]string
	key, track string
	lead       bool
}

// addLeadCands adds to cands the detection points of r (time, body, lead,
// grouped by all their tags) at the times of tracks.
func addLeadCands(cands map[int64][]leadCand, r qlResult, tracks map[int64][]string) {
	for _, sr := range r.Series {
		for _, row := range sr.Values {
			t, ok := qlInt(row, 0)
			if !ok || tracks[t] == nil || len(row) < 2 {
				continue
			}
			body, _ := row[1].(string)
			var rec struct {
				Track string `json:"track"`
			}
			if json.Unmarshal([]byte(body), &rec) != nil {
				continue
			}
			tags := map[string]string{}
			var key []string
			for k, v := range sr.Tags {
				if v != "" { // a tag the series lacks (center_khz on old points): not in its key
					tags[k] = v
					key = append(key, k+"="+v)
				}
			}
			slices.Sort(key)
			cands[t] = append(cands[t], leadCand{tags, strings.Join(key, ","), rec.Track, len(row) > 2 && row[2] != nil})
		}
	}
}

// leadMarks returns the lead=1i points for the locations of tracks at
// time t, among the detection points there.
func leadMarks(at []leadCand, t int64, tracks []string) []string {
	byTrack := map[string][]leadCand{}
	for _, c := range at {
		byTrack[c.track] = append(byTrack[c.track], c)
	}
	var out []string
	for _, track := range tracks {
		cs := byTrack[track]
		if len(cs) == 0 {
			continue
		}
		slices.SortFunc(cs, func(a, b leadCand) int {
			if a.lead != b.lead {
				if a.lead {
					return -1
				}
				return 1
			}
			return strings.Compare(a.key, b.key)
		})
		if cs[0].lead {
			continue
		}
		cs[0].lead = true // two locations of one track at one time: one lead
		out = append(out, strings.TrimSuffix(point("detection", cs[0].tags, map[string]any{"lead": int64(1)}, t), "\n"))
	}
	return out
}

// rebuildWrite writes lines in batches; points InfluxDB refuses (400: past
// the retention policy by now) are logged and left.
func (s *Influx) rebuildWrite(ctx context.Context, lines []string) error {
	for i := 0; i < len(lines); i += s.cfg.BatchLines {
		err := s.write.WriteRecord(ctx, lines[i:min(i+s.cfg.BatchLines, len(lines))]...)
		if refused(err) {
			s.log.Warn("influx: heat roll-up rebuild: points refused", "err", err)
		} else if err != nil {
			return fmt.Errorf("heat roll-up rebuild: write: %w", err)
		}
	}
	return nil
}

// refused reports whether err is InfluxDB refusing points (HTTP 400).
func refused(err error) bool {
	var he *influxhttp.Error
	return errors.As(err, &he) && he.StatusCode == http.StatusBadRequest
}
