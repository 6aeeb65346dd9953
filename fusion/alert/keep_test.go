package alert

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// keepCall is one call of a keepRecorder.
type keepCall struct {
	at    time.Time
	alert string
	ids   []string
}

// keepRecorder records the keeper's calls; at is set by the test before
// each Tick.
type keepRecorder struct {
	mu    sync.Mutex
	at    time.Time
	calls []keepCall
}

var _ EvidenceKeeper = (*keepRecorder)(nil)

func (k *keepRecorder) KeepEvidence(_ context.Context, a event.Alert, ids []string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = append(k.calls, keepCall{at: k.at, alert: a.ID, ids: ids})
	return nil
}

// TestLaterEvidenceKept: a drone over the yard fires at its first fix and
// is tracked for 3 minutes, a new detection every second. The sensors
// are asked to keep the snippets of all 50 detections of its evidence,
// each within RefreshEvery of the alert gaining it: the ones its
// publications named (pending and firing, at its first fix) and the
// later ones through the keeper, each once, at most one call per
// RefreshEvery, with no publication beyond its state changes. Before,
// the keeper did not exist: only the first detection's snippet was asked
// for until the drone resolved, minutes later, when the sensors had
// rotated most of the others out.
func TestLaterEvidenceKept(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	e, err := New(DefaultConfig(), wing(t), nil, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	keep := &keepRecorder{}
	e.SetKeeper(keep)
	t0 := time.Unix(1_800_000_000, 0)
	online(t, e, t0)
	lag := int(RefreshEvery / time.Second)
	gainedAt := map[string]int{} // evidence ID -> second it was gained
	for s := 0; s < 180; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		id := fmt.Sprintf("drone-%d", s)
		if len(gainedAt) < MaxAlertEvidence {
			gainedAt[id] = s
		}
		ev := []string{id}
		if s > 0 {
			ev = append(ev, fmt.Sprintf("drone-%d", s-1)) // heard again: no new evidence
		}
		loc := Location{Track: "drone", Class: event.ClassDroneID, Link: event.LinkUplink, Room: "yard", Prob: 0.9,
			RoomProbs: map[string]float64{"yard": 0.9}, At: now, Evidence: ev}
		if err := e.ObserveLocation(ctx, loc); err != nil {
			t.Fatal(err)
		}
		keep.mu.Lock()
		keep.at = now
		keep.mu.Unlock()
		if err := e.Tick(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := strings.Join(rec.states(), ","), "drone:pending,drone:firing"; got != want {
		t.Errorf("published %s; want the state changes only: %s", got, want)
	}
	asked := map[string]int{} // evidence ID -> second the sensors were first asked to keep it
	for _, a := range rec.got {
		for _, id := range a.Evidence {
			if _, ok := asked[id]; !ok {
				asked[id] = int(time.Unix(0, a.UpdatedNS).Sub(t0) / time.Second)
			}
		}
	}
	published := len(asked)
	var last time.Time
	for _, c := range keep.calls {
		if c.alert != rec.got[0].ID {
			t.Errorf("keeper asked for alert %s; want %s", c.alert, rec.got[0].ID)
		}
		if !last.IsZero() && c.at.Sub(last) < RefreshEvery {
			t.Errorf("keeper called at %v and %v; want at most once every %v", last.Sub(t0), c.at.Sub(t0), RefreshEvery)
		}
		last = c.at
		for _, id := range c.ids {
			if s, ok := asked[id]; ok {
				t.Errorf("keeper asked at %v for %s, asked for already at %d s", c.at.Sub(t0), id, s)
				continue
			}
			asked[id] = int(c.at.Sub(t0) / time.Second)
		}
	}
	if published >= MaxAlertEvidence {
		t.Fatalf("publications named %d evidence IDs; the test wants most gained after them", published)
	}
	for id, s := range gainedAt {
		got, ok := asked[id]
		switch {
		case !ok:
			t.Errorf("%s (gained at %d s) never asked to be kept", id, s)
		case got-s > lag:
			t.Errorf("%s gained at %d s, asked to be kept at %d s; want within %d s", id, s, got, lag)
		}
	}
	for id := range asked {
		if _, ok := gainedAt[id]; !ok {
			t.Errorf("asked to keep %s, not in the alert's evidence", id)
		}
	}
}
