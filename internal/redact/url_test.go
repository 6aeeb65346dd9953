package redact

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestURL: the password of a URL is hidden wherever it stands, whether
// the URL parses or not; so are the path after its first segment, every
// query value and the fragment, where webhooks carry their token (the
// rows from "slack" on: these were shown whole until 2026-12-06); a URL
// with none of these is unchanged. The rows marked "was shown" are ones
// store.RedactURL or mqttlink.Redact, the two redactors URL replaces,
// returned with the password in them.
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
		// tokens in the path or query: the scheme, host, port and first
		// segment say which receiver it is
		{"slack", "https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX", "https://hooks.slack.com/services/xxxxx"},
		{"discord", "https://discord.com/api/webhooks/1234567890/AbCdEf-secret", "https://discord.com/api/xxxxx"},
		{"teams", "https://org.webhook.office.com/webhookb2/g1@t2/IncomingWebhook/id3/o4", "https://org.webhook.office.com/webhookb2/xxxxx"},
		{"teams, port", "https://org.webhook.office.com:443/webhookb2/g1@t2/IncomingWebhook/id3/o4", "https://org.webhook.office.com:xxxxx@t2/IncomingWebhook/xxxxx"},
		{"token query", "https://receiver.example:8443/rfw?token=s3cr3t", "https://receiver.example:8443/rfw?token=xxxxx"},
		{"several query values", "https://receiver.example/rfw?key=k1&sig=s2&code=c3", "https://receiver.example/rfw?key=xxxxx&sig=xxxxx&code=xxxxx"},
		{"bare query token", "https://receiver.example/rfw?s3cr3t&x=", "https://receiver.example/rfw?xxxxx&x="},
		{"query without path", "https://receiver.example?token=s3cr3t", "https://receiver.example?token=xxxxx"},
		{"fragment", "https://receiver.example/rfw#s3cr3t", "https://receiver.example/rfw#xxxxx"},
		{"password, path and query", "https://rfw:pw@receiver.example:8443/a/b/c?token=t#f", "https://rfw:xxxxx@receiver.example:8443/a/xxxxx?token=xxxxx#xxxxx"},
		{"password with slash, path", "https://rfw:p/w@receiver.example/a/b", "https://rfw:xxxxx@receiver.example/a/xxxxx"},
		{"influx query credentials", "http://influx:8086?u=rfw&p=s3cr3t", "http://influx:8086?u=xxxxx&p=xxxxx"},
		{"first segment only", "https://control-room.example/rfwarden", "https://control-room.example/rfwarden"},
		{"trailing slash", "https://control-room.example/rfwarden/", "https://control-room.example/rfwarden/"},
		{"websocket broker", "wss://broker.example:443/mqtt", "wss://broker.example:443/mqtt"},
		{"no host keeps its path", "unix:///run/mosquitto/sub/mqtt.sock", "unix:///run/mosquitto/sub/mqtt.sock"},
		{"no scheme, path", "broker.example:1883/a/b", "broker.example:1883/a/b"},
		{"file path", "/var/lib/rfwarden/fusion.db", "/var/lib/rfwarden/fusion.db"},
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
			if !strings.Contains(raw, "@") && !strings.Contains(raw, "://") && URL(raw) != raw {
				t.Fatalf("URL(%q) = %q, want it unchanged (no '@', no scheme)", raw, URL(raw))
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

// FuzzRedactURLToken: a token written in a URL's path after its first
// segment, or as a query value, never appears in URL's result, whatever
// the bytes of the host, segment and token; the host and first segment
// do. The host and segment hold none of ":/?#@" (a ':' before an '@' is
// a password: FuzzRedactURL's), the token none of "?#&" (which would
// make part of it a query key, kept, or a delimiter) and something.
func FuzzRedactURLToken(f *testing.F) {
	f.Add("hooks.slack.com", "services", "T0/B0/XXXXXXXX")
	f.Add("receiver.example", "rfw", "s3cr3t")
	f.Add("discord.com", "api", "webhooks/1/x?y")
	f.Fuzz(func(t *testing.T, host, first, token string) {
		if host == "" || token == "" || strings.ContainsAny(host, ":/?#@") || strings.ContainsAny(first, ":/?#@") || strings.ContainsAny(token, "?#&") {
			return
		}
		for _, raw := range []string{
			"https://" + host + "/" + first + "/" + token,
			"https://" + host + "/" + first + "?token=" + token,
		} {
			got := URL(raw)
			if URL(got) != got {
				t.Fatalf("URL(%q) = %q, but URL of that is %q", raw, got, URL(got))
			}
			if !strings.HasPrefix(got, "https://"+host+"/"+first) {
				t.Errorf("URL(%q) = %q: does not keep %q", raw, got, "https://"+host+"/"+first)
			}
			others := "https://" + host + "/" + first + "/?=token" + Mark
			if hasOwnByte(token, others) && strings.Contains(got[len("https://"+host+"/"+first):], token) {
				t.Errorf("URL(%q) = %q: shows the token %q", raw, got, token)
			}
		}
	})
}

// TestURLErrors: net/http's errors quote the whole URL of the request,
// token and all ("Post \"https://hooks.example/services/T0/B0/secret\":
// dial tcp …"); URLErrors hides it as URL does, in each *url.Error of
// the chain, and keeps the rest of the error and what it wraps. The
// errors are net/http's own, from a loopback port where nothing listens
// and from a URL that does not parse.
func TestURLErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, refused := http.Post("http://"+addr+"/services/T0/B0/s3cr3t?token=s3cr3t", "text/plain", nil)
	_, unparsed := http.NewRequest(http.MethodPost, "http://"+addr+"/hook/s3cr3t\x7f", nil)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"refused", refused, `Post "http://` + addr + `/services/xxxxx?token=xxxxx": dial tcp ` + addr + `: connect: connection refused`},
		{"two in the chain", &url.Error{Op: "Post", URL: "https://h/a/s3cr3t", Err: &url.Error{Op: "Get", URL: "https://h/b?sig=s3cr3t", Err: io.EOF}},
			`Post "https://h/a/xxxxx": Get "https://h/b?sig=xxxxx": EOF`},
		{"does not parse", unparsed, `parse "http://` + addr + `/hook/xxxxx": net/url: invalid control character in URL`},
		{"no url.Error", errors.New("status 503"), "status 503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error to redact")
			}
			cause := errors.Unwrap(tc.err)
			got := URLErrors(tc.err)
			if got.Error() != tc.want {
				t.Errorf("URLErrors = %q, want %q", got, tc.want)
			}
			if strings.Contains(got.Error(), "s3cr3t") {
				t.Errorf("URLErrors = %q: shows the token", got)
			}
			if errors.Unwrap(got) != cause {
				t.Errorf("URLErrors(%v) wraps %v, want %v", tc.err, errors.Unwrap(got), cause)
			}
		})
	}
	if URLErrors(nil) != nil {
		t.Error("URLErrors(nil) is not nil")
	}
}

// TestText: every URL with a scheme that a text quotes is hidden as URL
// hides it, the rest of the text kept.
func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{">  2 | broker: tcp://fusion:s3cret@127.0.0.1:1883", ">  2 | broker: tcp://fusion:xxxxx@127.0.0.1:1883"},
		{`url "http://u:pw@influx:8086" and mqtts://a:b@c:8883 end`, `url "http://u:xxxxx@influx:8086" and mqtts://a:xxxxx@c:8883 end`},
		{"webhook: https://hooks.example/services/T0/B0/secret?token=abc", "webhook: https://hooks.example/services/xxxxx?token=xxxxx"},
		{"no URL here: user@host, 12:30", "no URL here: user@host, 12:30"},
		{`"ssl://broker.local" has no port (ssl://broker.local:8883?)`, `"ssl://broker.local" has no port (ssl://broker.local:8883?)`},
		{"see tcp://a:b@c:1.", "see tcp://a:xxxxx@c:1."},
		{`>  2 | broker: "tcp://fusion:s3cret PW@127.0.0.1:1883"`, `>  2 | broker: "tcp://fusion:xxxxx@127.0.0.1:1883"`},
		{"url: http://u:p w@influx:8086\n  next: 1", "url: http://u:xxxxx@influx:8086\n  next: 1"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestParseProblem: why a URL does not parse is said without the part
// the parser stumbled on when that is the password: "tcp://fusion:s3cret#PW@…"
// parses as port "s3cret", and url.Parse's "invalid port \":s3cret\" after
// host" printed it.
func TestParseProblem(t *testing.T) {
	for _, tc := range []struct{ raw, want, not string }{
		{"tcp://fusion:s3cret#PW@127.0.0.1:1883", "percent-encoded", "s3cret"},
		{"tcp://fusion:s3/cret@127.0.0.1:1883", "percent-encoded", "s3"},
		{"tcp://host:99x", `invalid port ":99x" after host`, ""},
	} {
		_, err := url.Parse(tc.raw)
		if err == nil {
			t.Fatalf("%s parsed", tc.raw)
		}
		got := ParseProblem(tc.raw, err)
		if !strings.Contains(got, tc.want) || tc.not != "" && strings.Contains(got, tc.not) {
			t.Errorf("ParseProblem(%q) = %q, want %q without %q", tc.raw, got, tc.want, tc.not)
		}
	}
}

// TestBeneath: the URL InfluxDB's client makes of influx.url keeps the
// client's own path and the query keys kept, while influx.url itself is
// hidden as URL hides it (a proxy's token in its path, a password) and
// any other query value too. Fusion's log read `Post
// "http://127.0.0.1:19086/api/xxxxx?bucket=xxxxx&org=&precision=xxxxx"`.
func TestBeneath(t *testing.T) {
	keep := []string{"bucket", "org", "precision"}
	for _, tc := range []struct{ name, raw, base, want string }{
		{"plain", "http://127.0.0.1:19086/api/v2/write?bucket=rfwarden/autogen&org=&precision=ns", "http://127.0.0.1:19086",
			"http://127.0.0.1:19086/api/v2/write?bucket=rfwarden/autogen&org=&precision=ns"},
		{"base with a slash", "http://influx:8086/api/v2/query?org=", "http://influx:8086/", "http://influx:8086/api/v2/query?org="},
		{"proxy token in the path", "https://proxy.example/influx/s3cr3t/api/v2/write?bucket=db/rp&precision=ns", "https://proxy.example/influx/s3cr3t",
			"https://proxy.example/influx/xxxxx/api/v2/write?bucket=db/rp&precision=ns"},
		{"credentials in the query", "http://influx:8086/query?db=rfwarden&u=rfw&p=s3cr3t&token=s3cr3t", "http://influx:8086",
			"http://influx:8086/query?db=xxxxx&u=xxxxx&p=xxxxx&token=xxxxx"},
		{"password", "http://rfw:s3cr3t@influx:8086/api/v2/write?bucket=db", "http://rfw:s3cr3t@influx:8086",
			"http://rfw:xxxxx@influx:8086/api/v2/write?bucket=db"},
		{"password as net/http quotes it", "http://rfw:***@influx:8086/api/v2/write?bucket=db", "http://rfw:s3cr3t@influx:8086",
			"http://rfw:xxxxx@influx:8086/api/v2/write?bucket=db"},
		{"another host", "http://influx:80860/api/v2/write/s3cr3t?bucket=db", "http://influx:8086", "http://influx:80860/api/xxxxx?bucket=xxxxx"},
		{"not beneath", "https://other.example/a/s3cr3t?bucket=s3cr3t", "http://influx:8086", "https://other.example/a/xxxxx?bucket=xxxxx"},
		{"no base", "https://h/a/s3cr3t", "", "https://h/a/xxxxx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Beneath(tc.raw, tc.base, keep...); got != tc.want {
				t.Errorf("Beneath(%q, %q) = %q, want %q", tc.raw, tc.base, got, tc.want)
			}
			err := URLErrorsBeneath(&url.Error{Op: "Post", URL: tc.raw, Err: io.EOF}, tc.base, keep...)
			if want := `Post "` + tc.want + `": EOF`; err.Error() != want {
				t.Errorf("URLErrorsBeneath = %q, want %q", err, want)
			}
		})
	}
}
