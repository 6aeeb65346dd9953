package redact

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Mark stands for a hidden password, path or query value, as in Go's
// url.URL.Redacted.
const Mark = "xxxxx"

// URL returns raw with what may be a secret hidden: the password of its
// user information, every path segment after the first, every query
// value and the fragment. What it keeps tells a reader which receiver,
// broker or database a message is about: the scheme, user, host, port,
// first path segment and query keys.
//
//	http://rfw:secret@influx:8086                     http://rfw:xxxxx@influx:8086
//	user:secret@broker:1883 (no scheme: paho's tcp://) user:xxxxx@broker:1883
//	https://hooks.slack.com/services/T000/B000/XXXX    https://hooks.slack.com/services/xxxxx
//	https://receiver.example/rfw?token=abc&site=north  https://receiver.example/rfw?token=xxxxx&site=xxxxx
//
// A URL without any of these ("tcp://broker:1883",
// "https://control-room.example/rfwarden") is returned as it is.
//
// The path and query rule hides by position, not by look: a webhook's
// token is in its path (Slack's /services/T…/B…/<secret>, Discord's
// /api/webhooks/<id>/<secret>, Teams' /webhookb2/<id>@<tenant>/…) or its
// query (?token=, ?key=, ?sig=, ?code=), and nothing in a token tells
// it from a name: a guess by length or letters would show a short one.
// The host and first segment ("hooks.slack.com/services") say which
// receiver failed; the rest is in the configuration. It applies to a URL
// with a scheme ("https://", "ws://"): text without one (a host:port, a
// file's path) has no path or query to hide. A URL with no host
// ("unix:///run/mosquitto/mqtt.sock") keeps its path: a socket's path is
// no secret, and all there is to tell which socket.
//
// It reads raw as text, not with url.Parse, so that a URL that does not
// parse, or parses into something other than what its writer meant,
// still loses its password: "tcp://rfw:12#pw@broker:1883" parses as host
// rfw, port 12 and fragment "pw@broker:1883", with no password at all.
// The password is everything between the first ':' after the scheme's
// "://" (or the start, without a scheme) and the last '@'; when no ':'
// stands there, there is no password and nothing is hidden. A URL with
// an '@' after its host ("http://influx:8086/x@y") loses more than a
// password ("http://influx:xxxxx@y"); a URL never needs one there.
// The path then starts at the first '/', '?' or '#' after the "://"
// and the password's Mark.
//
// A password is also hidden in text that is no URL at all, as long as it
// is written user:password@: URL is meant for one URL, not for a message
// quoting several.
func URL(raw string) string {
	return hideTail(hidePassword(raw))
}

// hidePassword hides the password of raw's user information (see URL).
func hidePassword(raw string) string { return passwordAs(raw, Mark) }

// passwordAs is raw with the password of its user information replaced
// by mark (see URL).
func passwordAs(raw, mark string) string {
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
	return raw[:colon+1] + mark + raw[at:]
}

// hideTail hides, in s with a scheme, the path after its first segment
// (when s has a host), every query value and the fragment (see URL).
func hideTail(s string) string {
	i := strings.Index(s, "://")
	if i < 0 || !isScheme(s[:i]) {
		return s
	}
	rest := s[i+len("://"):]
	// A hidden password holds none of "/?#": the path starts after it.
	from := 0
	if at := strings.Index(rest, ":"+Mark+"@"); at >= 0 {
		from = at + len(":"+Mark+"@")
	}
	j := strings.IndexAny(rest[from:], "/?#")
	if j < 0 {
		return s
	}
	j += from
	head, tail := s[:i+len("://")+j], rest[j:]
	path, frag, hasFrag := strings.Cut(tail, "#")
	path, query, hasQuery := strings.Cut(path, "?")
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(hidePath(path, j > from))
	if hasQuery {
		b.WriteString("?" + hideQuery(query))
	}
	if hasFrag {
		b.WriteByte('#')
		if frag != "" {
			b.WriteString(Mark)
		}
	}
	return b.String()
}

// hidePath keeps path's first segment and hides the rest as one Mark
// ("/services/T0/B0/secret" is "/services/xxxxx"); a path of no host
// is kept whole.
func hidePath(path string, host bool) string {
	if !host || len(path) < 2 {
		return path
	}
	k := strings.IndexByte(path[1:], '/')
	if k < 0 || strings.Trim(path[1+k:], "/") == "" {
		return path
	}
	return path[:1+k] + "/" + Mark
}

// hideQuery hides each value of query, keeping its key ("token=abc&x"
// is "token=xxxxx&xxxxx": a pair without '=' may be a token itself).
func hideQuery(query string) string {
	pairs := strings.Split(query, "&")
	for n, p := range pairs {
		eq := strings.IndexByte(p, '=')
		switch {
		case eq >= 0 && eq < len(p)-1:
			pairs[n] = p[:eq+1] + Mark
		case eq < 0 && p != "":
			pairs[n] = Mark
		}
	}
	return strings.Join(pairs, "&")
}

// Text hides, with URL, every URL with a scheme that s quotes: a line of
// a configuration file shown under its error ("broker:
// tcp://fusion:s3cret@broker:1883") keeps its password there, whatever
// the error's own words hide. A URL ends at a space, a quote or a
// backquote or an angle bracket, and the punctuation after it is the
// text's ("has no port (ssl://broker:8883?)" keeps its "?)").
//
// A password holding a space ("tcp://fusion:s3cret PW@broker:1883", which
// url.Parse refuses) would end the URL inside it: the text from the
// scheme's user to the last '@' before a quote or the line's end is taken
// as the user and password first, and the password hidden.
func Text(s string) string {
	s = spacedPassword.ReplaceAllString(s, "${1}:"+Mark+"@")
	return urlInText.ReplaceAllStringFunc(s, func(m string) string {
		u := strings.TrimRight(m, ".,;:!?)]}")
		return URL(u) + m[len(u):]
	})
}

// spacedPassword matches a URL's scheme and user and a password up to
// the last '@' before a quote or a line's end (see Text).
var spacedPassword = regexp.MustCompile("([A-Za-z][A-Za-z0-9+.-]*://[^\\s\"'`<>/@:]*):[^\"'`<>\\n]*@")

// ParseProblem says why url.Parse refused raw, in words an error that
// quotes raw through URL may add: the parser's own ("invalid port
// \":s3cret\" after host") quote the part it stumbled on, which is the
// password when one holds a '#', '/' or '?' ("tcp://fusion:s3cret#PW@…"
// parses as host fusion, port s3cret). With a password in raw it says
// only what to do; without one, the parser's words.
func ParseProblem(raw string, err error) string {
	if hidePassword(raw) != raw {
		return "it does not parse as a URL: a password holding '#', '/', '?', '@', '%' or a space must be percent-encoded (%23, %2F, %3F, %40, %25, %20)"
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err.Error()
	}
	return err.Error()
}

// urlInText matches a URL with a scheme in free text (see Text).
var urlInText = regexp.MustCompile("[A-Za-z][A-Za-z0-9+.-]*://[^\\s\"'`<>]+")

// URLErrors hides, with URL, the URL quoted by each *url.Error in err's
// chain, and returns err: net/http's client errors print the whole URL
// of the request ("Post \"https://hooks.slack.com/services/T0/B0/secret\":
// dial tcp: ..."), with the token in its path or query (net/http hides
// only a password). It changes the errors in place: call it on the error
// a request returned, before anything wraps it (fmt.Errorf copies the
// text of what it wraps when it is called).
func URLErrors(err error) error {
	for e := err; e != nil; {
		var ue *url.Error
		if !errors.As(e, &ue) {
			break
		}
		ue.URL = URL(ue.URL)
		e = ue.Err
	}
	return err
}

// Beneath returns raw, a URL a client made of base (a configured URL:
// influx.url) by adding its own path and query ("/api/v2/write?bucket=
// rfwarden/autogen&org=&precision=ns"), with base hidden as URL hides it
// and the client's part kept, but the values of the query keys not in
// keep: what the client adds is no secret, and hidden it only confused
// ("http://influx:8086/api/xxxxx?bucket=xxxxx&org=&precision=xxxxx"),
// while a token in base's path ("https://proxy.example/influx/<token>")
// or its password stays hidden, and a key not kept (u=, p=, token=)
// keeps its value hidden. A raw that is not base (or base with its
// password as "***", as net/http quotes it) followed by '/', '?', '#' or
// nothing is URL(raw).
func Beneath(raw, base string, keep ...string) string {
	base = strings.TrimRight(base, "/")
	rest, ok := strings.CutPrefix(raw, base)
	if !ok {
		// net/http's errors quote the URL with its password as "***"
		rest, ok = strings.CutPrefix(raw, passwordAs(base, "***"))
	}
	if base == "" || !ok || rest != "" && !strings.ContainsRune("/?#", rune(rest[0])) {
		return URL(raw)
	}
	path, frag, hasFrag := strings.Cut(rest, "#")
	path, query, hasQuery := strings.Cut(path, "?")
	var b strings.Builder
	b.WriteString(URL(base))
	b.WriteString(path)
	if hasQuery {
		pairs := strings.Split(query, "&")
		for n, p := range pairs {
			key, _, _ := strings.Cut(p, "=")
			if !slices.Contains(keep, key) {
				pairs[n] = hideQuery(p)
			}
		}
		b.WriteString("?" + strings.Join(pairs, "&"))
	}
	if hasFrag {
		b.WriteByte('#')
		if frag != "" {
			b.WriteString(Mark)
		}
	}
	return b.String()
}

// URLErrorsBeneath is URLErrors for the requests a client makes of
// base: each *url.Error's URL is shown with Beneath(url, base, keep...).
func URLErrorsBeneath(err error, base string, keep ...string) error {
	for e := err; e != nil; {
		var ue *url.Error
		if !errors.As(e, &ue) {
			break
		}
		ue.URL = Beneath(ue.URL, base, keep...)
		e = ue.Err
	}
	return err
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
