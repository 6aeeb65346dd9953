package fusion

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// BenchmarkEngineFewHeard is BenchmarkEngine's site and phones with the
// sensors reporting only above -80 dBm, so that each emission is heard by
// one to three of the seven and the others, which have reported in the same
// band, count as silent: the localisations real handsets behind cell walls
// need. Every emission is located.
func BenchmarkEngineFewHeard(b *testing.B) {
	const thrDBm = -80
	s := wing(b)
	now := time.Unix(1_800_000_000, 0)
	e, err := New(Config{SeenIDs: 1 << 16}, Deps{Site: s, TimeSeries: &storetest.Recorder{}, Clock: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	phones := []site.Point{{X: 2, Y: 2}, {X: 12, Y: 9}, {X: 22, Y: 2}, {X: 32, Y: 9}, {X: 7, Y: 9}, {X: 37, Y: 2}}
	var msgs []Message
	for k := range 200 { // 200 rounds, one emission per phone per 100 ms
		at := now.Add(time.Duration(k) * 100 * time.Millisecond)
		for pi, p := range phones {
			centerHz := 1.71e9 + float64(pi)*30e6
			for _, sn := range s.Sensors {
				pw, err := e.Locator().PredictDBm(sn.ID, "g", p, 10-e.Locator().RefLossDB(centerHz)) // 10 dBm EIRP
				if err != nil {
					b.Fatal(err)
				}
				if pw < thrDBm {
					continue
				}
				d := testDet(fmt.Sprintf("f-%d-%d-%s", k, pi, sn.ID), sn.ID, at, pw)
				d.CenterHz = centerHz
				msgs = append(msgs, detMsg(b, d, sn.ID))
			}
		}
	}
	emissions := 200 * len(phones)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for i := range b.N {
		j := i % len(msgs)
		if j == 0 && i > 0 {
			b.StopTimer()
			forgetReplayed(e)
			b.StartTimer()
		}
		if err := e.Handle(ctx, msgs[j]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "detections/s")
	b.ReportMetric(float64(len(msgs))/float64(emissions), "heard/emission")
}

// forgetReplayed clears what the engine remembers of the messages so that
// they can be replayed as new.
func forgetReplayed(e *Engine) {
	e.seen = newSeenSet(1 << 16)
	e.assoc.open = nil
	e.tracker.tracks = nil
}
