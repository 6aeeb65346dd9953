package fusion

import (
	"slices"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/locate"
)

// Borrowing recent powers (Config.BorrowWindow).
//
// A sensor that scans visits each band for a moment every few seconds, and
// the sensors are not in step, so the sensors that hear one handset seldom
// hear it within the same association window: a bursty handset's groups
// were mostly one sensor's, a distance from it and not a cell (the demo's
// B3 handset is heard by s3 and, through the floor, by s1; from s3 alone
// the cell across the landing is as likely as its own, with both it is
// its own). A group is therefore
// located with, besides its own detections, each other sensor's median
// power over its detections of the same class, link and channel within
// BorrowWindow of the group, as if heard with it, and such a sensor no
// longer counts as silent.
//
// The assumption is association's, over a longer span: one emitter per
// channel and class at a time. Drones are left out: they fly metres a
// second, and a power from two seconds earlier would pull the fix back
// along their path.

// recentDet is one detection kept for BorrowWindow.
type recentDet struct {
	sensor   string
	link     string
	centerHz float64
	bwHz     float64
	dBm      float64
	at       time.Time
}

// recentDets keeps the detections of the last window per class, in
// arrival order.
type recentDets struct {
	window time.Duration
	tolHz  float64
	by     map[string][]recentDet
}

// borrows reports whether detections of class are kept and lent.
func borrows(class string) bool { return !slices.Contains(alert.DroneClasses, class) }

// add keeps d, at its time for grouping (associator.add: corrected for
// its sensor's clock offset, as the groups' starts lend compares it with),
// and drops, from the front, its class's detections more than the window
// before or after it.
func (r *recentDets) add(d event.Detection, at time.Time) {
	if r.window <= 0 || !borrows(d.Class) {
		return
	}
	if r.by == nil {
		r.by = map[string][]recentDet{}
	}
	h := r.by[d.Class]
	i := 0
	// Also past one stamped more than the window after d: a sensor whose
	// clock is far ahead would otherwise stop the pruning at its
	// detection, and the list would keep everything after it.
	for i < len(h) && (at.Sub(h[i].at) > r.window || h[i].at.Sub(at) > r.window) {
		i++
	}
	// h[i:] leaves the old ones behind without a copy; append copies only
	// the live ones when it outgrows the array.
	r.by[d.Class] = append(h[i:], recentDet{sensor: d.Sensor, link: d.Link, centerHz: d.CenterHz, bwHz: d.BandwidthHz, dBm: d.PowerDBm, at: at})
}

// lend adds to q a measurement for each sensor not in g that detected g's
// class, link and channel within the window of g's start (the median of
// those powers), and takes such sensors out of q's silent ones. It returns
// how many it added.
func (r *recentDets) lend(q *locate.Query, g *group) int {
	if r.window <= 0 || !borrows(g.class) {
		return 0
	}
	powers := map[string][]float64{}
	for _, d := range r.by[g.class] {
		dt := d.at.Sub(g.start)
		if dt > r.window || dt < -r.window || !g.onChannel(d.link, d.centerHz, d.bwHz, r.tolHz) || g.hasSensor(d.sensor) {
			continue
		}
		powers[d.sensor] = append(powers[d.sensor], d.dBm)
	}
	n0 := len(q.Heard)
	for sn, v := range powers {
		q.Heard = append(q.Heard, locate.Measurement{Sensor: sn, PowerDBm: median(v), CenterHz: g.centerHz})
		q.Silent = slices.DeleteFunc(q.Silent, func(s locate.Silence) bool { return s.Sensor == sn })
	}
	// in sensor order, not the map's: the same query, the same result
	slices.SortFunc(q.Heard[n0:], func(a, b locate.Measurement) int { return strings.Compare(a.Sensor, b.Sensor) })
	return len(q.Heard) - n0
}
