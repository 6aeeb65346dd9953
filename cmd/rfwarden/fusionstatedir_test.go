package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
)

// TestFusionStateFolderMissing: given fusion.yaml's db, seen_file or
// influx.spool_dir in a folder that does not exist (a mistyped path, a
// state folder not made yet), when fusion starts, expect it to stop
// before anything is written, naming the setting, its line and the
// folder, and the folder still missing: its state lock made the folder,
// and fusion ran on a new empty database there. A path in a folder that exists, or a
// relative one (beside fusion.yaml), loads and passes.
func TestFusionStateFolderMissing(t *testing.T) {
	siteAbs, err := filepath.Abs("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		lines string // DIR: the test's folder
		want  string // "": passes; else in the error, with the folder (DIR)
	}{
		{"db beside the config", "db: rfwarden.db\nseen_file: seen\n", ""},
		{"db in an existing folder", "db: DIR/rfwarden.db\nseen_file: DIR/seen\n", ""},
		{"spool in an existing folder", "db: rfwarden.db\ninflux: {url: \"http://127.0.0.1:21798\", spool_dir: DIR/spool}\n", ""},
		{"spool folder of no influx", "db: rfwarden.db\ninflux: {spool_dir: DIR/missing/spool}\n", ""},
		{"db in a missing folder", "db: DIR/missing/rfwarden.db\n", "fusion config: [4:5] db: DIR/missing/rfwarden.db: its folder DIR/missing does not exist: correct db"},
		{"seen file in a missing folder", "db: rfwarden.db\nseen_file: DIR/missing/seen\n", "fusion config: [5:12] seen_file: DIR/missing/seen: its folder DIR/missing does not exist"},
		{"spool in a missing folder", "db: rfwarden.db\ninflux: {url: \"http://127.0.0.1:21798\", spool_dir: DIR/missing/spool}\n", "fusion config: [5:52] influx.spool_dir: DIR/missing/spool: its folder DIR/missing does not exist"},
		{"db under a file", "db: DIR/file/rfwarden.db\n", "fusion config: [4:5] db: DIR/file/rfwarden.db: DIR/file is not a folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "file"), "not a folder\n")
			doc := fmt.Sprintf("site: %s\nbroker: tcp://127.0.0.1:21799\nclient_id: fusion-test\n", siteAbs) + strings.ReplaceAll(tc.lines, "DIR", dir)
			fc, err := fusion.LoadFileConfig(strings.NewReader(doc), dir)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			err = checkStateFolders(fc)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("%q refused: %v", tc.lines, err)
				}
				return
			}
			want := strings.ReplaceAll(tc.want, "DIR", dir)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("checkStateFolders: %v; want %q", err, want)
			}
			// and fusion stops on it at start, making nothing
			writeFile(t, filepath.Join(dir, "fusion.yaml"), doc)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out, errOut syncbuf.Buffer
			err = cmdFusion(ctx, []string{"--config", filepath.Join(dir, "fusion.yaml")}, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("fusion: %v; want %q", err, want)
			}
			if _, err := os.Stat(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
				t.Errorf("the missing folder: %v; want it left missing", err)
			}
		})
	}
}

// TestFusionRefusesBeforeStarting: a webhook without its secret in the
// environment, and a subscription that misses the site's sensors, stop
// fusion before it connects or makes its database, naming the setting;
// the webhook's refusal came after both, and after the start line.
func TestFusionRefusesBeforeStarting(t *testing.T) {
	siteAbs, err := filepath.Abs("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("RFW_WEBHOOK_SECRET", "")
	for _, tc := range []struct{ name, lines, want string }{
		{"webhook without its secret", "webhook: {url: \"https://127.0.0.1:21797/hook\"}\n", "$RFW_WEBHOOK_SECRET is empty"},
		{"subscription of another site", "subscription: rfw/v1/other/sensor/+/+\n", "does not match the topics of site hmp-test's sensors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			doc := fmt.Sprintf("site: %s\nbroker: tcp://127.0.0.1:21799\nclient_id: fusion-test\ndb: rfwarden.db\n", siteAbs) + tc.lines
			writeFile(t, filepath.Join(dir, "fusion.yaml"), doc)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out, errOut syncbuf.Buffer
			err := cmdFusion(ctx, []string{"--config", filepath.Join(dir, "fusion.yaml")}, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("fusion: %v; want %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "rfwarden.db")); !os.IsNotExist(err) {
				t.Errorf("the database: %v; want none made", err)
			}
			if out.String() != "" {
				t.Errorf("printed %q before refusing", out.String())
			}
		})
	}
}

// TestFusionWarnsOfWeakWebhookSecret: fusion started with a webhook secret
// of 7 bytes and a trailing "\r" without a word; it warns at start, with
// the secret's variable named and the secret itself not quoted, and runs.
func TestFusionWarnsOfWeakWebhookSecret(t *testing.T) {
	siteAbs, err := filepath.Abs("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("RFW_WEBHOOK_SECRET", "hunter2\r")
	dir := t.TempDir()
	doc := fmt.Sprintf("site: %s\nbroker: tcp://127.0.0.1:21799\nclient_id: fusion-test\ndb: rfwarden.db\nwebhook: {url: \"https://127.0.0.1:21797/hook\"}\n", siteAbs)
	writeFile(t, filepath.Join(dir, "fusion.yaml"), doc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut syncbuf.Buffer
	done := make(chan error, 1)
	go func() { done <- cmdFusion(ctx, []string{"--config", filepath.Join(dir, "fusion.yaml")}, &out, &errOut) }()
	want := []string{"$RFW_WEBHOOK_SECRET is 8 bytes: a secret this short can be guessed", "$RFW_WEBHOOK_SECRET begins or ends with white space or holds a control character"}
	for !strings.Contains(errOut.String(), want[1]) {
		select {
		case err := <-done:
			t.Fatalf("fusion stopped: %v\n%s", err, errOut.String())
		case <-ctx.Done():
			t.Fatalf("no warning in 60 s:\n%s", errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	<-done
	log := errOut.String()
	for _, w := range want {
		if !strings.Contains(log, "level=WARN msg=\"webhook: "+w) {
			t.Errorf("log lacks the warning %q:\n%s", w, log)
		}
	}
	if strings.Contains(log, "hunter2") {
		t.Errorf("the log quotes the secret:\n%s", log)
	}
}

// TestFusionRefusesEmptyDatabase: given fusion.yaml's db naming a file
// that is there but empty (a failed copy or restore, a full disk), when
// fusion starts, expect it to stop naming the file, that it is empty and
// what to do (rfwarden restore, or remove the file), the file left empty
// and no start line. Fusion made a new database in it without a word, and
// a dashboard then started on it made a new admin: every alert,
// incident, registry entry, audit row and account was gone.
func TestFusionRefusesEmptyDatabase(t *testing.T) {
	siteAbs, err := filepath.Abs("../../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "rfwarden.db")
	writeFile(t, db, "")
	writeFile(t, filepath.Join(dir, "fusion.yaml"), fmt.Sprintf("site: %s\nbroker: tcp://127.0.0.1:21799\nclient_id: fusion-test\ndb: %s\n", siteAbs, db))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut syncbuf.Buffer
	err = cmdFusion(ctx, []string{"--config", filepath.Join(dir, "fusion.yaml")}, &out, &errOut)
	if err == nil {
		t.Fatalf("fusion started on an empty database file; stdout %q", out.String())
	}
	for _, want := range []string{db, "the file is empty", "rfwarden restore", "remove the file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("fusion: %q; want it to say %q", err, want)
		}
	}
	if fi, err := os.Stat(db); err != nil || fi.Size() != 0 {
		t.Errorf("the database file after fusion: %v, %v; want it left empty", fi, err)
	}
	if out.String() != "" {
		t.Errorf("printed %q before refusing", out.String())
	}
}
