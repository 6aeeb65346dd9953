package fusion

import (
	"testing"
)

// TestRedMovesHandled: adversary moves the fusion engine handles as the
// prison would want (each script states what it checks).
func TestRedMovesHandled(t *testing.T) {
	for _, tc := range []struct{ name, script string }{
		{"maintenance of s4 silences s4 alone", `
status all online
health all ok
maintenance s4 for=1h
advance 6s
health s4 tampered
health s2 jammed
status s3 offline
advance 40s
expect alert rule=sensor-health state=firing sensor=s2
expect alert rule=sensor-offline state=firing sensor=s3
expect alerts 2`},
		{"phone in a cell while the wing sensor nearest it is in maintenance", `
status all online
health all ok
maintenance s6 for=1h
advance 6s
status s6 offline
emit p1 class=lte x=26 y=10 tx=20 every=2s for=20s
expect alert rule=unauthorised-uplink-in-cell state=firing room=B2-14`},
		{"drone hovering 30 s at the wall then leaving: fires at its first fix", `
status all online
emit dr class=drone_video link=downlink freq=5.76e9 bw=9e6 x=20 y=-5 tx=20
advance 1s
expect alert rule=drone state=firing room=yard
emit dr class=drone_video link=downlink freq=5.76e9 bw=9e6 x=20 y=-5 tx=20 every=2s for=30s
expect alerts 1 rule=drone`},
		{"drone on 868 MHz RC only", `
status all online
emit rc class=rc_fhss link=uplink freq=868.3e6 bw=500e3 x=20 y=-8 tx=14
advance 1s
expect alert rule=drone state=firing room=yard`},
		{"analog FPV at 5.8 GHz only", `
status all online
emit fpv class=fpv_analog link=downlink freq=5.917e9 bw=16e6 x=20 y=-8 tx=25
advance 1s
expect alert rule=drone state=firing room=yard`},
		{"phone carried from B2-03 to B2-14: one alert each room, no third", `
status all online
emit p1 class=lte x=12 y=2 tx=20 every=2s for=30s
expect alert rule=unauthorised-uplink-in-cell state=firing room=B2-03
emit p1 class=lte x=27 y=9 tx=20 every=2s for=60s
expect alert rule=unauthorised-uplink-in-cell state=firing room=B2-14
expect alerts 2 rule=unauthorised-uplink-in-cell`},
		{"two phones on two carriers used alternately in two cells", `
status all online
every 10s for=2m
emit p1 class=lte freq=1.75e9 bw=5e6 x=12 y=2 tx=20
end
every 10s for=1m
emit p2 class=gsm freq=900e6 bw=200e3 x=27 y=9 tx=20
end
expect alert rule=unauthorised-uplink-in-cell state=firing room=B2-14
expect alerts 2 rule=unauthorised-uplink-in-cell`},
	} {
		t.Run(tc.name, func(t *testing.T) { runScript(t, nil, tc.script) })
	}
}
