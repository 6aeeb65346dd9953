package dashboard

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// replayRunDetail is the detail of a replay run's audit row (replay.run):
// the options that choose what is analysed (threshold, pfa, start, tuning,
// length) and the size and modification time of each of the recording's
// files at p (NAME.sigmf-meta and NAME.sigmf-data beside it, or the
// NAME.sigmf archive), so the runs of an upload replaced under the same
// name are told apart. A file that cannot be read is named missing; the
// replay then says why it cannot run.
func replayRunDetail(req replayReq, p string) string {
	var b strings.Builder
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) } // 915000000, not 9.15e+08
	fmt.Fprintf(&b, "threshold_db=%g pfa=%g start_s=%s center_hz=%s max_seconds=%s", req.ThresholdDB, req.PFA, num(req.StartS), num(req.CenterHz), num(req.MaxSeconds))
	files := [][2]string{{"archive", p}}
	if meta, ok := strings.CutSuffix(p, sigmf.MetaExt); ok {
		files = [][2]string{{"meta", p}, {"data", meta + sigmf.DataExt}}
	}
	for _, f := range files {
		fi, err := os.Stat(f[1])
		if err != nil {
			fmt.Fprintf(&b, " %s=missing", f[0])
			continue
		}
		fmt.Fprintf(&b, " %s_bytes=%d %s_modified=%s", f[0], fi.Size(), f[0], fi.ModTime().UTC().Format(time.RFC3339Nano))
	}
	return b.String()
}
