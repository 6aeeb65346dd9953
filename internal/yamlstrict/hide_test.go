package yamlstrict

import (
	"strings"
	"testing"
)

// TestErrorsHideURLPasswords: an error about a configuration shows the
// line it is about, and the lines round it; a URL there (a broker's, an
// InfluxDB's) has its password hidden as the error's own words hide it.
// The line printed "broker: tcp://fusion:s3cretPW@…" under an error that
// said "xxxxx", and under an error about another key.
func TestErrorsHideURLPasswords(t *testing.T) {
	type conf struct {
		Broker   string `yaml:"broker"`
		ClientID string `yaml:"client_id"`
	}
	for _, tc := range []struct {
		name, given string
		at          string // At's key, "" for Decode's own error
	}{
		{"the URL's own line", "site: x\nbroker: ftp://fusion:s3cretPW@127.0.0.1:1883\n", ""},
		{"another key's line beside it", "broker: tcp://fusion:s3cretPW@127.0.0.1:1883\nclient_id: [x]\n", ""},
		{"At on the URL", "broker: ftp://fusion:s3cretPW@127.0.0.1:1883\nclient_id: f\n", "broker"},
		{"At on a key below it", "broker: tcp://fusion:s3cretPW@127.0.0.1:1883\nclient_id: f\n", "client_id"},
		{"a percent escape", "broker: tcp://user:s3cret%zzPW@127.0.0.1:1883\nclient_id: [x]\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.at != "" {
				err = At([]byte(tc.given), tc.at, "refused")
			} else {
				var c conf
				err = Decode([]byte(tc.given), &c)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password:\n%v", err)
			}
			if !strings.Contains(err.Error(), "xxxxx@127.0.0.1:1883") && !strings.Contains(err.Error(), "client_id") {
				t.Errorf("error shows neither the URL hidden nor the key:\n%v", err)
			}
		})
	}
}

// TestOneDocument: a configuration is one YAML document: a second after
// "---" is refused naming its line (its keys were ignored without a word,
// a broker in it among them); an empty one at the end passes.
func TestOneDocument(t *testing.T) {
	type conf struct {
		Broker string `yaml:"broker"`
	}
	for _, tc := range []struct{ given, want string }{
		{"broker: tcp://a:1\n---\nbroker: tcp://evil:1\n", "3 | broker: tcp://evil:1"},
		{"broker: tcp://a:1\n---\n", ""},
		{"---\nbroker: tcp://a:1\n", ""},
	} {
		var c conf
		err := Decode([]byte(tc.given), &c)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v, want it taken", tc.given, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "second YAML document")):
			t.Errorf("%q: %v, want a second document refused at %s", tc.given, err, tc.want)
		}
	}
}
