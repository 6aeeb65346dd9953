package fusion

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestLossTracker: a gap in a sensor boot's SEQs is counted lost once it
// has been missing for LossGrace, and only what is still missing then;
// out-of-order arrivals and duplicates count nothing, one arriving after
// it was counted is late, a new boot starts afresh at its first SEQ.
func TestLossTracker(t *testing.T) {
	const boot, boot2, boot3 = 0xb007, 0xb008, 0xb009
	sec := func(s int) int64 { return int64(s) * int64(time.Second) }
	grace := int64(LossGrace / time.Second)
	type step struct {
		boot uint64
		seq  int64
		at   int // seconds
	}
	tests := []struct {
		name     string
		arrive   []step
		settleAt int   // seconds
		lost     int64 // counted by then
		late     int64
	}{
		{"in order", []step{{boot, 1, 0}, {boot, 2, 0}, {boot, 3, 1}}, 1000, 0, 0},
		{"starts where first heard", []step{{boot, 500, 0}, {boot, 501, 0}}, 1000, 0, 0},
		{"out of order within the grace", []step{{boot, 1, 0}, {boot, 4, 0}, {boot, 3, 5}, {boot, 2, 100}}, 1000, 0, 0},
		{"duplicates", []step{{boot, 1, 0}, {boot, 2, 0}, {boot, 2, 1}, {boot, 1, 1}, {boot, 3, 2}, {boot, 3, 2}}, 1000, 0, 0},
		{"gap counted after the grace", []step{{boot, 1, 0}, {boot, 5, 10}, {boot, 3, 20}}, 10 + int(grace), 2, 0},
		{"gap not yet counted before it", []step{{boot, 1, 0}, {boot, 5, 10}}, 10 + int(grace) - 1, 0, 0},
		{"redelivery after the grace is late", []step{{boot, 1, 0}, {boot, 5, 0}, {boot, 6, int(grace)}, {boot, 3, int(grace) + 1}, {boot, 3, int(grace) + 2}}, int(grace) + 3, 3, 1},
		{"gaps in two places", []step{{boot, 1, 0}, {boot, 3, 0}, {boot, 10, 0}, {boot, 20, 0}}, 1000, 1 + 6 + 9, 0},
		{"new boot starts afresh", []step{{boot, 1, 0}, {boot, 2, 0}, {boot2, 900, 5}, {boot2, 901, 5}}, 1000, 0, 0},
		{"old boot's outbox after the new boot", []step{{boot, 1, 0}, {boot2, 1, 1}, {boot, 3, 2}, {boot2, 2, 3}, {boot, 2, 4}}, 1000, 0, 0},
		{"old boot's gap still counted", []step{{boot, 1, 0}, {boot, 4, 0}, {boot2, 1, 1}}, 1000, 2, 0},
		{"a third boot counts the oldest boot's gaps", []step{{boot, 1, 0}, {boot, 4, 0}, {boot2, 1, 1}, {boot3, 1, 2}}, 3, 2, 0},
		{"a gap left by the boot evicted is not late", []step{{boot, 1, 0}, {boot, 4, 0}, {boot2, 1, 1}, {boot3, 1, 2}, {boot, 2, 3}}, 4, 2, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lt lossTracker
			var lost, late int64
			for _, s := range tc.arrive {
				if s.at > tc.settleAt {
					t.Fatalf("step at %d s after settling at %d s", s.at, tc.settleAt)
				}
				for _, l := range lt.settle(sec(s.at)) {
					lost += l.n
				}
				isLate, counted := lt.arrive("s1", s.boot, s.seq, sec(s.at))
				if isLate {
					late++
				}
				for _, l := range counted {
					lost += l.n
				}
			}
			for _, l := range lt.settle(sec(tc.settleAt)) {
				lost += l.n
			}
			if lost != tc.lost || late != tc.late {
				t.Errorf("lost %d, late %d; want %d, %d", lost, late, tc.lost, tc.late)
			}
			if s := lt.sensors["s1"]; s.lost != lost || s.late != late {
				t.Errorf("sensor's counts lost %d, late %d; the calls said %d, %d", s.lost, s.late, lost, late)
			}
		})
	}
}

// TestLossTrackerBounded: a boot whose SEQs arrive with a gap between
// each (every other one lost) keeps at most maxSeqGaps gaps open,
// counting the oldest lost at once beyond it, and at most maxLostRanges
// ranges counted; a sensor keeps bootsPerSensor boots.
func TestLossTrackerBounded(t *testing.T) {
	var lt lossTracker
	var lost int64
	const n = 10 * maxSeqGaps
	for i := range int64(n) {
		_, counted := lt.arrive("s1", 1, 2*i+1, 0)
		for _, l := range counted {
			lost += l.n
		}
	}
	for _, l := range lt.settle(int64(LossGrace)) {
		lost += l.n
	}
	if lost != n-1 {
		t.Errorf("lost %d, want %d (every other SEQ)", lost, n-1)
	}
	for boot := range uint64(100) {
		lt.arrive("s1", boot+2, 1, 1)
	}
	s := lt.sensors["s1"]
	for _, b := range s.boots {
		if len(b.missing) > maxSeqGaps || len(b.lost) > maxLostRanges {
			t.Errorf("boot %x holds %d gaps and %d lost ranges, want at most %d and %d", b.boot, len(b.missing), len(b.lost), maxSeqGaps, maxLostRanges)
		}
	}
	if len(s.boots) != bootsPerSensor {
		t.Errorf("%d boots, want %d", len(s.boots), bootsPerSensor)
	}
}

// TestLossLogOncePerMinute: a sensor's losses are logged at most once per
// LossLogEvery, each line with the count since the last and their SEQs.
func TestLossLogOncePerMinute(t *testing.T) {
	var lt lossTracker
	g := int64(LossGrace)
	lt.arrive("s1", 1, 1, 0)
	lt.arrive("s1", 1, 5, 0)  // 2..4
	lt.arrive("s1", 1, 10, 1) // 6..9
	lt.settle(g + 1)
	lines := lt.due(g + 1)
	if len(lines) != 1 || lines[0].n != 7 || lines[0].lo != 2 || lines[0].hi != 9 || lines[0].boot != "000000000001" {
		t.Fatalf("first lines %+v, want one of 7 lost, SEQs 2 to 9 of boot 000000000001", lines)
	}
	lt.arrive("s1", 1, 12, g+2) // 11
	lt.settle(2*g + 2)
	if lines := lt.due(g + int64(LossLogEvery)); len(lines) != 0 {
		t.Errorf("lines %+v within a minute of the last", lines)
	}
	lines = lt.due(g + 1 + int64(LossLogEvery))
	if len(lines) != 1 || lines[0].n != 1 || lines[0].lo != 11 || lines[0].total != 8 {
		t.Errorf("second lines %+v, want one of 1 lost, SEQ 11, 8 in all", lines)
	}
	if lines := lt.due(1 << 62); len(lines) != 0 {
		t.Errorf("lines %+v with nothing lost since the last", lines)
	}
}

// BenchmarkLossArrive is what the loss tracker adds to each detection
// Engine.Handle takes: reading its ID's SEQ and recording it, for 20
// sensors, one in 50 out of order (swapped with the next).
func BenchmarkLossArrive(b *testing.B) {
	type det struct{ sensor, id string }
	var dets []det
	for s := int64(1); s <= 5000; s++ {
		n := s
		switch {
		case s%50 == 0:
			n++
		case s%50 == 1 && s > 1:
			n--
		}
		for k := range 20 {
			sensor := fmt.Sprintf("wing-a-%d", k)
			dets = append(dets, det{sensor, sensor + "-0a1b2c3d4e5f-1830000-" + strconv.FormatInt(n, 10)})
		}
	}
	var lt lossTracker
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%len(dets) == 0 && i > 0 {
			b.StopTimer()
			lt = lossTracker{}
			b.StartTimer()
		}
		d := dets[i%len(dets)]
		boot, n, ok := event.DetectionSeq(d.sensor, d.id)
		if !ok {
			b.Fatal(d.id)
		}
		lt.arrive(d.sensor, boot, n, int64(i))
	}
}
