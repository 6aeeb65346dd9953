package registry_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/registry"
)

// FuzzParseCSV feeds arbitrary bytes to the CSV parser: it must return an
// error or valid entries, no two with one id, never panic.
func FuzzParseCSV(f *testing.F) {
	head := "id,name,kind,class,freq_min_hz,freq_max_hz,bandwidth_min_hz,bandwidth_max_hz,power_min_dbm,power_max_dbm,rooms,zones,schedule,valid_from,valid_until,added_by,notes\n"
	f.Add(head + ",tablet,in_cell_tablet,wifi,2400000000,2483500000,,25000000,,-30,B2-14,B,Mon 08:00-21:00,2026-01-01T00:00:00Z,,admin,x\n")
	f.Add(head + ",radio,staff_radio,,,,,,,,,,Tue 22:00-30:00,,,,\n")
	f.Add(head + ",tablet,in_cell_tablet,wifi,2400000000,2483500000,NaN,Inf,-Inf,1e999,,,,,,,\n")
	f.Add("\ufeff" + head + ",radio,staff_radio,,380000000,400000000,,,,,,,,,,,\n")
	f.Add(strings.TrimSuffix(head, "\n") + ",revision\n1,radio,staff_radio,,380000000,400000000,,,,,,,,2026-01-01T00:00:00.5Z,,,,0123456789abcdef\n")
	f.Add("garbage")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		es, err := registry.ParseCSV(strings.NewReader(in), now)
		if err != nil && len(es) != 0 {
			t.Fatalf("error %v with %d entries", err, len(es))
		}
		ids := map[int64]bool{}
		for _, e := range es {
			if err := e.Validate(); err != nil {
				t.Fatalf("parsed invalid entry: %v", err)
			}
			if e.ID != 0 && ids[e.ID] {
				t.Fatalf("two entries with id %d", e.ID)
			}
			ids[e.ID] = true
		}
	})
}
