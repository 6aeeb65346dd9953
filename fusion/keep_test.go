package fusion_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
)

func TestEvidenceBySensor(t *testing.T) {
	sensors := []string{"s1", "s1-b", "s2"}
	for _, tc := range []struct {
		name string
		ids  []string
		want map[string][]string
	}{
		{"one sensor", []string{"s2-0a1b2c3d4e5f-10-1", "s2-0a1b2c3d4e5f-90-2"},
			map[string][]string{"s2": {"s2-0a1b2c3d4e5f-10-1", "s2-0a1b2c3d4e5f-90-2"}}},
		{"two sensors, repeats once", []string{"s1-0a1b2c3d4e5f-10-1", "s2-ffffffffffff-5-1", "s1-0a1b2c3d4e5f-10-1"},
			map[string][]string{"s1": {"s1-0a1b2c3d4e5f-10-1"}, "s2": {"s2-ffffffffffff-5-1"}}},
		// s1-b's detection also reads as s1's: both are asked, each keeps
		// only what it saved
		{"look-alike sensor names", []string{"s1-b-0a1b2c3d4e5f-10-1"},
			map[string][]string{"s1": {"s1-b-0a1b2c3d4e5f-10-1"}, "s1-b": {"s1-b-0a1b2c3d4e5f-10-1"}}},
		{"unknown sensor and bare prefix dropped", []string{"s3-0a1b2c3d4e5f-10-1", "s1-", "s1"}, map[string][]string{}},
	} {
		if got := fusion.EvidenceBySensor(tc.ids, sensors); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

type sentMsg struct {
	topic   string
	payload []byte
}

// recPublisher records what is published; each token fails with err.
type recPublisher struct {
	sent []sentMsg
	err  error
}

func (r *recPublisher) Publish(topic string, _ byte, _ bool, payload any) mqtt.Token {
	r.sent = append(r.sent, sentMsg{topic, payload.([]byte)})
	return doneToken{r.err}
}

type doneToken struct{ err error }

func (doneToken) Wait() bool                     { return true }
func (doneToken) WaitTimeout(time.Duration) bool { return true }
func (doneToken) Done() <-chan struct{}          { c := make(chan struct{}); close(c); return c }
func (d doneToken) Error() error                 { return d.err }

func TestKeepPublisher(t *testing.T) {
	now := time.Unix(1767308400, 0)
	a := event.Alert{Schema: 1, ID: "ar-1", Site: "hmp", Rule: "unauthorised_uplink", Severity: event.SeverityCritical, State: event.AlertFiring}
	for i := range 300 {
		a.Evidence = append(a.Evidence, fmt.Sprintf("s1-0a1b2c3d4e5f-%d-%d", i*1000, i))
	}
	a.Evidence = append(a.Evidence, "s2-0a1b2c3d4e5f-7-7", "gone-0a1b2c3d4e5f-1-1")
	rec := &recPublisher{}
	p := fusion.KeepPublisher{Client: rec, Sensors: []string{"s1", "s2", "s3"}, Now: func() time.Time { return now }}
	if err := p.PublishAlert(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	// s1's 300 IDs in two commands (at most MaxCommandDetections each), s2's one;
	// s3 heard nothing and is not asked
	wantTopics := []string{"rfw/v1/hmp/sensor/s1/cmd", "rfw/v1/hmp/sensor/s1/cmd", "rfw/v1/hmp/sensor/s2/cmd"}
	var topics []string
	var kept []string
	for _, m := range rec.sent {
		topics = append(topics, m.topic)
		c, err := event.DecodeCommand(m.payload)
		if err != nil {
			t.Fatalf("%s: %v", m.topic, err)
		}
		if c.Cmd != event.CmdKeep || c.Alert != "ar-1" || c.Site != "hmp" || !strings.HasSuffix(m.topic, "/"+c.Sensor+"/cmd") || c.TimeNS != now.UnixNano() {
			t.Errorf("%s: command %+v", m.topic, c)
		}
		kept = append(kept, c.Detections...)
	}
	if !reflect.DeepEqual(topics, wantTopics) {
		t.Errorf("topics %v, want %v", topics, wantTopics)
	}
	if !reflect.DeepEqual(kept, a.Evidence[:301]) {
		t.Errorf("kept %d IDs, want the 301 of known sensors in order", len(kept))
	}

	rec.sent = nil
	a.Evidence = nil
	if err := p.PublishAlert(context.Background(), a); err != nil || len(rec.sent) != 0 {
		t.Errorf("alert without evidence: %d messages, %v", len(rec.sent), err)
	}
	rec.err = errors.New("broker gone")
	a.Evidence = []string{"s2-0a1b2c3d4e5f-7-7"}
	if err := p.PublishAlert(context.Background(), a); err == nil || !strings.Contains(err.Error(), "sensor s2") || !errors.Is(err, rec.err) {
		t.Errorf("failed publish: %v, want the broker's error naming sensor s2", err)
	}
}
