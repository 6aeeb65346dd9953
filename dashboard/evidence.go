package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/atomicfile"
	"github.com/rfwarden/rfwarden/internal/retrylog"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// MaxEvidenceBytes bounds one evidence message: a snippet of 50 ms at
// 20 Msps (cf32_le) is 8 MB.
const MaxEvidenceBytes = 64 << 20

// Errors of EvidenceSaver.Save, by what it refused.
var (
	ErrEvidenceName   = errors.New("not a snippet name")
	ErrEvidenceSensor = errors.New("sensor not in the site model")
	ErrEvidenceExists = errors.New("a snippet of that name exists")
)

// EvidenceSaver takes the messages of the sensors' evidence topic
// (event.EvidenceTopic: a snippet an alert asked to keep, as a SigMF
// archive) and writes each recording into a folder as NAME.sigmf-meta and
// NAME.sigmf-data, where the alert detail, the snippet download and the
// replay find it. It counts what it refuses by reason in
// rfwarden_dashboard_evidence_refused_total (Collectors).
type EvidenceSaver struct {
	dir     string
	site    *site.Site
	refused *prometheus.CounterVec
	quota   *Retention        // nil: no quota
	writes  *store.FileWrites // the outcome of the writes into dir, for WriteProblem

	// log, when not nil, is told of each refusal (SetLogger): at warning
	// level the first of each reason, then at most once a minute with how
	// many were not (retrylog), as the live feed's bad messages are.
	log   *slog.Logger
	now   func() time.Time // the rate limit's clock; nil: time.Now
	logMu sync.Mutex
	byWhy retrylog.Keyed // by refusal reason: a fixed few
}

// SetLogger makes Save log each refusal at warning level, the first of
// each reason (topic, size, name, sensor, exists, invalid, quota, write)
// and then at most once a minute with refused_not_logged, each at debug
// level. Every refusal was a warning: a sensor whose snippets a full
// folder refuses, or a hostile publisher, filled the journal.
func (s *EvidenceSaver) SetLogger(log *slog.Logger) { s.log = log }

// logRefusal logs err, a refusal for reason, as SetLogger says.
func (s *EvidenceSaver) logRefusal(reason string, err error) {
	if s.log == nil {
		return
	}
	why := clip(err.Error(), maxLoggedErr)
	s.log.Debug("dashboard: evidence refused", "reason", reason, "err", why)
	now := time.Now()
	if s.now != nil {
		now = s.now()
	}
	s.logMu.Lock()
	log, skipped := s.byWhy.FailedAs(reason, now)
	s.logMu.Unlock()
	if log {
		s.log.Warn("dashboard: evidence refused", "reason", reason, "err", why, "refused_not_logged", skipped)
	}
}

// SetQuota makes Save keep r's byte quota (Retention.EvidenceMaxBytes)
// over the folder: before a snippet is saved, the oldest snippets no open
// case needs are deleted to make room for it, and it is refused
// (ErrEvidenceQuota, reason "quota") only when the open cases' evidence
// alone leaves none. A failure to learn the open cases saves it anyway
// (the hourly retention run logs that failure).
func (s *EvidenceSaver) SetQuota(r *Retention) { s.quota = r }

// NewEvidenceSaver returns an EvidenceSaver writing into dir. With a site
// model st only the evidence of st's sensors, on st's topics, is taken.
func NewEvidenceSaver(dir string, st *site.Site) *EvidenceSaver {
	return &EvidenceSaver{dir: dir, site: st, refused: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rfwarden_dashboard_evidence_refused_total",
		Help: "Evidence snippets refused, by reason: topic, size, name (not named as the sending sensor names its snippets), sensor (not in the site model), exists (a different snippet of that name is saved), invalid (not a SigMF archive that opens), quota (the evidence of open cases alone fills RFW_EVIDENCE_MAX_BYTES), write.",
	}, []string{"reason"}), writes: store.NewFileWrites()}
}

// Collectors returns the saver's metrics, for the dashboard's registry.
func (s *EvidenceSaver) Collectors() []prometheus.Collector { return []prometheus.Collector{s.refused} }

// SaveEvidence saves one evidence message into dir, taking any sensor's
// (an EvidenceSaver with no site model).
func SaveEvidence(dir, topic string, payload []byte) (string, error) {
	return NewEvidenceSaver(dir, nil).Save(topic, payload)
}

// Save writes the recording of one evidence message on topic. The
// recording must be named as the sending sensor names its snippets
// (SnippetOf), must open as a SigMF recording (its metadata fitting its
// data), and, with a site model, its sensor must be in it. A snippet
// already saved is never replaced: the same recording again (a QoS 1
// message delivered twice) is taken as saved, taking no room under the
// quota (it evicts nothing and is never refused for it), another is
// refused (ErrEvidenceExists). Save returns the name, or an error naming the
// problem; nothing is written then.
func (s *EvidenceSaver) Save(topic string, payload []byte) (string, error) {
	start := time.Now()
	name, reason, err := s.save(topic, payload)
	switch {
	case err == nil:
		s.writes.Wrote(start, nil)
	case reason == "write":
		s.writes.Wrote(start, err)
	}
	if err != nil {
		s.refused.WithLabelValues(reason).Inc()
		err = fmt.Errorf("evidence on %q: %w", topic, err)
		s.logRefusal(reason, err)
		return "", err
	}
	return name, nil
}

// WriteProblem reports whether the evidence folder has refused every
// snippet's write for at least grace at now (the folder removed or never
// made, the disk full, permission denied): a *store.WriteError with the
// cause; nil while the latest write succeeded, before any, and while the
// refusals are younger than grace. /healthz reads it: the refused
// snippets were only counted (reason write) and logged, acknowledged
// away at the broker while /healthz said ok. It clears at the next
// snippet saved, or at WatchWrites' probe.
func (s *EvidenceSaver) WriteProblem(now time.Time, grace time.Duration) error {
	return s.writes.Problem(now, grace, "evidence folder", s.dir)
}

// WatchWrites clears WriteProblem by itself once the folder takes writes
// again, until ctx ends: while the latest write was refused, every
// interval (store.ProbeEvery when 0) it makes a hidden staging folder
// in the folder, as a save does, with a small file in it, and removes
// them. Snippets come rarely: /healthz stayed degraded after the folder
// was made or the disk freed until the next one.
func (s *EvidenceSaver) WatchWrites(ctx context.Context, interval time.Duration) {
	store.WatchRefused(ctx, interval, s.writes.Refusing, func(context.Context, time.Time) error { return s.probe() },
		func(start time.Time) { s.writes.Wrote(start, nil) })
}

// probe writes a small file in a staging folder of the evidence folder,
// durably, and removes both.
func (s *EvidenceSaver) probe() error {
	stage, err := os.MkdirTemp(s.dir, evidenceStagePrefix)
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	return atomicfile.Write(filepath.Join(stage, "probe"), make([]byte, 4096), 0o600)
}

// save is Save, returning the refusal's reason label with its error.
func (s *EvidenceSaver) save(topic string, payload []byte) (name, reason string, err error) {
	siteID, sensor, err := event.ParseEvidenceTopic(topic)
	if err != nil {
		return "", "topic", err
	}
	if s.site != nil {
		if siteID != s.site.ID {
			return "", "sensor", fmt.Errorf("%w: site %q is not the site model's %q", ErrEvidenceSensor, siteID, s.site.ID)
		}
		if _, ok := s.site.Sensor(sensor); !ok {
			return "", "sensor", fmt.Errorf("%w: sensor %q", ErrEvidenceSensor, sensor)
		}
	}
	if len(payload) > MaxEvidenceBytes {
		return "", "size", fmt.Errorf("%d bytes exceeds %d", len(payload), MaxEvidenceBytes)
	}
	// The recording is extracted into a hidden folder beside the snippets
	// (the replay skips hidden ones), then linked in: a link never
	// replaces a file, where the extraction renames over one. A stage a
	// crash left is removed by retention (PruneEvidenceStages).
	stage, err := os.MkdirTemp(s.dir, evidenceStagePrefix)
	if err != nil {
		return "", "write", err
	}
	defer os.RemoveAll(stage)
	archive := filepath.Join(stage, "evidence"+sigmf.ArchiveExt)
	if err := os.WriteFile(archive, payload, 0o600); err != nil {
		return "", "write", err
	}
	badName := false
	name, err = sigmf.ExtractArchive(archive, stage, func(name string) error {
		if !SnippetOf(sensor, name) || len(name) > 200 {
			badName = true
			return fmt.Errorf("%w of sensor %s", ErrEvidenceName, sensor)
		}
		return nil
	})
	switch {
	case badName:
		return "", "name", err
	case err != nil:
		return "", extractFailure(err), err
	}
	// A snippet already saved (a QoS 1 message delivered again, after
	// every sensor reconnect) is saved: it takes no room, so it neither
	// evicts other evidence nor is refused for the quota. One that differs
	// is refused before any room is made for it.
	same := 0
	for _, ext := range []string{sigmf.DataExt, sigmf.MetaExt} {
		src, dst := filepath.Join(stage, name+ext), filepath.Join(s.dir, name+ext)
		if _, err := os.Lstat(dst); err != nil {
			continue
		}
		if !sameContent(src, dst) {
			return "", "exists", fmt.Errorf("%w: %s differs from the recording received; not replaced", ErrEvidenceExists, filepath.Base(dst))
		}
		same++
	}
	if same == 2 {
		return name, "", nil
	}
	// room for it under the quota, once it is known to be a snippet
	// (the folder locked against retention's deletions until it is in)
	done, err := s.quota.makeRoom(context.Background(), int64(len(payload)))
	if errors.Is(err, ErrEvidenceQuota) {
		return "", "quota", err
	}
	defer done()
	// data first, metadata last: the replay and the alert detail look for
	// the metadata
	var linked []string
	for _, ext := range []string{sigmf.DataExt, sigmf.MetaExt} {
		src, dst := filepath.Join(stage, name+ext), filepath.Join(s.dir, name+ext)
		err := atomicfile.LinkNew(src, dst)
		if errors.Is(err, fs.ErrExist) && sameContent(src, dst) {
			continue // sent again
		}
		if err != nil {
			for _, p := range linked {
				os.Remove(p)
			}
			if errors.Is(err, fs.ErrExist) {
				return "", "exists", fmt.Errorf("%w: %s differs from the recording received; not replaced", ErrEvidenceExists, filepath.Base(dst))
			}
			return "", "write", err
		}
		linked = append(linked, dst)
	}
	return name, "", nil
}

// sameContent reports whether the regular files a and b hold the same
// bytes.
func sameContent(a, b string) bool {
	fa, err := os.Open(a)
	if err != nil {
		return false
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false
	}
	defer fb.Close()
	sa, erra := fa.Stat()
	sb, errb := fb.Stat()
	if erra != nil || errb != nil || !sa.Mode().IsRegular() || !sb.Mode().IsRegular() || sa.Size() != sb.Size() {
		return false
	}
	bufA, bufB := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		n, err := io.ReadFull(fa, bufA)
		if _, errB := io.ReadFull(fb, bufB[:n]); errB != nil || !bytes.Equal(bufA[:n], bufB[:n]) {
			return false
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return true // as long as b, which is as large
		}
		if err != nil {
			return false
		}
	}
}

// lengthKey reports whether KEY_ns is a length of time, not a moment:
// a detection's duration_ns and burst period_ns.
func lengthKey(base string) bool {
	for _, w := range []string{"duration", "period"} {
		if base == w || strings.HasSuffix(base, "_"+w) {
			return true
		}
	}
	return false
}

// SnippetOf reports whether name is one of sensor's snippet names, as the
// sensor agent names them: "snippet-" and one of its detection IDs
// (event.DetectionOf). The name alone tells the sensor: sensor wing has no
// name of sensor wing-a.
func SnippetOf(sensor, name string) bool {
	id, ok := strings.CutPrefix(name, "snippet-")
	return ok && event.DetectionOf(sensor, id)
}

// plainName reports whether s is made of letters, digits, '-' and '_'.
func plainName(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) < 0
}

// bundleJSON returns v (an incident's detail) as indented JSON for an
// evidence bundle, with, beside every non-zero nanosecond count (a key
// ending in "_ns"), the same time as an RFC 3339 string in the site's
// zone loc (the key ending in "_rfc3339" instead), and the zone as
// "time_zone": its IANA name zone, or else its offset at at. The
// nanosecond counts stay for the programs that read them.
func bundleJSON(v any, loc *time.Location, zone string, at time.Time) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("bundle json: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("bundle json: %w", err)
	}
	addRFC3339(doc, loc)
	if m, ok := doc.(map[string]any); ok {
		if zone == "" {
			zone = at.In(loc).Format("-07:00")
		}
		m["time_zone"] = zone
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("bundle json: %w", err)
	}
	return out, nil
}

// addRFC3339 adds KEY_rfc3339 beside every non-zero integer KEY_ns in the
// objects of doc, recursively, but for lengths of time (lengthKey).
func addRFC3339(doc any, loc *time.Location) {
	switch d := doc.(type) {
	case map[string]any:
		for k, v := range d {
			if base, ok := strings.CutSuffix(k, "_ns"); ok && !lengthKey(base) {
				n, isNum := v.(json.Number)
				if ns, err := n.Int64(); isNum && err == nil && ns != 0 {
					if _, taken := d[base+"_rfc3339"]; !taken {
						d[base+"_rfc3339"] = time.Unix(0, ns).In(loc).Format(time.RFC3339Nano)
					}
				}
				continue
			}
			addRFC3339(v, loc)
		}
	case []any:
		for _, v := range d {
			addRFC3339(v, loc)
		}
	}
}

// extractFailure is the refusal reason of a snippet whose archive did not
// extract: "write" when the folder refused the extracted files (a full
// disk: the archive, written first, fitted and its two files did not),
// which counts against the folder's write health (/healthz), "invalid"
// when the archive is not a SigMF recording. A full disk was counted as
// invalid snippets, and /healthz said ok.
func extractFailure(err error) string {
	if store.IsFileRefusal(err) {
		return "write"
	}
	return "invalid"
}
