package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestUnitsWriteTheirFolders: every folder a service's sample environment
// file names for it to write, outside its StateDirectory
// (/var/lib/rfwarden), is in its unit's ReadWritePaths: with
// ProtectSystem=strict the dashboard's uploads to RFW_REPLAY_DIR
// (/srv/rfwarden/recordings) failed with "read-only file system".
func TestUnitsWriteTheirFolders(t *testing.T) {
	writes := map[string][]string{ // unit → variables naming folders it writes
		"rfwarden-dashboard.service": {"RFW_REPLAY_DIR", "RFW_SNIPPET_DIR"},
	}
	for unitName, vars := range writes {
		u := readUnit(t, filepath.Join("systemd", unitName))
		var rw []string
		for _, v := range u["Service"]["ReadWritePaths"] {
			rw = append(rw, strings.Fields(v)...)
		}
		for _, env := range u["Service"]["EnvironmentFile"] {
			for _, v := range vars {
				dir := sampleValue(t, filepath.Join("config", filepath.Base(strings.TrimPrefix(env, "-"))), v)
				if dir == "" || strings.HasPrefix(dir, "/var/lib/rfwarden/") {
					continue
				}
				// "-": the unit starts without the folder (the variable unset)
				if !slices.Contains(rw, "-"+dir) && !slices.Contains(rw, dir) {
					t.Errorf("%s: %s=%s is not in ReadWritePaths %v", unitName, v, dir, rw)
				}
			}
		}
	}
}

// sampleValue returns the value a sample environment file gives name,
// commented out or not ("" when it names none).
func sampleValue(t *testing.T, path, name string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(sc.Text()), "#"))
		if v, ok := strings.CutPrefix(line, name+"="); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestUnitsWantWhatTheyWaitFor: a unit ordered after a passive target
// (time-sync.target, network-online.target) also wants it: After= alone
// does not pull the target in, so the sensor started before the clock
// was set (its detections stamped wrong) unless something else wanted
// time-sync.target.
func TestUnitsWantWhatTheyWaitFor(t *testing.T) {
	for _, f := range unitFiles(t) {
		u := readUnit(t, f)
		var after, wants []string
		for _, v := range u["Unit"]["After"] {
			after = append(after, strings.Fields(v)...)
		}
		for _, k := range []string{"Wants", "Requires"} {
			for _, v := range u["Unit"][k] {
				wants = append(wants, strings.Fields(v)...)
			}
		}
		for _, target := range []string{"time-sync.target", "network-online.target"} {
			if slices.Contains(after, target) && !slices.Contains(wants, target) {
				t.Errorf("%s: After=%s without Wants=%s", filepath.Base(f), target, target)
			}
		}
	}
}
