package redact

import (
	"strings"
	"testing"
)

// TestURL: the password of a URL is hidden wherever it stands, whether
// the URL parses or not; a URL without one is unchanged. The rows marked
// "was shown" are ones store.RedactURL or mqttlink.Redact, the two
// redactors URL replaces, returned with the password in them.
func TestURL(t *testing.T) {
	for _, tc := range []struct {
		name, raw, want string
	}{
		{"user and password", "http://rfw:s3cr3t@127.0.0.1:8086", "http://rfw:xxxxx@127.0.0.1:8086"},
		{"user and password, path", "https://rfw:s3cr3t@influx.example:8086/", "https://rfw:xxxxx@influx.example:8086/"},
		{"mqtt", "tcp://fusion:secret@broker", "tcp://fusion:xxxxx@broker"},
		{"empty password", "http://rfw:@influx:8086", "http://rfw:xxxxx@influx:8086"},
		{"password with colon and at", "ssl://fusion:a:b@c@broker:8883", "ssl://fusion:xxxxx@broker:8883"},
		{"percent-encoded password", "http://rfw:p%40ss@influx:8086", "http://rfw:xxxxx@influx:8086"},
		{"user only", "http://rfw@influx:8086", "http://rfw@influx:8086"},
		{"user only, no scheme", "fusion@broker:1883", "fusion@broker:1883"},
		{"no userinfo", "http://127.0.0.1:8086", "http://127.0.0.1:8086"},
		{"no userinfo, no scheme", "broker.example:8883", "broker.example:8883"},
		{"unix socket", "unix:///run/mosquitto/mqtt.sock", "unix:///run/mosquitto/mqtt.sock"},
		{"empty", "", ""},
		// was shown by store.RedactURL: url.Parse reads scheme "user"
		{"no scheme", "user:secret@broker.example:8883", "user:xxxxx@broker.example:8883"},
		// was "(unparsable URL)" in mqttlink.Redact
		{"unparsable host", "http://rfw:secret@[::1", "http://rfw:xxxxx@[::1"},
		{"unparsable, slash in password", "http://rfw:pa/secret@influx:8086", "http://rfw:xxxxx@influx:8086"},
		{"not a URL", "not a url: rfw:secret@influx", "not a url:xxxxx@influx"},
		// was shown by both: it parses as host rfw, port 12, fragment "secret@broker:1883"
		{"hash in password", "tcp://rfw:12#secret@broker:1883", "tcp://rfw:xxxxx@broker:1883"},
		{"question mark in password", "http://rfw:12?secret@influx:8086", "http://rfw:xxxxx@influx:8086"},
		// what an '@' after the host costs: more than the password hidden
		{"at in path", "http://influx:8086/db@x", "http://influx:xxxxx@x"},
		{"at in path, no port", "http://influx/db@x", "http://influx/db@x"},
		// a "://" that does not follow a scheme is not one
		{"slashes in password, no scheme", "user:a://secret@broker:1883", "user:xxxxx@broker:1883"},
		{"space before scheme", " http://rfw:secret@influx", " http:xxxxx@influx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := URL(tc.raw); got != tc.want {
				t.Errorf("URL(%q) = %q, want %q", tc.raw, got, tc.want)
			}
			if got := URL(URL(tc.raw)); got != URL(tc.raw) {
				t.Errorf("URL(URL(%q)) = %q, want %q (the same)", tc.raw, got, URL(tc.raw))
			}
		})
	}
}

// FuzzRedactURL: a password written scheme://user:password@rest, or
// user:password@rest without a scheme, never appears in URL's result,
// whatever the bytes of each part; URL never panics, and redacting twice
// is redacting once.
//
// The user holds none of ":/@?#" (a ':' in it would start the password);
// the scheme is a scheme or empty; a password without a scheme does not
// start with "//" (user://x@host is a URL of scheme user). The check
// needs the password to hold a byte no other part holds: its result can
// then show the password only by showing bytes of it.
func FuzzRedactURL(f *testing.F) {
	f.Add("http", "rfw", "s3cr3t", "127.0.0.1:8086")
	f.Add("tcp", "fusion", "12#secret", "broker:1883")
	f.Add("", "user", "secret", "broker.example:8883")
	f.Add("http", "rfw", "pa/ss", "[::1")
	f.Add("ssl", "a", "b:c@d", "broker:8883/x@y")
	f.Fuzz(func(t *testing.T, scheme, user, pass, rest string) {
		for _, raw := range []string{scheme, user, pass, rest, scheme + "://" + user + ":" + pass + "@" + rest} {
			if got := URL(raw); URL(got) != got {
				t.Fatalf("URL(%q) = %q, but URL of that is %q", raw, got, URL(got))
			}
			if !strings.Contains(raw, "@") && URL(raw) != raw {
				t.Fatalf("URL(%q) = %q, want it unchanged (no '@')", raw, URL(raw))
			}
		}
		if strings.ContainsAny(user, ":/@?#") || (scheme != "" && !isScheme(scheme)) || (scheme == "" && strings.HasPrefix(pass, "//")) {
			return
		}
		raw := user + ":" + pass + "@" + rest
		if scheme != "" {
			raw = scheme + "://" + raw
		}
		others := scheme + "://" + user + ":" + Mark + "@" + rest
		if !hasOwnByte(pass, others) {
			return
		}
		if got := URL(raw); strings.Contains(got, pass) {
			t.Errorf("URL(%q) = %q: shows the password %q", raw, got, pass)
		}
	})
}

// hasOwnByte reports whether s holds a byte that others does not (bytes,
// not runes: a byte of an invalid UTF-8 password may be part of a valid
// rune elsewhere).
func hasOwnByte(s, others string) bool {
	for i := range len(s) {
		if strings.IndexByte(others, s[i]) < 0 {
			return true
		}
	}
	return false
}
