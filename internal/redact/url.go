package redact

import "strings"

// Mark stands for a hidden password, as in Go's url.URL.Redacted.
const Mark = "xxxxx"

// URL returns raw with the password of its user information hidden:
// "http://rfw:secret@influx:8086" is "http://rfw:xxxxx@influx:8086", and
// "user:secret@broker:1883" (no scheme, which paho reads as tcp://) is
// "user:xxxxx@broker:1883". A URL without a password ("http://rfw@influx",
// "tcp://broker:1883") is returned as it is.
//
// It reads raw as text, not with url.Parse, so that a URL that does not
// parse, or parses into something other than what its writer meant,
// still loses its password: "tcp://rfw:12#pw@broker:1883" parses as host
// rfw, port 12 and fragment "pw@broker:1883", with no password at all.
// What it hides is everything between the first ':' after the scheme's
// "://" (or the start, without a scheme) and the last '@'; when no ':'
// stands there, there is no password and nothing is hidden. A URL with
// an '@' after its host ("http://influx:8086/x@y") loses more than a
// password ("http://influx:xxxxx@y"); a URL never needs one there.
//
// A password is also hidden in text that is no URL at all, as long as it
// is written user:password@: URL is meant for one URL, not for a message
// quoting several.
func URL(raw string) string {
	at := strings.LastIndexByte(raw, '@')
	if at < 0 {
		return raw
	}
	start := 0
	if i := strings.Index(raw[:at], "://"); i >= 0 && isScheme(raw[:i]) {
		start = i + len("://")
	}
	colon := strings.IndexByte(raw[start:at], ':')
	if colon < 0 {
		return raw
	}
	colon += start
	return raw[:colon+1] + Mark + raw[at:]
}

// isScheme reports whether s is a URL scheme (RFC 3986 §3.1: a letter,
// then letters, digits, '+', '-' or '.').
func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}
