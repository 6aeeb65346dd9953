package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestSQLiteAuditLogRangeAndPaging: the audit log is read by time range
// [Since, Until) and in pages (BeforeID: the rows older than the last one
// of the page before), newest first; the data-protection officer could
// not get past the newest 500 rows.
func TestSQLiteAuditLogRangeAndPaging(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	for i := 1; i <= 10; i++ {
		if err := s.Audit(ctx, store.AuditEntry{TimeNS: int64(i) * 1e9, User: "u", Action: "view.alert", Object: "alert/a"}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(es []store.AuditEntry) []int64 {
		var out []int64
		for _, e := range es {
			out = append(out, e.TimeNS/1e9)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		given store.AuditFilter
		want  []int64 // the rows' seconds, which here are their IDs
	}{
		{"range", store.AuditFilter{Since: time.Unix(3, 0), Until: time.Unix(6, 0)}, []int64{5, 4, 3}},
		{"first page", store.AuditFilter{Limit: 4}, []int64{10, 9, 8, 7}},
		{"next page", store.AuditFilter{Limit: 4, BeforeID: 7}, []int64{6, 5, 4, 3}},
		{"last page", store.AuditFilter{Limit: 4, BeforeID: 3}, []int64{2, 1}},
		{"page in a range", store.AuditFilter{Since: time.Unix(2, 0), Until: time.Unix(9, 0), BeforeID: 6, Limit: 2}, []int64{5, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.AuditLog(ctx, tc.given)
			if err != nil || !equalInts(ids(got), tc.want) {
				t.Errorf("AuditLog(%+v): %v, %v; want %v", tc.given, ids(got), err, tc.want)
			}
		})
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
