package fusion

import (
	"strings"
	"testing"
)

// TestLoadFileConfigSpoolMaxBytes: influx.spool_max_bytes bounds fusion's
// InfluxDB spool (default 1 GiB; -1 no limit); a value that would drop
// nearly every write, or none, is an error naming the key.
func TestLoadFileConfigSpoolMaxBytes(t *testing.T) {
	for _, tc := range []struct {
		given   string // the influx block's extra line
		want    int64
		wantErr string
	}{
		{given: "", want: 1 << 30},
		{given: "spool_max_bytes: 268435456", want: 256 << 20},
		{given: "spool_max_bytes: -1", want: -1},
		{given: "spool_max_bytes: 0", wantErr: "influx.spool_max_bytes"},
		{given: "spool_max_bytes: 1000", wantErr: "influx.spool_max_bytes"},
		{given: "spool_max_bytes: -2", wantErr: "influx.spool_max_bytes"},
	} {
		t.Run(tc.given, func(t *testing.T) {
			yml := "site: wing.yaml\ninflux:\n  url: http://127.0.0.1:8086\n"
			if tc.given != "" {
				yml += "  " + tc.given + "\n"
			}
			c, err := LoadFileConfig(strings.NewReader(yml), "/etc/rfwarden")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Influx.SpoolMaxBytes != tc.want {
				t.Errorf("spool_max_bytes %d, want %d", c.Influx.SpoolMaxBytes, tc.want)
			}
		})
	}
}
