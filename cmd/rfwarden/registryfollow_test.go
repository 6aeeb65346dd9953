package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// TestFollowRegistryProblemsCountUnknownPlaces: after a site edit (a
// wing renamed), an entry naming places the model no longer has is
// counted by {prefix}_registry_problems, fusion's and the dashboard's:
// the gauges stayed 0 while every radio authorised by zone in that wing
// raised alarms.
func TestFollowRegistryProblemsCountUnknownPlaces(t *testing.T) {
	ctx := context.Background()
	st, err := site.LoadFile("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// saved before the edit, when the wing was called wing-a
	old, err := registry.Open(ctx, db.DB(), db, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, zone := range []string{"wing-a", "wing-b"} {
		if _, err := old.Add(ctx, registry.Entry{Name: "staff radios " + zone, Kind: registry.KindStaffRadio, Zones: []string{zone},
			Signature: registry.Signature{Class: event.ClassUnknown, FreqMinHz: 380e6, FreqMaxHz: 400e6}, ValidFrom: time.Unix(0, 0)}, "admin"); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := registry.Open(ctx, db.DB(), db, registry.Options{Site: st})
	if err != nil {
		t.Fatal(err)
	}
	metrics := prometheus.NewRegistry()
	stop := followRegistry(ctx, reg, metrics, "rfw_test", slog.New(slog.DiscardHandler))
	defer stop()
	mfs, err := metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := -1.0
	for _, mf := range mfs {
		if mf.GetName() == "rfw_test_registry_problems" {
			got = mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	if got != 1 {
		t.Errorf("rfw_test_registry_problems = %v, want 1 (the entry naming wing-a)", got)
	}
}
