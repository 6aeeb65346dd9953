package fusion_test

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// storedDets is a Recorder that answers Detections, as the stores do.
type storedDets struct{ storetest.Recorder }

func (r *storedDets) Detections(_ context.Context, site string, from, to time.Time, limit int) ([]store.DetectionRecord, error) {
	r.Mu.Lock()
	defer r.Mu.Unlock()
	var out []store.DetectionRecord
	for _, d := range r.Dets {
		if d.Site == site && d.TimeNS >= from.UnixNano() && d.TimeNS < to.UnixNano() {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b store.DetectionRecord) int { return int(b.TimeNS - a.TimeNS) })
	return out[:min(len(out), limit)], nil
}

func (r *storedDets) count() int {
	r.Mu.Lock()
	defer r.Mu.Unlock()
	return len(r.Dets)
}

// runEngine runs a fusion engine of site hmp (sensor s1) on the broker at
// url as cmd/rfwarden does (persistent session, the session marker),
// until stop, which returns once it has closed (SIGTERM).
func runEngine(t *testing.T, url string, ts *storedDets, clock func() time.Time, logs *syncbuf.Buffer) (e *fusion.Engine, stop func()) {
	t.Helper()
	s, err := site.LoadFile("../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s.ID = "hmp"
	log := slog.New(slog.NewTextHandler(logs, nil)).With("svc", "fusion")
	e, err = fusion.New(fusion.Config{TickEvery: 50 * time.Millisecond}, fusion.Deps{Site: s, TimeSeries: ts, Clock: clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	marker := fusion.SessionMarker{Site: "hmp", Sensors: []string{"s1"}, ClientID: "fusion-loss", Log: log}
	resub := &fusion.Resubscriber{Log: log, Subscribed: marker.Subscribed}
	opts := mqttlink.NewClientOptions().AddBroker(url).SetClientID("fusion-loss").SetCleanSession(false).SetAutoAckDisabled(true).
		SetAutoReconnect(true).SetMaxReconnectInterval(200 * time.Millisecond).SetConnectTimeout(2 * time.Second)
	opts.SetOnConnectHandler(resub.OnConnect)
	opts.SetDefaultPublishHandler(resub.Default)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("fusion connect: %v", tok.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, fusion.PahoSubscriber{Client: c, Resubscribe: resub}) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("fusion Run: %v", err)
		}
		c.Disconnect(50)
	}
	t.Cleanup(stop)
	return e, stop
}

// TestBrokerLostStateCountsLoss is the reviewer's loss, on the embedded
// broker: given fusion and a sensor running, when fusion stops (SIGTERM),
// the sensor's next detections are accepted by the broker for fusion's
// offline session, and the broker restarts without its state, expect
// fusion, started again, to count those detections lost once
// fusion.LossGrace has passed, and not the ones before or after. Until
// 2026-12-08 no log, metric or /healthz said so.
func TestBrokerLostStateCountsLoss(t *testing.T) {
	const n1, n2, n3 = 10, 8, 5
	b := brokertest.Start(t, "none")
	var logs syncbuf.Buffer
	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()
	var ahead atomic.Int64 // fusion's clock, ahead of the wall's
	clock := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	ts := &storedDets{}
	_, stop := runEngine(t, b.URL(), ts, clock, &logs)
	src := &countedSource{}
	src.max.Store(n1)
	a := startSensor(t, b.URL(), src, &logs)
	waitDetections(t, a, n1)
	waitUntil(t, "fusion stores the sensor's first detections", func() bool { return ts.count() == n1 })
	stop() // SIGTERM: all it took is stored
	src.max.Store(n1 + n2)
	waitDetections(t, a, n1+n2)
	waitUntil(t, "the broker accepts the detections for fusion's session", func() bool { return a.Health().OutboxDepth == 0 })
	b.Stop()
	if err := b.Restart(); err != nil { // without its state: fusion's queue is gone
		t.Fatal(err)
	}
	src.max.Store(n1 + n2 + n3)
	waitDetections(t, a, n1+n2+n3)
	e, _ := runEngine(t, b.URL(), ts, clock, &logs)
	waitUntil(t, "fusion stores the detections made after the broker restarted", func() bool { return ts.count() == n1+n3 })
	if got := e.DetectionsLost(); len(got) != 0 {
		t.Fatalf("counted lost within the grace: %+v", got)
	}
	ahead.Store(int64(fusion.LossGrace))
	waitUntil(t, "fusion counts the detections lost", func() bool { return len(e.DetectionsLost()) > 0 })
	if got := e.DetectionsLost(); len(got) != 1 || got[0].Sensor != "s1" || got[0].Lost != n2 || !got[0].Recent {
		t.Errorf("DetectionsLost %+v, want sensor s1's %d, recent", got, n2)
	}
}

// waitUntil waits up to 10 s for ok, failing the test with what it waited for.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s: %s", what)
		}
	}
}
