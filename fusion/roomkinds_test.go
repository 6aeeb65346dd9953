package fusion

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// TestStartWarnsOfRoomKindsTheSiteLacks: a configured alert rule naming a
// room kind the site has no room of starts, with a warning naming the rule
// and the kinds ("never fire" when the site has none of them). The default
// rules name every kind: they are warned of only when one can never fire
// here (a site modelled without landings, offices or yard has no alarm for
// a phone outside the cells), so a usual start logs nothing. The default
// drone rule holds in every room and is never warned of (until 2026-12-05
// it named the perimeter, the yard and outside).
func TestStartWarnsOfRoomKindsTheSiteLacks(t *testing.T) {
	cellsOnly := *wing(t)
	cellsOnly.Rooms = nil
	for _, r := range wing(t).Rooms {
		if r.Kind == site.KindCell {
			cellsOnly.Rooms = append(cellsOnly.Rooms, r)
		}
	}
	configured := &alert.Config{Rules: []alert.Rule{
		{Name: "in-cell", Severity: "critical", Kind: alert.KindUnauthorisedUplink, RoomKinds: []string{site.KindCell}},
		{Name: "elsewhere", Severity: "warning", Kind: alert.KindUnauthorisedUplink, RoomKinds: []string{site.KindLanding, site.KindOffice}},
		{Name: "drone", Severity: "critical", Kind: alert.KindDrone, RoomKinds: []string{site.KindPerimeter, site.KindOutside}},
	}}
	tests := []struct {
		name   string
		site   *site.Site
		alerts *alert.Config
		want   []string // one warning each, in rule order, holding the text
	}{
		{"configured", wing(t), configured, []string{
			`level=WARN msg="alert rule names room kinds this site has no room of" rule=elsewhere missing=office site=hmp-test`,
			`level=WARN msg="alert rule names only room kinds this site has no room of: it will never fire" rule=drone missing="perimeter, outside" site=hmp-test`}},
		{"defaults on a usual site", wing(t), nil, nil},
		{"defaults on a site of cells", &cellsOnly, nil, []string{
			`level=WARN msg="alert rule names only room kinds this site has no room of: it will never fire" rule=unauthorised-uplink missing="landing, office, yard, perimeter"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			e, err := New(Config{Alerts: tt.alerts}, Deps{Site: tt.site, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close(t.Context())
			var lines []string
			if s := strings.TrimSpace(buf.String()); s != "" {
				lines = strings.Split(s, "\n")
			}
			if len(lines) != len(tt.want) {
				t.Fatalf("logged %d lines, want %d:\n%s", len(lines), len(tt.want), buf.String())
			}
			for i, w := range tt.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("line %d:\n%s\nwant it to hold\n%s", i, lines[i], w)
				}
			}
		})
	}
}
