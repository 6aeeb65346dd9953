package fusion

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/locate"
)

// fuzzMessages splits a fuzz input into MQTT messages: one a line, its
// topic before the first tab and its payload after.
func fuzzMessages(data []byte) []Message {
	var msgs []Message
	for line := range bytes.Lines(data) {
		topic, payload, _ := bytes.Cut(bytes.TrimSuffix(line, []byte("\n")), []byte("\t"))
		msgs = append(msgs, Message{Topic: string(topic), Payload: payload})
	}
	return msgs
}

// deadLetters is the sum of the dead-letter counters over every reason.
func deadLetters(e *Engine) float64 {
	var n float64
	for _, r := range deadLetterReasons {
		n += testutil.ToFloat64(e.met.deadLetter.WithLabelValues(r))
	}
	return n
}

// fuzzLines are seed inputs: a line a message, "topic\tpayload".
func fuzzLines(t testing.TB, now time.Time) []string {
	det := func(id, sensor string, powerDBm float64) string {
		m := detMsg(t, testDet(id, sensor, now, powerDBm), sensor)
		return m.Topic + "\t" + string(m.Payload)
	}
	health := event.SensorTopic("hmp-test", "s1", event.KindHealth) + "\t" +
		`{"schema":1,"site":"hmp-test","sensor":"s1","time_ns":1800000000000000000,"state":"ok","dropped_samples":0,` +
		`"overload_count":0,"usb_errors":0,"outbox_depth":0,"outbox_dropped":0,"clock_offset_s":0,"version":"1"}`
	return []string{
		// one emission heard by three sensors: associated and located
		det("e1", "s1", -50) + "\n" + det("e1", "s3", -60) + "\n" + det("e1", "s5", -65),
		// the same detection twice (QoS 1 redelivery)
		det("e2", "s2", -70) + "\n" + det("e2", "s2", -70),
		health + "\n" + event.SensorTopic("hmp-test", "s1", event.KindStatus) + "\toffline\n" +
			event.SensorTopic("hmp-test", "s1", event.KindStatus) + "\tonline",
		event.AckTopic("hmp-test") + "\t" + `{"schema":1,"site":"hmp-test","alert":"a1","by":"u","ack_ns":1}`,
		// broken: a bad topic, JSON cut short, another site, an unknown kind
		"rfw/v1/hmp-test/nope\t{}\n" + event.SensorTopic("hmp-test", "s1", event.KindDetection) + "\t{\"schema\":1,",
		strings.Replace(det("e3", "s1", -50), "hmp-test", "elsewhere", 1),
		event.SensorTopic("hmp-test", "s1", "weather") + "\t",
		// extreme values the decoder takes
		strings.Replace(det("e4", "s1", -50), `"power_dbm":-50`, `"power_dbm":1e300`, 1) + "\n" +
			strings.Replace(det("e4", "s3", -50), `"power_dbm":-50`, `"power_dbm":-1e300`, 1) + "\n" +
			strings.Replace(det("e4", "s5", -50), `"center_hz":1750000000`, `"center_hz":1e-300`, 1),
	}
}

// FuzzHandle feeds fusion's MQTT handler whatever a client of the broker
// could publish on the site's topics (many messages an input, so that
// sensors' detections of one emission meet in association and
// localisation), and checks that each message is handled or rejected as a
// counted dead letter naming its reason, that a detection handled again
// is only a duplicate (idempotent ingest), and that what is located has
// finite room probabilities that sum to at most one.
func FuzzHandle(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	for _, s := range fuzzLines(f, now) {
		f.Add([]byte(s))
	}
	st := wing(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs := fuzzMessages(data)
		if len(msgs) > 64 {
			t.Skip("bounded: 64 messages an input")
		}
		// a 2 m grid and room for 1024 seen IDs: the defaults (0.5 m,
		// 200000) took 60 ms an engine, a few inputs a second
		e, err := New(Config{Model: locate.Model{GridStepM: 2}, SeenIDs: 1024}, Deps{Site: st, Clock: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var handled []Message // detections handled (not rejected)
		for _, m := range msgs {
			before := deadLetters(e)
			err := e.Handle(ctx, m)
			rejected := deadLetters(e) - before
			switch {
			case err == nil && rejected == 0:
				if _, _, kind, perr := event.ParseSensorTopic(m.Topic); perr == nil && kind == event.KindDetection {
					handled = append(handled, m)
				}
			case errors.Is(err, ErrRejected) && rejected == 1:
				if !strings.Contains(err.Error(), "(") {
					t.Errorf("rejection of %q names no reason: %v", m.Topic, err)
				}
			default:
				t.Fatalf("message on %q: error %v with %v dead letters counted; want nil and none, or ErrRejected and one", m.Topic, err, rejected)
			}
		}
		dups, dets := testutil.ToFloat64(e.met.duplicates), testutil.ToFloat64(e.met.detections)
		for _, m := range handled {
			if err := e.Handle(ctx, m); err != nil {
				t.Fatalf("detection handled again: %v, want nil (a duplicate)", err)
			}
		}
		if got := testutil.ToFloat64(e.met.duplicates) - dups; got != float64(len(handled)) {
			t.Errorf("%d detections handled again: %v duplicates, want all", len(handled), got)
		}
		if got := testutil.ToFloat64(e.met.detections); got != dets {
			t.Errorf("detections handled again counted anew: %v, was %v", got, dets)
		}
		if err := e.Tick(ctx, now.Add(time.Minute)); err != nil {
			t.Fatalf("tick: %v", err)
		}
		for _, l := range e.Located() {
			sum := 0.0
			for _, rp := range l.Result.Rooms {
				if math.IsNaN(rp.Prob) || rp.Prob < 0 || rp.Prob > 1 {
					t.Errorf("track %s: room %s probability %v", l.Track, rp.Room, rp.Prob)
				}
				sum += rp.Prob
			}
			if sum > 1+1e-6 {
				t.Errorf("track %s: room probabilities sum to %v", l.Track, sum)
			}
		}
	})
}
