package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// Detections wait for fusion's session.
//
// Fusion subscribes on a persistent session, so the broker queues
// detections for it while it is down, but only once it has subscribed on
// that broker: before (a new installation, a broker that lost its state
// in a restart without persistence) the broker accepts a detection,
// acknowledges it and drops it, and the outbox, seeing the PUBACK,
// removes it. Fusion marks its subscription with a retained session
// command (event.CmdSession) on each sensor's cmd topic once the broker
// has acknowledged the subscription; a retained message lives as long as
// the broker state that holds fusion's session. The agent publishes no
// detection on a connection until the marker has arrived on it (the
// broker sends the retained message on every subscription, and the cmd
// topic is subscribed on every connection): until then they stay in the
// outbox, on disk, within its quota. Health, status and spectrum do not
// wait: they are snapshots the next one replaces, and health tells the
// dashboard why the sensor waits. The marker needs no new ACL line: the
// sensor reads its cmd topic already. A broker that refuses that
// subscription (SUBACK 0x80) gets one warning and the sensor publishes
// as it did before markers.

// gateGrace is how long the gate may stay closed on a connection before
// health says the sensor waits and the wait is logged: the marker comes
// within milliseconds of connecting when fusion's session is there.
const gateGrace = 5 * time.Second

// gateWaitLocked reports whether the sensor is connected and has waited for
// fusion's session marker longer than the grace, and since when. The
// caller holds a.mu.
func (a *Agent) gateWaitLocked(now time.Time) (waiting bool, since time.Time) {
	if a.gate == nil || a.linkUp == nil || !a.linkUp() {
		return false, time.Time{}
	}
	open, _, since := a.gate.State()
	if open || now.Sub(since) < a.gateGraceDur() {
		return false, time.Time{}
	}
	return true, since
}

func (a *Agent) gateGraceDur() time.Duration {
	if a.gateGraceTest > 0 {
		return a.gateGraceTest
	}
	return gateGrace
}

// startFusion says what brings fusion's session marker to a sensor: fusion
// running, with the sensor in its site model (it sends none to another
// sensor, and reads the site file only when it starts).
func (a *Agent) startFusion() string {
	return fmt.Sprintf("start fusion; if it runs, add sensor %s to its site file's sensors: and restart fusion", a.cfg.Sensor)
}

// gateReason is the health reason of a sensor waiting for fusion's
// session since since, with depth detections in the outbox.
func (a *Agent) gateReason(since time.Time, depth int64) string {
	return fmt.Sprintf("waiting for fusion's session on the broker (%s; its marker has not arrived on %s for %s); %d detections wait in the outbox",
		a.startFusion(), a.topic(event.KindCmd), time.Since(since).Round(time.Second), depth)
}

// sessionMarker opens the gate: fusion's marker arrived on this
// connection.
func (a *Agent) sessionMarker(c event.Command) {
	a.mu.Lock()
	g := a.gate
	a.mu.Unlock()
	if g != nil && g.Open() {
		a.log.Debug("fusion's session is on the broker: publishing detections", "fusion", c.Fusion)
	}
}

// subscribeRefused is the cmd subscription's Refused: the broker's ACL
// does not let the sensor read its cmd topic, so no marker can come. The
// sensor publishes as it did before markers, and says once what to add.
func (a *Agent) subscribeRefused() {
	a.mu.Lock()
	g := a.gate
	a.mu.Unlock()
	if g == nil {
		return
	}
	_, bypassed, _ := g.State()
	if bypassed {
		return
	}
	g.Bypass()
	a.log.Warn("the broker refused the subscription to this sensor's command topic (SUBACK 0x80): detections are published without waiting for fusion's session, and may be lost while fusion has never subscribed on this broker; add to the broker's ACL (deploy/mosquitto/rfwarden.acl)",
		"topic", a.topic(event.KindCmd), "acl_line", "pattern read rfw/v1/+/sensor/%u/cmd")
}

// watchGate logs, once per wait, that detections wait for fusion's
// session, and when they flow again. It runs until ctx ends.
func (a *Agent) watchGate(ctx context.Context) {
	t := time.NewTicker(min(a.gateGraceDur()/4, time.Second))
	defer t.Stop()
	logged := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a.mu.Lock()
		waiting, since := a.gateWaitLocked(time.Now())
		open := a.gate != nil && a.gate.IsOpen()
		var depth int64
		if a.outbox != nil {
			depth = a.outbox.Stats().Depth
		}
		a.mu.Unlock()
		switch {
		case waiting && !logged:
			logged = true
			a.log.Warn("detections wait for fusion's session on the broker: "+a.startFusion()+" (a broker that lost its state, or one fusion never subscribed on, would accept them and drop them)",
				"marker_topic", a.topic(event.KindCmd), "waiting_for", time.Since(since).Round(time.Second), "outbox_depth", depth)
		case open && logged:
			logged = false
			// at warning, as the wait it ends
			a.log.Warn("fusion's session is on the broker: publishing the detections that waited", "outbox_depth", depth)
		}
	}
}
