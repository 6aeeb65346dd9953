package dashboard

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// TestExtractFailure: a snippet whose extraction the folder refused (a
// full disk once the archive itself was written, a read-only folder) is
// refused for "write", which counts against the evidence folder's write
// health; one that is not a SigMF recording for "invalid". A full disk
// was counted as invalid snippets while /healthz said ok.
func TestExtractFailure(t *testing.T) {
	wrap := func(err error) error {
		return fmt.Errorf("extract archive %q: recording %q: %w", "/ev/.stage1/evidence.sigmf", "s1-x", fmt.Errorf("write %q: %w", "/ev/.stage1/s1-x.sigmf-data", err))
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"disk full", wrap(&fs.PathError{Op: "write", Path: "/ev/.stage1/s1-x.sigmf-data", Err: syscall.ENOSPC}), "write"},
		{"quota", wrap(&fs.PathError{Op: "write", Path: "p", Err: syscall.EDQUOT}), "write"},
		{"read-only", wrap(&fs.PathError{Op: "open", Path: "p", Err: syscall.EROFS}), "write"},
		{"I/O error", wrap(syscall.EIO), "write"},
		{"not a recording", fmt.Errorf("extract archive %q: %w: archive holds no .sigmf-meta member", "a", sigmf.ErrBadMeta), "invalid"},
		{"not a tar", fmt.Errorf("extract archive %q: %w", "a", errors.New("archive/tar: invalid tar header")), "invalid"},
	} {
		if got := extractFailure(tc.err); got != tc.want {
			t.Errorf("%s: extractFailure(%v) = %q, want %q", tc.name, tc.err, got, tc.want)
		}
	}
}
