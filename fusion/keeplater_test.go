package fusion

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// alertLog records the alerts published.
type alertLog struct {
	mu  sync.Mutex
	got []event.Alert
}

func (l *alertLog) PublishAlert(_ context.Context, a event.Alert) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, a)
	return nil
}

// TestLaterEvidenceKeptOnCmdTopic: a phone in cell B2-14, heard by every
// sensor every 5 s for two minutes, fires after 10 s; its alert goes on
// gaining evidence (50 detections in all) without being published again.
// Fusion, wired as cmd/rfwarden wires it (a KeepPublisher beside the
// alert publisher, an AsyncKeeper for the evidence gained between
// publications, one client of a broker on 127.0.0.1), asks each sensor on
// its cmd topic to keep every one of its detections in the evidence, each
// once at most besides the publications' own requests. Before, the
// sensors were asked only at pending and firing, for the detections of
// its first three rounds (10 s), not for the later rounds'.
func TestLaterEvidenceKeptOnCmdTopic(t *testing.T) {
	b := brokertest.Start(t, "rfw/v1/+/sensor/+/cmd")
	c, _ := fusionClient(t, b.URL(), "", "", &syncbuf.Buffer{})
	s, err := site.LoadFile("../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var sensors []string
	for _, sn := range s.Sensors {
		sensors = append(sensors, sn.ID)
	}
	kp := KeepPublisher{Client: c, Sensors: sensors}
	keeper := NewAsyncKeeper(kp, 64, nil)
	published := &alertLog{}
	sc := &scenario{t: t, auth: scenarioRegistry(t, s), now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), rng: rand.New(rand.NewPCG(1, 1)),
		noiseDBmPerMHz: -100, maint: fakeMaintenance{}}
	sc.eng, err = New(Config{NoiseDBmPerMHz: sc.noiseDBmPerMHz, DetectSNRDB: detectSNRDB, ScanBandsHz: scanBandsHz},
		Deps{Site: s, Authorizer: sc.auth, Maintenance: sc.maint, Clock: func() time.Time { return sc.now },
			Publisher: MultiPublisher{published, kp}, Keeper: keeper})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := sc.exec("status all online"); err != nil {
		t.Fatal(err)
	}
	profiled := 20 - sc.eng.Locator().RefLossDB(1.75e9)
	for round := range 24 {
		for _, sn := range s.Sensors {
			p, err := sc.eng.Locator().PredictDBm(sn.ID, sn.Floor, site.Point{X: 26, Y: 10}, profiled)
			if err != nil {
				t.Fatal(err)
			}
			snr := p - (sc.noiseDBmPerMHz + 10*math.Log10(5)) // 5 MHz wide
			if snr < detectSNRDB {
				continue
			}
			d := testDet(fmt.Sprintf("%s-0a1b2c3d4e5f-%d-%d", sn.ID, round, 1), sn.ID, sc.now, p)
			d.SNRDB, d.Band, d.DurationNS = snr, "test", int64(time.Millisecond)
			if err := sc.eng.Handle(ctx, detMsg(t, d, sn.ID)); err != nil {
				t.Fatal(err)
			}
		}
		if err := sc.advance(ctx, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	all := sc.eng.Alerts().All()
	if len(all) != 1 || all[0].State != event.AlertFiring || len(all[0].Evidence) != 50 {
		t.Fatalf("alerts %+v; want one, firing, with 50 detections of evidence", all)
	}
	var states []string
	named := 0
	for _, a := range published.got {
		states = append(states, a.State)
		named = max(named, len(a.Evidence))
	}
	if got, want := strings.Join(states, ","), "pending,firing"; got != want {
		t.Errorf("published %s; want the state changes only: %s", got, want)
	}
	if named >= 50 {
		t.Fatalf("the publications named %d detections; the test wants evidence gained after them", named)
	}
	if err := keeper.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// what each sensor was asked to keep, in the order asked
	asked := func(ms []brokertest.Message) map[string][]string {
		by := map[string][]string{}
		for _, m := range ms {
			cmd, err := event.DecodeCommand(m.Payload)
			if err != nil {
				t.Fatalf("%s: %v", m.Topic, err)
			}
			if m.Topic != event.SensorTopic(s.ID, cmd.Sensor, event.KindCmd) || cmd.Cmd != event.CmdKeep || cmd.Alert != all[0].ID {
				t.Fatalf("command %+v on %s", cmd, m.Topic)
			}
			by[cmd.Sensor] = append(by[cmd.Sensor], cmd.Detections...)
		}
		return by
	}
	want := EvidenceBySensor(all[0].Evidence, sensors)
	complete := func(ms []brokertest.Message) bool {
		by := asked(ms)
		for sn, ids := range want {
			for _, id := range ids {
				if !slices.Contains(by[sn], id) {
					return false
				}
			}
		}
		return true
	}
	if !b.WaitFor(10*time.Second, complete) {
		t.Fatalf("sensors asked to keep %v; want all of the alert's evidence %v", asked(b.Messages()), want)
	}
	// pending and firing each name the evidence of their moment; the
	// later evidence is asked for once
	by := asked(b.Messages())
	for sn, ids := range by {
		for _, id := range ids {
			n := 0
			for _, x := range ids {
				if x == id {
					n++
				}
			}
			if limit := 2; n > limit {
				t.Errorf("sensor %s asked %d times to keep %s; want at most %d", sn, n, id, limit)
			}
		}
	}
}
