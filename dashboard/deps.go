package dashboard

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
)

// Registry is the authorised-emitter registry as the dashboard uses it;
// *registry.Registry implements it.
type Registry interface {
	List(ctx context.Context) ([]registry.Entry, error)
	Get(ctx context.Context, id int64) (registry.Entry, error)
	Add(ctx context.Context, e registry.Entry, user string) (registry.Entry, error)
	Update(ctx context.Context, e registry.Entry, user string) (registry.Entry, error)
	Expire(ctx context.Context, id int64, user string, at time.Time) (registry.Entry, error)
	History(ctx context.Context, id int64) ([]store.AuditEntry, error)
	ImportCSV(ctx context.Context, r io.Reader, user string) (int, error)
	ExportCSV(ctx context.Context, w io.Writer) error
}

// Acker acknowledges an alert on behalf of a user and returns the updated alert.
type Acker interface {
	Ack(ctx context.Context, alertID, user, note string) (event.Alert, error)
}

// ZoneStatus reports whether a zone is covered by working sensors: "ok" or "unknown".
type ZoneStatus interface {
	ZoneStatus(zone string) string
}

// ReplayOptions tune a replay run.
type ReplayOptions struct {
	ThresholdDB float64 `json:"threshold_db"` // detection threshold above the noise floor; 0 means the pipeline default
	MaxRows     int     `json:"max_rows"`     // spectrogram rows (time) after downsampling
	MaxCols     int     `json:"max_cols"`     // spectrogram columns (frequency) after downsampling
}

// Spectrogram is a downsampled time x frequency power matrix.
type Spectrogram struct {
	DurationS  float64     `json:"duration_s"`
	FreqLowHz  float64     `json:"freq_low_hz"`
	FreqHighHz float64     `json:"freq_high_hz"`
	RowsDB     [][]float32 `json:"rows_db"` // RowsDB[t][f], dB
}

// ReplayDetection is one detection found in a replayed recording.
type ReplayDetection struct {
	StartS     float64 `json:"start_s"`
	EndS       float64 `json:"end_s"`
	FreqLowHz  float64 `json:"freq_low_hz"`
	FreqHighHz float64 `json:"freq_high_hz"`
	Label      string  `json:"label"`
	PowerDB    float64 `json:"power_db"`
}

// ReplayResult is what a replay run produced.
type ReplayResult struct {
	Spectrogram    Spectrogram       `json:"spectrogram"`
	Detections     []ReplayDetection `json:"detections"`
	AnnotatedMeta  string            `json:"-"` // path of the annotated .sigmf-meta file
	AnnotatedReady bool              `json:"annotated_ready"`
}

// Replayer runs a SigMF recording through the sensor pipeline.
type Replayer interface {
	Replay(ctx context.Context, path string, opts ReplayOptions) (ReplayResult, error)
}

// Deps are the dashboard's collaborators. Users, Alerts and TimeSeries are
// required; the rest are optional and their pages answer 503 when absent.
type Deps struct {
	Users      *Users           // local accounts and sessions
	Site       *site.Site       // site model for floor plans; may be nil
	Hub        *Hub             // live feed; a new one is made when nil
	TimeSeries store.TimeSeries // detections, locations, heatmap, health
	Alerts     store.AlertStore // alerts and incidents
	Auditor    store.Auditor    // audit log; may be nil (then nothing is audited)
	Registry   Registry         // may be nil
	Acker      Acker            // defaults to Alerts.Ack
	Zones      ZoneStatus       // may be nil: every zone "ok"
	Replayer   Replayer         // may be nil
	ReplayDir  string           // folder of recordings offered for replay (and where uploads go)
	SnippetDir string           // folder of saved SigMF snippets (evidence)
	MaxUpload  int64            // upload limit in bytes; default 256 MiB
	Metrics    *prometheus.Registry
	Logger     *slog.Logger
	Secure     bool // set cookies Secure (TLS in use)
	Now        func() time.Time
}
