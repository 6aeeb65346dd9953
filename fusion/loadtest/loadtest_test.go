package loadtest

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

func TestRunSmallIsLossless(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker and fusion for a few seconds")
	}
	var progress bytes.Buffer
	// The drain ends as soon as everything is stored; its bound is generous
	// for -race on a busy machine.
	cfg := Config{Sensors: 5, RateHz: 20, Duration: 2 * time.Second, Drain: 45 * time.Second,
		Progress: &progress, ProgressEvery: 500 * time.Millisecond}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	want := int64(5 * 20 * 2)
	checks := []struct {
		name      string
		got, want int64
	}{
		{"planned", res.Planned, want},
		{"published", res.Published, want},
		{"acked", res.Acked, want},
		{"publish errors", res.PublishErrors, 0},
		{"delivered", res.Delivered, want},
		{"accepted by engine", res.Accepted, want},
		{"stored", res.Stored, want},
		{"rows in SQLite", res.RowsInDB, want},
		{"lost", res.Lost, 0},
		{"stored duplicates", res.StoredDupes, 0},
		{"dead letters", res.DeadLetters, 0},
		{"store errors", res.StoreErrors, 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	if !res.Clean() {
		t.Errorf("Clean() = false for %+v", res)
	}
	// Five co-located-by-design sensors of one wing hear the same emitter
	// per slot, so fusion groups and locates them.
	if res.Groups == 0 || res.Groups >= want || res.Locations == 0 {
		t.Errorf("groups %d, locations %d: want associations of several sensors and localisations", res.Groups, res.Locations)
	}
	for name, l := range map[string]Latency{"deliver": res.Deliver, "store": res.Store} {
		if int64(l.Count) != want {
			t.Errorf("%s latency count: got %d, want %d", name, l.Count, want)
		}
		if !(l.P50MS > 0 && l.P50MS <= l.P95MS && l.P95MS <= l.P99MS && l.P99MS <= l.MaxMS) {
			t.Errorf("%s latency not positive and ordered: %+v", name, l)
		}
	}
	// Every alert on the alert topic is timed from its evidence.
	if res.AlertsRaised != res.Alerts {
		t.Errorf("%d alerts raised (stored), %d arrived on the alert topic", res.AlertsRaised, res.Alerts)
	}
	if res.Alerts == 0 || int64(res.Alert.Count) != res.Alerts || res.AlertsUntimed != 0 || res.AlertBad != 0 {
		t.Errorf("alerts %d, timed %d, untimed %d, undecodable %d: want every alert timed", res.Alerts, res.Alert.Count, res.AlertsUntimed, res.AlertBad)
	}
	if res.Alert.Count > 0 && !(res.Alert.P50MS > 0 && res.Alert.P50MS <= res.Alert.MaxMS) {
		t.Errorf("alert latency not positive and ordered: %+v", res.Alert)
	}
	if res.Store.P50MS < res.Deliver.P50MS {
		t.Errorf("stored p50 %.1f ms before delivered p50 %.1f ms", res.Store.P50MS, res.Deliver.P50MS)
	}
	if res.CPUUserS+res.CPUSysS <= 0 || res.PeakRSSMB <= 0 || res.PeakHeapMB <= 0 {
		t.Errorf("resources not measured: cpu %v+%v s, rss %v MB, heap %v MB", res.CPUUserS, res.CPUSysS, res.PeakRSSMB, res.PeakHeapMB)
	}
	if !strings.Contains(progress.String(), "loadtest publish") || !strings.Contains(progress.String(), "loadtest done") {
		t.Errorf("progress output:\n%s", progress.String())
	}
}

func TestRunInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker and fusion")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled time.Time
	// The first progress line, a few hundred ms into publishing, plays SIGINT.
	onProgress := writerFunc(func(p []byte) (int, error) {
		if cancelled.IsZero() {
			cancelled = time.Now()
			cancel()
		}
		return len(p), nil
	})
	res, err := Run(ctx, Config{Sensors: 3, RateHz: 10, Duration: time.Minute, Drain: 3 * time.Second,
		Progress: onProgress, ProgressEvery: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted {
		t.Error("Interrupted false after cancel")
	}
	if el := time.Since(cancelled); el > 5*time.Second {
		t.Errorf("returned %v after cancel", el)
	}
	if res.Published == 0 || res.Published >= res.Planned || res.Lost != 0 || res.Stored != res.Acked {
		t.Errorf("published %d of %d, acked %d, stored %d, lost %d", res.Published, res.Planned, res.Acked, res.Stored, res.Lost)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // "" = valid
	}{
		{"defaults", Config{}, ""},
		{"mosquitto on loopback", Config{BrokerURL: "tcp://127.0.0.1:1883"}, ""},
		{"localhost", Config{BrokerURL: "mqtt://localhost:1883"}, ""},
		{"ipv6 loopback", Config{BrokerURL: "tcp://[::1]:1883"}, ""},
		{"negative sensors", Config{Sensors: -1}, "sensors"},
		{"too many sensors", Config{Sensors: MaxSensors + 1}, "sensors"},
		{"negative rate", Config{RateHz: -2}, "rate"},
		{"rate too high", Config{RateHz: MaxRateHz * 2}, "rate"},
		{"duration too long", Config{Duration: MaxDuration + time.Second}, "duration"},
		{"negative duration", Config{Duration: -time.Second}, "duration"},
		{"too many messages", Config{Sensors: 1000, RateHz: 100, Duration: time.Minute}, "exceeds"},
		{"drain too long", Config{Drain: 2 * MaxDrain}, "drain"},
		{"remote broker", Config{BrokerURL: "tcp://192.0.2.1:1883"}, "loopback"},
		{"broker hostname", Config{BrokerURL: "tcp://broker.example:1883"}, "loopback"},
		{"broker without port", Config{BrokerURL: "tcp://127.0.0.1"}, "port"},
		{"websocket broker", Config{BrokerURL: "ws://127.0.0.1:1883"}, "scheme"},
		{"fast progress", Config{ProgressEvery: time.Millisecond}, "progress"},
		{"negative locate every", Config{LocateEvery: -time.Second}, "locate every"},
		{"grid step", Config{GridStepM: 0.5}, ""},
		{"grid step coarsest", Config{GridStepM: MaxGridStepM}, ""},
		{"negative grid step", Config{GridStepM: -1}, "grid step: -1 m is outside 0.05..10 m"},
		{"infinite grid step", Config{GridStepM: math.Inf(1)}, "grid step: +Inf m is outside"},
		{"nan grid step", Config{GridStepM: math.NaN()}, "grid step: NaN m is outside"},
		{"grid step too fine", Config{GridStepM: 0.001}, "grid step: 0.001 m is outside"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrConfig naming %q", err, tc.want)
			}
		})
	}
}

func TestWorkload(t *testing.T) {
	wl, err := newWorkload(3*7+2, 1)
	if err != nil {
		t.Fatal(err)
	}
	n := len(wl.heard) // sensors of the standard wing
	if got := len(wl.site.Sensors); got != 3*7+2 {
		t.Fatalf("site sensors: got %d, want %d", got, 3*7+2)
	}
	wantIDs := map[int]string{0: "s1", 1: "s2", n: "c001-s1", 2*n + 1: "c002-s2"}
	for i, want := range wantIDs {
		if wl.sensors[i] != want {
			t.Errorf("sensor %d: got %q, want %q", i, wl.sensors[i], want)
		}
		if _, ok := wl.site.Sensor(want); !ok {
			t.Errorf("sensor %q not in the site model", want)
		}
	}
	at := time.Unix(1_800_000_000, 0)
	for i := range len(wl.sensors) {
		for j := range 30 {
			d := wl.detection(i, j, at, 500*time.Millisecond, "x")
			if err := d.Validate(); err != nil {
				t.Fatalf("sensor %d slot %d: %v", i, j, err)
			}
			if d.SNRDB < 6-5 { // measurement noise of 1 dB sigma around >= 6 dB
				t.Errorf("sensor %d slot %d: SNR %.1f dB below detection threshold", i, j, d.SNRDB)
			}
			if again := wl.detection(i, j, at, 500*time.Millisecond, "x"); again != d {
				t.Fatalf("sensor %d slot %d not deterministic", i, j)
			}
		}
	}
	// Sensors of one copy in one slot report one emitter where they can all hear it.
	classes := map[string]bool{}
	for j := range len(wl.emit) {
		classes[wl.detection(0, j, at, time.Second, "x").Class] = true
	}
	if len(classes) < 3 {
		t.Errorf("sensor s1 reports only classes %v over a cycle", classes)
	}
}

// TestPhoneRotation: each phone of the wing is a new handset every
// PhoneEvery, at a frequency no handset of its class used within
// phoneReuse (longer than fusion's track gap), further from every such
// frequency than fusion's track frequency continuity plus the bandwidth.
func TestPhoneRotation(t *testing.T) {
	wl, err := newWorkload(9, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(wl.phones) < 2 {
		t.Fatalf("%d phones rotate; want at least 2", len(wl.phones))
	}
	reuse := int64(phoneReuse / PhoneEvery)
	if phoneReuse <= 2*time.Minute {
		t.Fatalf("phoneReuse %v is not beyond fusion's default track gap", phoneReuse)
	}
	type use struct {
		e  int
		n  int64
		hz float64
	}
	var uses []use
	for e := range wl.phones {
		for n := range 3 * reuse {
			uses = append(uses, use{e, n, wl.phoneCenterHz(e, n)})
		}
	}
	for _, a := range uses {
		for _, b := range uses {
			ea, eb := wl.emit[a.e], wl.emit[b.e]
			if ea.Class != eb.Class || a == b || abs64(a.n-b.n) >= reuse {
				continue
			}
			if d, min := abs(a.hz-b.hz), trackFreqTolHz+max(ea.BandwidthHz, eb.BandwidthHz); d < min {
				t.Fatalf("%s epoch %d at %.0f Hz and %s epoch %d at %.0f Hz: %.0f Hz apart, want >= %.0f",
					ea.ID, a.n, a.hz, eb.ID, b.n, b.hz, d, min)
			}
		}
		if again := wl.phoneCenterHz(a.e, a.n+reuse); again != a.hz {
			t.Errorf("%s epoch %d: %.0f Hz, after a reuse period %.0f Hz; want the cycle to repeat", wl.emit[a.e].ID, a.n, a.hz, again)
		}
	}
	// Detections carry their emitter's frequency: the handset's of the
	// slot's epoch for a rotating phone, the nominal one otherwise.
	period := 50 * time.Millisecond
	rotated := 0
	for i := range wl.sensors {
		for j := range 100 {
			d := wl.detection(i, j, time.Unix(0, 0), period, "x")
			n := int64(time.Duration(j) * period / PhoneEvery)
			ok := false
			for e, em := range wl.emit {
				if _, rot := wl.phones[e]; rot && em.Class == d.Class && d.CenterHz == wl.phoneCenterHz(e, n) {
					ok = true
					if n > 0 {
						rotated++
					}
				} else if !rot && em.Class == d.Class && d.CenterHz == em.CenterHz {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("sensor %d slot %d: %s at %.0f Hz is no emitter's frequency in epoch %d", i, j, d.Class, d.CenterHz, n)
			}
		}
	}
	if rotated == 0 {
		t.Error("no detection of a new handset after the first epoch")
	}
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestTrackerIndexAndPayloadID(t *testing.T) {
	tr := newTracker("abc", 3, 4)
	for _, tc := range []struct {
		id string
		x  int
		ok bool
	}{
		{tr.id(2, 3), 11, true},
		{tr.id(0, 0), 0, true},
		{"lt-abc-3-0", 0, false},
		{"lt-abc-0-4", 0, false},
		{"lt-xyz-0-0", 0, false},
		{"lt-abc-0", 0, false},
		{"", 0, false},
	} {
		x, ok := tr.index(tc.id)
		if ok != tc.ok || (ok && x != tc.x) {
			t.Errorf("index(%q) = %d, %v; want %d, %v", tc.id, x, ok, tc.x, tc.ok)
		}
	}
	d := event.Detection{Schema: 1, ID: tr.id(1, 2), Site: "a", Sensor: "b", TimeNS: 1, CenterHz: 1e9, Link: "uplink", Class: "lte"}
	b, err := event.Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	if got := payloadID(b); got != d.ID {
		t.Errorf("payloadID = %q, want %q", got, d.ID)
	}
	tr.deliveredMsg(b, time.Now())
	tr.deliveredMsg(b, time.Now())
	tr.deliveredMsg([]byte(`{"id":"other"}`), time.Now())
	if tr.delivered.Load() != 1 || tr.deliverDups.Load() != 1 || tr.unknown.Load() != 1 {
		t.Errorf("delivered %d dups %d unknown %d; want 1 1 1", tr.delivered.Load(), tr.deliverDups.Load(), tr.unknown.Load())
	}
}

func TestSummarise(t *testing.T) {
	var s []float64
	for i := 1; i <= 100; i++ {
		s = append(s, float64(i)/1000) // 1..100 ms
	}
	got := summarise(s)
	want := Latency{Count: 100, P50MS: 50, P95MS: 95, P99MS: 99, MaxMS: 100}
	const tol = 1e-9
	if got.Count != want.Count || abs(got.P50MS-want.P50MS) > tol || abs(got.P95MS-want.P95MS) > tol ||
		abs(got.P99MS-want.P99MS) > tol || abs(got.MaxMS-want.MaxMS) > tol {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if (summarise(nil) != Latency{}) {
		t.Error("empty input not zero")
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestPlannedCount(t *testing.T) {
	// Each sensor publishes the slots whose phase + j*period falls inside
	// the duration: at 2/s for 10 s, 20 per sensor, or 19 when its phase
	// is late in the period.
	cfg := Config{Sensors: 30, RateHz: 2, Duration: 10 * time.Second}.withDefaults()
	var want int64
	for i := range cfg.Sensors {
		_, phase := schedule(cfg, 7, i)
		if phase < 0 || phase >= 500*time.Millisecond+7*time.Millisecond {
			t.Fatalf("sensor %d phase %v outside the period", i, phase)
		}
		if phase == 0 || 19*500*time.Millisecond+phase < cfg.Duration {
			want += 20
		} else {
			want += 19
		}
	}
	if got := plannedCount(cfg, 7); got != want {
		t.Errorf("plannedCount = %d, want %d", got, want)
	}
}

// BenchmarkDetectionEncode is the load generator's own cost per message:
// building one detection of the wing and encoding it to JSON.
func BenchmarkDetectionEncode(b *testing.B) {
	wl, err := newWorkload(50, 1)
	if err != nil {
		b.Fatal(err)
	}
	tr := newTracker("bench", 50, 1000)
	at := time.Unix(1_800_000_000, 0)
	b.ReportAllocs()
	var n int
	for i := 0; b.Loop(); i++ {
		s, j := i%50, (i/50)%1000
		p, err := event.Encode(wl.detection(s, j, at, 500*time.Millisecond, tr.id(s, j)))
		if err != nil {
			b.Fatal(err)
		}
		n = len(p)
	}
	b.SetBytes(int64(n))
}

// fakeAckSub records which subscription style the engine used.
type fakeAckSub struct {
	plain, ack *int
	msg        []byte
}

func (f fakeAckSub) Subscribe(topic string, _ byte, h func(string, []byte)) error {
	*f.plain++
	h(topic, f.msg)
	return nil
}

func (f fakeAckSub) SubscribeAck(topic string, _ byte, h func(string, []byte, func())) error {
	acks := 0
	h(topic, f.msg, func() { acks++ })
	*f.ack += acks
	return nil
}

func TestTapSubscriberKeepsAcknowledgement(t *testing.T) {
	var plain, acked, tapped int
	inner := fakeAckSub{plain: &plain, ack: &acked, msg: []byte(`{"id":"x"}`)}
	sub := newTapSubscriber(inner, func(string, []byte) { tapped++ })
	err := sub.SubscribeAck("t", 1, func(_ string, p []byte, ack func()) {
		if string(p) != `{"id":"x"}` {
			t.Errorf("payload %q", p)
		}
		ack()
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.subscribed:
	default:
		t.Error("subscribed not closed after SubscribeAck")
	}
	if err := sub.Subscribe("t", 1, func(string, []byte) {}); err != nil { // closes subscribed once only
		t.Fatal(err)
	}
	if acked != 1 || plain != 1 || tapped != 2 {
		t.Errorf("acked %d, plain %d, tapped %d; want 1, 1, 2", acked, plain, tapped)
	}
}
