package alert

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/site"
)

// TestValidateNamesUnknownValues: a rule field naming an enumerated value
// (a room kind, a class, a health state) is checked against the list its
// package keeps, and the error names the rule, the field, the value and
// the values it could be. A typo in room_kinds made the rule one that could
// never fire, and fusion started without a word.
func TestValidateNamesUnknownValues(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		want string // the whole error after "invalid alert config: "
	}{
		{"room kind typo", Rule{Name: "unauthorised_uplink", Kind: KindUnauthorisedUplink, RoomKinds: []string{"cells"}},
			`rule "unauthorised_uplink": room_kinds: "cells" is not a room kind (cell, landing, office, yard, perimeter, outside)`},
		{"second room kind", Rule{Name: "drone", Severity: "warning", Kind: KindDrone, RoomKinds: []string{"yard", "Perimeter"}},
			`rule "drone": room_kinds: "Perimeter" is not a room kind (cell, landing, office, yard, perimeter, outside)`},
		{"class typo", Rule{Name: "phone", Kind: KindUnauthorisedUplink, RoomKinds: []string{"cell"}, Classes: []string{"lte", "5g"}},
			`rule "phone": classes: "5g" is not a class (gsm, umts, lte, nr, wifi, bluetooth, droneid, drone_video, rc_fhss, fpv_analog, unknown)`},
		{"state typo", Rule{Name: "health", Kind: KindSensorHealth, States: []string{"jamed"}},
			`rule "health": states: "jamed" is not a health state (ok, tampered, jammed, overloaded, stalled, degraded)`},
		{"room kinds on a sensor rule", Rule{Name: "offline", Severity: "warning", Kind: KindSensorOffline, RoomKinds: []string{"cell"}},
			`rule "offline": room_kinds is for unauthorised_uplink and drone rules only`},
		{"classes on a drone_drop rule", Rule{Name: "drop", Kind: KindDroneDrop, Classes: []string{"lte"}},
			`rule "drop": classes is for unauthorised_uplink and drone rules only`},
		{"states on a sensor_offline rule", Rule{Name: "offline", Severity: "warning", Kind: KindSensorOffline, States: []string{"jammed"}},
			`rule "offline": states is for sensor_health rules only`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rule
			r.applyDefaults()
			err := Config{Rules: []Rule{r}}.Validate()
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("got %v, want ErrConfig", err)
			}
			if got := strings.TrimPrefix(err.Error(), ErrConfig.Error()+": "); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	// every kind the site package knows is accepted
	for _, k := range site.Kinds {
		r := Rule{Name: "r", Kind: KindDrone, RoomKinds: []string{k}}
		r.applyDefaults()
		if err := (Config{Rules: []Rule{r}}).Validate(); err != nil {
			t.Errorf("room kind %q: %v", k, err)
		}
	}
}

// TestLoadConfigRefusesNoRules: an alerts file with no rules (empty, only
// comments, rules: [] or rules: with nothing) ran fusion with no alerting
// at all, not even sensor-offline; it is refused, saying how to get the
// defaults.
func TestLoadConfigRefusesNoRules(t *testing.T) {
	for _, doc := range []string{"", "\n", "# rules to come\n", "rules: []\n", "rules:\n", "---\n"} {
		_, err := LoadConfig(strings.NewReader(doc))
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "no alert rules: remove the alerts file setting to use the defaults, or list rules") {
			t.Errorf("%q: got %v, want ErrConfig, no alert rules", doc, err)
		}
	}
}

// TestMissingKinds: the room kinds a location rule names that the site
// has no room of, by rule; nil when the site has every kind named.
func TestMissingKinds(t *testing.T) {
	s := wing(t) // cells, landing, yard
	tests := []struct {
		name  string
		rules []Rule
		want  map[string][]string
	}{
		{"all present", []Rule{{Name: "in-cell", Kind: KindUnauthorisedUplink, RoomKinds: []string{site.KindCell, site.KindYard}}}, nil},
		{"one missing", []Rule{{Name: "elsewhere", Kind: KindUnauthorisedUplink, RoomKinds: []string{site.KindLanding, site.KindOffice}}},
			map[string][]string{"elsewhere": {site.KindOffice}}},
		{"all missing", []Rule{
			{Name: "in-cell", Kind: KindUnauthorisedUplink, RoomKinds: []string{site.KindCell}},
			{Name: "drone", Kind: KindDrone, RoomKinds: []string{site.KindPerimeter, site.KindOutside}},
			{Name: "offline", Kind: KindSensorOffline}},
			map[string][]string{"drone": {site.KindPerimeter, site.KindOutside}}},
		{"defaults", DefaultConfig().Rules,
			// the drone rule holds anywhere; the phone warning rule names the perimeter since 2026-12-06
			map[string][]string{"unauthorised-uplink": {site.KindOffice, site.KindPerimeter}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Config{Rules: tt.rules}).MissingKinds(s); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestVisitSeparationDefault: a drone rule that sets no visit_separation_m
// takes DefaultVisitSeparationM, and every other kind none.
func TestVisitSeparationDefault(t *testing.T) {
	for _, r := range DefaultConfig().Rules {
		want := 0.0
		if r.Kind == KindDrone {
			want = DefaultVisitSeparationM
		}
		if r.VisitSeparationM != want {
			t.Errorf("rule %q (%s): visit_separation_m %v, want %v", r.Name, r.Kind, r.VisitSeparationM, want)
		}
	}
}

// TestVisitSeparationValidate: 0 is the default (New validates before it
// fills defaults); anything else under MinVisitSeparationM, or not finite,
// is refused naming the rule.
func TestVisitSeparationValidate(t *testing.T) {
	tests := []struct {
		m    float64
		want string // "" valid
	}{
		{0, ""},
		{100, ""},
		{250, ""},
		{99.9, `rule "drone": visit_separation_m 99.9: at least 100`},
		{-200, `rule "drone": visit_separation_m -200: at least 100`},
		{math.Inf(1), `rule "drone": visit_separation_m +Inf: at least 100`},
		{math.NaN(), `rule "drone": visit_separation_m NaN: at least 100`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.m), func(t *testing.T) {
			err := Config{Rules: []Rule{{Name: "drone", Kind: KindDrone, Severity: "critical", VisitSeparationM: tt.m}}}.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want valid", err)
			case tt.want != "" && (!errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want an ErrConfig containing %q", err, tt.want)
			}
		})
	}
}

// TestPhoneRuleSettings: repeat_count, repeat_window and ack_lasts are
// read from YAML ("off" turns repeated alerts off), and a phone rule that
// gives none takes the defaults, the default rules' phone rules too; a
// drone rule takes ack_lasts alone (default DefaultDroneAckLasts); other
// kinds have none.
func TestPhoneRuleSettings(t *testing.T) {
	const doc = `rules:
  - name: in-cell
    kind: unauthorised_uplink
    room_kinds: [cell]
    repeat_count: 4
    repeat_window: 45m
    ack_lasts: 2h
  - name: elsewhere
    kind: unauthorised_uplink
    room_kinds: [landing, perimeter]
    repeat_count: off
  - name: defaults
    kind: unauthorised_uplink
    room_kinds: [yard]
  - name: drone-slow
    kind: drone
    ack_lasts: 30m
  - name: drone
    kind: drone
`
	c, err := LoadConfig(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	type settings struct {
		count  Count
		window time.Duration
		ack    time.Duration
	}
	want := map[string]settings{
		"in-cell":    {4, 45 * time.Minute, 2 * time.Hour},
		"elsewhere":  {RepeatOff, 0, DefaultAckLasts},
		"defaults":   {DefaultRepeatCount, DefaultRepeatWindow, DefaultAckLasts},
		"drone-slow": {0, 0, 30 * time.Minute},
		"drone":      {0, 0, DefaultDroneAckLasts},
	}
	check := func(rules []Rule, want map[string]settings) {
		t.Helper()
		for _, r := range rules {
			w := want[r.Name] // zero for a rule of another kind
			if got := (settings{r.RepeatCount, time.Duration(r.RepeatWindow), time.Duration(r.AckLasts)}); got != w {
				t.Errorf("rule %s (%s): got %+v, want %+v", r.Name, r.Kind, got, w)
			}
		}
	}
	check(c.Rules, want)
	def := settings{DefaultRepeatCount, DefaultRepeatWindow, DefaultAckLasts}
	check(DefaultConfig().Rules, map[string]settings{"unauthorised-uplink-in-cell": def, "unauthorised-uplink": def,
		"drone": {0, 0, DefaultDroneAckLasts}})
	// written back, "off" stays off
	b, err := RepeatOff.MarshalYAML()
	if err != nil || string(b) != "off" {
		t.Errorf("RepeatOff written as %q, %v", b, err)
	}
}
