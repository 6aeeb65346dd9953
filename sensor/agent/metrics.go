package agent

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type metrics struct {
	samples     prometheus.Counter
	detections  *prometheus.CounterVec
	revisit     *prometheus.GaugeVec
	outboxDepth prometheus.Gauge
	state       *prometheus.GaugeVec
	gain        *prometheus.GaugeVec
	agcChanges  *prometheus.CounterVec
}

func newMetrics(r prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		samples: prometheus.NewCounter(prometheus.CounterOpts{Name: "rfwarden_samples_total",
			Help: "Complex samples processed."}),
		detections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfwarden_detections_total",
			Help: "Detections enqueued, by class."}, []string{"class"}),
		revisit: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rfwarden_revisit_seconds",
			Help: "Achieved revisit time per band."}, []string{"band"}),
		outboxDepth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rfwarden_outbox_depth",
			Help: "Detections waiting in the outbox."}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rfwarden_sensor_state",
			Help: "1 for the sensor's current health state."}, []string{"state"}),
		gain: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rfwarden_gain_db",
			Help: "Receive gain applied per band (lowest of its tunings), dB, at the last health report."}, []string{"band"}),
		agcChanges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfwarden_agc_changes_total",
			Help: "Gain steps made by the AGC, by band and direction (down, up)."}, []string{"band", "direction"}),
	}
	for _, c := range []prometheus.Collector{m.samples, m.detections, m.revisit, m.outboxDepth, m.state, m.gain, m.agcChanges} {
		if err := r.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func metricsHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}
