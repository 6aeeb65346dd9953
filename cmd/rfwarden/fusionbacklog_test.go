package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
)

// TestFusionProbeBacklog: /healthz says fusion's backlog (soak test
// 2026-12-06: 9,906 messages waited in handlers and /healthz said ok),
// and is degraded only past fusion.BacklogDegraded.
func TestFusionProbeBacklog(t *testing.T) {
	base := fusionProbe{connected: func() bool { return true }, ping: func(context.Context) error { return nil }, active: func() []event.Alert { return nil }}
	for _, tc := range []struct {
		name    string
		backlog func() int64
		want    int64
		state   string
	}{
		{"not checked", nil, 0, event.StateOK},
		{"keeping up", func() int64 { return 0 }, 0, event.StateOK},
		{"a burst in the queue", func() int64 { return 4096 }, 4096, event.StateOK},
		{"at the threshold", func() int64 { return fusion.BacklogDegraded }, fusion.BacklogDegraded, event.StateOK},
		{"past it: behind for good", func() int64 { return fusion.BacklogDegraded + 1 }, fusion.BacklogDegraded + 1, event.StateDegraded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			p.backlog = tc.backlog
			h := p.health(context.Background())
			if h.State != tc.state || h.Backlog != tc.want {
				t.Errorf("state %q backlog %d, want %q and %d", h.State, h.Backlog, tc.state, tc.want)
			}
			body, err := json.Marshal(h)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if n, ok := got["backlog"].(float64); !ok || int64(n) != tc.want {
				t.Errorf("backlog in %s: %v, want %d", body, got["backlog"], tc.want)
			}
		})
	}
}
