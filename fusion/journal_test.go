package fusion

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// journalChildEnv names, in the environment of TestJournalKillChild's
// process, the database it runs fusion on; journalChildCfg its batch size
// and association window ("8 1ms").
const (
	journalChildEnv = "RFW_JOURNAL_KILL_CHILD_DB"
	journalChildCfg = "RFW_JOURNAL_KILL_CHILD_CFG"
)

// TestJournalKillChild is the fusion TestRunLosesNoAckedDetectionAtKill
// kills: it runs Run on the database named by journalChildEnv, with a
// subscriber that reads detection payloads from stdin, a line each, and
// writes "ack <id>" to stdout as fusion acknowledges each. Its tick is an
// hour: only a full batch is flushed before the kill. Skipped unless it is
// that child.
func TestJournalKillChild(t *testing.T) {
	path := os.Getenv(journalChildEnv)
	if path == "" {
		t.Skip("the child process of TestRunLosesNoAckedDetectionAtKill")
	}
	db, err := store.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{TickEvery: time.Hour}
	batch, window, _ := strings.Cut(os.Getenv(journalChildCfg), " ")
	if cfg.BatchSize, err = strconv.Atoi(batch); err != nil {
		t.Fatal(err)
	}
	if cfg.AssocWindow, err = time.ParseDuration(window); err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg, Deps{Site: wing(t), TimeSeries: db, Journal: db})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(context.Background(), stdinSub{}); err != nil {
		t.Fatal(err)
	}
}

// stdinSub is an AckSubscriber whose site subscription gets the
// detections read from stdin, a JSON payload a line, and whose
// acknowledgements write "ack <id>" lines to stdout.
type stdinSub struct{}

func (stdinSub) Subscribe(string, byte, func(string, []byte)) error {
	return errors.New("stdinSub: Run should use SubscribeAck")
}

func (stdinSub) SubscribeAck(topic string, _ byte, h func(string, []byte, func())) error {
	if strings.Contains(topic, "/ack") {
		return nil
	}
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			payload := slices.Clone(sc.Bytes())
			d, err := event.DecodeDetection(payload)
			if err != nil {
				fmt.Fprintln(os.Stdout, "bad", err)
				continue
			}
			h(event.SensorTopic(d.Site, d.Sensor, event.KindDetection), payload, func() {
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintln(os.Stdout, "ack", d.ID)
			})
		}
	}()
	return nil
}

// TestRunLosesNoAckedDetectionAtKill: fusion in a child process takes 40
// detections and acknowledges each, then is killed (SIGKILL): before it
// has stored any, or having stored them in batches of 8 (a group closing
// at each detection), the entries of the stored ones deleted. A fusion
// started again on the same database, before it subscribes, replays
// what the journal holds: each acknowledged detection is in the store
// once, the replay counted in rfw_fusion_journal_replayed_total, and the
// journal is empty after its flush. Until 2026-12-07 fusion wrote a
// detection only when its group closed and the next batch was flushed,
// and a kill -9 lost the last second and a half of acknowledged ones (the
// broker does not send them again).
func TestRunLosesNoAckedDetectionAtKill(t *testing.T) {
	if os.Getenv(journalChildEnv) != "" {
		t.Skip("in the child")
	}
	const n = 40
	for _, tc := range []struct {
		name     string
		cfg      string // the child's batch size and association window
		replayed func(float64) bool
	}{
		{"nothing stored before the kill", "100000 500ms", func(r float64) bool { return r == n }},
		{"stored in batches of 8 before the kill", "8 1ns", func(r float64) bool { return r < n }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rfwarden.db")
			ids := killAfterAcks(t, path, tc.cfg, n)
			db, err := store.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			e, err := New(Config{}, Deps{Site: wing(t), TimeSeries: db, Journal: db})
			if err != nil {
				t.Fatal(err)
			}
			_, stop := runSubscribed(t, e)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if got := testutil.ToFloat64(e.met.journalReplayed); !tc.replayed(got) {
				t.Errorf("rfw_fusion_journal_replayed_total %v of %d acknowledged: not what the journal should have held", got, n)
			}
			storedOnce(t, db, ids)
			if left, err := db.Journal(context.Background()); err != nil || len(left) != 0 {
				t.Errorf("journal after the flush: %d entries, %v; want none", len(left), err)
			}
		})
	}
}

// storedOnce checks that db's detection table holds each of ids once.
func storedOnce(t *testing.T, db *store.SQLite, ids []string) {
	t.Helper()
	for _, id := range ids {
		var c int
		if err := db.DB().QueryRow(`SELECT COUNT(*) FROM detection WHERE id = ?`, id).Scan(&c); err != nil {
			t.Fatal(err)
		}
		if c != 1 {
			t.Errorf("acknowledged detection %s stored %d times, want once", id, c)
		}
	}
}

// killAfterAcks runs TestJournalKillChild on the database at path with
// cfg, sends it n detections (an emission each, three sensors) 8 at a
// time, each 8 once it has acknowledged those before, kills it (SIGKILL)
// once it has acknowledged every one and returns their IDs.
func killAfterAcks(t *testing.T, path, cfg string, n int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestJournalKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), journalChildEnv+"="+path, journalChildCfg+"="+cfg)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	now := time.Now()
	var ids []string
	acked := map[string]bool{}
	sc := bufio.NewScanner(stdout)
	timeout := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	for i := range n {
		d := seqDet(fmt.Sprintf("s%d", 1+i%3), 1+i/3, now.Add(time.Duration(i)*time.Millisecond))
		ids = append(ids, d.ID)
		b, err := event.Encode(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Fprintf(stdin, "%s\n", b); err != nil {
			t.Fatal(err)
		}
		if (i+1)%8 != 0 && i+1 < n {
			continue
		}
		for len(acked) <= i && sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				acked[id] = true
			}
		}
	}
	timeout.Stop()
	if len(acked) < n {
		t.Fatalf("the child acknowledged %d of %d before it stopped:\n%s", len(acked), n, stderr.String())
	}
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	return ids
}

// runSubscribed runs e.Run on an ackSub until it has made both its
// subscriptions, and returns the subscriber and the function that stops
// Run and returns its error.
func runSubscribed(t *testing.T, e *Engine) (*ackSub, func() error) {
	t.Helper()
	sub := &ackSub{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, sub) }()
	stop := sync.OnceValue(func() error { cancel(); return <-done })
	t.Cleanup(func() { stop() })
	waitFor(t, "the subscriptions", func() bool { sub.mu.Lock(); defer sub.mu.Unlock(); return sub.n == 2 })
	return sub, stop
}

// TestJournalReplaySkipsStored: a journal entry whose detection the store
// holds already (stored just before a kill, its entry not deleted yet)
// is not handled again at the replay: no second location or alert of it,
// counted a duplicate; the other entry is handled and stored.
func TestJournalReplaySkipsStored(t *testing.T) {
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "rfwarden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	now := time.Now()
	stored, fresh := seqDet("s1", 1, now), seqDet("s2", 2, now)
	if err := db.WriteDetections(ctx, []store.DetectionRecord{{Detection: stored}}); err != nil {
		t.Fatal(err)
	}
	var entries []store.JournalEntry
	for i, d := range []event.Detection{stored, fresh} {
		m := detMsg(t, d, d.Sensor)
		entries = append(entries, store.JournalEntry{Seq: int64(7 + i), Topic: m.Topic, Payload: m.Payload, ReceivedNS: now.UnixNano()})
	}
	if err := db.AppendJournal(ctx, entries); err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{}, Deps{Site: wing(t), TimeSeries: LiveLocations{TimeSeries: db, Client: openClient{}}, Journal: db})
	if err != nil {
		t.Fatal(err)
	}
	_, stop := runSubscribed(t, e) // the replay comes first
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got, dup := testutil.ToFloat64(e.met.detections), testutil.ToFloat64(e.met.duplicates); got != 1 || dup != 1 {
		t.Errorf("replay handled %v detections and dropped %v as duplicates, want 1 and 1 (the stored one skipped)", got, dup)
	}
	recs, err := db.DetectionsByID(ctx, "hmp-test", now.Add(-time.Minute), now.Add(time.Minute), []string{stored.ID, fresh.ID})
	if err != nil || len(recs) != 2 {
		t.Errorf("stored after the replay: %d, %v; want both", len(recs), err)
	}
	if left, err := db.Journal(ctx); err != nil || len(left) != 0 {
		t.Errorf("journal after the flush: %d entries, %v; want none", len(left), err)
	}
}

// openClient is a tokenPublisher whose publications all succeed at once.
type openClient struct{}

func (openClient) Publish(string, byte, bool, any) mqtt.Token {
	done := make(chan struct{})
	close(done)
	return gatedToken{done}
}

// failingJournal is a Journal whose appends fail while fail is set.
type failingJournal struct {
	fail    atomic.Bool
	mu      sync.Mutex
	entries []store.JournalEntry
	added   int // entries appended, ever
}

func (j *failingJournal) AppendJournal(_ context.Context, es []store.JournalEntry) error {
	if j.fail.Load() {
		return errors.New("database or disk is full (13)")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, es...)
	j.added += len(es)
	return nil
}

// len is how many entries the journal holds; appended how many it took.
func (j *failingJournal) len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.entries)
}

func (j *failingJournal) appended() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.added
}

func (j *failingJournal) ReleaseJournal(_ context.Context, before int64) (int64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := len(j.entries)
	j.entries = slices.DeleteFunc(j.entries, func(e store.JournalEntry) bool { return e.Seq < before })
	return int64(n - len(j.entries)), nil
}

func (j *failingJournal) Journal(context.Context) ([]store.JournalEntry, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.entries), nil
}

// TestRunJournalFailureAcksAnyway: while the journal refuses appends (a
// full disk), fusion handles and acknowledges the detections all the same,
// unjournaled, and counts the failures: held unacknowledged, once the
// broker's in-flight limit (100) was held it sent fusion nothing more, no
// alert and no sensor heard for as long as the disk was full. Once the
// journal takes appends again, detections are journaled again.
func TestRunJournalFailureAcksAnyway(t *testing.T) {
	now := time.Now()
	j := &failingJournal{}
	j.fail.Store(true)
	e, err := New(Config{TickEvery: 10 * time.Millisecond}, Deps{Site: wing(t), TimeSeries: &storetest.Recorder{}, Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	sub, stop := runSubscribed(t, e)
	defer stop()
	var acked atomic.Int32
	send := func(seq int) {
		m := detMsg(t, seqDet("s1", seq, now), "s1")
		sub.handler(m.Topic, m.Payload, func() { acked.Add(1) })
	}
	for i := range 3 {
		send(i + 1)
	}
	waitFor(t, "the detections acknowledged without the journal", func() bool { return acked.Load() == 3 })
	if testutil.ToFloat64(e.met.journalFailures) == 0 {
		t.Error("rfw_fusion_journal_append_failures_total 0 after failed appends")
	}
	if testutil.ToFloat64(e.met.detections) != 3 {
		t.Errorf("detections handled %v, want 3", testutil.ToFloat64(e.met.detections))
	}
	j.fail.Store(false)
	send(4)
	waitFor(t, "the next detection journaled and acknowledged", func() bool { return acked.Load() == 4 && j.appended() == 1 })
}

// TestJournalReplayDespiteSeenFile: fusion stopped cleanly while its
// store failed keeps the unstored detections in the journal, and its seen
// file names them (Close saves what it took in): the next start's replay
// dropped them as duplicates and released them, never stored. The
// journal's entries are stored when the store does not hold them,
// whatever the seen file says.
func TestJournalReplayDespiteSeenFile(t *testing.T) {
	seen := filepath.Join(t.TempDir(), "seen")
	j := &failingJournal{}
	ts := &failingSeries{}
	ts.fail.Store(true)
	now := time.Now()
	cfg := Config{SeenFile: seen, TickEvery: 10 * time.Millisecond}
	e, err := New(cfg, Deps{Site: wing(t), TimeSeries: ts, Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	sub, stop := runSubscribed(t, e)
	var acked atomic.Int32
	for i := range 3 {
		m := detMsg(t, seqDet("s1", i+1, now), "s1")
		sub.handler(m.Topic, m.Payload, func() { acked.Add(1) })
	}
	waitFor(t, "acknowledged", func() bool { return acked.Load() == 3 })
	stop() // Close's flush fails: the entries stay, the seen file names them
	if n := j.len(); n != 3 {
		t.Fatalf("journal after a stop with the store failing: %d entries, want 3", n)
	}
	ts.fail.Store(false)
	e2, err := New(cfg, Deps{Site: wing(t), TimeSeries: ts, Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	_, stop2 := runSubscribed(t, e2)
	stop2()
	ts.Mu.Lock()
	stored := len(ts.Dets)
	ts.Mu.Unlock()
	if stored != 3 || j.len() != 0 {
		t.Errorf("after the replay: %d stored, %d left in the journal; want 3 stored, none left", stored, j.len())
	}
}

// failingSeries is a storetest.Recorder whose detection and location
// writes fail while fail is set.
type failingSeries struct {
	storetest.Recorder
	fail atomic.Bool
}

func (f *failingSeries) WriteDetections(ctx context.Context, r []store.DetectionRecord) error {
	if f.fail.Load() {
		return errors.New("disk full")
	}
	return f.Recorder.WriteDetections(ctx, r)
}

func (f *failingSeries) WriteLocations(ctx context.Context, r []store.LocationRecord) error {
	if f.fail.Load() {
		return errors.New("disk full")
	}
	return f.Recorder.WriteLocations(ctx, r)
}
