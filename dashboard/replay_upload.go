package dashboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rfwarden/rfwarden/internal/ctxio"
	"github.com/rfwarden/rfwarden/sensor/eval"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// uploadFolder is the subfolder of ReplayDir uploads are stored in.
const uploadFolder = "uploads"

// maxUploadName bounds an uploaded recording's NAME, in bytes.
const maxUploadName = 200

// replayUpload stores an uploaded recording in the replay folder under
// uploads/, size-limited. It takes one of three forms:
//   - a SigMF pair: multipart fields "meta" (NAME.sigmf-meta) and "data",
//     NAME.sigmf-data or the file the metadata's core:dataset names (a
//     GNU Radio capture.cfile, as `rfwarden scan` reads it); the data is
//     stored as NAME.sigmf-data and core:dataset rewritten to name it;
//   - a SigMF archive (field "archive", NAME.sigmf) of one recording or of
//     several (as sigmf-python writes "day-0/…", "day-1/…", and `rfwarden
//     scan` reads): each recording is stored as its own pair, so the
//     Replay page offers, and runs, each one by its own name;
//   - a raw capture (field "raw", such as hackrf_transfer's night.cs8) with
//     fields "datatype" (ci8, cu8, cf32_le, ...), "sample_rate" and
//     "center_hz", as scan's --datatype, --rate and --center: stored as
//     NAME.sigmf-data with a SigMF metadata file written for it.
//
// Each recording is first opened as a replay opens it (checkUpload); one a
// replay would refuse is answered 422 naming the fault. A NAME already in
// uploads/ is answered 409 unless the query says replace=1. Nothing is
// stored unless all is well, and the metadata is stored last, so the
// recordings list never offers half a recording. A failure of the
// server's own storage (the system's temporary folder the body is spooled
// to, or RFW_REPLAY_DIR) is answered 507 (no space) or 500, naming the
// storage and not the server's paths, which are logged.
//
// A refusal is audited too (replay.upload.refused, auditRefusedUpload),
// unless the analyst left (the request ended) or the refusal is that the
// upload's own row could not be written.
func (s *server) replayUpload(c echo.Context) (err error) {
	// not audited as refused: the analyst left (the request ended), or
	// the upload's own audit row could not be written
	left, rowFailed := false, false
	defer func() {
		if err != nil && !left && !rowFailed {
			s.auditRefusedUpload(c, err)
		}
	}()
	if s.d.ReplayDir == "" {
		return httpError(http.StatusServiceUnavailable, "no replay folder configured")
	}
	var replace bool
	switch v := c.QueryParam("replace"); v {
	case "", "0":
	case "1":
		replace = true
	default:
		return httpError(http.StatusBadRequest, "upload: replace=%q: use replace=1 to replace a recording of the same name, or leave it out", v)
	}
	req := c.Request()
	if req.ContentLength > s.d.MaxUpload {
		return httpError(http.StatusRequestEntityTooLarge, "upload of %d bytes exceeds the %d byte limit", req.ContentLength, s.d.MaxUpload)
	}
	release, reached := s.takeUpload(session(c).User)
	if release == nil {
		s.log.Warn("dashboard: upload refused (429): too many uploads under way", "user", session(c).User,
			"limit", reached.max, "per", reached.scope)
		c.Response().Header().Set("Retry-After", "60")
		return httpError(http.StatusTooManyRequests, "%s", reached.busy)
	}
	defer release()
	if err := s.uploadRoom(req.ContentLength); err != nil {
		return err
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, s.d.MaxUpload)
	if err := req.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return httpError(http.StatusRequestEntityTooLarge, "upload exceeds the %d byte limit", s.d.MaxUpload)
		}
		var pe *fs.PathError
		if errors.As(err, &pe) { // the spool file: the server's storage, not the body
			return s.uploadStorageError("the system's temporary folder (TMPDIR)", err)
		}
		if req.Context().Err() != nil {
			// the analyst left while the body was read (it ends as
			// "unexpected EOF"): nothing refused, nothing audited
			s.log.Info("dashboard: upload: body read stopped, the request ended", "err", err)
			left = true
		}
		return httpError(http.StatusBadRequest, "bad upload: %v", err)
	}
	defer req.MultipartForm.RemoveAll()
	dir := filepath.Join(s.d.ReplayDir, uploadFolder)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return s.uploadFolderError("create the uploads folder", dir, err)
	}
	// The upload is staged in a hidden folder beside where it goes (the
	// list and the replayer skip hidden ones), so it moves in by renames.
	// One a crash left behind is removed by a later upload, and by the
	// retention run (PruneUploadStages).
	s.sweepStaging(dir)
	stage, err := os.MkdirTemp(dir, uploadStagePrefix)
	if err != nil {
		return s.uploadFolderError("write in the uploads folder", dir, err)
	}
	defer os.RemoveAll(stage)
	sums := stagedSums{}
	names, err := stageUpload(req.Context(), req.MultipartForm, stage, sums)
	if requestEnded(err) {
		// the analyst left while the body was copied into the stage or
		// the archive extracted: the copy stopped within a chunk and the
		// stage goes (the deferred RemoveAll), nothing stored or audited
		s.log.Info("dashboard: upload: copy stopped, the request ended", "err", err)
		left = true
		return httpError(http.StatusServiceUnavailable, "upload: the copy stopped: the request ended")
	}
	var se *stageError
	if errors.As(err, &se) {
		return s.uploadStorageError("RFW_REPLAY_DIR", err)
	}
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := checkUpload(req.Context(), stage, name); err != nil {
			if requestEnded(err) {
				// the analyst left (the page closed, the request
				// cancelled): the check stops and the stage goes with
				// it (the deferred RemoveAll), nothing stored or audited
				s.log.Info("dashboard: upload: check stopped, the request ended", "recording", name, "err", err)
				left = true
				return httpError(http.StatusServiceUnavailable, "upload %q: the check stopped: the request ended", name)
			}
			msg := strings.ReplaceAll(err.Error(), stage+string(filepath.Separator), "")
			return httpError(http.StatusUnprocessableEntity, "upload %q: %s", name, msg)
		}
	}
	rels := make([]string, len(names))
	for i, name := range names {
		rels[i] = uploadFolder + "/" + name + sigmf.MetaExt
	}
	// audited before any file moves (a file system has no transaction):
	// a row that cannot be written refuses the upload (503), nothing
	// added or replaced
	audit := func(name string, replacing bool) error {
		rel := uploadFolder + "/" + name + sigmf.MetaExt
		detail := sums.detail(name)
		if replacing {
			detail = "replaced " + detail
		}
		err := s.auditFirst(c, "replay.upload", "recording/"+rel, "", detail)
		rowFailed = err != nil
		return err
	}
	s.uploadMu.Lock()
	replaced, err := commitUpload(stage, dir, names, replace, audit)
	s.uploadMu.Unlock()
	var he *echo.HTTPError
	var taken *uploadExistsError
	switch {
	case errors.As(err, &taken):
		return httpError(http.StatusConflict, "upload: recording %q exists; upload with replace=1 to replace it", uploadFolder+"/"+taken.name+sigmf.MetaExt)
	case errors.As(err, &he):
		return err
	case err != nil:
		return fmt.Errorf("save upload %q: %w", rels[0], err)
	}
	// path (the first recording) and replaced (any) as before several
	// recordings could come in one upload; paths names each
	return c.JSON(http.StatusCreated, map[string]any{"path": rels[0], "paths": rels, "replaced": len(replaced) > 0, "replaced_paths": replaced})
}

// maxRefusalWhy bounds, in bytes, the refusal's message a
// replay.upload.refused row keeps: it may quote a value of the metadata
// sent.
const maxRefusalWhy = 300

// auditRefusedUpload writes the replay.upload.refused row of an upload
// refused with err (on "replay/upload", by the session's user): its
// status and message as the analyst got them (a server fault's "internal
// error", never the server's paths), the request's size (Content-Length;
// -1 when it said none), and the name and size of each file of the form
// when it was read (meta, data, archive, raw), e.g.
// `status=413 request_bytes=9000000 why="upload of 9000000 bytes exceeds
// the 8388608 byte limit"`. None of the refused bytes is kept. A row that
// cannot be written is logged (audit): the refusal stands.
func (s *server) auditRefusedUpload(c echo.Context, err error) {
	code, why, _ := s.errorStatus(err)
	req := c.Request()
	var b strings.Builder
	fmt.Fprintf(&b, "status=%d request_bytes=%d", code, req.ContentLength)
	if req.MultipartForm != nil {
		for _, field := range []string{"meta", "data", "archive", "raw"} {
			if fhs := req.MultipartForm.File[field]; len(fhs) > 0 {
				fmt.Fprintf(&b, " %s=%q %s_bytes=%d", field, trimForErr(fhs[0].Filename), field, fhs[0].Size)
			}
		}
	}
	fmt.Fprintf(&b, " why=%q", clip(why, maxRefusalWhy))
	s.audit(c, "replay.upload.refused", "replay/upload", "", b.String())
}

// MaxUploadsPerUser and MaxUploads bound the replay uploads under way at
// once, of one user and of all together. Each holds up to three times
// its size on the server's disks while it is received, staged and
// checked (the body spooled to TMPDIR, the staged copy, an archive's
// extracted recordings): with no bound one analyst's session sending
// uploads in parallel filled the disks of the database and of /tmp.
const (
	MaxUploadsPerUser = 1
	MaxUploads        = 2
)

// takeUpload reserves one of user's MaxUploadsPerUser upload slots and
// one of the MaxUploads in all; release frees them. When none is free it
// returns nil and the limit reached.
func (s *server) takeUpload(user string) (release func(), reached slotLimit) {
	return s.uploads.reserve(
		slotLimit{"u" + user, MaxUploadsPerUser, "user", fmt.Sprintf("upload: you have %d upload under way, the most one user may at once: wait for it to end, then upload again", MaxUploadsPerUser)},
		slotLimit{"all", MaxUploads, "all", fmt.Sprintf("upload: %d uploads are under way, the most the dashboard takes at once: try again in a minute", MaxUploads)})
}

// uploadRoom refuses (507) an upload of size bytes (-1: not said, taken
// as MaxUpload) when storing it could leave the replay folder's disk
// (Deps.UploadDisk) under its MinFreeBytes: it takes up to twice its
// size there while it is staged and checked (an archive and its
// recordings extracted), its size once stored. Uploads are kept for
// RFW_UPLOAD_DAYS whatever their total, so without it one analyst's
// session sending one upload after another filled the disk, which may be
// the database's (alerts, acknowledgements and the audit then fail). A
// disk whose free space cannot be read is answered 500, logged.
func (s *server) uploadRoom(size int64) error {
	disk := s.d.UploadDisk
	if disk == nil {
		return nil
	}
	if size < 0 {
		size = s.d.MaxUpload
	}
	free, err := disk.Free()
	if err != nil {
		s.log.Error("dashboard: upload: cannot read the free space of the replay folder's disk", "err", err)
		return httpError(http.StatusInternalServerError, "upload: the dashboard cannot read the free space of the disk of RFW_REPLAY_DIR (the log says why)")
	}
	if need := 2 * size; free-need < disk.MinFreeBytes {
		s.log.Warn("dashboard: upload refused: the replay folder's disk is (nearly) full", "free_bytes", free, "upload_bytes", size, "min_free_bytes", disk.MinFreeBytes)
		return httpError(http.StatusInsufficientStorage, "upload: the disk of RFW_REPLAY_DIR has %d MiB free; this upload may take %d MiB while it is checked, which would leave less than the %d MiB kept free (RFW_MIN_FREE_BYTES): an administrator deletes old uploads or recordings",
			free>>20, need>>20, disk.MinFreeBytes>>20)
	}
	return nil
}

// requestEnded reports whether err is the end of the upload's request
// context (the page closed, the request cancelled), not a fault of the
// file or of the server's storage.
func requestEnded(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// stageError is a failure of the server's storage while an upload is
// staged (a write into RFW_REPLAY_DIR, a read of the spooled body): not
// the analyst's file.
type stageError struct{ err error }

func (e *stageError) Error() string { return e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

// uploadStorageError logs that the server could not store an upload in
// where, with the paths, and answers 507 when the storage is full, else
// 500, naming the storage and the system's reason but not the server's
// paths: the fault is the server's, not the analyst's file.
func (s *server) uploadStorageError(where string, err error) error {
	s.log.Error("dashboard: upload: cannot store the upload", "storage", where, "err", err)
	code := http.StatusInternalServerError
	if errors.Is(err, syscall.ENOSPC) {
		code = http.StatusInsufficientStorage
	}
	reason := "input/output error"
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		reason = pe.Err.Error()
	case errors.As(err, &le):
		reason = le.Err.Error()
	}
	return httpError(code, "upload: the dashboard could not store the upload in %s: %s (the server's storage, not the file: an administrator checks its free space and the log)", where, reason)
}

// stagingMaxAge is how old a staging folder must be for sweepStaging (and
// the retention run, PruneUploadStages) to take it for a crash's leftover:
// an upload stages only once its whole body is in, and is then checked and
// moved in within seconds.
const stagingMaxAge = time.Hour

// sweepStaging removes the staging folders (.upload-*) in dir older than
// stagingMaxAge: a dashboard that crashed or was killed mid-upload left
// them, with up to MaxUpload bytes each.
func (s *server) sweepStaging(dir string) {
	old, _ := filepath.Glob(filepath.Join(dir, uploadStagePrefix+"*"))
	for _, p := range old {
		// file ages by the file system's clock, not the dashboard's
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() && time.Since(fi.ModTime()) > stagingMaxAge {
			if err := os.RemoveAll(p); err != nil {
				s.log.Warn("replay upload: cannot remove a stale staging folder", "path", p, "err", err)
			} else {
				s.log.Info("replay upload: removed a staging folder a crash left", "path", p)
			}
		}
	}
}

// fileSum is the size and SHA-256 (hex) of a file an upload stored,
// hashed while it was written into the stage, not read back.
type fileSum struct {
	bytes  int64
	sha256 string
}

// stagedSums holds the sums of the files staged, by file name
// (NAME.sigmf-data, NAME.sigmf-meta).
type stagedSums map[string]fileSum

// detail is the replay.upload audit row's account of the recording NAME:
// the size and SHA-256 of each file stored, data then metadata
// ("data_bytes=... data_sha256=... meta_bytes=... meta_sha256=..."), so
// the row says what was uploaded, as a run's row says the files' size
// and time (replayRunDetail).
func (ss stagedSums) detail(name string) string {
	var b strings.Builder
	for _, f := range [][2]string{{"data", sigmf.DataExt}, {"meta", sigmf.MetaExt}} {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		sum, ok := ss[name+f[1]]
		if !ok {
			fmt.Fprintf(&b, "%s=unknown", f[0])
			continue
		}
		fmt.Fprintf(&b, "%s_bytes=%d %s_sha256=%s", f[0], sum.bytes, f[0], sum.sha256)
	}
	return b.String()
}

// writeStagedMeta writes m as the staged metadata file path, noting its
// size and SHA-256 in sums. An error writing is the server's storage (a
// *fs.PathError); one marshalling, the metadata's.
func writeStagedMeta(path string, m sigmf.Meta, sums stagedSums) error {
	data, err := sigmf.MarshalMeta(m)
	if err != nil {
		return fmt.Errorf("write meta %q: %w", filepath.Base(path), err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	sums[filepath.Base(path)] = fileSum{int64(len(data)), hex.EncodeToString(sum[:])}
	return nil
}

// maxUploadRecordings bounds the recordings of one uploaded archive: each
// becomes two files in uploads/ and a row of the audit.
const maxUploadRecordings = 64

// stageUpload writes the uploaded recordings into stage, each as
// NAME.sigmf-meta and NAME.sigmf-data, and returns their NAMEs. A form
// that holds no recording, or names it badly, is answered 400; an archive
// that does not open, 422. A failure of the server's storage is a
// *stageError. The size and SHA-256 of each file staged go in sums. It
// stops when ctx (the request's) ends, within a chunk of each copy
// (ctxio.ChunkBytes), with an error wrapping ctx's; until 2026-12-06 the
// copy and the extraction of a 256 MiB upload ran to their end after the
// analyst had gone. What it staged is the caller's to remove.
func stageUpload(ctx context.Context, form *multipart.Form, stage string, sums stagedSums) ([]string, error) {
	file := func(field string) *multipart.FileHeader {
		if fhs := form.File[field]; len(fhs) > 0 {
			return fhs[0]
		}
		return nil
	}
	ah, mh, dh, rh := file("archive"), file("meta"), file("data"), file("raw")
	given := 0
	for _, b := range []bool{ah != nil, mh != nil || dh != nil, rh != nil} {
		if b {
			given++
		}
	}
	if given > 1 {
		return nil, httpError(http.StatusBadRequest, "upload: send either an archive (field \"archive\"), or a pair (fields \"meta\" and \"data\"), or a raw capture (field \"raw\" with \"datatype\", \"sample_rate\" and \"center_hz\"): one of them, not several")
	}
	switch {
	case ah != nil:
		return stageArchive(ctx, ah, stage, sums)
	case rh != nil:
		return stageRaw(ctx, form, rh, stage, sums)
	}
	if mh == nil {
		return nil, httpError(http.StatusBadRequest, "upload: missing file field \"meta\" (or send a SigMF archive as field \"archive\", or a raw capture as field \"raw\")")
	}
	if dh == nil {
		return nil, httpError(http.StatusBadRequest, "upload: missing file field \"data\"")
	}
	if err := upperCaseName(mh.Filename); err != nil {
		return nil, err
	}
	base, ok := strings.CutSuffix(mh.Filename, sigmf.MetaExt)
	if !ok {
		return nil, httpError(http.StatusBadRequest, "upload: want NAME.sigmf-meta and its data file, got %q and %q", trimForErr(mh.Filename), trimForErr(dh.Filename))
	}
	if base == "" {
		return nil, httpError(http.StatusBadRequest, "upload: want NAME.sigmf-meta and NAME.sigmf-data, got no NAME")
	}
	if mh.Filename != filepath.Base(mh.Filename) || dh.Filename != filepath.Base(dh.Filename) || checkUploadName(base) != nil {
		return nil, httpError(http.StatusBadRequest, "upload: file name %q must be a plain name of letters, digits, '-' and '_' (at most %d)", trimForErr(mh.Filename), maxUploadName)
	}
	if strings.EqualFold(dh.Filename, base+sigmf.DataExt) && dh.Filename != base+sigmf.DataExt {
		return nil, httpError(http.StatusBadRequest, "upload %q: %s", trimForErr(dh.Filename), eval.UpperCaseExtension(dh.Filename))
	}
	for _, f := range []struct {
		h   *multipart.FileHeader
		ext string
	}{{dh, sigmf.DataExt}, {mh, sigmf.MetaExt}} {
		if err := saveFormFile(ctx, f.h, filepath.Join(stage, base+f.ext), sums); err != nil {
			return nil, err
		}
	}
	if err := renameDataset(stage, base, dh.Filename, sums); err != nil {
		return nil, err
	}
	return []string{base}, nil
}

// renameDataset makes the staged metadata of NAME name the data it is
// stored beside. Its data came as dataName: NAME.sigmf-data, or the file
// its core:dataset names (a capture from GNU Radio's File Sink,
// capture.cfile, as scan reads it). It is stored as NAME.sigmf-data
// whatever it was called, and core:dataset rewritten to name that, so no
// name in the metadata leads anywhere but the upload's own data
// (core:header_bytes is kept). A core:dataset that is not a file name
// beside the metadata (as the reader requires), or that names another
// file than one sent under another name than NAME.sigmf-data, is refused
// (422); a data file neither NAME.sigmf-data nor named by core:dataset,
// 400. Metadata that does not parse is left for checkUpload to explain.
// The metadata rewritten has its size and SHA-256 put in sums.
func renameDataset(stage, name, dataName string, sums stagedSums) error {
	metaPath := filepath.Join(stage, name+sigmf.MetaExt)
	own := name + sigmf.DataExt
	m, err := sigmf.ReadMeta(metaPath)
	v, named := m.Global.Extra["core:dataset"]
	if err != nil || !named {
		if dataName != own {
			return httpError(http.StatusBadRequest, "upload: want NAME.sigmf-meta and NAME.sigmf-data, or a data file the metadata's core:dataset names; got %q and %q, and the metadata names no data file", name+sigmf.MetaExt, dataName)
		}
		return nil
	}
	ds, _ := v.(string)
	switch {
	case ds == "" || ds != filepath.Base(ds) || ds == "." || ds == ".." || strings.ContainsAny(ds, `/\`):
		return httpError(http.StatusUnprocessableEntity, "upload %q: core:dataset %q: want the name of a file beside the metadata", name, fmt.Sprint(v))
	case ds == own:
		return nil
	case ds != dataName && dataName != own:
		return httpError(http.StatusUnprocessableEntity, "upload %q: core:dataset %q names another file than the data sent, %q: send the file it names, or send the data as %s", name, ds, dataName, own)
	}
	m.Global.Extra["core:dataset"] = own
	if err := writeStagedMeta(metaPath, m, sums); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return &stageError{fmt.Errorf("rewrite core:dataset of %q: %w", name, err)}
		}
		return httpError(http.StatusUnprocessableEntity, "upload %q: core:dataset %q: the metadata cannot be written back naming %s: %v", name, ds, own, err)
	}
	return nil
}

// upperCaseName refuses a SigMF file name whose extension is not lower
// case (REC.SIGMF, as a FAT card leaves it) saying what to rename it to,
// as `rfwarden scan` does (eval.UpperCaseExtension).
func upperCaseName(name string) error {
	lower := strings.ToLower(name)
	for _, ext := range []string{sigmf.ArchiveExt, sigmf.MetaExt, sigmf.DataExt} {
		if strings.HasSuffix(lower, ext) && !strings.HasSuffix(name, ext) {
			return httpError(http.StatusBadRequest, "upload %q: %s", name, eval.UpperCaseExtension(name))
		}
	}
	return nil
}

// stageArchive extracts every recording of the uploaded SigMF archive ah
// into stage: the archive is copied in, then each recording extracted
// from it, both stopping when ctx ends.
func stageArchive(ctx context.Context, ah *multipart.FileHeader, stage string, sums stagedSums) ([]string, error) {
	if err := upperCaseName(ah.Filename); err != nil {
		return nil, err
	}
	base, ok := strings.CutSuffix(ah.Filename, sigmf.ArchiveExt)
	if !ok || base == "" || ah.Filename != filepath.Base(ah.Filename) {
		return nil, httpError(http.StatusBadRequest, "upload: want an archive NAME.sigmf, got %q", trimForErr(ah.Filename))
	}
	// hidden, so no recording's name (ExtractArchiveAll refuses hidden ones)
	arch := filepath.Join(stage, ".archive"+sigmf.ArchiveExt)
	if err := saveFormFile(ctx, ah, arch, stagedSums{}); err != nil { // the archive is not stored, its recordings are
		return nil, err
	}
	n := 0
	names, files, err := sigmf.ExtractArchiveAllFilesContext(ctx, arch, stage, func(name string) error {
		if n++; n > maxUploadRecordings {
			return fmt.Errorf("the archive holds more than %d recordings; upload it in parts", maxUploadRecordings)
		}
		return checkUploadName(name)
	})
	os.Remove(arch)
	if requestEnded(err) {
		return nil, err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) { // reading the staged archive or writing the pairs
		return nil, &stageError{err}
	}
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), arch, ah.Filename)
		return nil, httpError(http.StatusUnprocessableEntity, "upload: %s", strings.ReplaceAll(msg, stage+string(filepath.Separator), ""))
	}
	for _, f := range files {
		sums[f.Name] = fileSum{f.Bytes, f.SHA256}
	}
	return names, nil
}

// stageRaw stores the uploaded raw capture rh (headerless interleaved IQ,
// as hackrf_transfer or rtl_sdr writes it) as NAME.sigmf-data, NAME its
// file name without its extension, and writes NAME.sigmf-meta for it from
// the form's "datatype", "sample_rate" and "center_hz" (scan's
// --datatype, --rate and --center; center_hz may be left out or 0 when
// not known). A field that is wrong, or that the header of a WAV file
// contradicts, is refused before the file is copied.
func stageRaw(ctx context.Context, form *multipart.Form, rh *multipart.FileHeader, stage string, sums stagedSums) ([]string, error) {
	if err := upperCaseName(rh.Filename); err != nil {
		return nil, err
	}
	if lower := strings.ToLower(rh.Filename); strings.HasSuffix(lower, sigmf.MetaExt) || strings.HasSuffix(lower, sigmf.ArchiveExt) {
		return nil, httpError(http.StatusBadRequest, "upload: %q is SigMF, not a raw capture: send it as an archive or a pair", trimForErr(rh.Filename))
	}
	name := strings.TrimSuffix(rh.Filename, filepath.Ext(rh.Filename))
	if rh.Filename != filepath.Base(rh.Filename) || name == "" || checkUploadName(name) != nil {
		return nil, httpError(http.StatusBadRequest, "upload: raw file name %q must be NAME.EXT, NAME a plain name of letters, digits, '-' and '_' (at most %d)", trimForErr(rh.Filename), maxUploadName)
	}
	value := func(k string) string {
		if v := form.Value[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	// a WAV file's header gives its datatype and sample rate (RawMeta);
	// the fields, and a header that contradicts them, are checked before
	// the file is copied into the stage
	in, err := openFormFile(rh)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	isWAV := sigmf.LooksLikeWAV(in)
	datatype := value("datatype")
	if _, err := sigmf.SampleSize(datatype); err != nil && !(isWAV && datatype == "") {
		return nil, httpError(http.StatusBadRequest, "upload %q: datatype: %v (for hackrf_transfer's .cs8 give ci8, rtl_sdr's .cu8 cu8, GNU Radio's .cfile or .cf32 cf32_le)", rh.Filename, err)
	}
	var rateHz float64
	if v := value("sample_rate"); v != "" || !isWAV {
		var err error
		rateHz, err = strconv.ParseFloat(v, 64)
		if err != nil || !(rateHz > 0) || math.IsInf(rateHz, 0) {
			return nil, httpError(http.StatusBadRequest, "upload %q: sample_rate %q: give the capture's sample rate in samples per second (e.g. 20e6)", rh.Filename, v)
		}
	}
	var centerHz float64
	if v := value("center_hz"); v != "" {
		var err error
		centerHz, err = strconv.ParseFloat(v, 64)
		if err != nil || !(centerHz >= 0) || centerHz > sigmf.MaxFrequencyHz {
			return nil, httpError(http.StatusBadRequest, "upload %q: center_hz %q: give the centre frequency the capture was tuned to, in Hz (e.g. 915e6), or leave it out", rh.Filename, v)
		}
	}
	m, err := sigmf.RawMetaAt(in, rh.Size, datatype, rateHz, centerHz)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, &stageError{err} // the spooled body read back, not the upload
	}
	if err != nil {
		msg := fmt.Sprintf("raw file %q: %v", rh.Filename, err)
		if errors.Is(err, sigmf.ErrOverride) {
			msg += " (a WAV file's header gives its datatype and sample rate: leave datatype and sample_rate out)"
		}
		return nil, httpError(http.StatusBadRequest, "upload %q: %s", rh.Filename, msg)
	}
	data := filepath.Join(stage, name+sigmf.DataExt)
	if err := saveFormFile(ctx, rh, data, sums); err != nil {
		return nil, err
	}
	m.Global.Description = rawDescription(rh.Filename, isWAV, centerHz)
	if err := writeStagedMeta(filepath.Join(stage, name+sigmf.MetaExt), m, sums); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, &stageError{err}
		}
		return nil, httpError(http.StatusBadRequest, "upload %q: %v", rh.Filename, err)
	}
	return []string{name}, nil
}

// rawDescription is the core:description of the metadata written for the
// raw capture file: what it was uploaded with, the centre frequency only
// when one was given (until 2026-12-07 it claimed one all the same).
func rawDescription(file string, isWAV bool, centerHz float64) string {
	with := "its datatype and sample rate"
	if isWAV {
		with = "the datatype and sample rate of its WAV header"
	}
	if centerHz > 0 {
		return fmt.Sprintf("raw capture %s uploaded to the dashboard with %s, and its centre frequency", file, with)
	}
	return fmt.Sprintf("raw capture %s uploaded to the dashboard with %s, and no centre frequency", file, with)
}

// checkUploadName refuses a recording name that is not a plain name.
func checkUploadName(name string) error {
	if len(name) > maxUploadName || !plainName(name) {
		return fmt.Errorf("name %q is not a plain name of letters, digits, '-' and '_' (at most %d)", name, maxUploadName)
	}
	return nil
}

// openFormFile opens the uploaded file h, its error the server's storage
// (*stageError: the spooled body read back).
func openFormFile(h *multipart.FileHeader) (multipart.File, error) {
	in, err := h.Open()
	if err != nil {
		return nil, &stageError{fmt.Errorf("read upload %q: %w", h.Filename, err)}
	}
	return in, nil
}

// saveFormFile copies an uploaded file to path, hashing it as it is
// copied: its size and SHA-256 go in sums under its file name. Its errors
// are the server's storage (*stageError): the spooled body read back, the
// staged copy written; or ctx's end (the request's: the analyst left),
// looked at before each chunk copied (ctxio.ChunkBytes), after which the
// partial copy is removed and the error wraps ctx's.
func saveFormFile(ctx context.Context, h *multipart.FileHeader, path string, sums stagedSums) error {
	in, err := openFormFile(h)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return &stageError{fmt.Errorf("stage upload: %w", err)}
	}
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, sum), ctxio.Reader(ctx, in))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if requestEnded(err) {
		os.Remove(path)
		return fmt.Errorf("stage upload %q: %w", h.Filename, err)
	}
	if err != nil {
		return &stageError{fmt.Errorf("stage upload %q: %w", h.Filename, err)}
	}
	sums[filepath.Base(path)] = fileSum{n, hex.EncodeToString(sum.Sum(nil))}
	return nil
}

// checkUpload opens the staged recording NAME in dir with the reader a
// replay and `rfwarden scan` use (sigmf.Open: the metadata parsed, the
// datatype supported, the data a whole number of samples, every capture
// and annotation inside it), refuses metadata whose core:dataset names
// another file than the NAME.sigmf-data it is stored beside, one with
// fewer samples than a replay analyses, data that differs from the
// metadata's hashes (core:sha512, rfw:sha256: cut short on its way), and
// a non-finite sample.
//
// The metadata is parsed once, by sigmf.Open (which refuses metadata
// larger than sigmf.MaxMetaBytes before reading it), and again only to
// explain a core:dataset naming a file that is not there.
//
// It stops when ctx ends (the upload's request: the analyst left), with
// an error wrapping ctx's saying how far it got: the hash check looks at
// ctx every MiB, the read every 64 Ki samples. Until 2026-12-06 the check
// of a 256 MiB upload ran to its end after the analyst had gone.
func checkUpload(ctx context.Context, dir, name string) error {
	metaPath := filepath.Join(dir, name+sigmf.MetaExt)
	otherDataset := func(m sigmf.Meta) error {
		if ds, ok := m.Global.Extra["core:dataset"]; ok && ds != name+sigmf.DataExt {
			return fmt.Errorf("core:dataset %q: the samples are stored as %s; remove core:dataset from the metadata", ds, name+sigmf.DataExt)
		}
		return nil
	}
	rec, err := sigmf.Open(metaPath)
	if errors.Is(err, fs.ErrNotExist) {
		if m, merr := sigmf.ReadMeta(metaPath); merr == nil {
			if derr := otherDataset(m); derr != nil {
				return derr
			}
		}
	}
	if err != nil {
		return err
	}
	defer rec.Close()
	if err := otherDataset(rec.Meta()); err != nil {
		return err
	}
	if n := rec.NumSamples(); n < MinReplaySamples {
		return fmt.Errorf("%d samples, a replay needs at least %d", n, MinReplaySamples)
	}
	if err := rec.VerifyContext(ctx, nil); err != nil {
		// as scan says to use --verify=false: until 2026-12-07 the
		// answer ended at "metadata does not match data", a dead end
		switch {
		case errors.Is(err, sigmf.ErrMismatch):
			return fmt.Errorf("%w (the data is not what the metadata was written for: copy the data again from where it was recorded, or, to replay it as it is, remove the hash from the metadata)", err)
		case errors.Is(err, sigmf.ErrBadMeta):
			return fmt.Errorf("%w (fix the hash in the metadata, or remove it)", err)
		}
		return err
	}
	buf := make([]complex64, 1<<16)
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("check %s: stopped after %d of %d samples: %w", name, rec.Tell(), rec.NumSamples(), err)
		}
		_, err := rec.Read(buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// uploadExistsError means an upload's name is taken.
type uploadExistsError struct{ name string }

func (e *uploadExistsError) Error() string { return fmt.Sprintf("recording %q exists", e.name) }

// commitUpload moves the staged pairs names from stage into dir, each the
// data, then the metadata. A NAME taken in dir (either file) is refused
// with an *uploadExistsError unless replace, before anything moves; with
// replace the old files are moved into stage first (removed with it).
// Before it moves any file it calls audit for each NAME (with whether it
// replaces one), and an error from it leaves dir as it was. When a file
// cannot be moved in, every move made is undone, the old recordings put
// back. It returns the paths (uploads/NAME.sigmf-meta) of the recordings
// it replaced. The caller holds server.uploadMu.
func commitUpload(stage, dir string, names []string, replace bool, audit func(name string, replacing bool) error) ([]string, error) {
	old := make([][]string, len(names))
	for i, name := range names {
		for _, ext := range []string{sigmf.MetaExt, sigmf.DataExt} {
			if _, err := os.Lstat(filepath.Join(dir, name+ext)); err == nil {
				old[i] = append(old[i], ext)
			} else if !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
		}
		if len(old[i]) > 0 && !replace {
			return nil, &uploadExistsError{name}
		}
	}
	replaced := []string{}
	for i, name := range names {
		if err := audit(name, len(old[i]) > 0); err != nil {
			return nil, err
		}
		if len(old[i]) > 0 {
			replaced = append(replaced, uploadFolder+"/"+name+sigmf.MetaExt)
		}
	}
	var done [][2]string // renames made, undone in reverse on failure
	move := func(from, to string) error {
		if err := os.Rename(from, to); err != nil {
			return err
		}
		done = append(done, [2]string{from, to})
		return nil
	}
	err := func() error {
		for i, name := range names {
			for _, ext := range old[i] { // the metadata first: the list stops offering it
				if err := move(filepath.Join(dir, name+ext), filepath.Join(stage, ".old-"+name+ext)); err != nil {
					return err
				}
			}
			for _, ext := range []string{sigmf.DataExt, sigmf.MetaExt} {
				if err := move(filepath.Join(stage, name+ext), filepath.Join(dir, name+ext)); err != nil {
					return err
				}
			}
		}
		return nil
	}()
	if err != nil {
		for i := len(done) - 1; i >= 0; i-- {
			if uerr := os.Rename(done[i][1], done[i][0]); uerr != nil {
				err = fmt.Errorf("%w; restoring %s: %w", err, filepath.Base(done[i][0]), uerr)
			}
		}
		return nil, err
	}
	return replaced, nil
}

// uploadFolderError logs that the dashboard could not do what with dir and
// answers 500 naming the problem (the system's reason, such as
// "read-only file system": a systemd unit without ReadWritePaths for
// RFW_REPLAY_DIR) without the server's path. It answered a bare
// "internal error".
func (s *server) uploadFolderError(what, dir string, err error) error {
	s.log.Error("dashboard: upload: cannot "+what, "dir", dir, "err", err)
	reason := err.Error()
	var pe *os.PathError
	if errors.As(err, &pe) {
		reason = pe.Err.Error()
	}
	return httpError(http.StatusInternalServerError, "upload: the dashboard cannot %s of RFW_REPLAY_DIR: %s (an administrator checks the folder's owner and the unit's ReadWritePaths, docs/deploy.md)", what, reason)
}
