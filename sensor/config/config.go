package config

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/firmware/hackrf"
	"github.com/rfwarden/rfwarden/internal/listenaddr"
	"github.com/rfwarden/rfwarden/internal/mqttlink"
	"github.com/rfwarden/rfwarden/internal/yamlstrict"
	"github.com/rfwarden/rfwarden/sensor/scan"
)

// MaxFileBytes bounds a config file.
const MaxFileBytes = 1 << 20

// ErrInvalid is wrapped by every error about a config's content.
var ErrInvalid = errors.New("invalid sensor config")

// Source kinds.
const (
	SourceHackRF         = "hackrf"
	SourceHackRFTransfer = "hackrf_transfer"
	SourceFile           = "file"
	SourceSim            = "sim"
)

// Band kinds of the scan plan.
const (
	KindSweep = "sweep"
	KindDwell = "dwell"
)

// Config is one node's configuration.
type Config struct {
	Site        string        `yaml:"site"`
	Sensor      string        `yaml:"sensor"`
	MQTT        MQTT          `yaml:"mqtt"`
	Outbox      Outbox        `yaml:"outbox"`
	Snippets    Snippets      `yaml:"snippets"`
	Source      Source        `yaml:"source"`
	Bands       []Band        `yaml:"bands"`
	Gains       []Gain        `yaml:"gains"`
	Health      Health        `yaml:"health"`
	Tamper      Tamper        `yaml:"tamper"`
	AGC         AGC           `yaml:"agc"`
	SpectrumDur time.Duration `yaml:"spectrum_interval"`
	// LabelReuse: an emission returning on the same band edges within
	// 100 ms takes the earlier one's label for up to this long instead of
	// being classified again (pipeline.Config.LabelReuse); 0s classifies
	// every emission. Default 1s.
	LabelReuse time.Duration `yaml:"label_reuse"`
	HTTPAddr   string        `yaml:"http_addr"` // optional /healthz and /metrics listener
	// RefFloor is the reference noise floor each tuning keeps, across
	// restarts too (docs/detection.md, "Long calls").
	RefFloor RefFloor `yaml:"reference_floor"`
}

// RefFloor configures the reference noise floor (pipeline.Config's
// RefFloorOverDB): per tuning and gain, the quiet band as the sensor has
// known it, which a continuous emitter raises only slowly, kept in a file
// across restarts.
type RefFloor struct {
	// OverDB: each detector bin's learnt floor stays at most this many dB
	// over the reference (moved with the band as a whole). Default 6;
	// negative: off (no reference, no file: the floor as before
	// 2026-12-06).
	OverDB float64 `yaml:"over_db"`
	// RiseDBPerHour: how fast the reference may rise, in dB per hour of
	// a tuning's stream time. Default 1.
	RiseDBPerHour float64 `yaml:"rise_db_per_hour"`
	// File keeps the references across restarts, written atomically every
	// SaveEvery and at a clean stop, read at start. Default: "" for
	// reference-floor.json in outbox.dir. Delete it after moving the
	// sensor or changing its antenna.
	File string `yaml:"file"`
	// SaveEvery is how often the file is written. Default 5m.
	SaveEvery time.Duration `yaml:"save_every"`
}

// RefFloorFile is the reference floor file's name in outbox.dir when
// reference_floor.file is not set.
const RefFloorFile = "reference-floor.json"

// RefFloorPath returns the reference floor file's path:
// reference_floor.file, or RefFloorFile in outbox.dir.
func (c Config) RefFloorPath() string {
	if c.RefFloor.File != "" {
		return c.RefFloor.File
	}
	return filepath.Join(c.Outbox.Dir, RefFloorFile)
}

// MQTT is the broker connection.
type MQTT struct {
	// URL is the broker's: tcp://HOST:PORT, or ssl://HOST:PORT (also
	// tls://, mqtts://) for TLS, ws:// or wss:// for MQTT over WebSocket;
	// TLS whenever CAFile or CertFile is set.
	URL      string `yaml:"url"`
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// Username is the node's broker user; the broker's ACL (%u in
	// deploy/mosquitto/rfwarden.acl) lets it write only under its own
	// sensor ID, so it must be the sensor ID unless CustomACL. Empty: none
	// sent (a client certificate's CN is the username).
	Username string `yaml:"username"`
	// PasswordFile holds the password on its first line; the sensor reads
	// it at start and again whenever the broker refuses the password (a
	// rotation, docs/deploy.md §3).
	PasswordFile string `yaml:"password_file"`
	// CustomACL says the broker has this node's own user block letting
	// Username write the sensor ID's topics (docs/deploy.md §3): only then
	// may Username differ from the sensor ID. Mosquitto acknowledges a
	// publish its ACL denies, so without it the node looks healthy while
	// every message it sends is discarded.
	CustomACL bool `yaml:"custom_acl"`
	// KeepAliveDur is the MQTT keep-alive: 1s to MaxKeepAlive. Default 30s.
	KeepAliveDur time.Duration `yaml:"keepalive"`
	AckTimeout   time.Duration `yaml:"ack_timeout"`
	// MaxInflight is how many detections may await their PUBACK at once
	// (publish.Sender.Window); 1 sends one at a time. Default 16.
	MaxInflight int `yaml:"max_inflight"`
}

// MaxKeepAlive is the longest mqtt.keepalive: MQTT carries the keep-alive
// as a 16-bit count of seconds, and paho truncates a longer one to 16 bits.
const MaxKeepAlive = 65535 * time.Second

// Outbox is the durable on-disk queue of detections.
type Outbox struct {
	Dir          string `yaml:"dir"`
	QuotaBytes   int64  `yaml:"quota_bytes"`
	SegmentBytes int64  `yaml:"segment_bytes"`
}

// Snippets bounds the triggered SigMF IQ snippets. Past MaxCount or
// MaxBytes the oldest snippet is deleted to make room, unless an alert
// asked to keep it (fusion's keep command): a kept one is deleted only once
// sent to the dashboard (Upload), after every one not kept, and when kept
// ones not sent fill the bounds new snippets are skipped.
type Snippets struct {
	Dir      string        `yaml:"dir"` // empty disables snippets
	MaxCount int           `yaml:"max_count"`
	MaxBytes int64         `yaml:"max_bytes"`
	Dur      time.Duration `yaml:"duration"`
	// Every is the least stream time between two snippets of one emitter
	// (the same RF centre within 100 kHz), so that one chatty handset does
	// not rotate every other emitter's snippets out within a minute;
	// 0 saves one for every triggering detection.
	Every time.Duration `yaml:"every"`
	// Upload sends each kept snippet once, as a SigMF archive, on the
	// site's evidence topic for the dashboard (event.EvidenceTopic), and
	// marks it NAME.sent. Default true; off where the dashboard reads this
	// folder itself (the demo): a kept snippet then counts as delivered,
	// and rotates out, oldest first, after every one not kept.
	Upload bool `yaml:"upload"`
}

// Source selects and parameterises the sample source.
type Source struct {
	Kind         string  `yaml:"kind"`
	Path         string  `yaml:"path"` // file source
	Serial       string  `yaml:"serial"`
	SampleRateHz float64 `yaml:"sample_rate_hz"`
	Seed         int64   `yaml:"seed"` // sim source
	// SiteFile is, for the sim source, a site file (docs/site.md) to
	// simulate instead of the demo wing (sim.FromSite); the node's
	// sensor: must be one of its sensors. Load makes a relative path
	// relative to the node config's folder.
	SiteFile string `yaml:"site_file"`
	// DatasetRoot is, for the file source, the folder the samples an
	// rfw:dataset of path's metadata names must be in, after links, as
	// scan's --dataset-root (sigmf.Overrides.DatasetRoot); empty, the
	// metadata's own folder.
	DatasetRoot string `yaml:"dataset_root"`
}

// Band is one entry of the scan plan.
type Band struct {
	Name       string        `yaml:"name"`
	LowHz      float64       `yaml:"low_hz"`
	HighHz     float64       `yaml:"high_hz"`
	Priority   int           `yaml:"priority"`
	Dwell      time.Duration `yaml:"dwell"`
	Kind       string        `yaml:"kind"` // sweep | dwell
	MaxRevisit time.Duration `yaml:"max_revisit"`
}

// Gain is one row of the gain table: the receive gain used in [LowHz, HighHz).
type Gain struct {
	LowHz  float64 `yaml:"low_hz"`
	HighHz float64 `yaml:"high_hz"`
	GainDB float64 `yaml:"gain_db"`
}

// Health configures the heartbeat.
type Health struct {
	IntervalDur time.Duration `yaml:"interval"`
}

// Tamper holds the thresholds of the tamper and jamming detector.
type Tamper struct {
	CollapseDB    float64       `yaml:"collapse_db"`    // floor this far below baseline: tampered
	RiseDB        float64       `yaml:"rise_db"`        // floor this far above baseline: jammed
	ClipFraction  float64       `yaml:"clip_fraction"`  // fraction of clipped samples: overloaded
	StallDur      time.Duration `yaml:"stall"`          // no block for this long: stalled
	BaselineAlpha float64       `yaml:"baseline_alpha"` // EWMA weight of the baseline
	PersistBlocks int           `yaml:"persist_blocks"` // consecutive blocks before a state is raised
}

// AGC configures the agent's automatic gain control, kept per tuning, for
// sources that can change their gain (HackRF, simulator; a file cannot).
// The gain-table gain of a tuning is its ceiling: the AGC only takes gain
// away when the ADC clips and gives it back when the signal is far below
// full scale.
type AGC struct {
	Enabled bool `yaml:"enabled"`
	// ClipFraction: a block with a larger fraction of clipped samples is a
	// clipping block.
	ClipFraction float64 `yaml:"clip_fraction"`
	// ClipBlocks clipping blocks among the last 8 of a tuning step the gain
	// down by StepDownDB (bursty signals clip only some blocks).
	ClipBlocks int     `yaml:"clip_blocks"`
	StepDownDB float64 `yaml:"step_down_db"`
	// LowBlocks consecutive blocks whose peak is below LowPeakDBFS step the
	// gain up by StepUpDB, up to the gain table's. LowPeakDBFS+StepUpDB must
	// stay 3 dB below full scale, so a step up cannot cause the next step
	// down (hysteresis).
	LowPeakDBFS float64 `yaml:"low_peak_dbfs"`
	LowBlocks   int     `yaml:"low_blocks"`
	StepUpDB    float64 `yaml:"step_up_db"`
	MinGainDB   float64 `yaml:"min_gain_db"`
}

// Default returns a Config with every default set.
func Default() Config {
	return Config{
		MQTT:     MQTT{URL: "tcp://127.0.0.1:1883", KeepAliveDur: 30 * time.Second, AckTimeout: 10 * time.Second, MaxInflight: 16},
		Outbox:   Outbox{Dir: "outbox", QuotaBytes: 256 << 20, SegmentBytes: 4 << 20},
		Snippets: Snippets{MaxCount: 100, MaxBytes: 512 << 20, Dur: 50 * time.Millisecond, Every: 10 * time.Second, Upload: true},
		Source:   Source{Kind: SourceSim, SampleRateHz: 20e6},
		Health:   Health{IntervalDur: 10 * time.Second},
		Tamper: Tamper{CollapseDB: 6, RiseDB: 15, ClipFraction: 0.01, StallDur: 5 * time.Second,
			BaselineAlpha: 0.02, PersistBlocks: 3},
		AGC: AGC{Enabled: true, ClipFraction: 0.0005, ClipBlocks: 2, StepDownDB: 8,
			LowPeakDBFS: -20, LowBlocks: 100, StepUpDB: 2},
		SpectrumDur: 2 * time.Second,
		LabelReuse:  time.Second,
		RefFloor:    RefFloor{OverDB: 6, RiseDBPerHour: 1, SaveEvery: 5 * time.Minute},
	}
}

// Load reads and parses the config file at path.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("open sensor config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("read sensor config %q: %w", path, err)
	}
	c, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("sensor config %q: %w", path, err)
	}
	if f := c.Source.SiteFile; f != "" && !filepath.IsAbs(f) {
		c.Source.SiteFile = filepath.Join(filepath.Dir(path), f)
	}
	return c, nil
}

// Parse decodes data strictly over the defaults and validates the result.
// Its errors carry the line and column of the problem, the key as written
// and the line itself, from the YAML decoder and from Validate alike (a
// key the file leaves out, whose default was refused, has no line).
func Parse(data []byte) (Config, error) {
	if len(data) > MaxFileBytes {
		return Config{}, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, MaxFileBytes)
	}
	c := Default()
	if err := decodeYAML(data, &c); err != nil {
		return Config{}, err
	}
	for i := range c.Bands {
		b := &c.Bands[i]
		if b.Kind == "" {
			b.Kind = KindSweep
		}
		if b.Dwell == 0 {
			b.Dwell = 10 * time.Millisecond
		}
		if b.MaxRevisit == 0 {
			b.MaxRevisit = 2 * time.Second
		}
	}
	if err := c.Validate(); err != nil {
		// a value that does not validate, at its line in data
		var ke *keyError
		if errors.As(err, &ke) {
			return Config{}, fmt.Errorf("%w: %w", ErrInvalid, yamlstrict.At(data, ke.key, ke.msg))
		}
		return Config{}, err
	}
	return c, nil
}

// keyError is a value of the config that does not validate: key is its
// path as written in node.yaml (mqtt.url, bands[2].low_hz). Parse turns it
// into an error that also gives the key's line and column.
type keyError struct{ key, msg string }

func (e *keyError) Error() string { return ErrInvalid.Error() + ": " + e.key + ": " + e.msg }
func (e *keyError) Unwrap() error { return ErrInvalid }

// Validate reports the first problem with c, naming the key as written in
// node.yaml. A source that tunes (hackrf, hackrf_transfer, sim) must run at
// a sample rate and over bands a HackRF can (hackrf.MinSampleRateHz and
// companions): a config that validates also starts.
func (c Config) Validate() error {
	bad := func(key, format string, args ...any) error {
		return &keyError{key: key, msg: fmt.Sprintf(format, args...)}
	}
	urlErr := checkBrokerURL(c.MQTT)
	switch {
	case !event.ValidID(c.Site):
		return bad("site", "%q is not a valid ID ([A-Za-z0-9_-], 1..64)", c.Site)
	case !event.ValidID(c.Sensor):
		return bad("sensor", "%q is not a valid ID ([A-Za-z0-9_-], 1..64)", c.Sensor)
	case c.MQTT.URL == "":
		return bad("mqtt.url", "missing")
	case c.MQTT.Username != "" && c.MQTT.Username != c.Sensor && !c.MQTT.CustomACL:
		return bad("mqtt.username", "%q is not the sensor ID %q: the broker's ACL lets a user write only under its own name, and Mosquitto acknowledges and discards the rest; set it to the sensor ID, or set mqtt.custom_acl: true if the broker has this node's own user block (docs/deploy.md §3)", c.MQTT.Username, c.Sensor)
	case c.MQTT.CertFile != "" && c.MQTT.KeyFile == "":
		return bad("mqtt.cert_file", "given without mqtt.key_file: give both cert_file and key_file or neither")
	case c.MQTT.CertFile == "" && c.MQTT.KeyFile != "":
		return bad("mqtt.key_file", "given without mqtt.cert_file: give both cert_file and key_file or neither")
	case urlErr != nil:
		return bad("mqtt.url", "%v", urlErr)
	case c.MQTT.KeepAliveDur < time.Second:
		return bad("mqtt.keepalive", "%v: must be >= 1s", c.MQTT.KeepAliveDur)
	case c.MQTT.KeepAliveDur > MaxKeepAlive:
		return bad("mqtt.keepalive", "%v: must be at most 65535s (%v): MQTT carries the keep-alive as a 16-bit count of seconds, and a longer one wraps (24h reached the broker as 20864s, 65536s as 0, keep-alive off)", c.MQTT.KeepAliveDur, MaxKeepAlive)
	case c.MQTT.AckTimeout <= 0:
		return bad("mqtt.ack_timeout", "%v: must be > 0", c.MQTT.AckTimeout)
	case c.MQTT.AckTimeout > MaxAckTimeout:
		return bad("mqtt.ack_timeout", "%v: must be at most %v: a PUBACK that never comes holds its detection back, unsent again, for as long (default 10s)", c.MQTT.AckTimeout, MaxAckTimeout)
	case c.MQTT.MaxInflight < 1 || c.MQTT.MaxInflight > 1024:
		return bad("mqtt.max_inflight", "%d not in 1..1024", c.MQTT.MaxInflight)
	case c.Outbox.Dir == "":
		return bad("outbox.dir", "missing")
	case math.IsNaN(c.RefFloor.OverDB) || c.RefFloor.OverDB >= 0 && c.RefFloor.OverDB < 1 || c.RefFloor.OverDB > 30:
		return bad("reference_floor.over_db", "%v: want 1..30 dB (default 6), or negative for no reference floor", c.RefFloor.OverDB)
	case !(c.RefFloor.RiseDBPerHour > 0 && c.RefFloor.RiseDBPerHour <= 60):
		return bad("reference_floor.rise_db_per_hour", "%v: want more than 0 and at most 60 dB per hour (default 1)", c.RefFloor.RiseDBPerHour)
	case c.RefFloor.SaveEvery < 10*time.Second || c.RefFloor.SaveEvery > time.Hour:
		return bad("reference_floor.save_every", "%v: want 10s..1h (default 5m)", c.RefFloor.SaveEvery)
	case c.RefFloor.File != "" && (strings.HasSuffix(c.RefFloor.File, "/") || filepath.Base(c.RefFloor.File) == "."):
		return bad("reference_floor.file", "%q is a folder: give a file's path (default: %s in outbox.dir)", c.RefFloor.File, RefFloorFile)
	case c.Outbox.SegmentBytes < 4096:
		return bad("outbox.segment_bytes", "%d is below 4096", c.Outbox.SegmentBytes)
	case c.Outbox.QuotaBytes < 2*c.Outbox.SegmentBytes:
		return bad("outbox.quota_bytes", "%d must be at least twice segment_bytes (%d)", c.Outbox.QuotaBytes, c.Outbox.SegmentBytes)
	case c.Snippets.MaxCount < 0:
		return bad("snippets.max_count", "limits must not be negative")
	case c.Snippets.MaxBytes < 0:
		return bad("snippets.max_bytes", "limits must not be negative")
	case c.Snippets.Dur < 0:
		return bad("snippets.duration", "limits must not be negative")
	case c.Snippets.Every < 0:
		return bad("snippets.every", "limits must not be negative")
	case c.Snippets.Dir != "" && c.Snippets.Dur == 0:
		return bad("snippets.duration", "0s with snippets.dir set saves nothing: give the IQ to keep around a detection (default 50ms), or leave snippets.dir empty to keep none")
	case c.Snippets.Dir != "" && c.Snippets.MaxCount == 0:
		return bad("snippets.max_count", "0 with snippets.dir set saves nothing: give how many snippets to keep (default 100), or leave snippets.dir empty to keep none")
	case c.Snippets.Dir != "" && c.Snippets.MaxBytes == 0:
		return bad("snippets.max_bytes", "0 with snippets.dir set saves nothing: give the bytes the snippets may take (default 536870912), or leave snippets.dir empty to keep none")
	case c.Health.IntervalDur < time.Second:
		return bad("health.interval", "%v is below 1s", c.Health.IntervalDur)
	case c.Health.IntervalDur > MaxHealthInterval:
		return bad("health.interval", "%v: must be at most %v: the health report carries the node's losses and revisits to fusion and the dashboard, and fusion takes a site whose sensors send nothing for --sensor-silence (2m) as unheard (default 10s)", c.Health.IntervalDur, MaxHealthInterval)
	case c.SpectrumDur < 0:
		return bad("spectrum_interval", "must not be negative")
	case c.LabelReuse < 0:
		return bad("label_reuse", "must not be negative (0s classifies every emission)")
	case c.LabelReuse > MaxLabelReuse:
		return bad("label_reuse", "%v: must be at most %v: a carrier that keeps coming back keeps the label it was given for as long, so what comes on its band edges later is not classified again (default 1s)", c.LabelReuse, MaxLabelReuse)
	case !(c.Tamper.CollapseDB > 0 && c.Tamper.CollapseDB <= 200):
		return bad("tamper.collapse_db", "%v: tamper.collapse_db and tamper.rise_db must be in (0, 200] dB", c.Tamper.CollapseDB)
	case !(c.Tamper.RiseDB > 0 && c.Tamper.RiseDB <= 200):
		return bad("tamper.rise_db", "%v: tamper.collapse_db and tamper.rise_db must be in (0, 200] dB", c.Tamper.RiseDB)
	case !(c.Tamper.ClipFraction > 0 && c.Tamper.ClipFraction <= 1): // NaN too
		return bad("tamper.clip_fraction", "%v not in (0,1]", c.Tamper.ClipFraction)
	case c.Tamper.StallDur <= 0:
		return bad("tamper.stall", "must be positive")
	case c.Tamper.StallDur > MaxStall:
		return bad("tamper.stall", "%v: must be at most %v: a board that stopped sending is reported stalled, and restarted, only after it (default 5s)", c.Tamper.StallDur, MaxStall)
	case !(c.Tamper.BaselineAlpha > 0 && c.Tamper.BaselineAlpha <= 1):
		return bad("tamper.baseline_alpha", "%v not in (0,1]", c.Tamper.BaselineAlpha)
	case c.Tamper.PersistBlocks < 1:
		return bad("tamper.persist_blocks", "must be at least 1")
	case !(c.AGC.ClipFraction > 0 && c.AGC.ClipFraction <= 1):
		return bad("agc.clip_fraction", "%v not in (0,1]", c.AGC.ClipFraction)
	case c.AGC.ClipBlocks < 1 || c.AGC.ClipBlocks > 8:
		return bad("agc.clip_blocks", "%d not in 1..8 (clipping blocks among the last 8)", c.AGC.ClipBlocks)
	case c.AGC.LowBlocks < 1:
		return bad("agc.low_blocks", "must be at least 1")
	case !(c.AGC.StepDownDB > 0 && c.AGC.StepDownDB <= 40):
		return bad("agc.step_down_db", "%v: agc.step_down_db and agc.step_up_db must be in (0, 40]", c.AGC.StepDownDB)
	case !(c.AGC.StepUpDB > 0 && c.AGC.StepUpDB <= 40):
		return bad("agc.step_up_db", "%v: agc.step_down_db and agc.step_up_db must be in (0, 40]", c.AGC.StepUpDB)
	case !(c.AGC.LowPeakDBFS+c.AGC.StepUpDB <= -3):
		return bad("agc.low_peak_dbfs", "%v + step_up_db %v must be <= -3 dBFS, or a step up could clip", c.AGC.LowPeakDBFS, c.AGC.StepUpDB)
	case !(c.AGC.MinGainDB >= 0 && c.AGC.MinGainDB <= 120):
		return bad("agc.min_gain_db", "%v not in 0..120", c.AGC.MinGainDB)
	}
	if c.HTTPAddr != "" {
		if err := listenaddr.Check(c.HTTPAddr, listenaddr.SensorPort); err != nil {
			return bad("http_addr", "%v", err)
		}
	}
	tunes := false
	switch c.Source.Kind {
	case SourceHackRF, SourceHackRFTransfer, SourceSim:
		tunes = true
	case SourceFile:
		if c.Source.Path == "" {
			return bad("source.path", "missing for source kind %q", SourceFile)
		}
	default:
		return bad("source.kind", "%q is not one of hackrf, hackrf_transfer, file, sim", c.Source.Kind)
	}
	if c.Source.SiteFile != "" && c.Source.Kind != SourceSim {
		return bad("source.site_file", "set for source kind %q: only the sim source simulates a site file; remove it", c.Source.Kind)
	}
	// what the source kind is, for the messages about the HackRF's limits
	kind := "source.kind " + c.Source.Kind
	if c.Source.Kind == SourceSim {
		kind += ", which simulates a HackRF"
	}
	switch {
	case tunes && !(c.Source.SampleRateHz >= hackrf.MinSampleRateHz && c.Source.SampleRateHz <= hackrf.MaxSampleRateHz):
		return bad("source.sample_rate_hz", "%s is outside %v..%v Msps, what a HackRF samples at (%s)",
			rateString(c.Source.SampleRateHz), hackrf.MinSampleRateHz/1e6, hackrf.MaxSampleRateHz/1e6, kind)
	case !tunes && !(c.Source.SampleRateHz > 0 && c.Source.SampleRateHz <= 100e6):
		return bad("source.sample_rate_hz", "%v out of range (0, 100e6]", c.Source.SampleRateHz)
	}
	if len(c.Bands) == 0 {
		return bad("bands", "need at least one band")
	}
	if len(c.Bands) > 256 {
		return bad("bands", "%d listed, at most 256 (each health report lists every band)", len(c.Bands))
	}
	names := map[string]bool{}
	for i, b := range c.Bands {
		key := fmt.Sprintf("bands[%d]", i)
		switch {
		case b.Name == "" || len(b.Name) > 64:
			return bad(key+".name", "must be 1..64 characters")
		case names[b.Name]:
			return bad(key+".name", "%q repeated", b.Name)
		case !(b.LowHz > 0):
			return bad(key+".low_hz", "band %q: need 0 < low_hz < high_hz <= 1e11", b.Name)
		case !(b.HighHz > b.LowHz) || b.HighHz > 1e11:
			return bad(key+".high_hz", "band %q: need 0 < low_hz < high_hz <= 1e11", b.Name)
		case b.Priority < 0 || b.Priority > 100:
			return bad(key+".priority", "band %q: priority %d not in 0..100", b.Name, b.Priority)
		case b.Dwell <= 0 || b.Dwell > time.Minute:
			return bad(key+".dwell", "band %q: dwell %v not in (0, 1m]", b.Name, b.Dwell)
		case b.Kind != KindSweep && b.Kind != KindDwell:
			return bad(key+".kind", "band %q: kind %q is not sweep or dwell", b.Name, b.Kind)
		case b.MaxRevisit < b.Dwell:
			return bad(key+".max_revisit", "band %q: max_revisit %v shorter than dwell %v", b.Name, b.MaxRevisit, b.Dwell)
		case b.MaxRevisit > MaxRevisit:
			return bad(key+".max_revisit", "band %q: max_revisit %v: must be at most %v: a band revisited this seldom misses whole calls, and its late revisits are only reported past it (default 2s)", b.Name, b.MaxRevisit, MaxRevisit)
		}
		// Below 1 MHz, where no HackRF tunes and no phone or drone
		// sends, an edge is a unit mistake whatever the source; above
		// 6 GHz only a recording (of another receiver) can be.
		for _, e := range []struct {
			name string
			hz   float64
		}{{"low_hz", b.LowHz}, {"high_hz", b.HighHz}} {
			switch {
			case e.hz < hackrf.MinCenterHz:
				return bad(key+"."+e.name, "%s is below %s, the lowest a HackRF tunes%s", hzString(e.hz), hzString(hackrf.MinCenterHz), unitHint(e.hz))
			case tunes && e.hz > hackrf.MaxCenterHz:
				return bad(key+"."+e.name, "%s is above %s, the highest a HackRF tunes (%s)", hzString(e.hz), hzString(hackrf.MaxCenterHz), kind)
			}
		}
		names[b.Name] = true
	}
	if tunes {
		// The plan a tuning source scans by: a config that validates also
		// starts (the agent builds the same plan).
		if _, err := scan.New(c.ScanBands(), c.Source.SampleRateHz, scan.Options{}); err != nil {
			return bad("bands", "%v", err)
		}
		if err := hackrf.CheckGain(c.AGC.MinGainDB); err != nil {
			return bad("agc.min_gain_db", "%v (%s)", err, kind)
		}
		// The AGC sets the gain it steps to: off a HackRF's 2 dB steps
		// it was set lower, without a word, at every step.
		for _, st := range []struct {
			key string
			db  float64
		}{{"agc.step_down_db", c.AGC.StepDownDB}, {"agc.step_up_db", c.AGC.StepUpDB}} {
			if math.Mod(st.db, hackrf.VGAGainStepDB) != 0 {
				return bad(st.key, "%v dB is not on a HackRF's 2 dB steps: a gain stepped by it would be set lower; give an even number of dB in 2..40 (%s)", st.db, kind)
			}
		}
	}
	for i, g := range c.Gains {
		key := fmt.Sprintf("gains[%d]", i)
		switch {
		case !(g.LowHz >= 0) || math.IsInf(g.LowHz, 0):
			return bad(key+".low_hz", "%v: need 0 <= low_hz < high_hz", g.LowHz)
		case !(g.HighHz > g.LowHz):
			return bad(key+".high_hz", "%v: need 0 <= low_hz < high_hz (the row is low_hz %v up to high_hz; above low_hz)", g.HighHz, g.LowHz)
		case !tunes && !(g.GainDB >= 0 && g.GainDB <= 120):
			return bad(key+".gain_db", "%v not in 0..120", g.GainDB)
		case tunes:
			if err := hackrf.CheckGain(g.GainDB); err != nil {
				return bad(key+".gain_db", "%v (%s)", err, kind)
			}
		}
	}
	return nil
}

// MaxAckTimeout is the longest mqtt.ack_timeout; MaxStall the longest
// tamper.stall; MaxHealthInterval the longest health.interval;
// MaxLabelReuse the longest label_reuse; MaxRevisit the longest band
// max_revisit.
const (
	MaxHealthInterval = 10 * time.Minute
	MaxLabelReuse     = time.Minute
	MaxRevisit        = 10 * time.Minute
	MaxAckTimeout     = 10 * time.Minute
	MaxStall          = time.Hour
)

// checkBrokerURL reports why m.URL is not a broker URL paho dials as
// meant (mqttlink.CheckURL: no scheme, as paho takes the URL for plain
// TCP even to a TLS port, a scheme paho does not know, no host or port),
// or a plain one while a CA or client certificate is configured (TLS was
// meant; the password would go in clear).
func checkBrokerURL(m MQTT) error {
	sch, err := mqttlink.CheckURL(m.URL)
	if err != nil {
		return err
	}
	for _, f := range []struct{ key, path string }{{"mqtt.ca_file", m.CAFile}, {"mqtt.cert_file", m.CertFile}} {
		if err := mqttlink.CheckTLSFile(sch, f.key, f.path); err != nil {
			return err
		}
	}
	return nil
}

// hzString is hz in the unit that reads best: 0.88 Hz, 100 kHz, 880 MHz,
// 10 GHz.
func hzString(hz float64) string {
	switch a := math.Abs(hz); {
	case a >= 1e9:
		return strconv.FormatFloat(hz/1e9, 'g', -1, 64) + " GHz"
	case a >= 1e6:
		return strconv.FormatFloat(hz/1e6, 'g', -1, 64) + " MHz"
	case a >= 1e3:
		return strconv.FormatFloat(hz/1e3, 'g', -1, 64) + " kHz"
	}
	return strconv.FormatFloat(hz, 'g', -1, 64) + " Hz"
}

// rateString is a sample rate in Msps.
func rateString(hz float64) string {
	return strconv.FormatFloat(hz/1e6, 'g', -1, 64) + " Msps"
}

// unitHint guesses the unit a band edge far below 1 MHz was written in:
// below 10 GHz, below 10 000 MHz; nothing for a value that reads as Hz.
func unitHint(hz float64) string {
	v := strconv.FormatFloat(hz, 'g', -1, 64)
	switch {
	case hz > 0 && hz < 10:
		return fmt.Sprintf(" (band edges are in Hz: is it in GHz? %s GHz is %se9)", v, v)
	case hz >= 10 && hz < 1e4:
		return fmt.Sprintf(" (band edges are in Hz: is it in MHz? %s MHz is %se6)", v, v)
	}
	return ""
}

// ScanBands returns the bands as the scan scheduler takes them.
func (c Config) ScanBands() []scan.Band {
	bands := make([]scan.Band, len(c.Bands))
	for i, b := range c.Bands {
		bands[i] = scan.Band{Name: b.Name, LowHz: b.LowHz, HighHz: b.HighHz, Priority: b.Priority,
			Dwell: b.Dwell, Kind: b.Kind, MaxRevisit: b.MaxRevisit}
	}
	return bands
}

// GainDB returns the gain-table gain for centerHz, and false when no row covers it.
func (c Config) GainDB(centerHz float64) (float64, bool) {
	for _, g := range c.Gains {
		if centerHz >= g.LowHz && centerHz < g.HighHz {
			return g.GainDB, true
		}
	}
	return 0, false
}

// decodeYAML decodes strictly into c, its errors naming the key, line and
// column. The YAML library can panic on some malformed input (found by
// FuzzParse); yamlstrict turns that panic into an error.
func decodeYAML(data []byte, c *Config) error {
	if err := yamlstrict.Decode(data, c); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}
