package sigmf

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/rfwarden/rfwarden/internal/atomicfile"
	"github.com/rfwarden/rfwarden/internal/ctxio"
)

// ExtractArchive validates the SigMF archive at archivePath as Open does
// (one recording; metadata that parses and fits its data) and writes it
// into dir as NAME.sigmf-data and NAME.sigmf-meta, NAME being the
// recording's name in the archive (the last element of its members' base,
// "NAME/NAME.sigmf-meta"). ok(NAME) may refuse the name before anything
// is written. The data is written first and the metadata last, each
// through a temporary file renamed into place, so a reader that lists
// metadata never sees half a recording. It returns NAME.
func ExtractArchive(archivePath, dir string, ok func(name string) error) (string, error) {
	file, err := openRegular(archivePath)
	if err != nil {
		return "", fmt.Errorf("extract archive: %w", err)
	}
	defer file.Close()
	rec, base, meta, err := readArchiveMembers(archivePath, file, Overrides{})
	if err != nil {
		return "", fmt.Errorf("extract archive %q: %w", archivePath, err)
	}
	name := path.Base(base)
	if name == "." || name == "/" || name == ".." || strings.HasPrefix(name, ".") || strings.ContainsAny(name, `/\`+"\x00") {
		return "", fmt.Errorf("extract archive %q: %w: recording name %q is not a plain file name", archivePath, ErrBadMeta, name)
	}
	if ok != nil {
		if err := ok(name); err != nil {
			return "", fmt.Errorf("extract archive %q: recording %q: %w", archivePath, name, err)
		}
	}
	dst := filepath.Join(dir, name)
	if err := copyFileAtomic(dst+DataExt, io.NewSectionReader(rec.data, 0, rec.data.Size())); err != nil {
		return "", fmt.Errorf("extract archive %q: %w", archivePath, err)
	}
	if err := writeFileAtomic(dst+MetaExt, meta); err != nil {
		os.Remove(dst + DataExt)
		return "", fmt.Errorf("extract archive %q: %w", archivePath, err)
	}
	return name, nil
}

// copyFileAtomic copies src to a temporary file beside path, syncs it and
// renames it over path.
func copyFileAtomic(path string, src io.Reader) error {
	f, err := atomicfile.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*") // 0666 less the umask
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	tmp := f.Name()
	_, err = io.Copy(f, src)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", path, err)
	}
	return nil
}

// ExtractArchiveAll is ExtractArchive for an archive of one recording or
// of several (ArchiveRecordings, as sigmf-python writes "day-0/day-0",
// "day-1/day-1"): every recording is validated as OpenArchiveRecording
// opens it and its NAME checked (ok, and no two of the same NAME) before
// any file is written; each is then written into dir as NAME.sigmf-data
// and NAME.sigmf-meta, data first. It returns the NAMEs in archive order.
// On an error the files it wrote are removed.
func ExtractArchiveAll(archivePath, dir string, ok func(name string) error) ([]string, error) {
	names, _, err := ExtractArchiveAllFiles(archivePath, dir, ok)
	return names, err
}

// ExtractedFile is a file ExtractArchiveAllFiles wrote: its name in dir,
// its size and its SHA-256 (hex), hashed as it was written.
type ExtractedFile struct {
	Name   string
	Bytes  int64
	SHA256 string
}

// ExtractArchiveAllFiles is ExtractArchiveAll that also returns the files
// it wrote, each NAME's data then metadata, with their sizes and SHA-256
// hashed while they were written (not read back): a dashboard audits what
// was uploaded by them.
func ExtractArchiveAllFiles(archivePath, dir string, ok func(name string) error) ([]string, []ExtractedFile, error) {
	return ExtractArchiveAllFilesContext(context.Background(), archivePath, dir, ok)
}

// ExtractArchiveAllFilesContext is ExtractArchiveAllFiles that stops when
// ctx ends (the dashboard's upload request: the analyst left): the data is
// copied a chunk at a time (ctxio.ChunkBytes), ctx looked at before each,
// and on its end the files written, and the one being written, are removed
// and the error wraps ctx.Err(). Until 2026-12-06 the extraction of a
// 256 MiB archive ran to its end after the request had gone.
func ExtractArchiveAllFilesContext(ctx context.Context, archivePath, dir string, ok func(name string) error) ([]string, []ExtractedFile, error) {
	file, err := openRegular(archivePath)
	if err != nil {
		return nil, nil, fmt.Errorf("extract archive: %w", err)
	}
	defer file.Close()
	l, err := listArchive(file)
	if err != nil {
		return nil, nil, fmt.Errorf("extract archive %q: %w", archivePath, err)
	}
	if len(l.metas) == 0 {
		return nil, nil, fmt.Errorf("extract archive %q: %w: archive holds no %s member", archivePath, ErrBadMeta, MetaExt)
	}
	type found struct {
		name string
		a    archiveMember
	}
	var recs []found
	seen := map[string]string{}
	for _, m := range l.metas {
		a, err := l.member(file, m.base)
		if err != nil {
			return nil, nil, fmt.Errorf("extract archive %q: recording %q: %w", archivePath, m.base, err)
		}
		// validated as a replay opens it; the Recording shares file,
		// closed when this function returns
		if _, err := recordingOfMember(archivePath, file, a, Overrides{}); err != nil {
			return nil, nil, fmt.Errorf("extract archive %q: recording %q: %w", archivePath, m.base, err)
		}
		name := path.Base(a.base)
		if name == "." || name == "/" || name == ".." || strings.HasPrefix(name, ".") || strings.ContainsAny(name, `/\`+"\x00") {
			return nil, nil, fmt.Errorf("extract archive %q: %w: recording name %q is not a plain file name", archivePath, ErrBadMeta, name)
		}
		if prev, dup := seen[name]; dup {
			return nil, nil, fmt.Errorf("extract archive %q: %w: recordings %q and %q are both named %q", archivePath, ErrBadMeta, prev, a.base, name)
		}
		seen[name] = a.base
		if ok != nil {
			if err := ok(name); err != nil {
				return nil, nil, fmt.Errorf("extract archive %q: recording %q: %w", archivePath, name, err)
			}
		}
		recs = append(recs, found{name, a})
	}
	var written []string
	undo := func() {
		for _, p := range written {
			os.Remove(p)
		}
	}
	names := make([]string, 0, len(recs))
	files := make([]ExtractedFile, 0, 2*len(recs))
	for _, f := range recs {
		dst := filepath.Join(dir, f.name)
		h := sha256.New()
		data := ctxio.Reader(ctx, io.NewSectionReader(file, f.a.off, f.a.size))
		if err := copyFileAtomic(dst+DataExt, io.TeeReader(data, h)); err != nil {
			undo()
			return nil, nil, fmt.Errorf("extract archive %q: %w", archivePath, err)
		}
		written = append(written, dst+DataExt)
		if err := writeFileAtomic(dst+MetaExt, f.a.meta); err != nil {
			undo()
			return nil, nil, fmt.Errorf("extract archive %q: %w", archivePath, err)
		}
		written = append(written, dst+MetaExt)
		metaSum := sha256.Sum256(f.a.meta)
		files = append(files,
			ExtractedFile{Name: f.name + DataExt, Bytes: f.a.size, SHA256: hex.EncodeToString(h.Sum(nil))},
			ExtractedFile{Name: f.name + MetaExt, Bytes: int64(len(f.a.meta)), SHA256: hex.EncodeToString(metaSum[:])})
		names = append(names, f.name)
	}
	return names, files, nil
}
