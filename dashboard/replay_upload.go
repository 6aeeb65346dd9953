package dashboard

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// uploadFolder is the subfolder of ReplayDir uploads are stored in.
const uploadFolder = "uploads"

// maxUploadName bounds an uploaded recording's NAME, in bytes.
const maxUploadName = 200

// replayUpload stores an uploaded recording in the replay folder under
// uploads/, size-limited: either a SigMF pair (multipart fields "meta",
// NAME.sigmf-meta, and "data", NAME.sigmf-data) or a SigMF archive (field
// "archive", a .sigmf holding one recording, as evidence downloads), which
// is stored as the pair it holds. The recording is first opened as a
// replay opens it (checkUpload); one a replay would refuse is answered 422
// naming the fault. A NAME already in uploads/ is answered 409 unless the
// query says replace=1. Nothing is stored unless all is well, and the
// metadata is stored last, so the recordings list never offers half a
// recording.
func (s *server) replayUpload(c echo.Context) error {
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
	req.Body = http.MaxBytesReader(c.Response(), req.Body, s.d.MaxUpload)
	if err := req.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return httpError(http.StatusRequestEntityTooLarge, "upload exceeds the %d byte limit", s.d.MaxUpload)
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
	// One a crash left behind is removed by a later upload.
	s.sweepStaging(dir)
	stage, err := os.MkdirTemp(dir, ".upload-")
	if err != nil {
		return s.uploadFolderError("write in the uploads folder", dir, err)
	}
	defer os.RemoveAll(stage)
	name, err := stageUpload(req.MultipartForm, stage)
	if err != nil {
		return err
	}
	if err := checkUpload(stage, name); err != nil {
		msg := strings.ReplaceAll(err.Error(), stage+string(filepath.Separator), "")
		return httpError(http.StatusUnprocessableEntity, "upload %q: %s", name, msg)
	}
	rel := uploadFolder + "/" + name + sigmf.MetaExt
	// audited before any file moves (a file system has no transaction):
	// a row that cannot be written refuses the upload (503), nothing
	// added or replaced
	audit := func(replacing bool) error {
		detail := ""
		if replacing {
			detail = "replaced"
		}
		return s.auditFirst(c, "replay.upload", "recording/"+rel, "", detail)
	}
	s.uploadMu.Lock()
	replaced, err := commitUpload(stage, dir, name, replace, audit)
	s.uploadMu.Unlock()
	var he *echo.HTTPError
	switch {
	case errors.Is(err, errUploadExists):
		return httpError(http.StatusConflict, "upload: recording %q exists; upload with replace=1 to replace it", rel)
	case errors.As(err, &he):
		return err
	case err != nil:
		return fmt.Errorf("save upload %q: %w", rel, err)
	}
	return c.JSON(http.StatusCreated, map[string]any{"path": rel, "replaced": replaced})
}

// stagingMaxAge is how old a staging folder must be for sweepStaging to
// take it for a crash's leftover: an upload stages only once its whole body
// is in, and is then checked and moved in within seconds.
const stagingMaxAge = time.Hour

// sweepStaging removes the staging folders (.upload-*) in dir older than
// stagingMaxAge: a dashboard that crashed or was killed mid-upload left
// them, with up to MaxUpload bytes each.
func (s *server) sweepStaging(dir string) {
	old, _ := filepath.Glob(filepath.Join(dir, ".upload-*"))
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

// stageUpload writes the uploaded recording into stage as NAME.sigmf-meta
// and NAME.sigmf-data and returns NAME. A form that holds no recording, or
// names it badly, is answered 400; an archive that does not open, 422.
func stageUpload(form *multipart.Form, stage string) (string, error) {
	file := func(field string) *multipart.FileHeader {
		if fhs := form.File[field]; len(fhs) > 0 {
			return fhs[0]
		}
		return nil
	}
	if ah := file("archive"); ah != nil {
		if file("meta") != nil || file("data") != nil {
			return "", httpError(http.StatusBadRequest, "upload: send either an archive (field \"archive\") or a pair (fields \"meta\" and \"data\"), not both")
		}
		base, ok := strings.CutSuffix(ah.Filename, sigmf.ArchiveExt)
		if !ok || base == "" || ah.Filename != filepath.Base(ah.Filename) {
			return "", httpError(http.StatusBadRequest, "upload: want an archive NAME.sigmf, got %q", ah.Filename)
		}
		// hidden, so no recording's name (ExtractArchive refuses hidden ones)
		arch := filepath.Join(stage, ".archive"+sigmf.ArchiveExt)
		if err := saveFormFile(ah, arch); err != nil {
			return "", err
		}
		name, err := sigmf.ExtractArchive(arch, stage, checkUploadName)
		os.Remove(arch)
		if err != nil {
			msg := strings.ReplaceAll(err.Error(), arch, ah.Filename)
			return "", httpError(http.StatusUnprocessableEntity, "upload: %s", strings.ReplaceAll(msg, stage+string(filepath.Separator), ""))
		}
		return name, nil
	}
	mh, dh := file("meta"), file("data")
	if mh == nil {
		return "", httpError(http.StatusBadRequest, "upload: missing file field \"meta\" (or send a SigMF archive as field \"archive\")")
	}
	if dh == nil {
		return "", httpError(http.StatusBadRequest, "upload: missing file field \"data\"")
	}
	base := strings.TrimSuffix(filepath.Base(mh.Filename), sigmf.MetaExt)
	if base != strings.TrimSuffix(filepath.Base(dh.Filename), sigmf.DataExt) || !strings.HasSuffix(mh.Filename, sigmf.MetaExt) || !strings.HasSuffix(dh.Filename, sigmf.DataExt) {
		return "", httpError(http.StatusBadRequest, "upload: want NAME.sigmf-meta and NAME.sigmf-data, got %q and %q", mh.Filename, dh.Filename)
	}
	if base == "" {
		return "", httpError(http.StatusBadRequest, "upload: want NAME.sigmf-meta and NAME.sigmf-data, got no NAME")
	}
	if mh.Filename != filepath.Base(mh.Filename) || dh.Filename != filepath.Base(dh.Filename) || checkUploadName(base) != nil {
		return "", httpError(http.StatusBadRequest, "upload: file name %q must be a plain name of letters, digits, '-' and '_' (at most %d)", mh.Filename, maxUploadName)
	}
	for _, f := range []struct {
		h   *multipart.FileHeader
		ext string
	}{{dh, sigmf.DataExt}, {mh, sigmf.MetaExt}} {
		if err := saveFormFile(f.h, filepath.Join(stage, base+f.ext)); err != nil {
			return "", err
		}
	}
	return base, nil
}

// checkUploadName refuses a recording name that is not a plain name.
func checkUploadName(name string) error {
	if len(name) > maxUploadName || !plainName(name) {
		return fmt.Errorf("name %q is not a plain name of letters, digits, '-' and '_' (at most %d)", name, maxUploadName)
	}
	return nil
}

// saveFormFile copies an uploaded file to path.
func saveFormFile(h *multipart.FileHeader, path string) error {
	in, err := h.Open()
	if err != nil {
		return fmt.Errorf("read upload %q: %w", h.Filename, err)
	}
	defer in.Close()
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("stage upload: %w", err)
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("stage upload %q: %w", h.Filename, err)
	}
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
func checkUpload(dir, name string) error {
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
	if err := rec.Verify(); err != nil {
		return err
	}
	buf := make([]complex64, 1<<16)
	for {
		_, err := rec.Read(buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// errUploadExists means an upload's name is taken.
var errUploadExists = errors.New("recording exists")

// commitUpload moves the staged pair NAME from stage into dir: the data,
// then the metadata. A NAME taken in dir (either file) is refused with
// errUploadExists unless replace; then the old files are moved into stage
// first (removed with it), and moved back if the new ones cannot be moved
// in. Before it moves any file it calls audit (with whether it replaces
// one), and an error from it leaves dir as it was. It reports whether it
// replaced a recording. The caller holds server.uploadMu.
func commitUpload(stage, dir, name string, replace bool, audit func(replacing bool) error) (bool, error) {
	var old []string
	for _, ext := range []string{sigmf.MetaExt, sigmf.DataExt} {
		if _, err := os.Lstat(filepath.Join(dir, name+ext)); err == nil {
			old = append(old, ext)
		} else if !errors.Is(err, os.ErrNotExist) {
			return false, err
		}
	}
	if len(old) > 0 && !replace {
		return false, errUploadExists
	}
	if err := audit(len(old) > 0); err != nil {
		return false, err
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
		for _, ext := range old { // the metadata first: the list stops offering it
			if err := move(filepath.Join(dir, name+ext), filepath.Join(stage, ".old"+ext)); err != nil {
				return err
			}
		}
		for _, ext := range []string{sigmf.DataExt, sigmf.MetaExt} {
			if err := move(filepath.Join(stage, name+ext), filepath.Join(dir, name+ext)); err != nil {
				return err
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
		return false, err
	}
	return len(old) > 0, nil
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
