package fusion

import (
	"context"
	"log/slog"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// LiveLocations is a TimeSeries that also publishes every location it
// writes on rfw/v1/{site}/location (QoS 0, not retained), so the
// dashboard's floor plan moves as fusion locates, on another host as in
// the demo. Publishing never holds up the store: a location the broker
// does not take (disconnected, or a payload that does not encode) is
// logged at debug level, and the dashboard reads it from the store when
// its page loads.
type LiveLocations struct {
	TimeSeries
	Client tokenPublisher
	Log    *slog.Logger // may be nil
}

// beneath returns the time series ts wraps when it is a LiveLocations,
// else ts: what fusion reads back at its start (seedLosses: the
// detections stored and the spool's batches; the intake journal's
// replay: which detections are stored) is the store's, and the wrapper
// only writes. seedLosses read the wrapper, which offers no Detections,
// so rfwarden fusion never counted a loss across its restart.
func beneath(ts TimeSeries) TimeSeries {
	if l, ok := ts.(LiveLocations); ok {
		return l.TimeSeries
	}
	return ts
}

// WriteLocations publishes recs, then stores them.
func (l LiveLocations) WriteLocations(ctx context.Context, recs []store.LocationRecord) error {
	for _, r := range recs {
		b, err := event.Encode(LocationEvent(r))
		if err == nil {
			err = l.Client.Publish(event.LocationTopic(r.Site), 0, false, b).Error()
		}
		if err != nil && l.Log != nil {
			l.Log.Debug("live location not published", "track", r.Track, "err", err)
		}
	}
	return l.TimeSeries.WriteLocations(ctx, recs)
}

// LocationEvent returns r as a live location payload (without its room
// probabilities and sensors, which the floor plan does not draw).
func LocationEvent(r store.LocationRecord) event.Location {
	return event.Location{Schema: event.SchemaVersion, Site: r.Site, Track: r.Track, Class: r.Class, Link: r.Link, TimeNS: r.TimeNS,
		Floor: r.Floor, Room: r.Room, RoomProb: r.RoomProb, XM: r.XM, YM: r.YM, SemiMajorM: r.SemiMajorM, SemiMinorM: r.SemiMinorM,
		AngleRad: r.AngleRad, Authorised: r.Authorised}
}
