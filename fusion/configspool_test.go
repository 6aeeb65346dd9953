package fusion

import (
	"strings"
	"testing"
	"time"
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
			c, err := loadInfluxLine(tc.given)
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

// TestLoadFileConfigInfluxWriteTimeout: influx.write_timeout is how long
// one write may wait for InfluxDB's answer (default 2m); a value outside
// 5s..30m, or not a duration, is an error naming the key.
func TestLoadFileConfigInfluxWriteTimeout(t *testing.T) {
	for _, tc := range []struct {
		given   string // the influx block's extra line
		want    time.Duration
		wantErr string
	}{
		{given: "", want: 2 * time.Minute},
		{given: "write_timeout: 5m", want: 5 * time.Minute},
		{given: "write_timeout: 5s", want: 5 * time.Second},
		{given: "write_timeout: 30m", want: 30 * time.Minute},
		{given: "write_timeout: 0s", wantErr: "influx.write_timeout: 0s is outside 5s..30m0s"},
		{given: "write_timeout: 1s", wantErr: "influx.write_timeout: 1s is outside"},
		{given: "write_timeout: 31m", wantErr: "influx.write_timeout: 31m0s is outside"},
		{given: "write_timeout: -1m", wantErr: "influx.write_timeout"},
		{given: "write_timeout: soon", wantErr: "write_timeout"},
	} {
		t.Run(tc.given, func(t *testing.T) {
			c, err := loadInfluxLine(tc.given)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Influx.WriteTimeout != tc.want {
				t.Errorf("write_timeout %v, want %v", c.Influx.WriteTimeout, tc.want)
			}
		})
	}
}

// loadInfluxLine loads a fusion.yaml whose influx block has line (none
// when empty) beside its url.
func loadInfluxLine(line string) (FileConfig, error) {
	yml := "site: wing.yaml\ninflux:\n  url: http://127.0.0.1:8086\n"
	if line != "" {
		yml += "  " + line + "\n"
	}
	return LoadFileConfig(strings.NewReader(yml), "/etc/rfwarden")
}
