package dashboard

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"mime/multipart"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmfschema"
	"github.com/rfwarden/rfwarden/sensor/sigmf/sigmftest"
)

// Tests of the forms a recording comes to the analyst in, as `rfwarden
// scan` reads them: an archive of several recordings, a pair whose
// core:dataset names a data file of another name, a raw capture with its
// rate and frequency, upper-case SigMF names; and of an upload the
// server's own storage fails.

// severalRecordingsArchive writes two synthetic recordings day-0 and day-1
// and returns the SigMF archive of both (day-0/day-0.sigmf-meta, ...), as
// sigmf-python writes an archive of several recordings.
func severalRecordingsArchive(t *testing.T) []byte {
	t.Helper()
	src := t.TempDir()
	writeSynthRecording(t, src, "day-0")
	writeSynthRecording(t, src, "day-1")
	arch := filepath.Join(src, "day"+sigmf.ArchiveExt)
	sigmftest.WriteArchive(t, arch, src, "day-0", "day-1")
	b, err := os.ReadFile(arch)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runOffered runs each path the analyst is offered and fails on any
// answer but 200.
func runOffered(t *testing.T, e *echo.Echo, c *creds, paths []string) {
	t.Helper()
	for _, p := range paths {
		b, _ := json.Marshal(map[string]string{"path": p})
		rec := do(e, "POST", "/api/v1/replay/run", string(b), "application/json", c, true)
		if rec.Code != 200 {
			t.Errorf("offered %q, its run: %d %s; want 200 (every recording offered runs)", p, rec.Code, trunc(rec.Body.String()))
		}
	}
}

// TestUploadArchiveOfSeveralRecordingsStoresEach: an archive of several
// recordings (as `rfwarden scan day.sigmf` scans one after the other,
// TestScanArchiveSeveralRecordings) is stored as one pair per recording,
// uploads/day-0 and uploads/day-1; the answer names each, the list offers
// each, and each runs. Again with replace=1 it replaces both; without it,
// 409.
func TestUploadArchiveOfSeveralRecordingsStoresEach(t *testing.T) {
	ev := newEnv(t)
	archive := severalRecordingsArchive(t)
	ev.deps.Replayer = newTestReplayer(t, ev.deps.ReplayDir)
	ev.deps.MaxUpload = 16 << 20
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	body, ct := multipartBody(t, map[string][2]string{"archive": {"day.sigmf", string(archive)}})
	rec := do(e, "POST", "/api/v1/replay/upload", body, ct, &c, true)
	if rec.Code != 201 {
		t.Fatalf("upload of an archive of two recordings: %d %s; want 201", rec.Code, trunc(rec.Body.String()))
	}
	var got struct {
		Path     string   `json:"path"`
		Paths    []string `json:"paths"`
		Replaced bool     `json:"replaced"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := []string{"uploads/day-0.sigmf-meta", "uploads/day-1.sigmf-meta"}
	if !slices.Equal(got.Paths, want) || got.Path != want[0] || got.Replaced {
		t.Errorf("answer %s; want paths %q, path the first, replaced false", rec.Body.String(), want)
	}
	list := do(e, "GET", "/api/v1/replay/recordings", "", "", &c, false)
	var offered []string
	if err := json.Unmarshal(list.Body.Bytes(), &offered); err != nil {
		t.Fatal(err)
	}
	for _, p := range want {
		if !slices.Contains(offered, p) {
			t.Errorf("recordings %q: want %s offered", offered, p)
		}
	}
	runOffered(t, e, &c, want)
	if again := do(e, "POST", "/api/v1/replay/upload", body, ct, &c, true); again.Code != 409 {
		t.Errorf("the same archive again: %d %s; want 409", again.Code, trunc(again.Body.String()))
	}
	rep := do(e, "POST", "/api/v1/replay/upload?replace=1", body, ct, &c, true)
	if rep.Code != 201 || !strings.Contains(rep.Body.String(), `"replaced":true`) || !strings.Contains(rep.Body.String(), `"replaced_paths":["uploads/day-0.sigmf-meta","uploads/day-1.sigmf-meta"]`) {
		t.Errorf("replace=1: %d %s; want 201 replacing both", rep.Code, trunc(rep.Body.String()))
	}
}

// TestUploadPairWithCoreDataset: a capture from GNU Radio's File Sink or
// hackrf_transfer comes as capture.cfile with a capture.sigmf-meta whose
// core:dataset names it; `rfwarden scan capture.sigmf-meta` reads it
// (docs/recordings.md). The upload takes it with its data file as it is
// or renamed NAME.sigmf-data, stores the data as capture.sigmf-data with
// core:dataset rewritten to name it (core:header_bytes kept), and it
// runs. A core:dataset naming any other file (out of the upload, or a
// file not sent) is refused: the data is only ever the file uploaded.
func TestUploadPairWithCoreDataset(t *testing.T) {
	src := t.TempDir()
	meta := writeSynthRecording(t, src, "capture")
	raw, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(strings.TrimSuffix(meta, sigmf.MetaExt) + sigmf.DataExt)
	if err != nil {
		t.Fatal(err)
	}
	withDataset := func(ds string, headerBytes int) string {
		var top map[string]any
		if err := json.Unmarshal(raw, &top); err != nil {
			t.Fatal(err)
		}
		top["global"].(map[string]any)["core:dataset"] = ds
		if headerBytes > 0 { // the hashes were of the samples alone
			delete(top["global"].(map[string]any), "core:sha512")
			delete(top["global"].(map[string]any), "rfw:sha256")
			top["captures"].([]any)[0].(map[string]any)["core:header_bytes"] = headerBytes
		}
		b, err := json.Marshal(top)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// as scan finds it
	if err := os.WriteFile(filepath.Join(src, "capture.cfile"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(meta, []byte(withDataset("capture.cfile", 0)), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(strings.TrimSuffix(meta, sigmf.MetaExt) + sigmf.DataExt)
	if rec, err := sigmf.Open(meta); err != nil {
		t.Fatalf("scan's reader refuses the pair: %v", err)
	} else {
		rec.Close()
	}
	header := "HDR!HDR!" // a header of 8 bytes before the samples, one cf32 sample
	for _, tc := range []struct {
		name, meta, dataName, data string
		wantCode                   int
		wantHeaderBytes            bool
	}{
		{"given the data file as the tool named it", withDataset("capture.cfile", 0), "capture.cfile", string(data), 201, false},
		{"given the data renamed NAME.sigmf-data", withDataset("capture.cfile", 0), "capture.sigmf-data", string(data), 201, false},
		{"naming NAME.sigmf-data", withDataset("capture.sigmf-data", 0), "capture.sigmf-data", string(data), 201, false},
		{"with a header before the samples", withDataset("capture.cfile", len(header)), "capture.cfile", header + string(data), 201, true},
		{"given the data renamed, naming a file not sent", withDataset("other.cfile", 0), "capture.sigmf-data", string(data), 201, false},
		{"naming a file out of the upload", withDataset("../../etc/passwd", 0), "capture.cfile", string(data), 422, false},
		{"given the data renamed, naming a file out of the upload", withDataset("../../etc/passwd", 0), "capture.sigmf-data", string(data), 422, false},
		{"naming a file not sent", withDataset("other.cfile", 0), "capture.cfile", string(data), 422, false},
		{"a data file no name in the metadata gives", string(raw), "capture.cfile", string(data), 400, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.Replayer = newTestReplayer(t, ev.deps.ReplayDir)
			ev.deps.MaxUpload = 16 << 20
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, RoleAnalyst, "analyst-password")
			body, ct := multipartBody(t, map[string][2]string{"meta": {"capture.sigmf-meta", tc.meta}, "data": {tc.dataName, tc.data}})
			got := do(e, "POST", "/api/v1/replay/upload", body, ct, &c, true)
			if got.Code != tc.wantCode {
				t.Fatalf("upload: %d %s; want %d", got.Code, trunc(got.Body.String()), tc.wantCode)
			}
			uploads := filepath.Join(ev.deps.ReplayDir, uploadFolder)
			ents, _ := os.ReadDir(uploads)
			if tc.wantCode != 201 {
				for _, e := range ents {
					if !strings.HasPrefix(e.Name(), ".") {
						t.Errorf("refused, but %s stored", e.Name())
					}
				}
				return
			}
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			if !slices.Equal(names, []string{"capture.sigmf-data", "capture.sigmf-meta"}) {
				t.Errorf("uploads/ holds %q; want the pair capture.sigmf-data, capture.sigmf-meta", names)
			}
			m, err := sigmf.ReadMeta(filepath.Join(uploads, "capture.sigmf-meta"))
			if err != nil {
				t.Fatal(err)
			}
			if ds := m.Global.Extra["core:dataset"]; ds != "capture.sigmf-data" {
				t.Errorf("stored core:dataset %v; want capture.sigmf-data, the data stored beside it", ds)
			}
			if hb := m.Captures[0].HeaderBytes; (hb == int64(len(header))) != tc.wantHeaderBytes {
				t.Errorf("stored core:header_bytes %v; want kept as sent", hb)
			}
			runOffered(t, e, &c, []string{"uploads/capture.sigmf-meta"})
		})
	}
}

// TestUploadRawCapture: a capture made at the site with hackrf_transfer
// (raw interleaved cs8, "ci8" in SigMF) with a note of its rate and
// frequency is uploaded with them (fields datatype, sample_rate,
// center_hz, as scan's --datatype, --rate, --center): stored as a SigMF
// pair whose metadata passes the official SigMF schema and says the
// rate, centre and datatype, and it runs. A datatype, rate or centre that
// is missing or wrong is refused (400) naming it, and nothing is stored.
// A WAV file (SDR++, SDR#) is read through its header: datatype and
// sample_rate may be left out, a datatype it contradicts is refused
// naming both, and one whose samples are not IQ says what it found (until
// 2026-12-07 its header was stored as samples). The metadata's
// core:description claims a centre frequency only when one was given.
func TestUploadRawCapture(t *testing.T) {
	wav := func(channels int) string {
		return string(sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: channels, RateHz: 1000000, Bits: 16, Before: []string{"LISTSDR++"}}, []byte(tinyData(8192))))
	}
	for _, tc := range []struct {
		name     string
		fields   map[string]string
		file     string
		data     string // "": 4096 ci8 samples
		wantCode int
		wantMsg  string
		wantType string // "": ci8
	}{
		{"hackrf_transfer's cs8", map[string]string{"datatype": "ci8", "sample_rate": "1e6", "center_hz": "915e6"}, "night.cs8", "", 201, "", ""},
		{"no centre given", map[string]string{"datatype": "ci8", "sample_rate": "1e6"}, "night.cs8", "", 201, "", ""},
		{"no datatype", map[string]string{"sample_rate": "1e6", "center_hz": "915e6"}, "night.cs8", "", 400, "datatype", ""},
		{"an unknown datatype", map[string]string{"datatype": "cs8", "sample_rate": "1e6", "center_hz": "915e6"}, "night.cs8", "", 400, "ci8", ""},
		{"no rate", map[string]string{"datatype": "ci8", "center_hz": "915e6"}, "night.cs8", "", 400, "sample_rate", ""},
		{"a rate of none", map[string]string{"datatype": "ci8", "sample_rate": "0", "center_hz": "915e6"}, "night.cs8", "", 400, "sample_rate", ""},
		{"a negative centre", map[string]string{"datatype": "ci8", "sample_rate": "1e6", "center_hz": "-5"}, "night.cs8", "", 400, "center_hz", ""},
		{"a name that is not plain", map[string]string{"datatype": "ci8", "sample_rate": "1e6"}, "night shot.cs8", "", 400, "plain name", ""},
		{"SDR++'s WAV", map[string]string{"center_hz": "915e6"}, "night.wav", wav(2), 201, "", "ci16_le"},
		{"a WAV with its datatype and rate", map[string]string{"datatype": "ci16_le", "sample_rate": "1e6"}, "night.wav", wav(2), 201, "", "ci16_le"},
		{"a WAV with another datatype", map[string]string{"datatype": "ci8", "sample_rate": "1e6"}, "night.wav", wav(2), 400, "datatype ci8 given, but its WAV header says ci16_le", ""},
		{"a mono WAV", nil, "night.wav", wav(1), 400, "a WAV file of 1 channel of 16-bit PCM", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.Replayer = newTestReplayer(t, ev.deps.ReplayDir)
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, RoleAnalyst, "analyst-password")
			var b bytes.Buffer
			w := multipart.NewWriter(&b)
			for k, v := range tc.fields {
				if err := w.WriteField(k, v); err != nil {
					t.Fatal(err)
				}
			}
			fw, err := w.CreateFormFile("raw", tc.file)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(fw, cmp.Or(tc.data, tinyData(4096)))
			w.Close()
			rec := do(e, "POST", "/api/v1/replay/upload", b.String(), w.FormDataContentType(), &c, true)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantMsg) {
				t.Fatalf("upload: %d %s; want %d naming %q", rec.Code, trunc(rec.Body.String()), tc.wantCode, tc.wantMsg)
			}
			uploads := filepath.Join(ev.deps.ReplayDir, uploadFolder)
			if tc.wantCode != 201 {
				if _, err := os.Stat(filepath.Join(uploads, "night.sigmf-meta")); err == nil {
					t.Errorf("refused, but stored")
				}
				return
			}
			metaPath := filepath.Join(uploads, "night.sigmf-meta")
			if err := sigmfschema.CheckFile(metaPath); err != nil {
				t.Errorf("the metadata written for the raw capture fails the SigMF schema: %v", err)
			}
			r, err := sigmf.Open(metaPath)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			wantCenter := 915e6
			if tc.fields["center_hz"] == "" {
				wantCenter = 0
			}
			wantType := cmp.Or(tc.wantType, "ci8")
			if r.Datatype() != wantType || r.SampleRateHz() != 1e6 || r.CenterHzAt(0) != wantCenter || r.NumSamples() != 4096 {
				t.Errorf("stored %s at %g Hz, centre %g, %d samples; want %s at 1e6, centre %g, 4096", r.Datatype(), r.SampleRateHz(), r.CenterHzAt(0), r.NumSamples(), wantType, wantCenter)
			}
			if buf := make([]complex64, 1); tc.data != "" {
				if n, err := r.Read(buf); n != 1 || err != nil || buf[0] != complex(float32(0xfb05-0x10000)/32768, float32(0xfb05-0x10000)/32768) {
					t.Errorf("first sample %v (%v), want the WAV data chunk's first", buf[0], err)
				}
			}
			if desc := r.Meta().Global.Description; strings.Contains(desc, "no centre frequency") != (wantCenter == 0) {
				t.Errorf("core:description %q with center_hz %q", desc, tc.fields["center_hz"])
			}
			runOffered(t, e, &c, []string{"uploads/night.sigmf-meta"})
		})
	}
}

// TestUploadRawFieldsCheckedBeforeCopy: a raw upload whose datatype,
// sample_rate or center_hz is wrong is refused before its file is copied
// into the stage (RFW_REPLAY_DIR), which a WAV file is told by its first
// bytes; until 2026-12-07 the whole file (up to the upload limit) was
// copied first, then refused. So is a WAV file whose header contradicts
// the datatype or sample_rate given, or is refused (its data chunk
// empty), read from its header where it was spooled: until 2026-12-07
// it was copied first.
func TestUploadRawFieldsCheckedBeforeCopy(t *testing.T) {
	wav := string(sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 1000000, Bits: 16}, []byte(tinyData(8192))))
	for _, tc := range []struct {
		name    string
		fields  map[string]string
		data    string
		wantMsg string // "": staged
	}{
		{"an unknown datatype", map[string]string{"datatype": "cs8", "sample_rate": "1e6"}, tinyData(4096), "datatype"},
		{"no rate", map[string]string{"datatype": "ci8"}, tinyData(4096), "sample_rate"},
		{"a negative centre", map[string]string{"datatype": "ci8", "sample_rate": "1e6", "center_hz": "-5"}, tinyData(4096), "center_hz"},
		{"a WAV with a rate of none", map[string]string{"sample_rate": "0"}, wav, "sample_rate"},
		{"a WAV whose header says another rate", map[string]string{"sample_rate": "2e6"}, wav, `raw file "night.cs8": sample rate 2e+06 given, but its WAV header says 1e+06`},
		{"a WAV whose header says another datatype", map[string]string{"datatype": "ci8"}, wav, `raw file "night.cs8": datatype ci8 given, but its WAV header says ci16_le (2 channels of 16-bit PCM)`},
		{"a WAV whose data chunk is empty", nil, string(sigmftest.WAV(sigmftest.WAVSpec{Tag: 1, Channels: 2, RateHz: 1000000, Bits: 16, After: []string{"LISTinfo"}}, nil)), "it holds no samples"},
		{"a WAV, its header's datatype and rate", nil, wav, ""},
		{"a raw capture", map[string]string{"datatype": "ci8", "sample_rate": "1e6"}, tinyData(4096), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			w := multipart.NewWriter(&b)
			for k, v := range tc.fields {
				if err := w.WriteField(k, v); err != nil {
					t.Fatal(err)
				}
			}
			fw, err := w.CreateFormFile("raw", "night.cs8")
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(fw, tc.data)
			w.Close()
			form, err := multipart.NewReader(&b, w.Boundary()).ReadForm(1 << 20)
			if err != nil {
				t.Fatal(err)
			}
			defer form.RemoveAll()
			stage, sums := t.TempDir(), stagedSums{}
			names, err := stageRaw(t.Context(), form, form.File["raw"][0], stage, sums)
			staged := folderEntries(t, stage)
			if tc.wantMsg == "" {
				if err != nil || !slices.Equal(names, []string{"night"}) || !slices.Contains(staged, "night"+sigmf.DataExt) {
					t.Fatalf("stageRaw = %v, %v; staged %v; want night staged", names, err, staged)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("stageRaw = %v, %v; want refused naming %q", names, err, tc.wantMsg)
			}
			if len(staged) != 0 || len(sums) != 0 {
				t.Errorf("refused, but the stage holds %v (sums %v): the file was copied first", staged, sums)
			}
		})
	}
}

// TestUploadTempStorageFailureIsServerError: an upload's file parts over
// 8 MiB are spooled by ParseMultipartForm into the system's temporary
// folder. When that cannot be written (the disk is full; here TMPDIR is
// not a folder) the answer is a server error naming the server's storage,
// not "bad upload", and without the server's path (which is logged).
func TestUploadTempStorageFailureIsServerError(t *testing.T) {
	ev := newEnv(t)
	ev.deps.MaxUpload = 32 << 20
	e, c, logs := ev.analystWithLog(t)
	notDir := filepath.Join(t.TempDir(), "full")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	body, ct := multipartBody(t, map[string][2]string{"meta": {"big.sigmf-meta", tinyMeta("ci8", "", "")}, "data": {"big.sigmf-data", tinyData(5 << 20)}})
	t.Setenv("TMPDIR", notDir) // after the test's own temporary folders are made
	rec := do(e, "POST", "/api/v1/replay/upload", body, ct, &c, true)
	got := rec.Body.String()
	if rec.Code != 500 || !strings.Contains(got, "temporary folder") || !strings.Contains(got, "not a directory") {
		t.Errorf("upload with the server's temporary storage failing: %d %s; want 500 naming the server's temporary folder and the system's reason", rec.Code, trunc(got))
	}
	if strings.Contains(got, notDir) {
		t.Errorf("answer %s shows the server's path", trunc(got))
	}
	if !strings.Contains(logs.String(), notDir) {
		t.Errorf("log %s does not name the path that failed", logs.String())
	}
}

// TestUploadUpperCaseSaysRename: a SigMF name in other case (REC.SIGMF,
// as a FAT card leaves it) is refused as `rfwarden scan` refuses it
// (TestScanUpperCaseExtension), saying what to rename it to
// (eval.UpperCaseExtension), for an archive and for a pair.
func TestUploadUpperCaseSaysRename(t *testing.T) {
	archive := sigmftest.Archive(t, "rec", 4000)
	for _, tc := range []struct {
		name  string
		files map[string][2]string
		want  string
	}{
		{"an archive", map[string][2]string{"archive": {"REC.SIGMF", string(archive)}}, "rename it REC.sigmf"},
		{"a pair", map[string][2]string{"meta": {"REC.SIGMF-META", tinyMeta("ci8", "", "")}, "data": {"REC.SIGMF-DATA", tinyData(4096)}}, "rename them REC.sigmf-meta and REC.sigmf-data"},
		{"a pair of which the data", map[string][2]string{"meta": {"REC.sigmf-meta", tinyMeta("ci8", "", "")}, "data": {"REC.SIGMF-DATA", tinyData(4096)}}, "rename them REC.sigmf-meta and REC.sigmf-data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := newEnv(t)
			ev.deps.MaxUpload = 4 << 20
			e, err := New(ev.deps)
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, e, RoleAnalyst, "analyst-password")
			body, ct := multipartBody(t, tc.files)
			rec := do(e, "POST", "/api/v1/replay/upload", body, ct, &c, true)
			if got := rec.Body.String(); rec.Code != 400 || !strings.Contains(got, tc.want) {
				t.Errorf("upload: %d %s; want 400 saying %q", rec.Code, trunc(got), tc.want)
			}
		})
	}
}

// TestReplayFolderArchiveOfSeveralOffersEachAndRunsIt: an archive of
// several recordings placed in RFW_REPLAY_DIR (docs/deploy.md: "a
// NAME.sigmf archive (as evidence downloads and rfwarden scan reads)") is
// offered once per recording, named as scan and eval name them
// (day.sigmf:day-0/day-0), and each runs, its own samples: the runs of
// the two recordings, written with different lengths, say so. A member
// the archive does not hold is refused naming it.
func TestReplayFolderArchiveOfSeveralOffersEachAndRunsIt(t *testing.T) {
	ev := newEnv(t)
	src := t.TempDir()
	writeSynthRecording(t, src, "day-0")
	writeSynthRecording(t, src, "day-1")
	// day-1 a half as long: its run must say 0.1 s, not day-0's 0.2 s
	d1 := filepath.Join(src, "day-1"+sigmf.DataExt)
	b, err := os.ReadFile(d1)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d1, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := sigmf.ReadMeta(filepath.Join(src, "day-1"+sigmf.MetaExt))
	if err != nil {
		t.Fatal(err)
	}
	delete(m.Global.Extra, "core:sha512")
	delete(m.Global.Extra, "rfw:sha256")
	m.Annotations = nil
	if err := sigmf.WriteMeta(filepath.Join(src, "day-1"+sigmf.MetaExt), m); err != nil {
		t.Fatal(err)
	}
	sigmftest.WriteArchive(t, filepath.Join(ev.deps.ReplayDir, "day"+sigmf.ArchiveExt), src, "day-0", "day-1")
	ev.deps.Replayer = newTestReplayer(t, ev.deps.ReplayDir)
	e, err := New(ev.deps)
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, e, RoleAnalyst, "analyst-password")
	list := do(e, "GET", "/api/v1/replay/recordings", "", "", &c, false)
	var paths []string
	if err := json.Unmarshal(list.Body.Bytes(), &paths); err != nil {
		t.Fatalf("list: %d %s: %v", list.Code, list.Body.String(), err)
	}
	want := []string{"day.sigmf:day-0/day-0", "day.sigmf:day-1/day-1"}
	if !slices.Equal(paths, want) {
		t.Fatalf("offered %q; want %q, each recording of the archive", paths, want)
	}
	for i, p := range paths {
		body, _ := json.Marshal(map[string]string{"path": p})
		rec := do(e, "POST", "/api/v1/replay/run", string(body), "application/json", &c, true)
		if rec.Code != 200 {
			t.Fatalf("run of %q: %d %s", p, rec.Code, trunc(rec.Body.String()))
		}
		var res struct {
			RecordingS float64 `json:"recording_s"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		if wantS := []float64{0.2, 0.1}[i]; math.Abs(res.RecordingS-wantS) > 1e-6 {
			t.Errorf("run of %q: a recording of %g s, want %g s (its own samples)", p, res.RecordingS, wantS)
		}
	}
	body, _ := json.Marshal(map[string]string{"path": "day.sigmf:day-9/day-9"})
	if rec := do(e, "POST", "/api/v1/replay/run", string(body), "application/json", &c, true); rec.Code != 422 || !strings.Contains(rec.Body.String(), "day-9") {
		t.Errorf("run of a recording the archive does not hold: %d %s; want 422 naming it", rec.Code, trunc(rec.Body.String()))
	}
}

// TestReplayFolderUpperCaseNamed: a recording copied into RFW_REPLAY_DIR
// from a FAT card keeps upper-case names (REC.SIGMF-META,
// REC.SIGMF-DATA). As `rfwarden scan` refuses it saying what to rename
// it to (TestScanUpperCaseExtension), the list leaves it out and says
// so: in the log, once, and to the page (not_offered=1), with what to
// rename it to. The plain list is unchanged for other clients.
func TestReplayFolderUpperCaseNamed(t *testing.T) {
	ev := newEnv(t)
	for name, content := range map[string]string{"REC.SIGMF-META": tinyMeta("ci8", "", ""), "REC.SIGMF-DATA": tinyData(4096), "ok.sigmf-meta": tinyMeta("ci8", "", ""), "ok.sigmf-data": tinyData(4096)} {
		if err := os.WriteFile(filepath.Join(ev.deps.ReplayDir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ev.deps.Replayer = newTestReplayer(t, ev.deps.ReplayDir)
	e, c, logs := ev.analystWithLog(t)
	list := do(e, "GET", "/api/v1/replay/recordings", "", "", &c, false)
	if got := strings.TrimSpace(list.Body.String()); got != `["ok.sigmf-meta"]` {
		t.Errorf("recordings %s; want only ok.sigmf-meta", got)
	}
	rename := "rename them REC.sigmf-meta and REC.sigmf-data"
	for range 2 {
		rec := do(e, "GET", "/api/v1/replay/recordings?not_offered=1", "", "", &c, false)
		var got struct {
			Recordings []string     `json:"recordings"`
			NotOffered []notOffered `json:"not_offered"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("%d %s: %v", rec.Code, rec.Body.String(), err)
		}
		if !slices.Equal(got.Recordings, []string{"ok.sigmf-meta"}) || len(got.NotOffered) != 1 || got.NotOffered[0].Path != "REC.SIGMF-META" || !strings.Contains(got.NotOffered[0].Why, rename) {
			t.Errorf("not_offered=1: %s; want ok.sigmf-meta offered and REC.SIGMF-META left out, saying %q", rec.Body.String(), rename)
		}
	}
	if n := strings.Count(logs.String(), "REC.SIGMF-META"); n != 1 || !strings.Contains(logs.String(), rename) {
		t.Errorf("log names REC.SIGMF-META %d times (want once, saying %q):\n%s", n, rename, logs.String())
	}
	if rec := do(e, "GET", "/api/v1/replay/recordings?not_offered=yes", "", "", &c, false); rec.Code != 400 {
		t.Errorf("not_offered=yes: %d, want 400", rec.Code)
	}
}

// TestUploadStorageErrorAnswer: a failure of the server's storage while
// an upload is stored is answered 507 when the disk is full and 500
// otherwise, naming the storage and the system's reason, never the
// server's path (logged instead).
func TestUploadStorageErrorAnswer(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		wantCode int
		want     string
	}{
		{"disk full", &stageError{fmt.Errorf("stage upload %q: %w", "x.sigmf-data", &fs.PathError{Op: "write", Path: "/srv/rec/uploads/.upload-1/x.sigmf-data", Err: syscall.ENOSPC})}, 507, "no space left on device"},
		{"read-only", &fs.PathError{Op: "open", Path: "/srv/rec/uploads/.upload-1/x.sigmf-data", Err: syscall.EROFS}, 500, "read-only file system"},
		{"a rename", &os.LinkError{Op: "rename", Old: "/srv/a", New: "/srv/b", Err: syscall.EIO}, 500, "input/output error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncbuf.Buffer
			s := &server{log: slog.New(slog.NewTextHandler(&logs, nil))}
			err := s.uploadStorageError("RFW_REPLAY_DIR", tc.err)
			var he *echo.HTTPError
			if !errors.As(err, &he) {
				t.Fatalf("%v is no HTTP error", err)
			}
			msg := fmt.Sprint(he.Message)
			if he.Code != tc.wantCode || !strings.Contains(msg, tc.want) || !strings.Contains(msg, "RFW_REPLAY_DIR") {
				t.Errorf("answer %d %q; want %d naming RFW_REPLAY_DIR and %q", he.Code, msg, tc.wantCode, tc.want)
			}
			if strings.Contains(msg, "/srv") {
				t.Errorf("answer %q shows the server's path", msg)
			}
			if !strings.Contains(logs.String(), "/srv/") {
				t.Errorf("log %q does not name the path", logs.String())
			}
		})
	}
}
