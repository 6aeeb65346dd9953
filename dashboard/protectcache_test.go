package dashboard

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestEvidenceCachedProtector (soak test, 2026-12-06): the evidence
// quota's open cases are read again only after an alert or incident was
// written (store.SQLite.CaseChanges), by this process or another (here a
// second connection to the file); between, the answer read before is
// given, and it is the store's answer. Without the stamp it reads every
// time.
func TestEvidenceCachedProtector(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rfw.db")
	db, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := store.OpenSQLite(path) // fusion
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	reads := 0
	read := func(ctx context.Context) (map[string]bool, error) {
		reads++
		return db.ProtectedDetections(ctx, "s1")
	}
	stampErr := error(nil)
	stamp := func(ctx context.Context) (int64, error) {
		if stampErr != nil {
			return 0, stampErr
		}
		return db.CaseChanges(ctx)
	}
	p := CachedProtector(stamp, read)
	alert := func(id string, state string, evidence ...string) func() error {
		return func() error {
			return other.UpsertAlert(ctx, event.Alert{ID: id, Site: "s1", State: state, UpdatedNS: retentionNow.UnixNano(), Evidence: evidence})
		}
	}
	tests := []struct {
		name      string
		write     func() error // nil: none
		stampErr  error
		want      []string
		wantReads int
	}{
		{"first call reads", alert("a1", event.AlertFiring, "d1"), nil, []string{"d1"}, 1},
		{"nothing written", nil, nil, []string{"d1"}, 1},
		{"nothing written again", nil, nil, []string{"d1"}, 1},
		{"a detection is no case", func() error {
			return other.WriteDetections(ctx, []store.DetectionRecord{{Detection: event.Detection{ID: "d9", Site: "s1", Sensor: "n1", TimeNS: retentionNow.UnixNano()}}})
		}, nil, []string{"d1"}, 1},
		{"a new alert", alert("a2", event.AlertFiring, "d2"), nil, []string{"d1", "d2"}, 2},
		{"unchanged after it", nil, nil, []string{"d1", "d2"}, 2},
		{"an incident opens", func() error {
			return other.UpsertIncident(ctx, store.Incident{ID: "i1", Site: "s1", State: store.IncidentOpen, UpdatedNS: retentionNow.UnixNano(), Detections: []string{"d3"}})
		}, nil, []string{"d1", "d2", "d3"}, 3},
		{"no stamp: read", nil, errors.New("database is locked"), []string{"d1", "d2", "d3"}, 4},
		{"no stamp: read again", nil, errors.New("database is locked"), []string{"d1", "d2", "d3"}, 5},
	}
	for _, tc := range tests {
		if tc.write != nil {
			if err := tc.write(); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		stampErr = tc.stampErr
		got, err := p(ctx)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ids := slices.Sorted(maps.Keys(got))
		if !slices.Equal(ids, tc.want) || reads != tc.wantReads {
			t.Errorf("%s: protected %v after %d reads, want %v after %d", tc.name, ids, reads, tc.want, tc.wantReads)
		}
	}
}
