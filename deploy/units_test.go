package deploy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// unit is a parsed systemd unit file: section -> key -> values in order.
type unit map[string]map[string][]string

// parseUnit reads a unit file strictly: comments, blank lines, [Section]
// headers of the known sections, Key=Value lines (with backslash
// continuations); anything else is an error naming the line.
func parseUnit(data []byte) (unit, error) {
	u := unit{}
	var section string
	sc := bufio.NewScanner(bytes.NewReader(data))
	lineNo := 0
	var pending string
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if pending != "" {
			line = pending + " " + line
			pending = ""
		}
		if strings.HasSuffix(line, `\`) {
			pending = strings.TrimSuffix(line, `\`)
			continue
		}
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: bad section header %q", lineNo, line)
			}
			section = line[1 : len(line)-1]
			if !slices.Contains([]string{"Unit", "Service", "Timer", "Install"}, section) {
				return nil, fmt.Errorf("line %d: unexpected section [%s]", lineNo, section)
			}
			if u[section] != nil {
				return nil, fmt.Errorf("line %d: section [%s] repeated", lineNo, section)
			}
			u[section] = map[string][]string{}
		default:
			key, val, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.TrimSpace(key) == "" || strings.ContainsAny(key, " \t") {
				return nil, fmt.Errorf("line %d: %q is not Key=Value inside a section", lineNo, line)
			}
			u[section][key] = append(u[section][key], val)
		}
	}
	if pending != "" {
		return nil, fmt.Errorf("line %d: continuation at end of file", lineNo)
	}
	return u, sc.Err()
}

// get returns the last value of key in section ("" if unset).
func (u unit) get(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func TestParseUnitRejectsJunk(t *testing.T) {
	for name, text := range map[string]string{
		"no section":     "User=rfwarden\n",
		"no equals":      "[Service]\nUser rfwarden\n",
		"unknown":        "[Servce]\nUser=x\n",
		"repeated":       "[Service]\n[Service]\n",
		"space in key":   "[Service]\nProtect System=strict\n",
		"dangling cont.": "[Service]\nExecStart=/bin/true \\\n",
	} {
		if _, err := parseUnit([]byte(text)); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

// readUnit reads and parses the unit file f.
func readUnit(t *testing.T, f string) unit {
	t.Helper()
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	u, err := parseUnit(data)
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return u
}

func unitFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("systemd", "*.service"))
	if err != nil || len(files) < 3 {
		t.Fatalf("unit files: %v %v", files, err)
	}
	return files
}

func TestUnitsHardened(t *testing.T) {
	want := map[string]string{
		"User": "rfwarden", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
		"PrivateTmp": "yes", "StateDirectory": "rfwarden", "Restart": "on-failure", "UMask": "0077",
		"SystemCallFilter": "@system-service", "RestrictSUIDSGID": "yes", "LockPersonality": "yes",
	}
	seen := map[string]bool{}
	for _, f := range unitFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			u := readUnit(t, f)
			for k, v := range want {
				if got := u.get("Service", k); got != v {
					t.Errorf("[Service] %s = %q, want %q", k, got, v)
				}
			}
			timer := strings.TrimSuffix(f, ".service") + ".timer"
			if _, err := os.Stat(timer); err == nil {
				// started by its timer: a oneshot job, not enabled itself
				if u.get("Service", "Type") != "oneshot" || u["Install"] != nil {
					t.Errorf("timer-started unit: Type = %q, [Install] %v; want oneshot and no [Install]", u.get("Service", "Type"), u["Install"])
				}
			} else if u.get("Install", "WantedBy") != "multi-user.target" {
				t.Errorf("[Install] WantedBy = %q", u.get("Install", "WantedBy"))
			}
			if u.get("Unit", "Description") == "" {
				t.Error("[Unit] Description missing")
			}
			exec := strings.Fields(u.get("Service", "ExecStart"))
			if len(exec) < 2 || exec[0] != "/usr/local/bin/rfwarden" {
				t.Fatalf("ExecStart = %v, want /usr/local/bin/rfwarden SUBCOMMAND ...", exec)
			}
			sub := exec[1]
			seen[sub] = true
			if want := "rfwarden-" + sub + ".service"; filepath.Base(f) != want {
				t.Errorf("ExecStart runs %q but the unit is named %s", sub, filepath.Base(f))
			}
			// Every environment file a unit reads has a sample in config/.
			envs := u["Service"]["EnvironmentFile"]
			if len(envs) == 0 {
				t.Error("no EnvironmentFile")
			}
			for _, e := range envs {
				p := strings.TrimPrefix(e, "-")
				if filepath.Dir(p) != "/etc/rfwarden" {
					t.Errorf("EnvironmentFile %q is not in /etc/rfwarden", e)
				}
				if _, err := os.Stat(filepath.Join("config", filepath.Base(p))); err != nil {
					t.Errorf("EnvironmentFile %q has no sample in deploy/config: %v", e, err)
				}
			}
			// Only the sensor touches hardware, and only USB devices.
			if sub == "sensor" {
				if u.get("Service", "DevicePolicy") != "closed" || u.get("Service", "DeviceAllow") != "char-usb_device rw" {
					t.Errorf("sensor devices: policy %q allow %q", u.get("Service", "DevicePolicy"), u.get("Service", "DeviceAllow"))
				}
				if !strings.Contains(u.get("Service", "SupplementaryGroups"), "plugdev") {
					t.Error("sensor is not in group plugdev (HackRF udev rule)")
				}
			} else if u.get("Service", "PrivateDevices") != "yes" {
				t.Errorf("%s: PrivateDevices = %q, want yes", sub, u.get("Service", "PrivateDevices"))
			}
			if c := u.get("Service", "CapabilityBoundingSet"); c != "" && c != "CAP_NET_BIND_SERVICE" {
				t.Errorf("CapabilityBoundingSet = %q", c)
			}
		})
	}
	for _, s := range []string{"sensor", "fusion", "dashboard", "backup"} {
		if !seen[s] {
			t.Errorf("no unit runs rfwarden %s", s)
		}
	}
}

// TestTimers: each timer starts the unit of its name, catches up on a run
// missed while the host was off, and is enabled with timers.target.
func TestTimers(t *testing.T) {
	timers, _ := filepath.Glob(filepath.Join("systemd", "*.timer"))
	if len(timers) == 0 {
		t.Fatal("no timer units")
	}
	for _, f := range timers {
		u := readUnit(t, f)
		if u.get("Timer", "OnCalendar") == "" || u.get("Timer", "Persistent") != "yes" && u.get("Timer", "Persistent") != "true" {
			t.Errorf("%s: [Timer] OnCalendar %q, Persistent %q; want a calendar and Persistent=true", f, u.get("Timer", "OnCalendar"), u.get("Timer", "Persistent"))
		}
		if u.get("Install", "WantedBy") != "timers.target" || u.get("Unit", "Description") == "" {
			t.Errorf("%s: WantedBy %q, Description %q", f, u.get("Install", "WantedBy"), u.get("Unit", "Description"))
		}
		if _, err := os.Stat(strings.TrimSuffix(f, ".timer") + ".service"); err != nil {
			t.Errorf("%s starts no unit: %v", f, err)
		}
	}
}

// systemdVerify runs systemd-analyze verify on path and returns its
// complaints, leaving out the one about the binary not being installed
// on the test machine.
func systemdVerify(t *testing.T, bin, path string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, bin, "verify", path).CombinedOutput()
	var bad []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" || strings.Contains(line, "Command /usr/local/bin/rfwarden is not executable") {
			continue
		}
		bad = append(bad, line)
	}
	return bad
}

func TestSystemdAnalyzeVerify(t *testing.T) {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	// The check must catch a misspelt key, or a clean result means nothing.
	data, _ := os.ReadFile(filepath.Join("systemd", "rfwarden-fusion.service"))
	bad := filepath.Join(t.TempDir(), "rfwarden-bad.service")
	os.WriteFile(bad, bytes.Replace(data, []byte("ProtectSystem="), []byte("ProtectSystems="), 1), 0o644)
	if got := systemdVerify(t, bin, bad); len(got) == 0 {
		t.Skip("systemd-analyze verify does not report unknown keys here")
	}
	timers, _ := filepath.Glob(filepath.Join("systemd", "*.timer"))
	for _, f := range append(unitFiles(t), timers...) {
		abs, _ := filepath.Abs(f)
		if got := systemdVerify(t, bin, abs); len(got) > 0 {
			t.Errorf("%s:\n%s", f, strings.Join(got, "\n"))
		}
	}
}
