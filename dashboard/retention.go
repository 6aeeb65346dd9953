package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// ErrEvidenceQuota is Save's refusal of a snippet that does not fit the
// evidence folder's byte quota even after every snippet no open case
// needs has been deleted.
var ErrEvidenceQuota = errors.New("evidence folder over its quota with the evidence of open cases alone")

// Protector names the detections whose evidence snippets must be kept:
// those of open cases (store.SQLite.ProtectedDetections over the
// dashboard's site).
type Protector func(ctx context.Context) (map[string]bool, error)

// CaseStamp returns a number that changes whenever an alert or incident
// is written (store.SQLite.CaseChanges): while it stays the same, so do
// the open cases.
type CaseStamp func(ctx context.Context) (int64, error)

// CachedProtector is read, read again only when stamp has changed since
// its latest answer: at quota every arriving snippet asks for the open
// cases (makeRoom), in the MQTT handler that carries the live feed, and
// most of them arrive while no alert or incident changes. The stamp is
// read before the open cases, so an answer is never older than the stamp
// kept with it: a write between the two reads makes the next call read
// again. Without a stamp (its error) it reads every time, as before. The
// map returned is shared between calls: its users only read it.
func CachedProtector(stamp CaseStamp, read Protector) Protector {
	var (
		mu     sync.Mutex
		have   bool
		last   int64
		cached map[string]bool
	)
	return func(ctx context.Context) (map[string]bool, error) {
		n, err := stamp(ctx)
		if err != nil {
			return read(ctx)
		}
		mu.Lock()
		if have && n == last {
			p := cached
			mu.Unlock()
			return p, nil
		}
		mu.Unlock()
		p, err := read(ctx)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		have, last, cached = true, n, p
		mu.Unlock()
		return p, nil
	}
}

// snippetFile is one saved snippet: NAME.sigmf-meta and NAME.sigmf-data.
type snippetFile struct {
	name      string    // NAME, "snippet-" and a detection ID
	bytes     int64     // both files
	saved     time.Time // the newer file's modification time: when it was saved
	protected bool
}

// detection returns the ID of the detection the snippet is of.
func (f snippetFile) detection() string { return strings.TrimPrefix(f.name, "snippet-") }

// listSnippets returns the snippets saved in dir (its files named
// snippet-*.sigmf-meta and snippet-*.sigmf-data; nothing else there is
// counted or touched), oldest first.
func listSnippets(dir string) ([]snippetFile, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // none saved yet
	}
	if err != nil {
		return nil, fmt.Errorf("list evidence folder %q: %w", dir, err)
	}
	by := map[string]*snippetFile{}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, "snippet-") || !e.Type().IsRegular() {
			continue
		}
		base, ok := strings.CutSuffix(n, sigmf.MetaExt)
		if !ok {
			if base, ok = strings.CutSuffix(n, sigmf.DataExt); !ok {
				continue
			}
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		f := by[base]
		if f == nil {
			f = &snippetFile{name: base}
			by[base] = f
		}
		f.bytes += fi.Size()
		if fi.ModTime().After(f.saved) {
			f.saved = fi.ModTime()
		}
	}
	out := make([]snippetFile, 0, len(by))
	for _, f := range by {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b snippetFile) int {
		if c := a.saved.Compare(b.saved); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}

// SensorMarkerExts are the empty marker files a sensor writes beside a
// snippet of its own folder (sensor/agent: NAME.keep, an alert asked to
// keep it; NAME.sent, uploaded). They are there when the dashboard's
// evidence folder is a sensor's snippet folder (the demo's DIR/snippets,
// or a sensor with snippets.upload off on the dashboard's host).
var SensorMarkerExts = []string{".keep", ".sent"}

// removeSnippet deletes both files of the snippet name in dir, metadata
// first (the replay and the alert detail look for it), then the sensor's
// markers beside them: left behind, nothing removed them (the soak test of
// 2026-12-06 found 496 empty .keep files of 537 snippets retention had
// deleted; a sensor restarted reads only the snippets' files).
func removeSnippet(dir, name string) error {
	var errs []error
	for _, ext := range append([]string{sigmf.MetaExt, sigmf.DataExt}, SensorMarkerExts...) {
		if err := os.Remove(filepath.Join(dir, name+ext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// EvidencePruned reports one PruneEvidence: the snippets deleted for their
// age and to keep the quota (with their bytes), and what the folder holds
// after it.
type EvidencePruned struct {
	AgedOut, AgedOutBytes int64 // older than the maximum age
	Evicted, EvictedBytes int64 // the oldest, deleted to keep the quota
	Kept, KeptBytes       int64 // snippets left
	ProtectedBytes        int64 // of KeptBytes, the evidence of open cases
}

// PruneEvidence deletes from the evidence folder dir the snippets saved
// more than maxAge before now (0: none for its age), then, while the
// folder holds more than maxBytes (0: no quota), the oldest others, except
// always those of a detection protected names (an open case's evidence,
// ProtectedDetections): an open case's snippets are never deleted, however
// old and however full the folder. room is kept free besides (the snippet
// about to be saved). Only files named as snippets are counted or deleted;
// a saved snippet's age is its files' modification time. On an error
// deleting one snippet it goes on with the others and returns the errors
// joined.
func PruneEvidence(dir string, now time.Time, maxAge time.Duration, maxBytes, room int64, protected map[string]bool) (EvidencePruned, error) {
	var out EvidencePruned
	snips, err := listSnippets(dir)
	if err != nil {
		return out, err
	}
	var errs []error
	var total int64
	kept := snips[:0]
	for _, f := range snips {
		f.protected = protected[f.detection()]
		if !f.protected && maxAge > 0 && now.Sub(f.saved) > maxAge {
			if err := removeSnippet(dir, f.name); err != nil {
				errs = append(errs, fmt.Errorf("delete snippet %s: %w", f.name, err))
			} else {
				out.AgedOut++
				out.AgedOutBytes += f.bytes
				continue
			}
		}
		kept = append(kept, f)
		total += f.bytes
	}
	left := kept[:0]
	for _, f := range kept {
		if !f.protected && maxBytes > 0 && total+room > maxBytes {
			if err := removeSnippet(dir, f.name); err != nil {
				errs = append(errs, fmt.Errorf("delete snippet %s: %w", f.name, err))
			} else {
				out.Evicted++
				out.EvictedBytes += f.bytes
				total -= f.bytes
				continue
			}
		}
		left = append(left, f)
	}
	for _, f := range left {
		out.Kept++
		out.KeptBytes += f.bytes
		if f.protected {
			out.ProtectedBytes += f.bytes
		}
	}
	return out, errors.Join(errs...)
}

// evidenceStagePrefix begins the name of the hidden folder an evidence
// save extracts its message into (EvidenceSaver.save) in the evidence
// folder.
const evidenceStagePrefix = ".incoming-"

// EvidenceStageMaxAge is how long nothing must have been written to an
// evidence save's stage for PruneEvidenceStages to take it for a crash's
// leftover: a save writes one message of at most MaxEvidenceBytes, extracts
// it and links it in within seconds, then removes its stage.
const EvidenceStageMaxAge = time.Hour

// PruneEvidenceStages removes from the evidence folder dir the stages
// (.incoming-* folders) that evidence saves left when the dashboard was
// killed mid-save, each holding a message's archive and extracted raw IQ:
// those of which neither the folder nor a file in it was modified within
// EvidenceStageMaxAge of now (a save still running writes into its stage).
// It returns how many stages it removed and their files' bytes. Nothing
// but folders so named is touched (a symbolic link is not followed). A
// missing folder holds none.
func PruneEvidenceStages(dir string, now time.Time) (stages, bytes int64, err error) {
	return pruneStages(dir, evidenceStagePrefix, EvidenceStageMaxAge, now, "evidence")
}

// stageAge returns the latest modification time of the stage folder p and
// of what it holds, and the bytes of its regular files.
func stageAge(p string) (newest time.Time, size int64, err error) {
	err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
		if fi.Mode().IsRegular() {
			size += fi.Size()
		}
		return nil
	})
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("stage %s: %w", p, err)
	}
	return newest, size, nil
}

// PruneUploads deletes the analysts' replay uploads (the regular files in
// dir, ReplayDir/uploads, and its subfolders, but for hidden ones: an
// upload staging) modified more than maxAge before now, and returns how
// many files and bytes it deleted. A recording's pair (NAME.sigmf-meta
// and NAME.sigmf-data) goes or stays as one, by its newer file: its data
// is written before its metadata, and a cut-off between the two deleted
// the data and kept the metadata, which the Replay page then offered and
// could not run. The metadata is deleted first. A missing folder holds
// none.
func PruneUploads(dir string, now time.Time, maxAge time.Duration) (files, bytes int64, err error) {
	if maxAge <= 0 {
		return 0, 0, nil
	}
	type upload struct {
		paths  []string // the metadata first
		sizes  []int64
		newest time.Time
	}
	byRec := map[string]*upload{}
	var order []string
	var errs []error
	walkErr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return nil
			}
			errs = append(errs, err)
			return nil
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		key := p // a file of no pair is a recording of its own
		meta := strings.HasSuffix(p, sigmf.MetaExt)
		if meta {
			key = strings.TrimSuffix(p, sigmf.MetaExt)
		} else if strings.HasSuffix(p, sigmf.DataExt) {
			key = strings.TrimSuffix(p, sigmf.DataExt)
		}
		u := byRec[key]
		if u == nil {
			u = &upload{}
			byRec[key] = u
			order = append(order, key)
		}
		if meta {
			u.paths, u.sizes = append([]string{p}, u.paths...), append([]int64{fi.Size()}, u.sizes...)
		} else {
			u.paths, u.sizes = append(u.paths, p), append(u.sizes, fi.Size())
		}
		if fi.ModTime().After(u.newest) {
			u.newest = fi.ModTime()
		}
		return nil
	})
	for _, key := range order {
		u := byRec[key]
		if now.Sub(u.newest) <= maxAge {
			continue
		}
		for i, p := range u.paths {
			if err := os.Remove(p); err != nil {
				errs = append(errs, fmt.Errorf("delete upload %s: %w", p, err))
				break // keep the rest of the recording: its metadata went first
			}
			files++
			bytes += u.sizes[i]
		}
	}
	return files, bytes, errors.Join(append(errs, walkErr)...)
}

// uploadStagePrefix starts the name of an upload's staging folder in
// ReplayDir/uploads.
const uploadStagePrefix = ".upload-"

// PruneUploadStages removes from the uploads folder dir the staging
// folders (.upload-*) a dashboard killed mid-upload left, each holding
// raw IQ: those of which neither the folder nor a file in it was modified
// within stagingMaxAge of now (an upload stages only once its body is in,
// and moves in within seconds). Without it they stayed until the next
// upload, past RFW_UPLOAD_DAYS, and went into backups of uploads/. It
// returns how many it removed and their files' bytes. Nothing but
// folders so named is touched (a symbolic link is not followed). A
// missing folder holds none.
func PruneUploadStages(dir string, now time.Time) (stages, bytes int64, err error) {
	return pruneStages(dir, uploadStagePrefix, stagingMaxAge, now, "upload")
}

// pruneStages removes from dir the folders whose name starts with prefix
// and of which neither the folder nor a file in it was modified within
// maxAge of now (a save or upload still running writes into its stage),
// for PruneEvidenceStages and PruneUploadStages; what ("evidence",
// "upload") names them in errors. It returns how many it removed and
// their files' bytes. A symbolic link is not followed; a missing folder
// holds none.
func pruneStages(dir, prefix string, maxAge time.Duration, now time.Time, what string) (stages, bytes int64, err error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		folder := what + " folder"
		if what == "upload" {
			folder = "uploads folder"
		}
		return 0, 0, fmt.Errorf("list %s %q: %w", folder, dir, err)
	}
	var errs []error
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		newest, size, err := stageAge(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if now.Sub(newest) <= maxAge {
			continue // a save or an upload may be using it
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, fmt.Errorf("delete %s stage %s: %w", what, p, err))
			continue
		}
		stages++
		bytes += size
	}
	return stages, bytes, errors.Join(errs...)
}

// PruneSearchOutcomes deletes the handheld search outcomes recorded before
// before and returns how many it deleted.
func (u *Users) PruneSearchOutcomes(ctx context.Context, before time.Time) (int64, error) {
	start := time.Now()
	res, err := u.db.ExecContext(ctx, `DELETE FROM dashboard_search_outcomes WHERE time_ns < ?`, before.UnixNano())
	u.recordWrite(start, err) // for /healthz (UsersOptions.RecordWrite)
	if err != nil {
		return 0, fmt.Errorf("prune search outcomes: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Retention is the dashboard's own retention: evidence snippets
// (EvidenceDays, EvidenceMaxBytes) and the stages crashed saves left in
// their folder (PruneEvidenceStages), replay uploads (UploadDays) and
// handheld search outcomes (SearchDays). Zero days or bytes keep
// everything. Its metrics are Collectors; Run prunes every hour.
type Retention struct {
	EvidenceDir      string // "" none
	EvidenceDays     int
	EvidenceMaxBytes int64
	UploadDir        string // ReplayDir/uploads; "" none
	UploadDays       int
	SearchDays       int
	Users            *Users // for search outcomes; nil none
	Protected        Protector
	Now              func() time.Time // nil: time.Now
	Logger           *slog.Logger

	// pruneUploads is PruneUploads; tests replace it.
	pruneUploads func(dir string, now time.Time, maxAge time.Duration) (files, bytes int64, err error)

	mu      sync.Mutex // one prune at a time: Run's and Save's
	files   *prometheus.CounterVec
	bytes   *prometheus.CounterVec
	rows    prometheus.Counter
	runs    *prometheus.CounterVec
	held    prometheus.Gauge
	heldOpn prometheus.Gauge
}

// init makes r's metrics once.
func (r *Retention) init() {
	if r.files != nil {
		return
	}
	r.files = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfwarden_dashboard_retention_deleted_files_total",
		Help: "Files retention deleted, by kind (evidence: a snippet's pair counts as one; upload) and reason (age, quota; stage: an evidence save's staging folder a crash left, counted as one)."}, []string{"kind", "reason"})
	r.bytes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfwarden_dashboard_retention_deleted_bytes_total",
		Help: "Bytes retention deleted, by kind (evidence, upload) and reason (age, quota, stage)."}, []string{"kind", "reason"})
	r.rows = prometheus.NewCounter(prometheus.CounterOpts{Name: "rfwarden_dashboard_retention_deleted_search_outcomes_total",
		Help: "Handheld search outcomes retention deleted (RFW_SEARCH_DAYS)."})
	r.runs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rfwarden_dashboard_retention_runs_total",
		Help: "Retention runs, by result (ok, error)."}, []string{"result"})
	r.held = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rfwarden_dashboard_evidence_bytes",
		Help: "Bytes of evidence snippets in the evidence folder after the latest retention run."})
	r.heldOpn = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rfwarden_dashboard_evidence_protected_bytes",
		Help: "Of rfwarden_dashboard_evidence_bytes, the evidence of open cases, which retention never deletes (over RFW_EVIDENCE_MAX_BYTES new evidence is refused)."})
}

// Collectors returns the retention's metrics.
func (r *Retention) Collectors() []prometheus.Collector {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.init()
	return []prometheus.Collector{r.files, r.bytes, r.rows, r.runs, r.held, r.heldOpn}
}

func (r *Retention) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Retention) log() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func days(n int) time.Duration { return time.Duration(max(n, 0)) * 24 * time.Hour }

// protected returns the open cases' detections (r.Protected), read
// without r.mu: the query may wait for the database.
func (r *Retention) protected(ctx context.Context) (map[string]bool, error) {
	if r.Protected == nil {
		return nil, nil
	}
	protected, err := r.Protected(ctx)
	if err != nil {
		// Without knowing the open cases nothing is safe to delete.
		return nil, fmt.Errorf("evidence retention: %w", err)
	}
	return protected, nil
}

// pruneEvidence runs PruneEvidence over the evidence folder with the open
// cases' detections protected, keeping room bytes free, and counts what
// it deleted. r.mu is held: this is the folder's listing and deleting,
// which no save may interleave with.
func (r *Retention) pruneEvidence(protected map[string]bool, room int64) (EvidencePruned, error) {
	r.init()
	p, err := PruneEvidence(r.EvidenceDir, r.now(), days(r.EvidenceDays), r.EvidenceMaxBytes, room, protected)
	r.files.WithLabelValues("evidence", "age").Add(float64(p.AgedOut))
	r.bytes.WithLabelValues("evidence", "age").Add(float64(p.AgedOutBytes))
	r.files.WithLabelValues("evidence", "quota").Add(float64(p.Evicted))
	r.bytes.WithLabelValues("evidence", "quota").Add(float64(p.EvictedBytes))
	r.held.Set(float64(p.KeptBytes))
	r.heldOpn.Set(float64(p.ProtectedBytes))
	if err != nil {
		return p, fmt.Errorf("evidence retention: %w", err)
	}
	return p, nil
}

// Once runs the dashboard's retention once, logging what it deleted, and
// returns the errors of its parts joined (each part is tried). It holds
// the evidence folder's lock (r.mu) only while it lists and prunes the
// folder: not while it reads the open cases, walks the replay uploads or
// deletes search outcomes, so a snippet arriving meanwhile (the MQTT
// handler) is saved at once.
func (r *Retention) Once(ctx context.Context) error {
	r.mu.Lock()
	r.init()
	r.mu.Unlock()
	now := r.now()
	var errs []error
	attrs := []any{}
	if r.EvidenceDir != "" {
		// a crashed save's stage is no saved snippet: no open case, age or
		// quota of RFW_EVIDENCE_* applies to it
		n, b, err := PruneEvidenceStages(r.EvidenceDir, now)
		r.files.WithLabelValues("evidence", "stage").Add(float64(n))
		r.bytes.WithLabelValues("evidence", "stage").Add(float64(b))
		if err != nil {
			err = fmt.Errorf("evidence retention: %w", err)
		}
		errs = append(errs, err)
		attrs = append(attrs, "evidence_stages", n)
		var p EvidencePruned
		protected, err := r.protected(ctx)
		if err == nil {
			r.mu.Lock()
			p, err = r.pruneEvidence(protected, 0)
			r.mu.Unlock()
		}
		errs = append(errs, err)
		attrs = append(attrs, "evidence_aged_out", p.AgedOut, "evidence_evicted", p.Evicted, "evidence_bytes", p.KeptBytes, "evidence_protected_bytes", p.ProtectedBytes)
		if r.EvidenceMaxBytes > 0 && p.ProtectedBytes > r.EvidenceMaxBytes {
			r.log().Warn("dashboard: the evidence of open cases alone is over RFW_EVIDENCE_MAX_BYTES: new evidence is refused until cases close or the quota grows",
				"protected_bytes", p.ProtectedBytes, "max_bytes", r.EvidenceMaxBytes)
		}
	}
	if r.UploadDir != "" {
		// a crashed upload's stage is no upload: RFW_UPLOAD_DAYS does not
		// keep it, nor does 0 (keep uploads)
		n, b, err := PruneUploadStages(r.UploadDir, now)
		r.files.WithLabelValues("upload", "stage").Add(float64(n))
		r.bytes.WithLabelValues("upload", "stage").Add(float64(b))
		if err != nil {
			err = fmt.Errorf("upload retention: %w", err)
		}
		errs = append(errs, err)
		attrs = append(attrs, "upload_stages", n)
	}
	if r.UploadDir != "" && r.UploadDays > 0 {
		prune := r.pruneUploads
		if prune == nil {
			prune = PruneUploads
		}
		n, b, err := prune(r.UploadDir, now, days(r.UploadDays))
		r.files.WithLabelValues("upload", "age").Add(float64(n))
		r.bytes.WithLabelValues("upload", "age").Add(float64(b))
		errs = append(errs, err)
		attrs = append(attrs, "uploads", n)
	}
	if r.Users != nil && r.SearchDays > 0 {
		n, err := r.Users.PruneSearchOutcomes(ctx, now.Add(-days(r.SearchDays)))
		r.rows.Add(float64(n))
		errs = append(errs, err)
		attrs = append(attrs, "search_outcomes", n)
	}
	err := errors.Join(errs...)
	if err != nil {
		r.runs.WithLabelValues("error").Inc()
		r.log().Warn("dashboard: retention", append(attrs, "err", err)...)
		return err
	}
	r.runs.WithLabelValues("ok").Inc()
	r.log().Info("dashboard: retention", attrs...)
	return nil
}

// Run runs Once at once and then every period until ctx ends.
func (r *Retention) Run(ctx context.Context, period time.Duration) {
	for {
		r.Once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(period):
		}
	}
}

// makeRoom is the EvidenceSaver's quota check before it saves size bytes:
// nil when they fit the quota, after deleting the oldest snippets no open
// case needs if need be; ErrEvidenceQuota when the open cases' evidence
// alone leaves no room. The open cases are read without the folder's
// lock, and only when room must be made. On success the folder stays
// locked against retention's deletions until done is called, once the
// snippet is in; done is never nil (a no-op after an error).
func (r *Retention) makeRoom(ctx context.Context, size int64) (done func(), err error) {
	nothing := func() {}
	if r == nil || r.EvidenceDir == "" {
		return nothing, nil
	}
	r.mu.Lock()
	if r.EvidenceMaxBytes <= 0 {
		return r.mu.Unlock, nil
	}
	snips, err := listSnippets(r.EvidenceDir)
	if err != nil {
		r.mu.Unlock()
		return nothing, err
	}
	var total int64
	for _, f := range snips {
		total += f.bytes
	}
	if total+size <= r.EvidenceMaxBytes {
		return r.mu.Unlock, nil
	}
	r.mu.Unlock()
	protected, err := r.protected(ctx)
	if err != nil {
		return nothing, err
	}
	r.mu.Lock()
	p, err := r.pruneEvidence(protected, size) // lists the folder again: it may have changed meanwhile
	if err != nil {
		r.mu.Unlock()
		return nothing, err
	}
	if p.KeptBytes+size > r.EvidenceMaxBytes {
		r.mu.Unlock()
		return nothing, fmt.Errorf("%w: %d bytes more would make %d, over %d (RFW_EVIDENCE_MAX_BYTES), of which %d are open cases'",
			ErrEvidenceQuota, size, p.KeptBytes+size, r.EvidenceMaxBytes, p.ProtectedBytes)
	}
	return r.mu.Unlock, nil
}

// FreeSpace watches the free space of the disk holding the dashboard's
// state (the SQLite database, the evidence folder): its gauge
// rfwarden_dashboard_state_disk_free_bytes, and /healthz is degraded while
// it is below MinFreeBytes (0: never). When the disk fills, SQLite's
// writes (alerts, acknowledgements, the audit) fail.
type FreeSpace struct {
	Path         string // a file or folder on the disk
	MinFreeBytes int64
	// Statfs returns the bytes free to an unprivileged user on path's
	// disk; nil: statfs(2).
	Statfs func(path string) (int64, error)
}

// Free returns the bytes free on the disk.
func (f *FreeSpace) Free() (int64, error) {
	if f.Statfs != nil {
		return f.Statfs(f.Path)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(f.Path, &st); err != nil {
		return 0, fmt.Errorf("free space of %q: %w", f.Path, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// Low reports why the disk's free space is too low for /healthz ("" and
// false when it is not).
func (f *FreeSpace) Low() (string, bool) {
	free, err := f.Free()
	if err != nil {
		return err.Error(), true
	}
	if f.MinFreeBytes > 0 && free < f.MinFreeBytes {
		return fmt.Sprintf("%d bytes free on the disk of %s, under %d (RFW_MIN_FREE_BYTES)", free, f.Path, f.MinFreeBytes), true
	}
	return "", false
}

// Collectors returns the free-space gauge (-1 when it cannot be read).
func (f *FreeSpace) Collectors() []prometheus.Collector {
	return []prometheus.Collector{prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rfwarden_dashboard_state_disk_free_bytes",
		Help: "Bytes free on the disk of the dashboard's state (its SQLite database and evidence folder); -1 when unreadable."},
		func() float64 {
			n, err := f.Free()
			if err != nil {
				return -1
			}
			return float64(n)
		})}
}
