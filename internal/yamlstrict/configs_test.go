package yamlstrict_test

import (
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/fusion"
	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/sensor/config"
)

// TestConfigErrors: a wrong duration or type in any of rfwarden's YAML
// files, and a value out of its range, is reported with its line and
// column, its key as written in the file and the line itself, never a Go
// struct field's name.
func TestConfigErrors(t *testing.T) {
	load := map[string]func(doc string) error{
		"fusion.yaml": func(doc string) error {
			_, err := fusion.LoadFileConfig(strings.NewReader(doc), ".")
			return err
		},
		"alerts.yaml": func(doc string) error {
			_, err := alert.LoadConfig(strings.NewReader(doc))
			return err
		},
		"node.yaml": func(doc string) error {
			_, err := config.Parse([]byte(doc))
			return err
		},
		"site.yaml": func(doc string) error {
			_, err := site.Load(strings.NewReader(doc))
			return err
		},
	}
	const node = "site: a\nsensor: b\n" // decoding fails before validation
	const rule = "rules:\n  - name: clock\n    kind: sensor_clock\n    severity: warning\n"
	tests := []struct {
		file string
		doc  string
		want []string // in the error, each
	}{
		{"fusion.yaml", "site: x\nassoc_window: 500\n", []string{"[2:15] assoc_window:", `missing unit in duration "500"`, "2 | assoc_window: 500"}},
		{"fusion.yaml", "site: x\nlocate_every: soon\n", []string{"[2:15] locate_every:", `invalid duration "soon"`}},
		{"fusion.yaml", "site: x\nhistory_days: abc\n", []string{"[2:15] history_days: cannot unmarshal string into int"}},
		{"fusion.yaml", "site: x\ninflux:\n  url: http://db\n  spool_dir: [a]\n", []string{"[4:14] influx.spool_dir:"}},
		{"fusion.yaml", "site: x\ncolour: red\n", []string{"[2:1]", "colour"}},
		// a misspelt key: the one meant named
		{"fusion.yaml", "site: x\nhistroy_days: 30\n", []string{"[2:1] histroy_days: unknown field", `did you mean "history_days"?`}},
		{"fusion.yaml", "site: x\ninflux:\n  ulr: http://db\n", []string{"[3:3] influx.ulr: unknown field", `did you mean "url"?`}},
		{"node.yaml", node + "mqtt:\n  keepalve: 30s\n", []string{"mqtt.keepalve: unknown field", `did you mean "keepalive"?`}},
		{"alerts.yaml", rule + "    severty: critical\n", []string{"rules[0].severty: unknown field", `did you mean "severity"?`}},
		{"site.yaml", "id: a\nfloors:\n  - id: f\n    elevaton_m: 3\n", []string{"floors[0].elevaton_m: unknown field", `did you mean "elevation_m"?`}},
		// a value of the right type out of range: its line as well
		{"fusion.yaml", "site: x\nhistory_days: 9999999999999\n", []string{"[2:15] history_days: 9999999999999 is more than 36500", "2 | history_days: 9999999999999"}},
		{"fusion.yaml", "site: x\nnotify:\n  stale_after: 25h\n", []string{"[3:16] notify.stale_after: 25h0m0s is outside"}},
		{"alerts.yaml", rule + "    for: 500\n", []string{"[5:10] rules[0].for:", `missing unit in duration "500"`, "5 |     for: 500"}},
		{"alerts.yaml", rule + "    max_offset: fast\n", []string{"[5:17] rules[0].max_offset:", `invalid duration "fast"`}},
		{"alerts.yaml", rule + "    radius_m: far\n", []string{"[5:15] rules[0].radius_m: cannot unmarshal string into float64"}},
		{"node.yaml", node + "mqtt:\n  keepalive: 500\n", []string{"[4:14] mqtt.keepalive:", `missing unit in duration "500"`, "4 |   keepalive: 500"}},
		{"node.yaml", node + "health:\n  interval: abc\n", []string{"[4:13] health.interval:", `invalid duration "abc"`}},
		{"node.yaml", node + "bands: [{name: x, low_hz: 1e9, high_hz: 1.001e9, dwell: 10}]\n", []string{"bands[0].dwell:", `missing unit in duration "10"`}},
		{"node.yaml", node + "mqtt:\n  max_inflight: many\n", []string{"[4:17] mqtt.max_inflight: cannot unmarshal string into int", "4 |   max_inflight: many"}},
		{"node.yaml", node + "mqtt:\n  url: tcp://127.0.0.1:1883\n  max_inflight: 5000\n", []string{"[5:17] mqtt.max_inflight: 5000 not in 1..1024"}},
		{"site.yaml", "id: a\nfloors:\n  - id: f\n    elevation_m: high\n", []string{"[4:18] floors[0].elevation_m: cannot unmarshal string into float64"}},
	}
	for _, tt := range tests {
		last := tt.doc[strings.LastIndex(strings.TrimSuffix(tt.doc, "\n"), "\n")+1:]
		t.Run(tt.file+" "+strings.TrimSpace(last), func(t *testing.T) {
			err := load[tt.file](tt.doc)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if strings.Contains(err.Error(), "Go struct field") || strings.Contains(err.Error(), "Go value") {
				t.Errorf("error names Go, not the file's key:\n%v", err)
			}
		})
	}
}
