package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// The Influx store keeps its own roll-up of emissions per quarter hour
// (HeatBucket), counted by their lead detections (DetectionRecord.Lead,
// whose points carry the field lead=1i; the other sensors' detections of
// the emission have no lead field, and count(lead) passes them by),
// derived from the stored points themselves so that it is exact (a
// redelivered detection overwrites its point and must not count twice)
// and follows late and out-of-order writes. It is one point per site and
// quarter hour, at its start (the "hours" below are these quarter hours):
//
//	heat_quarter,site=<site> written=<token>i,rolled=<token>i,unauth="<counts>",auth="<counts>",target="<counts>"
//
// Until 2026-12-05 it was heat_hour, one point per clock hour counting
// every detection point: a different measurement, which this version
// neither reads nor writes. Detection points written before then have no
// lead field; the sender marks their leads from the stored locations and
// rolls their quarter hours up when it starts (influxrebuild.go, and
// docs/deploy.md).
//
// Every spooled detection batch carries a `written` field with a fresh
// random token for each (site, hour) it touches, sent in the same write
// request as its detections (InfluxDB merges the fields of points with the
// same series and time). After delivery the sender counts the hour's
// detection points again (InfluxQL count over the hour) and writes `rolled`
// (the token it read before counting) with the counts per room of the
// unauthorised and the authorised detections, and of the unauthorised
// ones fusion may alert on (target: event.Alertable of the points' class
// and link tags), as room=count pairs, rooms query-escaped, joined by "&".
//
// An hour is clean when written == rolled: its counts are then exact. Any
// other hour (not rolled up yet, rolled up before a later batch landed,
// written before this roll-up existed) is counted from the raw points at
// query time, as are the partial hours at the window's edges. A crash between
// delivery and roll-up leaves the hour unclean in InfluxDB; the sender scans
// for such hours when it starts, and a spool replay marks the hours it
// delivers again, so the roll-up catches up without state outside InfluxDB.
// The same scan finds hours rolled up before the target counts existed
// (no `target` field); a heatmap of targets counts them from the raw points
// until they are rolled up again.
const (
	heatMeasurement = "heat_quarter"
	// heatMarkPrefix starts the spool-only header lines of a detection batch,
	// one per (site, hour) it touches; the sender strips them before sending.
	heatMarkPrefix = "#heat "
	// heatRollBuckets caps the quarter hours counted in one roll-up query
	// (a day).
	heatRollBuckets = 96
	// heatMaxCounts caps an hour's encoded counts (InfluxDB's string fields
	// hold 64 KiB); an hour with more rooms stays counted from raw points.
	heatMaxCounts = 60 << 10
)

// heatKey is one site's quarter hour (bucket = Unix ns / HeatBucket).
type heatKey struct {
	site   string
	bucket int64
}

// heatMarks returns the spool header lines and the heat_quarter `written`
// points that mark every (site, hour) of recs as written by this batch.
func heatMarks(recs []DetectionRecord) []string {
	token := rand.Int64()
	seen := map[heatKey]bool{}
	var head, marks []string
	for _, r := range recs {
		k := heatKey{tagValue(r.Site), bucketOf(r.TimeNS)}
		if seen[k] {
			continue
		}
		seen[k] = true
		head = append(head, heatMarkPrefix+strconv.FormatInt(k.bucket, 10)+" "+strconv.Quote(k.site))
		marks = append(marks, strings.TrimSuffix(point(heatMeasurement, map[string]string{"site": k.site},
			map[string]any{"written": token}, k.bucket*int64(HeatBucket)), "\n"))
	}
	return append(head, marks...)
}

// splitHeatMarks splits a spool record into the hours its header marks and
// the line protocol to send. Records without a header (other measurements,
// or spooled by an older version) are returned whole. A malformed mark is
// skipped and reported in err, never holding up the record's delivery.
func splitHeatMarks(rec []byte) (keys []heatKey, body []byte, err error) {
	for bytes.HasPrefix(rec, []byte(heatMarkPrefix)) {
		line, rest, _ := bytes.Cut(rec, []byte("\n"))
		rec = rest
		hour, site, ok := strings.Cut(string(line[len(heatMarkPrefix):]), " ")
		h, herr := strconv.ParseInt(hour, 10, 64)
		s, serr := strconv.Unquote(site)
		if !ok || herr != nil || serr != nil {
			err = fmt.Errorf("spool heat mark %q: want an hour and a quoted site", line)
			continue
		}
		keys = append(keys, heatKey{s, h})
	}
	return keys, rec, err
}

// tagValue is how point stores a tag value: "" becomes "_".
func tagValue(v string) string {
	if v == "" {
		return "_"
	}
	return v
}

// markHeat records hours whose detections reached InfluxDB.
func (s *Influx) markHeat(keys []heatKey) {
	if len(keys) == 0 || s.cfg.noRollup {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		s.dirty[k] = true
	}
}

// heatDueLocked counts the marked hours that have ended by now (s.mu held).
func (s *Influx) heatDueLocked(now time.Time) int {
	n := 0
	for k := range s.dirty {
		if (k.bucket+1)*int64(HeatBucket) <= now.UnixNano() {
			n++
		}
	}
	return n
}

// nextHeatRun returns a run of consecutive marked hours of one site that have
// ended by now (at most heatRollBuckets), or, when none has, the time the
// earliest marked hour ends (zero when nothing is marked).
func (s *Influx) nextHeatRun(now time.Time) (site string, from, to int64, wake time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []heatKey
	for k := range s.dirty {
		end := time.Unix(0, (k.bucket+1)*int64(HeatBucket))
		if !end.After(now) {
			due = append(due, k)
		} else if wake.IsZero() || end.Before(wake) {
			wake = end
		}
	}
	if len(due) == 0 {
		return "", 0, 0, wake
	}
	slices.SortFunc(due, func(a, b heatKey) int {
		if c := strings.Compare(a.site, b.site); c != 0 {
			return c
		}
		return cmp.Compare(a.bucket, b.bucket)
	})
	site, from, to = due[0].site, due[0].bucket, due[0].bucket+1
	for _, k := range due[1:] {
		if k.site != site || k.bucket != to || to-from >= heatRollBuckets {
			break
		}
		to++
	}
	return site, from, to, time.Time{}
}

// rollHeat recounts the hours [from, to) of site from the detection points
// and writes their counts and `rolled` tokens. It runs on the sender
// goroutine, so no write of this store lands while it counts.
func (s *Influx) rollHeat(ctx context.Context, site string, from, to int64) error {
	bucketNS := int64(HeatBucket)
	where := fmt.Sprintf("site = %s AND time >= %d AND time < %d", qlString(site), from*bucketNS, to*bucketNS)
	res, err := s.influxQL(ctx,
		"SELECT written FROM "+s.qlFrom(heatMeasurement)+" WHERE "+where,
		"SELECT count(lead) FROM "+s.qlFrom("detection")+" WHERE "+where+" GROUP BY time(15m), room, auth, class, link fill(none)")
	if err != nil {
		return fmt.Errorf("heat roll-up %s hours %d-%d: %w", site, from, to, err)
	}
	written := map[int64]int64{}
	for _, sr := range res[0].Series {
		for _, row := range sr.Values {
			t, ok1 := qlInt(row, 0)
			tok, ok2 := qlInt(row, 1)
			if ok1 && ok2 {
				written[t/bucketNS] = tok
			}
		}
	}
	counts := map[int64]*[3]map[string]int64{} // hour -> unauthorised, authorised, target counts per room
	if err := eachCount(res[1], func(tags map[string]string, t, n int64) {
		c := counts[t/bucketNS]
		if c == nil {
			c = &[3]map[string]int64{{}, {}, {}}
			counts[t/bucketNS] = c
		}
		i := 0
		if tags["auth"] == "1" {
			i = 1
		}
		c[i][tags["room"]] += n
		if i == 0 && heatTarget(tags) {
			c[2][tags["room"]] += n
		}
	}); err != nil {
		return fmt.Errorf("heat roll-up %s hours %d-%d: %w", site, from, to, err)
	}
	var ls []string
	for h, tok := range written {
		fields := map[string]any{"rolled": tok, "unauth": "", "auth": "", "target": ""}
		size := 0
		if c := counts[h]; c != nil {
			u, a, g := encodeRoomCounts(c[0]), encodeRoomCounts(c[1]), encodeRoomCounts(c[2])
			fields["unauth"], fields["auth"], fields["target"] = u, a, g
			size = len(u) + len(a) + len(g)
		}
		if s.cfg.noTarget {
			delete(fields, "target")
		}
		if size > heatMaxCounts {
			s.log.Warn("influx: too many rooms in an hour for the heat roll-up; it is counted from raw points", "site", site, "hour", time.Unix(0, h*bucketNS).UTC())
			continue
		}
		ls = append(ls, strings.TrimSuffix(point(heatMeasurement, map[string]string{"site": site}, fields, h*bucketNS), "\n"))
	}
	if len(ls) > 0 {
		if err := s.write.WriteRecord(ctx, ls...); err != nil {
			return fmt.Errorf("heat roll-up %s hours %d-%d: write: %w", site, from, to, err)
		}
	}
	s.mu.Lock()
	for h := from; h < to; h++ {
		delete(s.dirty, heatKey{site, h})
	}
	s.mu.Unlock()
	return nil
}

// heatClean reports whether a row (time, written, rolled, ...) is a clean hour.
func heatClean(row []any) bool {
	w, ok1 := qlInt(row, 1)
	r, ok2 := qlInt(row, 2)
	return ok1 && ok2 && w == r
}

// heatCurrent reports whether a row (time, written, rolled, target) is a
// clean hour with target counts: rolled up by this version.
func heatCurrent(row []any) bool { return heatClean(row) && len(row) > 3 && row[3] != nil }

// heatTarget reports whether a count grouped by class and link tags counts
// in a heatmap of targets (the caller has left out authorised points).
func heatTarget(tags map[string]string) bool {
	return event.Alertable(roomName(tags["class"]), roomName(tags["link"]))
}

// scanHeat marks every hour whose roll-up is behind its writes (left so by a
// crash between delivery and roll-up) or has no target counts (rolled up
// by an older version).
func (s *Influx) scanHeat(ctx context.Context) error {
	res, err := s.influxQL(ctx, "SELECT written, rolled, target FROM "+s.qlFrom(heatMeasurement)+" GROUP BY site")
	if err != nil {
		return fmt.Errorf("heat roll-up scan: %w", err)
	}
	var keys []heatKey
	for _, sr := range res[0].Series {
		for _, row := range sr.Values {
			if t, ok := qlInt(row, 0); ok && !heatCurrent(row) {
				keys = append(keys, heatKey{sr.Tags["site"], t / int64(HeatBucket)})
			}
		}
	}
	if len(keys) > 0 {
		s.log.Info("influx: heat roll-up behind its writes; recounting", "hours", len(keys))
	}
	s.markHeat(keys)
	return nil
}

// Heatmap counts the emissions of kind (their lead detection points) per
// room and quarter hour (HeatBucket) in [from, to). Whole quarter hours
// whose roll-up is clean are read from heat_quarter (one point each);
// partial ones at the edges and those not rolled up yet are counted from
// the detection points, so the answer is exact, as SQLite's is.
// It asks InfluxQL
// (/query) rather than Flux, which in InfluxDB 1.8 costs several times the
// CPU for the same points.
func (s *Influx) Heatmap(ctx context.Context, site string, from, to time.Time, kind HeatKind) (_ []HeatCell, err error) {
	defer func() { err = s.noDatabase(err) }()
	fromNS, toNS := from.UnixNano(), to.UnixNano()
	if toNS <= fromNS {
		return nil, nil
	}
	site = tagValue(site)
	fields, rolled := "written, rolled, unauth, auth", heatClean
	switch kind {
	case HeatUnauthorised:
		fields = "written, rolled, unauth"
	case HeatTargets:
		fields, rolled = "written, rolled, target", heatCurrent
	}
	bucketNS := int64(HeatBucket)
	firstWhole := (fromNS + bucketNS - 1) / bucketNS // as SQLite.Heatmap
	lastWhole := toNS / bucketNS
	whole := firstWhole < lastWhole
	raw := [][2]int64{{fromNS, toNS}}
	var stmts []string
	if whole {
		raw = [][2]int64{{fromNS, firstWhole * bucketNS}, {lastWhole * bucketNS, toNS}}
		stmts = append(stmts, fmt.Sprintf("SELECT %s FROM %s WHERE site = %s AND time >= %d AND time < %d",
			fields, s.qlFrom(heatMeasurement), qlString(site), firstWhole*bucketNS, lastWhole*bucketNS))
	}
	res, err := s.influxQL(ctx, append(stmts, s.rawHeatStmts(site, kind, raw)...)...)
	if err != nil {
		return nil, fmt.Errorf("influx heatmap: %w", err)
	}
	counts := map[heatCellKey]int64{}
	if whole {
		clean := map[int64]bool{}
		for _, sr := range res[0].Series {
			for _, row := range sr.Values {
				t, ok := qlInt(row, 0)
				if !ok || !rolled(row) {
					continue
				}
				clean[t/bucketNS] = true
				for col := 3; col < len(row); col++ {
					if err := addEncodedCounts(counts, t/bucketNS, row[col]); err != nil {
						return nil, fmt.Errorf("influx heatmap: hour %d: %w", t/bucketNS, err)
					}
				}
			}
		}
		// Whole hours not rolled up yet: count their points.
		var dirty [][2]int64
		for h := firstWhole; h < lastWhole; h++ {
			if clean[h] {
				continue
			}
			if n := len(dirty); n > 0 && dirty[n-1][1] == h*bucketNS {
				dirty[n-1][1] += bucketNS
			} else {
				dirty = append(dirty, [2]int64{h * bucketNS, (h + 1) * bucketNS})
			}
		}
		if len(dirty) > 0 {
			more, err := s.influxQL(ctx, s.rawHeatStmts(site, kind, dirty)...)
			if err != nil {
				return nil, fmt.Errorf("influx heatmap: hours not rolled up: %w", err)
			}
			res = append(res, more...)
		}
		res = res[1:]
	}
	for _, r := range res {
		if err := eachCount(r, func(tags map[string]string, t, n int64) {
			if kind != HeatTargets || heatTarget(tags) {
				counts[heatCellKey{roomName(tags["room"]), t / bucketNS}] += n
			}
		}); err != nil {
			return nil, fmt.Errorf("influx heatmap: %w", err)
		}
	}
	out := make([]HeatCell, 0, len(counts))
	for k, n := range counts {
		out = append(out, HeatCell{Room: k.room, Start: time.Unix(0, k.bucket*bucketNS).UTC(), Count: n})
	}
	SortHeat(out)
	return out, nil
}

// roomName undoes tagValue for rooms: "_" is the unlocated room "".
func roomName(tag string) string {
	if tag == "_" {
		return ""
	}
	return tag
}

// encodeRoomCounts encodes counts per room (tag values) as room=n pairs joined
// by "&", rooms query-escaped and sorted.
func encodeRoomCounts(m map[string]int64) string {
	var b strings.Builder
	for i, room := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(room))
		b.WriteByte('=')
		b.WriteString(strconv.FormatInt(m[room], 10))
	}
	return b.String()
}

// addEncodedCounts adds one hour's encoded room counts (room=n&room=n, rooms
// query-escaped; null or "" for none) into counts.
func addEncodedCounts(counts map[heatCellKey]int64, hour int64, v any) error {
	enc, _ := v.(string)
	for enc != "" {
		var pair string
		pair, enc, _ = strings.Cut(enc, "&")
		room, n, ok := strings.Cut(pair, "=")
		count, err := strconv.ParseInt(n, 10, 64)
		if !ok || err != nil {
			return fmt.Errorf("room count %q", pair)
		}
		if strings.ContainsAny(room, "%+") {
			if room, err = url.QueryUnescape(room); err != nil {
				return fmt.Errorf("room count %q: %w", pair, err)
			}
		}
		counts[heatCellKey{roomName(room), hour}] += count
	}
	return nil
}

type heatCellKey struct {
	room   string
	bucket int64
}

// rawHeatStmts counts the detection points of kind per clock hour and room
// in each range; for targets, also per class and link, for heatTarget to
// pick.
func (s *Influx) rawHeatStmts(site string, kind HeatKind, ranges [][2]int64) []string {
	auth, by := "", "room"
	if kind != HeatAll {
		auth = " AND auth = '0'"
	}
	if kind == HeatTargets {
		by = "room, class, link"
	}
	var out []string
	for _, r := range ranges {
		if r[1] > r[0] {
			out = append(out, fmt.Sprintf("SELECT count(lead) FROM %s WHERE site = %s AND time >= %d AND time < %d%s GROUP BY time(15m), %s fill(none)",
				s.qlFrom("detection"), qlString(site), r[0], r[1], auth, by))
		}
	}
	return out
}

// qlResult is one statement's answer from InfluxDB 1.x /query: values are
// json.Number, string, bool or nil.
type qlResult struct {
	Series []struct {
		Tags    map[string]string `json:"tags"`
		Columns []string          `json:"columns"`
		Values  [][]any           `json:"values"`
	} `json:"series"`
	Error string `json:"error"`
}

// qlInt returns row[i] as an integer, false when null or not one.
func qlInt(row []any, i int) (int64, bool) {
	if i >= len(row) {
		return 0, false
	}
	n, ok := row[i].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Int64()
	return v, err == nil
}

// eachCount calls fn with the tags, time (Unix ns) and count of every row of
// a (time, count) result, skipping nulls.
func eachCount(r qlResult, fn func(tags map[string]string, t, n int64)) error {
	for _, sr := range r.Series {
		for _, row := range sr.Values {
			if len(row) < 2 || row[1] == nil {
				continue
			}
			t, ok1 := qlInt(row, 0)
			n, ok2 := qlInt(row, 1)
			if !ok1 || !ok2 {
				return fmt.Errorf("count row %v: not (time, integer)", row)
			}
			fn(sr.Tags, t, n)
		}
	}
	return nil
}

// influxQL runs statements in one /query request (times as Unix ns) and
// returns one result per statement, failing on any statement's error.
func (s *Influx) influxQL(ctx context.Context, stmts ...string) ([]qlResult, error) {
	if len(stmts) == 0 {
		return nil, nil
	}
	q := url.Values{"db": {s.cfg.Database}, "epoch": {"ns"}, "q": {strings.Join(stmts, ";\n")}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.cfg.URL, "/")+"/query", strings.NewReader(q.Encode()))
	if err != nil {
		return nil, redactURL(err, s.cfg.URL)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if s.cfg.Username != "" {
		req.SetBasicAuth(s.cfg.Username, s.cfg.Password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, redactURL(err, s.cfg.URL) // it quotes the URL: a token in influx.url's path
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("query: %w", &influxHTTPError{code: resp.StatusCode, status: resp.Status, body: string(b)})
	}
	return decodeQL(resp.Body, stmts)
}

// decodeQL decodes InfluxDB's answer to stmts (one /query request): one
// result per statement, failing on any statement's error.
func decodeQL(r io.Reader, stmts []string) ([]qlResult, error) {
	var body struct {
		Results []qlResult `json:"results"`
		Error   string     `json:"error"`
	}
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return nil, fmt.Errorf("query: decode answer: %w", err)
	}
	if body.Error != "" {
		return nil, fmt.Errorf("query: %s", body.Error)
	}
	if len(body.Results) != len(stmts) {
		return nil, fmt.Errorf("query: %d results for %d statements", len(body.Results), len(stmts))
	}
	for i, r := range body.Results {
		if r.Error != "" {
			return nil, fmt.Errorf("query %q: %s", stmts[i], r.Error)
		}
	}
	return body.Results, nil
}

// qlFrom names a measurement in the store's database and retention policy.
func (s *Influx) qlFrom(measurement string) string {
	return qlIdent(s.cfg.Database) + "." + qlIdent(s.cfg.RP) + "." + qlIdent(measurement)
}

func qlIdent(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

func qlString(v string) string {
	return `'` + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + `'`
}
