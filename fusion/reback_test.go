package fusion

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// withResolveAfter returns the default alert rules with resolve_after d
// on the unauthorised-uplink rules.
func withResolveAfter(d time.Duration) *alert.Config {
	c := alert.DefaultConfig()
	for i := range c.Rules {
		if c.Rules[i].Kind == alert.KindUnauthorisedUplink {
			c.Rules[i].ResolveAfter = alert.Duration(d)
		}
	}
	return &c
}

// runScript runs script, in the language of the scenarios (TestScenarios),
// on the test wing with the alert rules rules (nil: the defaults).
func runScript(t *testing.T, rules *alert.Config, script string) {
	t.Helper()
	s, err := site.LoadFile("../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc := &scenario{t: t, auth: scenarioRegistry(t, s), now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), rng: rand.New(rand.NewPCG(1, 1)),
		noiseDBmPerMHz: -100, maint: fakeMaintenance{}, ts: &storetest.Recorder{}}
	sc.eng, err = New(Config{NoiseDBmPerMHz: sc.noiseDBmPerMHz, DetectSNRDB: detectSNRDB, ScanBandsHz: scanBandsHz, Alerts: rules},
		Deps{Site: s, Authorizer: sc.auth, Maintenance: sc.maint, TimeSeries: sc.ts, Clock: func() time.Time { return sc.now }})
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := sc.exec(line); err != nil {
			t.Fatalf("line %d: %s: %v", i+1, line, err)
		}
	}
}

// TestPhoneBackInItsCell: a phone back in its cell while its alert is still
// open (resolve_after longer than the track gap, 2 min) continues its
// alert, acknowledgement and all, as a phone heard again within the gap
// does; before, it had a new track and a second alert beside the first,
// still open, and the control room acknowledged the one phone twice.
// Another phone (another channel) is its own alert, and so is the phone
// heard again far off: the tracker, not knowing it for the same emitter,
// starts a track there, as it does within the gap.
func TestPhoneBackInItsCell(t *testing.T) {
	const rule = "unauthorised-uplink-in-cell"
	cases := []struct {
		name   string
		rules  *alert.Config
		script string
	}{
		{"back after 5 min, resolve_after 10m: one alert, still acknowledged", withResolveAfter(10 * time.Minute), `
			status all online
			emit p1 class=lte x=7 y=9 tx=15 every=5s for=20s
			expect alert rule=` + rule + ` state=firing room=B2-10
			ack rule=` + rule + ` user=officer7 note=searching
			advance 5m
			expect alert rule=` + rule + ` state=firing room=B2-10
			emit p1 class=lte x=7 y=9 tx=15 every=5s for=20s
			expect alerts 1 rule=` + rule + `
			expect alert rule=` + rule + ` state=firing room=B2-10 acked=true
			expect tracks 1 class=lte
			# unheard for resolve_after since its last fix: resolved
			advance 9m
			expect alert rule=` + rule + ` state=firing room=B2-10
			advance 1m
			expect alert rule=` + rule + ` state=resolved room=B2-10
			expect alerts 1 rule=` + rule + `
		`},
		{"back after 5 min, default resolve_after: its alert resolved, a new one", nil, `
			status all online
			emit p1 class=lte x=7 y=9 tx=15 every=5s for=20s
			ack rule=` + rule + ` user=officer7 note=searching
			advance 5m
			expect alert rule=` + rule + ` state=resolved room=B2-10 acked=true
			emit p1 class=lte x=7 y=9 tx=15 every=5s for=20s
			expect alerts 2 rule=` + rule + `
			expect alert rule=` + rule + ` state=firing room=B2-10 acked=false
			expect tracks 2 class=lte
		`},
		{"back after 5 min in a cell 30 m off: a new alert, the first resolves on time", withResolveAfter(10 * time.Minute), `
			status all online
			emit p1 class=lte x=7 y=9 tx=15 every=5s for=20s
			advance 5m
			emit p1 class=lte x=37 y=9 tx=15 every=5s for=20s
			expect alerts 2 rule=` + rule + `
			expect alert rule=` + rule + ` state=firing room=B2-16
			expect alert rule=` + rule + ` state=firing room=B2-10
			expect tracks 2 class=lte
			advance 5m
			expect alert rule=` + rule + ` state=resolved room=B2-10
			expect alert rule=` + rule + ` state=firing room=B2-16
		`},
		{"heard 30 m off 30 s later (within the track gap): a new alert too", withResolveAfter(10 * time.Minute), `
			status all online
			emit p1 class=lte x=7 y=9 tx=15 every=5s for=20s
			advance 30s
			emit p1 class=lte x=37 y=9 tx=15 every=5s for=20s
			expect alerts 2 rule=` + rule + `
			expect tracks 2 class=lte
		`},
		{"two phones in one cell on two channels at once: two alerts", withResolveAfter(10 * time.Minute), `
			status all online
			every 5s for=20s
			emit p1 class=lte x=7 y=9 tx=15
			emit p2 class=lte x=8 y=9.5 tx=15 freq=1.765e9
			end
			expect alerts 2 rule=` + rule + `
			expect tracks 2 class=lte
			expect own-tracks class=lte
		`},
		{"another phone on another channel in the cell 5 min later: its own alert", withResolveAfter(10 * time.Minute), `
			status all online
			emit p1 class=lte x=7 y=9 tx=15 every=5s for=20s
			ack rule=` + rule + ` user=officer7 note=searching
			advance 5m
			emit p2 class=lte x=8 y=9.5 tx=15 freq=1.765e9 every=5s for=20s
			expect alerts 2 rule=` + rule + `
			expect alert rule=` + rule + ` state=firing room=B2-10 acked=false
			expect own-tracks class=lte
		`},
		{"authorised in the registry while away: its fixes keep no alert open", withResolveAfter(10 * time.Minute), `
			status all online
			emit p1 class=lte x=7 y=9 tx=15 every=5s for=20s
			authorise p1 class=lte room=B2-10
			advance 5m
			emit p1 class=lte x=7 y=9 tx=15 every=5s for=20s
			expect alerts 1 rule=` + rule + `
			expect tracks 1 class=lte
			advance 5m
			expect alert rule=` + rule + ` state=resolved room=B2-10
			expect alerts 1 rule=` + rule + `
		`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runScript(t, c.rules, c.script) })
	}
}
