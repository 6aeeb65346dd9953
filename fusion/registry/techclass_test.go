package registry_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
)

// TestTechClassWarning: an entry naming class lte, nr or umts over a
// cellular uplink may authorise few or none of a phone's uplink detections
// (a handset's uplink is mostly published with class unknown, "LTE/NR
// uplink"): it is taken, with a warning saying so and to leave the class
// empty, in Add's and Update's answers and in a CSV import's. Until
// 2026-12-07 an in-cell phone system registered with class lte over LTE
// B20 matched none of its phones' 168 detections, with no word. Over a
// downlink only, with class gsm or unknown, or with no class, there is
// none.
func TestTechClassWarning(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		class      string
		loHz, hiHz float64
		want       []string // substrings of the warning; nil: none
	}{
		{name: "lte over LTE B20 uplink", class: event.ClassLTE, loHz: 832e6, hiHz: 862e6,
			want: []string{"class lte over cellular uplinks (LTE B20 UL, NR n20 UL 832–862 MHz) may authorise few or none", `class unknown ("LTE/NR uplink") whenever`, "leave the class empty"}},
		{name: "nr over n78", class: event.ClassNR, loHz: 3500e6, hiHz: 3600e6, want: []string{"class nr over cellular uplinks", "n78"}},
		{name: "umts over band 1 uplink", class: event.ClassUMTS, loHz: 1920e6, hiHz: 1980e6, want: []string{"class umts over cellular uplinks"}},
		{name: "lte over LTE B20 downlink", class: event.ClassLTE, loHz: 791e6, hiHz: 821e6},
		{name: "gsm over E-GSM-900 uplink", class: event.ClassGSM, loHz: 880e6, hiHz: 915e6},
		{name: "unknown over LTE B20 uplink", class: event.ClassUnknown, loHz: 832e6, hiHz: 862e6},
		{name: "no class over LTE B20 uplink", loHz: 832e6, hiHz: 862e6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := openRegistry(t)
			check := func(what string, ws []string) {
				t.Helper()
				var got []string
				for _, w := range ws {
					if strings.Contains(w, "may authorise few or none of a phone's uplink detections") {
						got = append(got, w)
					}
				}
				if tt.want == nil {
					if len(got) != 0 {
						t.Errorf("%s: %q, want no class warning", what, got)
					}
					return
				}
				if len(got) != 1 {
					t.Fatalf("%s: warnings %q, want one class warning", what, ws)
				}
				for _, sub := range tt.want {
					if !strings.Contains(got[0], sub) {
						t.Errorf("%s: warning %q does not say %q", what, got[0], sub)
					}
				}
			}
			e := registry.Entry{Name: "in-cell phones", Kind: registry.KindOfficialPhone, Rooms: []string{"B2-14"}, ValidFrom: monday.Add(-24 * time.Hour),
				Signature: registry.Signature{Class: tt.class, FreqMinHz: tt.loHz, FreqMaxHz: tt.hiHz}}
			got, err := r.Add(ctx, e, "admin")
			if err != nil {
				t.Fatalf("Add: %v: want it taken", err)
			}
			check("Add", got.Warnings)
			got.Notes = "changed"
			upd, err := r.Update(ctx, got, "admin")
			if err != nil {
				t.Fatal(err)
			}
			check("Update", upd.Warnings)
			row := ",in-cell phones 2,official_phone," + tt.class + "," + strconv.FormatFloat(tt.loHz, 'f', 0, 64) + "," + strconv.FormatFloat(tt.hiHz, 'f', 0, 64) + ",,,,,B2-14,,,,,,\n"
			res, err := importCSV(r, csvHead+row, registry.ImportOptions{})
			if err != nil || res.Added != 1 {
				t.Fatalf("import = %+v, %v; want 1 added", res, err)
			}
			check("import", res.Warnings)
		})
	}
}
