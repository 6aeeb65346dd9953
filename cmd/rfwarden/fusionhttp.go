package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/probeserver"
)

// fusionHealth is what GET /healthz of `rfwarden fusion` answers.
type fusionHealth struct {
	State           string `json:"state"` // ok, or degraded (HTTP 503)
	Site            string `json:"site"`
	BrokerConnected bool   `json:"broker_connected"`
	// BrokerError says why, while not connected: what is wrong and the
	// setting to fix (mqttlink.Summary: "credentials refused (username or
	// RFW_MQTT_PASSWORD)"), no user, host or port; the log has the error.
	// Until 2026-12-06 a field broker gave the broker's URL, user and host.
	BrokerError string `json:"broker_error,omitempty"`
	// SubscriptionError says which of fusion's subscriptions the broker
	// did not grant when fusion connected again, and why
	// (fusion.Resubscriber.Refused): connected, and deaf on that filter
	// (degraded). Until 2026-12-07 /healthz said ok until SensorSilence.
	SubscriptionError string `json:"subscription_error,omitempty"`
	// Connected, but no message from any sensor for a while: a broker ACL
	// that withholds them, or no sensor running (degraded).
	SensorSilence string `json:"sensor_silence,omitempty"`
	// DatabaseOK is false while the SQLite database does not answer, or
	// has refused every write for store.WriteGrace (the disk full, the
	// file read-only, locked by another process); Error then says which
	// database, why, and the latest write's error.
	DatabaseOK   bool   `json:"database_ok"`
	Error        string `json:"error,omitempty"` // the database's, when not ok
	ActiveAlerts int    `json:"active_alerts"`   // pending and firing
	// With InfluxDB: the write batches waiting in fusion's spool (there,
	// 0 too, whenever InfluxDB is configured; absent without it), and the
	// last request's fault while InfluxDB fails (unreachable, refusing the
	// user: what and which setting, no user name or host), which makes the
	// state degraded.
	InfluxSpooled *int64 `json:"influx_spooled,omitempty"`
	InfluxError   string `json:"influx_error,omitempty"`
	// Notify is each notification output's outbox (webhook, syslog): one
	// whose oldest undelivered notification is older than
	// notify.stale_after makes the state degraded, with its last error.
	Notify []fusion.NotifyHealth `json:"notify,omitempty"`
	// InfluxDropped counts the write batches dropped from the spool since
	// fusion started, to keep it within influx.spool_max_bytes: the
	// detections, locations and health they held are lost. There, 0 too,
	// whenever InfluxDB is configured.
	InfluxDropped *int64 `json:"influx_dropped,omitempty"`
	// InfluxSpoolOK is false while the spool's disk has refused every
	// write for store.WriteGrace (full, read-only): the detections,
	// locations and health fusion writes are kept in memory a while,
	// then dropped, though InfluxDB answers; InfluxSpoolError says why
	// (the cause and the setting, influx.spool_dir; the log has the
	// folder). There, true too, whenever InfluxDB is configured.
	InfluxSpoolOK    *bool  `json:"influx_spool_ok,omitempty"`
	InfluxSpoolError string `json:"influx_spool_error,omitempty"`
	// Backlog is how many messages fusion has received and not handled
	// (fusion.Engine.Backlog); past fusion.BacklogDegraded (8192) the
	// state is degraded: fusion is behind for good (docs/scaling.md).
	Backlog int64 `json:"backlog"`
	// DetectionsLost is each sensor of which fusion counted detections it
	// never received since it started (a gap in a sensor boot's SEQs
	// still open after fusion.LossGrace: fusion.Engine.DetectionsLost);
	// one that lost some within fusion.LossRecent makes the state
	// degraded, for that long. Absent while none was lost.
	DetectionsLost []fusion.SensorLoss `json:"detections_lost,omitempty"`
}

// fusionProbe is what the health check asks: the MQTT connection, the
// SQLite database, the alert engine and InfluxDB's writer.
type fusionProbe struct {
	site      string
	connected func() bool
	// brokerErr says why the last connection attempt failed, naming no
	// user, host or port (mqttlink.Link.Summary); "": none known
	brokerErr func() string
	// refused says which subscriptions the broker did not grant when
	// fusion connected again (fusion.Resubscriber.Refused); nil: not
	// checked
	refused func() string
	// sensorSilence says why no sensor is heard while connected; "": they
	// are (nil: not checked)
	sensorSilence func() string
	ping          func(context.Context) error
	// writes says whether the database refuses writes
	// (store.SQLite.WriteProblem): a ping passes on a full disk; nil: not
	// checked
	writes        func() error
	active        func() []event.Alert
	influx        func() (spooled int64, err error) // nil without InfluxDB
	notifiers     []*fusion.Notifier                // the webhook's and syslog's outboxes
	influxDropped func() int64                      // batches dropped from the spool; nil without InfluxDB
	// spool says whether the InfluxDB spool refuses writes
	// (store.Influx.SpoolProblem); nil without InfluxDB
	spool   func() error
	backlog func() int64 // fusion.Engine.Backlog; nil: not checked
	// lost says which sensors' detections fusion never received
	// (fusion.Engine.DetectionsLost); nil: not checked
	lost func() []fusion.SensorLoss
}

func (p fusionProbe) health(ctx context.Context) fusionHealth {
	h := fusionHealth{State: event.StateOK, Site: p.site, BrokerConnected: p.connected(), ActiveAlerts: len(p.active())}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := p.ping(ctx)
	if err == nil && p.writes != nil {
		err = p.writes()
	}
	if err != nil {
		h.Error = err.Error()
	} else {
		h.DatabaseOK = true
	}
	if p.influx != nil {
		spooled, err := p.influx()
		h.InfluxSpooled = &spooled
		if err != nil {
			h.InfluxError = fusionInflux.public(err) // without user or host: the log has them
		}
	}
	if p.spool != nil {
		ok := true
		if err := p.spool(); err != nil {
			ok, h.InfluxSpoolError = false, spoolFault(err)
		}
		h.InfluxSpoolOK = &ok
	}
	if p.influxDropped != nil {
		dropped := p.influxDropped()
		h.InfluxDropped = &dropped
	}
	if !h.BrokerConnected && p.brokerErr != nil {
		h.BrokerError = p.brokerErr()
	}
	if h.BrokerConnected && p.refused != nil {
		h.SubscriptionError = p.refused()
	}
	if h.BrokerConnected && p.sensorSilence != nil {
		h.SensorSilence = p.sensorSilence()
	}
	notifyOK := true
	for _, n := range p.notifiers {
		nh, err := n.Health(ctx)
		if err != nil {
			nh.State, nh.LastError = event.StateDegraded, err.Error()
		}
		notifyOK = notifyOK && nh.State == event.StateOK
		h.Notify = append(h.Notify, nh)
	}
	if !h.BrokerConnected || h.SubscriptionError != "" || !h.DatabaseOK || h.InfluxError != "" || h.InfluxSpoolError != "" || h.SensorSilence != "" || !notifyOK {
		h.State = event.StateDegraded
	}
	if p.backlog != nil {
		if h.Backlog = p.backlog(); h.Backlog > fusion.BacklogDegraded {
			h.State = event.StateDegraded
		}
	}
	if p.lost != nil {
		h.DetectionsLost = p.lost()
		for _, l := range h.DetectionsLost {
			if l.Recent {
				h.State = event.StateDegraded
			}
		}
	}
	return h
}

// spoolFault says why the InfluxDB spool refuses writes (a
// *store.WriteError) and the setting it is, without its folder: for
// /healthz, which needs no login.
func spoolFault(err error) string {
	var we *store.WriteError
	if !errors.As(err, &we) {
		return "influx.spool_dir refuses writes"
	}
	return fmt.Sprintf("influx.spool_dir refuses writes: %s (%d failed writes in %v)", we.Cause, we.Failures, we.For.Round(time.Second))
}

// serveFusionHTTP serves /healthz and /metrics on l (fusion binds it
// before it connects to the broker) until ctx ends, then shuts the server
// down, closing l. lim bounds what one client may hold of it and how
// many connections are open at once (zero: probeserver.Defaults).
func serveFusionHTTP(ctx context.Context, l net.Listener, probe fusionProbe, g prometheus.Gatherer, log *slog.Logger, lim probeserver.Limits) (done <-chan struct{}) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		h := probe.health(r.Context())
		w.Header().Set("Content-Type", "application/json")
		if h.State != event.StateOK {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(h)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	srv := probeserver.New(mux, lim)
	l = probeserver.LimitListener(l, lim.MaxConns)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("fusion: http", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(c)
	}()
	log.Info("fusion: serving /healthz and /metrics", "addr", l.Addr().String())
	return stopped
}
