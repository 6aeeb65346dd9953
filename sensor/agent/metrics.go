package agent

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type metrics struct {
	samples    prometheus.Counter
	detections *prometheus.CounterVec
	revisit    *prometheus.GaugeVec
	// revisitMax is each band's max_revisit, so a rule can compare
	// rfwarden_revisit_seconds with it.
	revisitMax    *prometheus.GaugeVec
	revisitMissed *prometheus.CounterVec
	outboxDepth   prometheus.Gauge
	state         *prometheus.GaugeVec
	gain          *prometheus.GaugeVec
	agcChanges    *prometheus.CounterVec
	commands      *prometheus.CounterVec
	heldDropped   prometheus.Counter
	clockSteps    prometheus.Counter
	// mqttConnected is 1 from paho's OnConnect handler to its
	// ConnectionLost handler or the end of Run, as fusion's and the
	// dashboard's _mqtt_connected.
	mqttConnected prometheus.Gauge
}

// newMetrics registers the agent's metrics on r, and those of snip when
// it is not nil.
func newMetrics(r prometheus.Registerer, snip *snippets) (*metrics, error) {
	m := &metrics{
		samples: prometheus.NewCounter(prometheus.CounterOpts{Name: "rfwarden_samples_total",
			Help: "Complex samples processed."}),
		detections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfwarden_detections_total",
			Help: "Detections enqueued, by class."}, []string{"class"}),
		revisit: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rfwarden_revisit_seconds",
			Help: "Achieved revisit time per band."}, []string{"band"}),
		revisitMax: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rfwarden_revisit_max_seconds",
			Help: "The scan plan's bound on each band's revisit time (max_revisit)."}, []string{"band"}),
		revisitMissed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfwarden_revisit_missed_total",
			Help: "Revisits of a band's tuning later than its max_revisit, per band."}, []string{"band"}),
		outboxDepth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rfwarden_outbox_depth",
			Help: "Detections waiting in the outbox."}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rfwarden_sensor_state",
			Help: "1 for the sensor's current health state, as /healthz answers it."}, []string{"state"}),
		gain: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rfwarden_gain_db",
			Help: "Receive gain applied per band (lowest of its tunings), dB, at the last health report."}, []string{"band"}),
		agcChanges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfwarden_agc_changes_total",
			Help: "Gain steps made by the AGC, by band and direction (down, up)."}, []string{"band", "direction"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfwarden_commands_total",
			Help: "Messages on the sensor's cmd topic, by command (invalid: refused undecoded) and result."}, []string{"cmd", "result"}),
		heldDropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "rfwarden_outbox_held_dropped_total",
			Help: "Detections dropped unwritten because the outbox's disk refused writes: the oldest, when more were waiting in memory than it holds, and those still held when the sensor stopped."}),
		clockSteps: prometheus.NewCounter(prometheus.CounterOpts{Name: "rfwarden_clock_steps_total",
			Help: "Times the source re-anchored its sample clock to the host clock, having strayed more than its bound (a step of the host clock, or the receiver crystal's error added up)."}),
		mqttConnected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rfwarden_mqtt_connected",
			Help: "1 while connected to the MQTT broker, else 0."}),
	}
	cs := []prometheus.Collector{m.samples, m.detections, m.revisit, m.revisitMax, m.revisitMissed, m.outboxDepth, m.state, m.gain, m.agcChanges, m.commands, m.heldDropped, m.clockSteps, m.mqttConnected}
	if snip != nil {
		cs = append(cs,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfwarden_snippets",
				Help: "This sensor's IQ snippets on disk (queued included)."}, func() float64 { return float64(snip.stats().count) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfwarden_snippets_bytes",
				Help: "Bytes of this sensor's IQ snippets on disk (queued included)."}, func() float64 { return float64(snip.stats().bytes) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfwarden_snippets_kept",
				Help: "Snippets kept as alert evidence (rotated only once sent to the dashboard)."}, func() float64 { return float64(snip.stats().kept) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rfwarden_snippets_rotated_total",
				Help: "Snippets deleted, oldest first, to make room for new ones."}, func() float64 { return float64(snip.stats().rotated) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rfwarden_snippets_uploaded_total",
				Help: "Kept snippets sent to the dashboard on the evidence topic."}, func() float64 { return float64(snip.stats().uploaded) }))
	}
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// lossCounts are what the agent counts as lost or failed since start,
// as health reports them.
type lossCounts struct {
	outboxDropped  int64 // health's outbox_dropped, never decreasing
	droppedSamples int64 // dropped_samples
	sourceErrors   int64 // usb_errors
	overloads      int64 // overload_count
}

// registerLoss registers on r a counter for each of the lossCounts that
// loss returns, so that data lost and receiver faults reach Prometheus,
// not the health report alone.
func registerLoss(r prometheus.Registerer, loss func() lossCounts) error {
	for _, c := range []struct {
		name, help string
		get        func(lossCounts) int64
	}{
		{"rfwarden_outbox_dropped_total", "Detections dropped undelivered: over the outbox's quota, or held in memory while its disk refused writes, beyond the bound or still at the sensor's stop (health's outbox_dropped).",
			func(l lossCounts) int64 { return l.outboxDropped }},
		{"rfwarden_dropped_samples_total", "Samples the receiver lost, USB overruns (health's dropped_samples).",
			func(l lossCounts) int64 { return l.droppedSamples }},
		{"rfwarden_source_errors_total", "Errors of the sample source: failed reads, streams that ended, failed retunes (health's usb_errors).",
			func(l lossCounts) int64 { return l.sourceErrors }},
		{"rfwarden_overload_total", "Samples clipped at the ADC's full scale (health's overload_count).",
			func(l lossCounts) int64 { return l.overloads }},
	} {
		get := c.get
		if err := r.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help},
			func() float64 { return float64(get(loss())) })); err != nil {
			return err
		}
	}
	return nil
}

func metricsHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}
