package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/loadtest"
)

func TestCmdLoadtestJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker and fusion for a few seconds")
	}
	var out, errOut bytes.Buffer
	args := []string{"--sensors", "5", "--rate", "10", "--duration", "1s", "--drain", "45s", "--json"} // the drain ends once all is stored
	if err := cmdLoadtest(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, errOut.String())
	}
	var r loadtest.Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("decode %q: %v", out.String(), err)
	}
	if r.Sensors != 5 || r.Published != 50 || r.Stored != 50 || r.Lost != 0 || r.StoredDupes != 0 {
		t.Errorf("result %+v", r)
	}
	if !strings.Contains(errOut.String(), "loadtest done") {
		t.Errorf("no progress on stderr: %q", errOut.String())
	}
}

func TestCmdLoadtestTable(t *testing.T) {
	var out bytes.Buffer
	r := loadtest.Result{Broker: "tcp://127.0.0.1:1883", Sensors: 10, RateHz: 2, OfferedPerS: 20, DurationS: 30,
		Published: 600, Acked: 600, Planned: 600, Stored: 600, RowsInDB: 600,
		Deliver: loadtest.Latency{Count: 600, P50MS: 0.4, P95MS: 0.9, P99MS: 2, MaxMS: 5}}
	if err := writeLoadtestTable(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"10 x 2/s = 20/s offered", "600 / 600 of 600 planned", "p50 0.4  p95 0.9  p99 2.0  max 5.0 ms (n=600)", "clean                     true"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestCmdLoadtestBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the error; "" = errUsage
	}{
		{"unknown flag", []string{"--nope"}, ""},
		{"extra argument", []string{"extra"}, ""},
		{"zero-or-less sensors", []string{"--sensors", "-3"}, "sensors"},
		{"too many sensors", []string{"--sensors", "5000"}, "sensors"},
		{"negative rate", []string{"--rate", "-1"}, "rate"},
		{"too long", []string{"--duration", "2h"}, "duration"},
		{"remote broker", []string{"--broker", "tcp://10.0.0.5:1883"}, "loopback"},
		// zero took loadtest.Config's defaults (--duration 0s ran 10 s);
		// the non-loopback broker would be refused after them
		{"zero sensors", []string{"--sensors", "0", "--broker", "tcp://192.0.2.1:1883"}, "loadtest config: sensors: 0 not in 1..1000"},
		{"zero rate", []string{"--rate", "0", "--broker", "tcp://192.0.2.1:1883"}, "loadtest config: rate: 0 detections/s not in (0, 1000]"},
		{"zero duration", []string{"--duration", "0s", "--broker", "tcp://192.0.2.1:1883"}, "loadtest config: duration: 0s not in (0, 10m0s]"},
		{"zero drain", []string{"--drain", "0s", "--broker", "tcp://192.0.2.1:1883"}, "loadtest config: drain: 0s not in (0, 5m0s]"},
		{"too many messages", []string{"--sensors", "1000", "--rate", "1000", "--duration", "1m"}, "exceeds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := cmdLoadtest(context.Background(), tc.args, &bytes.Buffer{}, &bytes.Buffer{})
			if tc.want == "" {
				if err != errUsage {
					t.Fatalf("got %v, want errUsage", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
