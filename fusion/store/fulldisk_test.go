package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestSQLiteFullDiskErrorSaysWhat: a store's write its full disk refuses
// (SQLITE_FULL; here the database held to its pages by max_page_count)
// fails with an error naming the database file and what to do, whichever
// write it is, and is still a refusal of the database's for WriteProblem.
// Fusion logged "store alert a-3: commit: database or disk is full (13)",
// naming neither.
func TestSQLiteFullDiskErrorSaysWhat(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		write func(s *store.SQLite, i int) error
	}{
		{"alert", func(s *store.SQLite, i int) error {
			return s.UpsertAlert(ctx, event.Alert{ID: fmt.Sprintf("a-%d", i), Site: "s", Rule: strings.Repeat("r", 500), Severity: "high", State: event.AlertPending})
		}},
		{"detections", func(s *store.SQLite, i int) error {
			var recs []store.DetectionRecord
			for j := range 20 {
				recs = append(recs, store.DetectionRecord{Detection: event.Detection{ID: fmt.Sprintf("d-%d-%d", i, j), Site: "s", Sensor: "s1", TimeNS: int64(i*100 + j)}})
			}
			return s.WriteDetections(ctx, recs)
		}},
		{"audit", func(s *store.SQLite, i int) error {
			return s.Audit(ctx, store.AuditEntry{User: "admin", Action: "test", Object: fmt.Sprint(i), After: strings.Repeat("x", 500)})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, path := openOneConnection(t)
			var pages int
			if err := s.DB().QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
				t.Fatal(err)
			}
			mustExec(t, s.DB(), fmt.Sprintf(`PRAGMA max_page_count = %d`, pages))
			var err error
			for i := range 1000 {
				if err = tc.write(s, i); err != nil {
					break
				}
			}
			if err == nil {
				t.Fatal("1000 writes into a full database: no error")
			}
			for _, want := range []string{"database or disk is full", "the disk of database " + path + " is full: free space on its disk"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("write refused: %q, want it to say %q", err, want)
				}
			}
			var we *store.WriteError
			if perr := s.WriteProblem(time.Now().Add(time.Hour), time.Minute); !errors.As(perr, &we) || !strings.Contains(perr.Error(), "the disk is full") {
				t.Errorf("WriteProblem after the refusal: %v, want a WriteError saying the disk is full", perr)
			}
		})
	}
}
