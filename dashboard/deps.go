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
	Delete(ctx context.Context, id int64, user string) error
	History(ctx context.Context, id int64) ([]store.AuditEntry, error)
	ImportCSV(ctx context.Context, r io.Reader, user string, opts registry.ImportOptions) (registry.ImportResult, error)
	ExportCSV(ctx context.Context, w io.Writer) error
}

// Acker acknowledges an alert on behalf of a user and returns the updated alert.
type Acker interface {
	Ack(ctx context.Context, alertID, user, note string) (event.Alert, error)
}

// AckAnnouncer tells fusion of an acknowledgement the dashboard has
// stored (event.Ack on event.AckTopic), so fusion publishes the alert
// again with it to every other dashboard and output. It should return
// within about a second: it runs in the acknowledging request.
type AckAnnouncer interface {
	AnnounceAck(ctx context.Context, a event.Ack) error
}

// Link is a connection the dashboard needs, such as the live feed's to
// the MQTT broker (mqttlink.Link is one), for /healthz.
type Link interface {
	IsConnected() bool
	// Reason says why it is not connected, with the latest error.
	Reason() string
}

// SubscribingLink is a Link that also says whether the broker granted
// its subscription (cmd/rfwarden's live feed is one). A connection whose
// subscription the broker refused (its ACL, SUBACK 0x80) hears nothing
// while it stays connected: the live feed's state says so apart
// (FeedRefused), for a broken link goes by itself and an ACL does not.
type SubscribingLink interface {
	Link
	// SubscriptionRefused reports whether the broker has not granted the
	// subscription on the current connection (IsConnected is false then,
	// and Reason says why); false while it has, or has not answered yet.
	SubscriptionRefused() bool
}

// DatabaseWrites says whether the database refuses the dashboard's
// writes; *store.SQLite is one (its writes' outcome, store.WriteGrace).
type DatabaseWrites interface {
	WriteProblem(now time.Time, grace time.Duration) error
}

// EvidenceWrites says whether the evidence folder refuses the sensors'
// snippets; *EvidenceSaver is one.
type EvidenceWrites interface {
	WriteProblem(now time.Time, grace time.Duration) error
}

// ZoneStatus reports whether a zone is covered by working sensors: "ok" or "unknown".
type ZoneStatus interface {
	ZoneStatus(zone string) string
}

// ReplayOptions tune a replay run.
type ReplayOptions struct {
	// ThresholdDB is the least SNR, in dB above the noise floor, a detection
	// must have to be reported and annotated; 0 keeps every detection.
	ThresholdDB float64 `json:"threshold_db"`
	// PFA is the detector's per-cell false-alarm probability; 0 means the
	// pipeline default (1e-9). Lower finds fewer, stronger emissions.
	PFA float64 `json:"pfa"`
	// MaxSeconds analyses at most this much of the recording (of its
	// samples) from StartS; 0 means the Replayer's own cap, which it never
	// exceeds.
	MaxSeconds float64 `json:"max_seconds"`
	// StartS is where the analysis starts, in seconds from the
	// recording's first sample on the times the detections are given in
	// (ReplayDetection.StartS); 0 means its start.
	StartS float64 `json:"start_s"`
	// CenterHz chooses the tuning the spectrogram is drawn for, one of
	// ReplayResult.Tunings; 0 means the first one analysed.
	CenterHz float64 `json:"center_hz"`
	MaxRows  int     `json:"max_rows"` // spectrogram rows (time) after downsampling
	MaxCols  int     `json:"max_cols"` // spectrogram columns (frequency) after downsampling
	// Progress, when set, is told how the run goes: at once when it must
	// wait for the replay slot, and about every second while it waits;
	// then as it begins, about every progressEvery while it runs, and at
	// 100 when its samples are done. It is called on the run's goroutine
	// and must return soon.
	Progress func(ReplayProgress) `json:"-"`
}

// ReplayProgress is how far a replay run has got (ReplayOptions.Progress).
// A run waiting for the slot learns when the run holding it began and
// how far that one is, never whose it is or what it replays: the audit
// log (admins) says who replayed what.
type ReplayProgress struct {
	Waiting bool `json:"waiting"` // for the replay slot, which another run holds
	// DonePct is the share of the run's samples analysed, 0..100.
	DonePct float64 `json:"done_pct"`
	// OtherStarted and OtherDonePct are, while Waiting, when the run
	// holding the slot got it and its DonePct.
	OtherStarted time.Time `json:"other_started,omitzero"`
	OtherDonePct float64   `json:"other_done_pct,omitzero"`
}

// Spectrogram is a downsampled time x frequency power matrix of one
// tuning (CenterHz) of the analysed stretch: its samples at that tuning,
// in order, DurationS of them, row t covering [t, t+1)·DurationS/len(RowsDB)
// of them (a recording's captures of the tuning may lie seconds apart:
// RowStartS says when each row begins), and column f the frequency span
// FreqLowHz + [f, f+1)·(FreqHighHz−FreqLowHz)/len(RowsDB[t]).
type Spectrogram struct {
	CenterHz   float64     `json:"center_hz"`
	DurationS  float64     `json:"duration_s"` // of samples at this tuning
	FreqLowHz  float64     `json:"freq_low_hz"`
	FreqHighHz float64     `json:"freq_high_hz"`
	NFFT       int         `json:"nfft,omitempty"` // FFT length of the frames averaged into each cell
	RowsDB     [][]float32 `json:"rows_db"`        // RowsDB[t][f], mean power per FFT bin, dBFS
	// RowStartS is the time each row begins, on the clock of
	// ReplayDetection.StartS.
	RowStartS []float64 `json:"row_start_s"`
}

// ReplayTuning is one tuning of the analysed stretch of a recording.
type ReplayTuning struct {
	CenterHz   float64 `json:"center_hz"`
	DurationS  float64 `json:"duration_s"` // samples analysed at it, in seconds
	Captures   int     `json:"captures"`   // capture segments of it analysed
	Detections int     `json:"detections"` // reported at it
}

// SensorLabel is the sensor's own detection in an evidence snippet (an
// annotation with core:generator "rfwarden sensor") and what the replay
// found where it is.
type SensorLabel struct {
	DetectionID string  `json:"detection_id,omitempty"` // the annotation's core:comment
	Label       string  `json:"label"`
	Class       string  `json:"class,omitempty"` // rfw:class, when the sensor wrote it
	Link        string  `json:"link,omitempty"`
	StartS      float64 `json:"start_s"`
	EndS        float64 `json:"end_s"`
	FreqLowHz   float64 `json:"freq_low_hz,omitempty"`
	FreqHighHz  float64 `json:"freq_high_hz,omitempty"`
	// Confirmed: a replay detection overlapping it in time and frequency
	// has its class (its label, when the sensor wrote no class).
	Confirmed bool `json:"confirmed"`
	// Replay lists the labels of the replay detections overlapping it.
	Replay []string `json:"replay"`
	// Note says, when it is not confirmed, what the replay found instead.
	Note string `json:"note,omitempty"`
}

// ReplayDetection is one detection found in a replayed recording.
type ReplayDetection struct {
	// StartS and EndS are seconds from the recording's first sample, as
	// `rfwarden scan` gives start_s: counting the time between captures
	// when each has a core:datetime, else samples over the rate.
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
	// Time is when it began, when the recording is dated.
	Time         time.Time `json:"time,omitzero"`
	TuneCenterHz float64   `json:"tune_center_hz"` // the tuning it was heard at
	// OnSpectrogram: it is at the spectrogram's tuning, where SpecY0 and
	// SpecY1 (0..1, top to bottom) place it.
	OnSpectrogram bool    `json:"on_spectrogram"`
	SpecY0        float64 `json:"spec_y0"`
	SpecY1        float64 `json:"spec_y1"`
	FreqLowHz     float64 `json:"freq_low_hz"`
	FreqHighHz    float64 `json:"freq_high_hz"`
	CenterHz      float64 `json:"center_hz,omitempty"`
	BandwidthHz   float64 `json:"bandwidth_hz,omitempty"`
	Class         string  `json:"class,omitempty"` // event class: lte, nr, gsm, wifi, droneid, ... or unknown
	Link          string  `json:"link,omitempty"`  // uplink, downlink or unknown
	Band          string  `json:"band,omitempty"`  // band plan name, e.g. "n78"
	Confidence    float64 `json:"confidence,omitempty"`
	Label         string  `json:"label"`    // human label from the classifier
	PowerDB       float64 `json:"power_db"` // mean band power, dBFS
	SNRDB         float64 `json:"snr_db"`
	SampleStart   int64   `json:"sample_start"`
	SampleCount   int64   `json:"sample_count"`
}

// ReplayResult is what a replay run produced.
type ReplayResult struct {
	Spectrogram Spectrogram       `json:"spectrogram"`
	Detections  []ReplayDetection `json:"detections"`
	Tunings     []ReplayTuning    `json:"tunings"` // of the analysed stretch, in the order first met
	// SensorLabels are the sensor's own detections of an evidence
	// snippet, each with the replay's verdict on it.
	SensorLabels []SensorLabel `json:"sensor_labels"`
	// Notes are what the analyst should know of the run: nothing found,
	// a sensor label not confirmed, part of the recording not analysed,
	// the noise floor judged against.
	Notes      []string `json:"notes"`
	RecordingS float64  `json:"recording_s"` // length of the whole recording, on the clock of StartS
	// AnalysedFromS and AnalysedToS bound the analysed stretch.
	AnalysedFromS  float64 `json:"analysed_from_s"`
	AnalysedToS    float64 `json:"analysed_to_s"`
	Truncated      bool    `json:"truncated"` // not all of the recording was analysed
	AnnotatedMeta  string  `json:"-"`         // path of the annotated .sigmf-meta file
	AnnotatedReady bool    `json:"annotated_ready"`
}

// Replayer runs a SigMF recording through the sensor pipeline. Errors
// wrapping ErrReplayInput are the caller's fault (bad path or options).
type Replayer interface {
	// Replay runs the recording at path (a .sigmf-meta or a .sigmf archive).
	Replay(ctx context.Context, path string, opts ReplayOptions) (ReplayResult, error)
	// Check reports whether Replay takes path, without reading its
	// samples: the path checks Replay makes first. The recordings list
	// offers only the paths Check takes.
	Check(path string) error
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
	Acker      Acker            // defaults to Alerts.Ack; New makes it an AuditedAcker (auditedAcker)
	Zones      ZoneStatus       // may be nil: every zone "ok"
	// Maintenance holds the sensors' maintenance windows, which fusion
	// reads; may be nil (then none can be set).
	Maintenance store.MaintenanceStore
	Replayer    Replayer // may be nil
	ReplayDir   string   // folder of recordings offered for replay (pairs and .sigmf archives; uploads go to its uploads/)
	SnippetDir  string   // folder of saved SigMF snippets (evidence)
	MaxUpload   int64    // upload limit in bytes; default 256 MiB
	// UploadDisk, when set, is the disk of ReplayDir (its Path there): an
	// upload is refused (507) before its body is read when storing it
	// (twice its size at most, staged and checked) could leave less than
	// its MinFreeBytes free. Nil: no check.
	UploadDisk *FreeSpace
	// BodyIdle is how long a request body may send nothing before the
	// request is cut (408); default 15 s. An upload (a recording, a
	// registry CSV) must send 64 KiB each BodyIdle: a slow upload that
	// keeps sending is not cut, a trickle is.
	BodyIdle time.Duration
	// BodyTimeout is how long reading any other request body (JSON, at
	// most 1 MiB) may take in all; default 30 s.
	BodyTimeout time.Duration
	// FeedWriteTimeout is how long one write to a live feed
	// (/api/v1/events) may wait for its client to take it; default 30 s.
	// A feed whose client stops reading, and does not close, is ended
	// then and its slot freed.
	FeedWriteTimeout time.Duration
	Metrics          *prometheus.Registry
	// MetricsToken, when set, protects /metrics: a scrape must send
	// "Authorization: Bearer <MetricsToken>". At least 16 characters of
	// RFC 6750 token syntax. Empty leaves /metrics open (loopback only).
	MetricsToken string
	Logger       *slog.Logger
	// Secure: TLS is in use. Cookies are set Secure, and the session
	// cookie is named with the __Host- prefix (SecureSessionCookie).
	Secure bool
	// AllowedHosts are the host names the dashboard answers to besides
	// IP literals, localhost and the machine's own name (os.Hostname,
	// and its first label): a request whose Host header is another is
	// answered 421 (checkHost), against DNS rebinding. Each as
	// ParseAllowedHosts gives it (RFW_ALLOWED_HOSTS); AnyHost ("*")
	// allows any, for a dashboard behind a proxy that checks the Host.
	AllowedHosts []string
	Now          func() time.Time
	// Location is the site's local time, in which the heatmap's hour of
	// day is read (as the registry reads its schedules) and the exports
	// and the UI show times; default UTC. Its IANA name goes to the UI
	// (GET /me); time.Local is named from $TZ or /etc/localtime.
	Location *time.Location
	// PlaceMinProb is fusion's Config.PlaceMinProb: a fix whose most likely
	// room has less is not counted on the heatmap, and the floor plan
	// outlines no room for it ("location uncertain"; GET /site gives it to
	// the UI). 0 means store.DefaultPlaceMinProb, fusion's default;
	// negative outlines every fix's room.
	PlaceMinProb float64
	// AckAnnouncer, when set, announces each acknowledgement to fusion
	// (a deployment's over MQTT; the demo's in the process). A
	// failed announcement is logged and counted, and the acknowledgement
	// stands: the announcer may hold it for the broker's return (the
	// deployment's does), and fusion adopts it from the store at the
	// alert's next reminder or change, whichever comes first.
	AckAnnouncer AckAnnouncer
	// Feed is the live feed's connection to the broker; nil without one.
	// While it is not connected /healthz answers 503 "degraded" with its
	// reason: the live feed, acknowledgements' announcements and evidence
	// do not work meanwhile. A SubscribingLink also tells the page
	// apart a subscription the broker refused (FeedRefused).
	Feed Link
	// Influx is InfluxDB, where the time series are read when fusion
	// writes them there (a *Probe); nil without it. While it does not
	// answer /healthz answers 503 "degraded" with its reason: the floor
	// plan's locations, the heatmap, detections and sensor health fail
	// meanwhile.
	Influx Link
	// StateDisk, when set, reports the free space on the disk of the
	// dashboard's state (its database and evidence folder): /healthz
	// answers 503 "degraded" while it is low, as SQLite's writes (alerts,
	// acknowledgements, the audit) fail when the disk fills.
	StateDisk DiskSpace
	// Database, when set, says whether the SQLite database refuses the
	// dashboard's writes (sessions, acknowledgements, the audit log, the
	// registry, accounts): /healthz answers 503 "degraded: database ..."
	// once every write has failed for store.WriteGrace, until one
	// succeeds.
	Database DatabaseWrites
	// Evidence, when set, says whether the evidence folder
	// (RFW_SNIPPET_DIR) refuses the sensors' snippets: /healthz answers
	// 503 "degraded: evidence ..." once every snippet's write has failed
	// for store.WriteGrace, until one succeeds; the snippets refused
	// meanwhile are lost (the broker has their acknowledgement).
	Evidence EvidenceWrites
	// SearchKeep is how long the handheld search outcomes are kept
	// (RFW_SEARCH_DAYS, which Retention prunes every hour): the search
	// list shows no outcome older. 0 shows every one stored.
	SearchKeep time.Duration

	// maxLocationScan and maxLocationTracks lower MaxLocationScan and
	// MaxLocationTracks (tests); 0 keeps them.
	maxLocationScan, maxLocationTracks int
	// hostname is os.Hostname unless a test sets it.
	hostname func() (string, error)
}

// DiskSpace reports whether a disk's free space is too low, and why
// (*FreeSpace is one).
type DiskSpace interface {
	Low() (reason string, low bool)
}
