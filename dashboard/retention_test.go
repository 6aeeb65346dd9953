package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// retentionNow is the clock of the retention tests.
var retentionNow = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

// putSnippet writes snippet-ID's pair into dir, bytes in all, saved
// daysAgo days before retentionNow.
func putSnippet(t *testing.T, dir, id string, bytes int, daysAgo int) {
	t.Helper()
	at := retentionNow.AddDate(0, 0, -daysAgo)
	for ext, n := range map[string]int{sigmf.MetaExt: 100, sigmf.DataExt: bytes - 100} {
		p := filepath.Join(dir, "snippet-"+id+ext)
		if err := os.WriteFile(p, make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
}

// snippetsIn returns the detection IDs of the snippets in dir with both
// files, sorted.
func snippetsIn(t *testing.T, dir string) []string {
	t.Helper()
	snips, err := listSnippets(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range snips {
		_, errM := os.Stat(filepath.Join(dir, f.name+sigmf.MetaExt))
		_, errD := os.Stat(filepath.Join(dir, f.name+sigmf.DataExt))
		if errM == nil && errD == nil {
			out = append(out, f.detection())
		}
	}
	slices.Sort(out)
	return out
}

// TestPruneEvidence: snippets older than the maximum age go, then the
// oldest others while the folder is over its quota; an open case's
// snippets stay however old and however full the folder; other files in
// the folder are neither counted nor touched.
func TestPruneEvidence(t *testing.T) {
	type snip struct {
		id      string
		bytes   int
		daysAgo int
	}
	folder := []snip{
		{"s1-old", 1000, 120},
		{"s1-old-open", 1000, 200},
		{"s1-mid", 1000, 30},
		{"s1-recent", 1000, 5},
		{"s1-recent-open", 1000, 10},
		{"s1-today", 1000, 0},
	}
	open := map[string]bool{"s1-old-open": true, "s1-recent-open": true}
	tests := []struct {
		name       string
		maxAgeDays int
		maxBytes   int64
		room       int64
		want       []string
		wantAged   int64
		wantEvict  int64
	}{
		{name: "no limits", want: []string{"s1-mid", "s1-old", "s1-old-open", "s1-recent", "s1-recent-open", "s1-today"}},
		{name: "age", maxAgeDays: 90, want: []string{"s1-mid", "s1-old-open", "s1-recent", "s1-recent-open", "s1-today"}, wantAged: 1},
		{name: "quota evicts the oldest not open", maxBytes: 4000,
			want: []string{"s1-old-open", "s1-recent", "s1-recent-open", "s1-today"}, wantEvict: 2},
		{name: "age then quota", maxAgeDays: 90, maxBytes: 4000,
			want: []string{"s1-old-open", "s1-recent", "s1-recent-open", "s1-today"}, wantAged: 1, wantEvict: 1},
		{name: "room for the next one", maxBytes: 4000, room: 1000,
			want: []string{"s1-old-open", "s1-recent-open", "s1-today"}, wantEvict: 3},
		{name: "open cases alone over the quota", maxBytes: 1500,
			want: []string{"s1-old-open", "s1-recent-open"}, wantEvict: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, s := range folder {
				putSnippet(t, dir, s.id, s.bytes, s.daysAgo)
			}
			other := filepath.Join(dir, "notes.txt")
			if err := os.WriteFile(other, make([]byte, 100000), 0o600); err != nil {
				t.Fatal(err)
			}
			p, err := PruneEvidence(dir, retentionNow, time.Duration(tt.maxAgeDays)*24*time.Hour, tt.maxBytes, tt.room, open)
			if err != nil {
				t.Fatal(err)
			}
			if got := snippetsIn(t, dir); !slices.Equal(got, tt.want) {
				t.Errorf("kept %v, want %v", got, tt.want)
			}
			if p.AgedOut != tt.wantAged || p.Evicted != tt.wantEvict {
				t.Errorf("aged out %d, evicted %d; want %d, %d", p.AgedOut, p.Evicted, tt.wantAged, tt.wantEvict)
			}
			if p.KeptBytes != int64(1000*len(tt.want)) || p.ProtectedBytes != 2000 {
				t.Errorf("kept %d bytes, %d of open cases; want %d, 2000", p.KeptBytes, p.ProtectedBytes, 1000*len(tt.want))
			}
			if _, err := os.Stat(other); err != nil {
				t.Errorf("a file not named as a snippet was touched: %v", err)
			}
		})
	}
}

// TestEvidenceQuotaSave: a snippet over the quota makes room by deleting
// the oldest snippet no open case needs; when the open cases' snippets
// alone fill the quota it is refused, counted under "quota", and nothing
// is deleted.
func TestEvidenceQuotaSave(t *testing.T) {
	const name = "snippet-s1-0a1b2c3d4e5f-1830000-42"
	archive := sigmftest.Archive(t, name, 4000)
	size := int64(len(archive))
	tests := []struct {
		name      string
		given     map[string]bool // open cases' detections among s1-a (older) and s1-b
		wantSaved bool
		want      []string
	}{
		{name: "room made from the oldest", given: map[string]bool{}, wantSaved: true, want: []string{"s1-0a1b2c3d4e5f-1830000-42", "s1-b"}},
		{name: "the oldest is an open case's", given: map[string]bool{"s1-a": true}, wantSaved: true, want: []string{"s1-0a1b2c3d4e5f-1830000-42", "s1-a"}},
		{name: "open cases fill the quota", given: map[string]bool{"s1-a": true, "s1-b": true}, want: []string{"s1-a", "s1-b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			putSnippet(t, dir, "s1-a", int(size), 3)
			putSnippet(t, dir, "s1-b", int(size), 2)
			r := &Retention{EvidenceDir: dir, EvidenceMaxBytes: 2*size + size/2, Now: func() time.Time { return retentionNow },
				Protected: func(context.Context) (map[string]bool, error) { return tt.given, nil }}
			s := NewEvidenceSaver(dir, nil)
			s.SetQuota(r)
			_, err := s.Save("rfw/v1/hmp1/evidence/s1", archive)
			if saved := err == nil; saved != tt.wantSaved {
				t.Fatalf("Save: %v, want saved %v", err, tt.wantSaved)
			}
			if !tt.wantSaved {
				if !errors.Is(err, ErrEvidenceQuota) {
					t.Errorf("Save: %v, want ErrEvidenceQuota", err)
				}
				if got := testutil.ToFloat64(s.refused.WithLabelValues("quota")); got != 1 {
					t.Errorf("refused{reason=quota} = %v, want 1", got)
				}
			}
			if got := snippetsIn(t, dir); !slices.Equal(got, tt.want) {
				t.Errorf("folder holds %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEvidenceResentTakesNoRoom: a QoS 1 message delivered again (after
// every sensor reconnect) brings a snippet already saved; the quota was
// checked first, so the copy evicted another snippet, or was refused when
// open cases filled the quota. A snippet already saved is now saved: it
// evicts nothing and is never refused for the quota.
func TestEvidenceResentTakesNoRoom(t *testing.T) {
	const name = "snippet-s1-0a1b2c3d4e5f-1830000-42"
	const id = "s1-0a1b2c3d4e5f-1830000-42"
	archive := sigmftest.Archive(t, name, 4000)
	size := int64(len(archive))
	tests := []struct {
		name  string
		given map[string]bool // open cases' detections
	}{
		{name: "another snippet is not evicted", given: map[string]bool{}},
		{name: "open cases fill the quota", given: map[string]bool{"s1-a": true, id: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			putSnippet(t, dir, "s1-a", int(size), 3)
			r := &Retention{EvidenceDir: dir, EvidenceMaxBytes: 2*size + size/2, Now: func() time.Time { return retentionNow },
				Protected: func(context.Context) (map[string]bool, error) { return tt.given, nil }}
			s := NewEvidenceSaver(dir, nil)
			s.SetQuota(r)
			if _, err := s.Save("rfw/v1/hmp1/evidence/s1", archive); err != nil {
				t.Fatalf("first Save: %v", err)
			}
			want := []string{id, "s1-a"}
			if got := snippetsIn(t, dir); !slices.Equal(got, want) {
				t.Fatalf("after the first Save the folder holds %v, want %v", got, want)
			}
			got, err := s.Save("rfw/v1/hmp1/evidence/s1", archive)
			if err != nil || got != name {
				t.Errorf("Save again = %q, %v; want %q saved", got, err, name)
			}
			if got := snippetsIn(t, dir); !slices.Equal(got, want) {
				t.Errorf("after the same snippet again the folder holds %v, want %v", got, want)
			}
			if got := testutil.ToFloat64(s.refused.WithLabelValues("quota")); got != 0 {
				t.Errorf("refused{reason=quota} = %v, want 0", got)
			}
		})
	}
}

// TestPruneUploads: replay uploads older than the maximum age go, in
// subfolders too; younger ones and hidden staging folders stay; a missing
// folder is no error.
func TestPruneUploads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "uploads")
	put := func(rel string, daysAgo int) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("0123456789"), 0o600); err != nil {
			t.Fatal(err)
		}
		at := retentionNow.AddDate(0, 0, -daysAgo)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	if n, _, err := PruneUploads(dir, retentionNow, 30*24*time.Hour); n != 0 || err != nil {
		t.Fatalf("missing folder: %d deleted, %v", n, err)
	}
	put("old.sigmf-meta", 40)
	put("old.sigmf-data", 40)
	put("sub/older.sigmf", 100)
	put("new.sigmf-meta", 3)
	put(".upload-123/x.sigmf-data", 100)
	n, b, err := PruneUploads(dir, retentionNow, 30*24*time.Hour)
	if err != nil || n != 3 || b != 30 {
		t.Errorf("PruneUploads = %d files, %d bytes, %v; want 3, 30, nil", n, b, err)
	}
	for rel, want := range map[string]bool{"old.sigmf-meta": false, "old.sigmf-data": false, "sub/older.sigmf": false, "new.sigmf-meta": true, ".upload-123/x.sigmf-data": true} {
		_, err := os.Stat(filepath.Join(dir, rel))
		if got := err == nil; got != want {
			t.Errorf("%s kept %v, want %v", rel, got, want)
		}
	}
}

// TestRetentionOnce: one run prunes evidence, uploads and search outcomes
// as configured, counts them, and a failure to learn the open cases
// deletes no evidence.
func TestRetentionOnce(t *testing.T) {
	ev := newEnv(t)
	ctx := context.Background()
	if err := ev.deps.Users.recordOutcome(ctx, retentionNow.AddDate(-2, 0, 0), "officer", "cell-1", false, ""); err != nil {
		t.Fatal(err)
	}
	if err := ev.deps.Users.recordOutcome(ctx, retentionNow.AddDate(0, -1, 0), "officer", "cell-2", true, "phone"); err != nil {
		t.Fatal(err)
	}
	dir, uploads := t.TempDir(), t.TempDir()
	putSnippet(t, dir, "s1-old", 1000, 100)
	putSnippet(t, dir, "s1-open", 1000, 100)
	r := &Retention{EvidenceDir: dir, EvidenceDays: 90, UploadDir: uploads, UploadDays: 30, SearchDays: 365, Users: ev.deps.Users,
		Now: func() time.Time { return retentionNow }, Protected: func(context.Context) (map[string]bool, error) { return map[string]bool{"s1-open": true}, nil }}
	if err := r.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if got := snippetsIn(t, dir); !slices.Equal(got, []string{"s1-open"}) {
		t.Errorf("evidence kept %v, want [s1-open]", got)
	}
	if got := testutil.ToFloat64(r.files.WithLabelValues("evidence", "age")); got != 1 {
		t.Errorf("deleted_files_total{evidence,age} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(r.rows); got != 1 {
		t.Errorf("deleted_search_outcomes_total = %v, want 1", got)
	}
	var left int
	if err := ev.deps.Users.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM dashboard_search_outcomes`).Scan(&left); err != nil || left != 1 {
		t.Errorf("search outcomes left %d, %v; want 1", left, err)
	}

	r.Protected = func(context.Context) (map[string]bool, error) { return nil, errors.New("database is locked") }
	r.EvidenceDays = 1
	if err := r.Once(ctx); err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Errorf("Once with the open cases unknown: %v, want the error", err)
	}
	if got := snippetsIn(t, dir); !slices.Equal(got, []string{"s1-open"}) {
		t.Errorf("with the open cases unknown, evidence kept %v, want [s1-open]", got)
	}
}

// TestRetentionOnceLocksTheFolderOnly: Once held the evidence folder's
// lock for its whole run, the open cases' query, the walk of the replay
// uploads and the search outcomes' deletion included, so a snippet
// arriving meanwhile blocked the MQTT handler. The lock is now held only
// while the folder is listed and pruned: a snippet saved while the open
// cases are read or the uploads walked is saved at once.
func TestRetentionOnceLocksTheFolderOnly(t *testing.T) {
	const name = "snippet-s1-0a1b2c3d4e5f-1830000-42"
	archive := sigmftest.Archive(t, name, 4000)
	dir := t.TempDir()
	putSnippet(t, dir, "s1-old", 1000, 100)
	r := &Retention{EvidenceDir: dir, EvidenceDays: 90, EvidenceMaxBytes: 1 << 30, UploadDir: t.TempDir(), UploadDays: 30,
		Now: func() time.Time { return retentionNow }}
	s := NewEvidenceSaver(dir, nil)
	s.SetQuota(r)
	var during []string // the parts of the run that held the lock
	free := func(part string) {
		if !r.mu.TryLock() {
			during = append(during, part)
			return
		}
		r.mu.Unlock()
	}
	r.Protected = func(context.Context) (map[string]bool, error) {
		free("the open cases' query")
		return map[string]bool{}, nil
	}
	r.pruneUploads = func(dir string, now time.Time, maxAge time.Duration) (int64, int64, error) {
		free("the uploads")
		if r.mu.TryLock() { // free: a snippet arriving now is saved
			r.mu.Unlock()
			if _, err := s.Save("rfw/v1/hmp1/evidence/s1", archive); err != nil {
				t.Errorf("Save while the uploads are pruned: %v", err)
			}
		}
		return PruneUploads(dir, now, maxAge)
	}
	if err := r.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(during) > 0 {
		t.Errorf("the evidence folder's lock was held during %v", during)
	}
	if got := snippetsIn(t, dir); !slices.Equal(got, []string{"s1-0a1b2c3d4e5f-1830000-42"}) {
		t.Errorf("evidence after the run %v, want the snippet saved meanwhile alone (s1-old aged out)", got)
	}
}

// TestHealthzStateDisk: /healthz is degraded while the free space on the
// state disk is under the threshold, or cannot be read.
func TestHealthzStateDisk(t *testing.T) {
	tests := []struct {
		name     string
		free     int64
		err      error
		wantCode int
		wantBody string
	}{
		{name: "room", free: 5 << 30, wantCode: 200, wantBody: "ok\n"},
		{name: "low", free: 1 << 20, wantCode: 503, wantBody: "degraded: state disk: 1048576 bytes free on the disk of /var/lib/rfwarden, under 1073741824 (RFW_MIN_FREE_BYTES)\n"},
		{name: "unreadable", err: errors.New("statfs: permission denied"), wantCode: 503, wantBody: "degraded: state disk: statfs: permission denied\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.StateDisk = &FreeSpace{Path: "/var/lib/rfwarden", MinFreeBytes: 1 << 30,
				Statfs: func(string) (int64, error) { return tt.free, tt.err }}
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
				t.Errorf("GET /healthz = %d %q, want %d %q", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

// TestRetentionRemovesStaleUploadStaging: a dashboard killed during an
// upload leaves RFW_REPLAY_DIR/uploads/.upload-*/ with the raw IQ. The
// retention run removes a stage of which nothing was touched within
// stagingMaxAge, with RFW_UPLOAD_DAYS set or not (0 keeps uploads, not
// crashes' leftovers); one touched since, which an upload may be using,
// stays, and so do the uploads themselves and folders of other names.
func TestRetentionRemovesStaleUploadStaging(t *testing.T) {
	for _, days := range []int{30, 0} {
		t.Run(fmt.Sprintf("upload days %d", days), func(t *testing.T) {
			uploads := filepath.Join(t.TempDir(), "uploads")
			put := func(rel string, age time.Duration) {
				p := filepath.Join(uploads, rel)
				if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("0123456789"), 0o600); err != nil {
					t.Fatal(err)
				}
				at := retentionNow.Add(-age)
				for _, q := range []string{p, filepath.Dir(p)} {
					if err := os.Chtimes(q, at, at); err != nil {
						t.Fatal(err)
					}
				}
			}
			put(".upload-123456/rec.sigmf-data", 100*24*time.Hour)
			put(".upload-123456/rec.sigmf-meta", 100*24*time.Hour)
			put(".upload-222/rec.sigmf-data", stagingMaxAge+time.Minute)
			put(".upload-333/rec.sigmf-data", stagingMaxAge-time.Minute) // an upload under way
			put(".keep/x.sigmf-data", 100*24*time.Hour)
			put("new.sigmf-meta", time.Hour)
			r := &Retention{UploadDir: uploads, UploadDays: days, Now: func() time.Time { return retentionNow }}
			if err := r.Once(context.Background()); err != nil {
				t.Fatal(err)
			}
			for rel, want := range map[string]bool{".upload-123456": false, ".upload-222": false, ".upload-333": true, ".keep": true, "new.sigmf-meta": true} {
				_, err := os.Stat(filepath.Join(uploads, rel))
				if got := err == nil; got != want {
					t.Errorf("%s kept %v, want %v", rel, got, want)
				}
			}
			if got, b := testutil.ToFloat64(r.files.WithLabelValues("upload", "stage")), testutil.ToFloat64(r.bytes.WithLabelValues("upload", "stage")); got != 2 || b != 30 {
				t.Errorf("files{upload,stage} = %v, bytes %v; want 2 stages of 30 bytes", got, b)
			}
		})
	}
}

// TestPruneUploadsKeepsPairsWhole: an upload's data is written before its
// metadata (an archive's data synced first; an admin may copy a metadata
// file in days later). A recording's pair is kept or deleted as one, by
// its newer file, whichever of the two that is; files of no pair go by
// their own time.
func TestPruneUploadsKeepsPairsWhole(t *testing.T) {
	cut := 30 * 24 * time.Hour
	for _, tc := range []struct {
		name             string
		dataAge, metaAge time.Duration
		wantKept         bool
	}{
		{"metadata newer, inside the cut-off", cut + 2*time.Second, cut - 2*time.Second, true},
		{"data newer, inside the cut-off", cut - 2*time.Second, cut + 2*time.Second, true},
		{"both past it", cut + 2*time.Second, cut + time.Second, false},
		{"both inside it", time.Hour, time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "uploads")
			if err := os.MkdirAll(dir, 0o750); err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct {
				name string
				age  time.Duration
			}{{"night.sigmf-data", tc.dataAge}, {"night.sigmf-meta", tc.metaAge}, {"lone.sigmf-data", cut + time.Second}} {
				p := filepath.Join(dir, f.name)
				if err := os.WriteFile(p, []byte("0123456789"), 0o600); err != nil {
					t.Fatal(err)
				}
				at := retentionNow.Add(-f.age)
				if err := os.Chtimes(p, at, at); err != nil {
					t.Fatal(err)
				}
			}
			n, _, err := PruneUploads(dir, retentionNow, cut)
			if err != nil {
				t.Fatal(err)
			}
			_, dataErr := os.Stat(filepath.Join(dir, "night.sigmf-data"))
			_, metaErr := os.Stat(filepath.Join(dir, "night.sigmf-meta"))
			if (dataErr == nil) != tc.wantKept || (metaErr == nil) != tc.wantKept {
				t.Errorf("data kept %v, metadata kept %v; want both %v", dataErr == nil, metaErr == nil, tc.wantKept)
			}
			if _, err := os.Stat(filepath.Join(dir, "lone.sigmf-data")); err == nil {
				t.Errorf("a lone file past the cut-off kept")
			}
			want := int64(1)
			if !tc.wantKept {
				want = 3
			}
			if n != want {
				t.Errorf("%d files deleted, want %d", n, want)
			}
		})
	}
}
