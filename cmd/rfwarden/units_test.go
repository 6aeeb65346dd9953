package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSystemdUnitsMatchBinary checks every ExecStart/ExecStartPre of
// deploy/systemd against this binary: the subcommand is in commands() and
// every flag is one the subcommand's -h lists.
func TestSystemdUnitsMatchBinary(t *testing.T) {
	units, err := filepath.Glob(filepath.Join("..", "..", "deploy", "systemd", "*.service"))
	if err != nil || len(units) == 0 {
		t.Fatalf("no units: %v", err)
	}
	cmds := commands()
	execs := 0
	for _, u := range units {
		data, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
			if !ok || (key != "ExecStart" && key != "ExecStartPre") {
				continue
			}
			f := strings.Fields(strings.TrimLeft(val, "-@:+!"))
			if len(f) < 2 || filepath.Base(f[0]) != "rfwarden" {
				t.Errorf("%s: %s=%s does not run rfwarden SUBCOMMAND", filepath.Base(u), key, val)
				continue
			}
			execs++
			if _, ok := cmds[f[1]]; !ok {
				t.Errorf("%s: subcommand %q is not in commands()", filepath.Base(u), f[1])
				continue
			}
			var out, errb bytes.Buffer
			run(context.Background(), []string{f[1], "-h"}, &out, &errb)
			help := errb.String() + out.String()
			for _, arg := range f[2:] {
				if !strings.HasPrefix(arg, "-") {
					continue
				}
				name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
				if !regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(name) + `\b`).MatchString(help) {
					t.Errorf("%s: rfwarden %s has no flag -%s; its help:\n%s", filepath.Base(u), f[1], name, help)
				}
			}
		}
	}
	if execs < 3 {
		t.Errorf("checked %d Exec lines, want at least 3", execs)
	}
}

// TestEnvSamplesAreRead checks that every RFW_ variable in the sample env
// files (commented-out ones too) is read by the code.
func TestEnvSamplesAreRead(t *testing.T) {
	var src strings.Builder
	for _, pattern := range []string{"*.go", "../../fusion/*.go", "../../sensor/*/*.go"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, _ := os.ReadFile(f)
			src.Write(b)
		}
	}
	envs, _ := filepath.Glob(filepath.Join("..", "..", "deploy", "config", "*.env"))
	if len(envs) == 0 {
		t.Fatal("no env samples")
	}
	re := regexp.MustCompile(`\b(RFW_[A-Z0-9_]+)=`)
	for _, e := range envs {
		data, _ := os.ReadFile(e)
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			if !strings.Contains(src.String(), `"`+m[1]+`"`) {
				t.Errorf("%s: %s is read nowhere", filepath.Base(e), m[1])
			}
		}
	}
}
