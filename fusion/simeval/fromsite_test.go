package simeval

import (
	"errors"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/internal/sitedoc"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// TestFromSiteLocatesPhones: the phones sim.FromSite places in the cells
// of docs/site.md's example are located by fusion/locate, with the site
// file itself as the model, in their own cells: the admin trying a site on
// the simulator sees fixes naming its rooms.
func TestFromSiteLocatesPhones(t *testing.T) {
	_, example := sitedoc.Example(t, "../..")
	l := newSiteLocator(t, example)
	var all, inCell int
	for _, seed := range []uint64{1, 2, 3} {
		w, err := sim.FromSite(example, sim.Config{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		cell := map[string]string{}
		for _, e := range w.Emitters() {
			if e.Kind == sim.KindPhone {
				cell[e.ID] = e.Room
			}
		}
		type key struct {
			em string
			ns int64
		}
		groups := map[key][]locate.Measurement{}
		for _, d := range w.Detections(w.Start, w.Start.Add(5*time.Minute)) {
			if em := emitterOf(d); cell[em] != "" {
				k := key{em, d.TimeNS}
				groups[k] = append(groups[k], locate.Measurement{Sensor: d.Sensor, PowerDBm: d.PowerDBm, CenterHz: d.CenterHz})
			}
		}
		n, top1 := map[string]int{}, map[string]int{}
		for k, ms := range groups {
			res, err := l.Locate(ms)
			if errors.Is(err, locate.ErrTooFewSensors) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			n[k.em]++
			if room, _ := res.Room(); room == cell[k.em] {
				top1[k.em]++
			}
		}
		for em, c := range cell {
			t.Logf("seed %d: %s in %s: %d of %d fixes in its cell", seed, em, c, top1[em], n[em])
			if n[em] > 0 && top1[em] == 0 {
				t.Errorf("seed %d: %s in %s: none of its %d fixes in its cell", seed, em, c, n[em])
			}
			all += n[em]
			inCell += top1[em]
		}
	}
	// 501 of 813 (62%): 4 sensors, two on the ground floor's landing
	if all == 0 || inCell*2 < all {
		t.Errorf("%d of %d fixes of the phones in their own cells, want half at least", inCell, all)
	}
}
