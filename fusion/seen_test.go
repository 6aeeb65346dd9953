package fusion

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSeenSetForget: a forgotten detection is new again; its slot evicts
// nothing later, so the set still holds the capacity most recent others;
// a forgotten detection added again takes a new slot, the newest; and the
// saved file lists what the set holds, oldest first.
func TestSeenSetForget(t *testing.T) {
	s := newSeenSet(4)
	for _, id := range []string{"1", "2", "3", "4"} {
		s.add("s1", id)
	}
	s.forget("s1", "2")
	s.forget("s1", "9") // not held: nothing happens
	if !s.add("s1", "5") {
		t.Fatal("add 5: want new")
	}
	// 5 took 1's slot; 2's slot, forgotten, evicts nothing when 6 takes it
	if !s.add("s1", "6") {
		t.Fatal("add 6: want new")
	}
	if !s.add("s1", "2") {
		t.Error("add 2 after forget: want new")
	}
	for _, id := range []string{"4", "5", "6", "2"} {
		if s.add("s1", id) {
			t.Errorf("add %s again: want a duplicate", id)
		}
	}
	path := filepath.Join(t.TempDir(), "seen")
	if err := s.save(path); err != nil {
		t.Fatal(err)
	}
	back := newSeenSet(4)
	if _, err := back.load(path); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(back.ring, ","), "s1\t4,s1\t5,s1\t6,s1\t2"; got != want {
		t.Errorf("saved, oldest first: %q, want %q", got, want)
	}
	// a forgotten key's old slot, reused, must not delete it when it is
	// held again in another slot
	s.forget("s1", "4")
	s.add("s1", "4")
	for _, id := range []string{"7", "8", "9"} {
		s.add("s1", id)
	}
	if s.add("s1", "4") {
		t.Error("4, added again after forget and within capacity: want a duplicate")
	}
}

// BenchmarkSeenForget forgets, as the intake journal's replay does for
// each journaled detection, the newest detection of a full seen set of
// the default 200 000, then adds a new one (which evicts the oldest, as
// Handle's add does): per op, one forget and one add (BenchmarkSeenAdd).
func BenchmarkSeenForget(b *testing.B) {
	const held = 200_000
	s := newSeenSet(held)
	keys := make([]string, 1<<20)
	for i := range keys {
		keys[i] = "s1-" + strconv.Itoa(i)
	}
	for _, k := range keys[:held] {
		s.add("s1", k)
	}
	i := held
	for b.Loop() {
		s.forget("s1", keys[(i-1)%len(keys)])
		s.add("s1", keys[i%len(keys)])
		i++
	}
}

// BenchmarkSeenAdd adds new detections to a full seen set, each evicting
// the oldest: Handle's path for every detection.
func BenchmarkSeenAdd(b *testing.B) {
	s := newSeenSet(200_000)
	keys := make([]string, 1<<20)
	for i := range keys {
		keys[i] = "s1-" + strconv.Itoa(i)
	}
	for _, k := range keys[:200_000] {
		s.add("s1", k)
	}
	i := 200_000
	for b.Loop() {
		s.add("s1", keys[i%len(keys)])
		i++
	}
}
