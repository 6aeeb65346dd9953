package main

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"
)

// TestSubcommandHelp: every subcommand's --help and -h print its usage,
// "usage: rfwarden NAME", and succeed (sensor printed Go's bare "Usage of
// sensor:" and exited 1; version printed the version).
func TestSubcommandHelp(t *testing.T) {
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, flag := range []string{"--help", "-h"} {
			t.Run(name+flag, func(t *testing.T) {
				var out bytes.Buffer
				err := run(context.Background(), []string{name, flag}, &out, &out)
				if err != nil {
					t.Errorf("rfwarden %s %s: %v, want success", name, flag, err)
				}
				if want := "usage: rfwarden " + name; !strings.Contains(out.String(), want) {
					t.Errorf("rfwarden %s %s printed %q, want %q", name, flag, out.String(), want)
				}
			})
		}
	}
}

// TestHelpHidesSecrets: --help of every command, node's subcommands too,
// shows no password from the environment: a URL default read from RFW_*
// (RFW_INFLUX_URL, RFW_MQTT, RFW_LOADTEST_BROKER) is shown with its
// password as "xxxxx", and the variables holding only a secret
// (RFW_*_PASSWORD, RFW_METRICS_TOKEN) are never flag defaults. `rfwarden
// dashboard --help` printed RFW_INFLUX_URL's password; a mistyped flag
// prints the same help to the service's log.
func TestHelpHidesSecrets(t *testing.T) {
	const secret = "s3cr3t-Help"
	urls := map[string]string{ // env -> the redacted URL the help shows
		"RFW_INFLUX_URL":      "http://rfw:xxxxx@influx.example:8086",
		"RFW_MQTT":            "ssl://dashboard:xxxxx@broker.example:8883",
		"RFW_LOADTEST_BROKER": "tcp://load:xxxxx@127.0.0.1:1883",
	}
	for env, shown := range urls {
		t.Setenv(env, strings.Replace(shown, "xxxxx", secret, 1))
	}
	for _, env := range []string{"RFW_INFLUX_PASSWORD", "RFW_MQTT_PASSWORD", "RFW_METRICS_TOKEN"} {
		t.Setenv(env, secret)
	}
	// every other RFW_ variable a flag defaults to, holding a password
	// as a URL would
	for _, env := range []string{"RFW_DB", "RFW_SITE", "RFW_SNIPPET_DIR", "RFW_REPLAY_DIR", "RFW_INFLUX_USER",
		"RFW_MQTT_USER", "RFW_MQTT_CA", "RFW_FUSION_CONFIG", "RFW_SENSOR_CONFIG", "RFW_SITE_KEY", "RFW_SITE_PUB"} {
		t.Setenv(env, "u:"+secret+"@x")
	}
	var args [][]string
	for name := range commands() {
		args = append(args, []string{name, "--help"})
	}
	for _, sub := range []string{"keygen", "bundle", "verify", "install", "check"} {
		args = append(args, []string{"node", sub, "--help"})
	}
	seen := map[string]bool{}
	for _, a := range args {
		t.Run(strings.Join(a, " "), func(t *testing.T) {
			var out bytes.Buffer
			if err := run(context.Background(), a, &out, &out); err != nil {
				t.Fatalf("rfwarden %s: %v", strings.Join(a, " "), err)
			}
			if strings.Contains(out.String(), secret) {
				t.Errorf("rfwarden %s shows the password:\n%s", strings.Join(a, " "), out.String())
			}
			for env, shown := range urls {
				if strings.Contains(out.String(), shown) {
					seen[env] = true
				}
			}
		})
	}
	for env := range urls {
		if !seen[env] {
			t.Errorf("no --help shows %s's URL as %q", env, urls[env])
		}
	}
}
