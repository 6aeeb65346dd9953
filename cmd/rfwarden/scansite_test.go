package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSiteScanRawWithoutCenter: `rfwarden scan -h` says a raw file is
// read "with --datatype, --rate and --center". A site engineer wrapping
// hackrf_transfer output who leaves --center out got a table whose
// center_MHz column reads 0.3 (the offset from the tuning, for an
// emission at 434.22 MHz), labelled `unknown` (no band to classify in),
// exit 0 and nothing on stderr. Scan should refuse, or at least say the
// frequencies are offsets because --center was not given.
func TestSiteScanRawWithoutCenter(t *testing.T) {
	raw, _ := burstCF32(t, "hackrf.cf32")
	var out, errb bytes.Buffer
	err := cmdScan(context.Background(), []string{"--datatype", "cf32_le", "--rate", "2e6", raw}, &out, &errb)
	if err == nil && !strings.Contains(errb.String(), "--center") {
		t.Errorf("raw file scanned without --center: no error and stderr %q says nothing of it; stdout:\n%s", errb.String(), out.String())
	}
}
