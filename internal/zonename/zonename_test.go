package zonename

import (
	"errors"
	"testing"
	"time"
)

// TestOf: the UI is given the IANA name of the site's zone; time.Local
// is named from $TZ or the /etc/localtime link, as Go loaded it, and a
// zone without a loadable name gives "" (the UI then uses its offset).
func TestOf(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	link := func(target string) func(string) (string, error) {
		return func(p string) (string, error) {
			if target == "" {
				return "", errors.New("not a link")
			}
			return target, nil
		}
	}
	unset := func(string) (string, bool) { return "", false }
	tz := func(v string) func(string) (string, bool) { return func(string) (string, bool) { return v, true } }
	for _, tc := range []struct {
		given    string
		loc      *time.Location
		env      func(string) (string, bool)
		readlink func(string) (string, error)
		want     string
	}{
		{given: "a named zone", loc: london, env: unset, readlink: link(""), want: "Europe/London"},
		{given: "UTC", loc: time.UTC, env: unset, readlink: link(""), want: "UTC"},
		{given: "Local, TZ unset, /etc/localtime a link", loc: time.Local, env: unset, readlink: link("/usr/share/zoneinfo/Europe/London"), want: "Europe/London"},
		{given: "Local, TZ unset, a relative posix link", loc: time.Local, env: unset, readlink: link("../usr/share/zoneinfo/posix/Europe/Paris"), want: "Europe/Paris"},
		{given: "Local, TZ unset, /etc/localtime a copy", loc: time.Local, env: unset, readlink: link(""), want: ""},
		{given: "Local, TZ a name", loc: time.Local, env: tz("Europe/London"), readlink: link("/usr/share/zoneinfo/Etc/UTC"), want: "Europe/London"},
		{given: "Local, TZ with a colon", loc: time.Local, env: tz(":Europe/Dublin"), readlink: link(""), want: "Europe/Dublin"},
		{given: "Local, TZ empty", loc: time.Local, env: tz(""), readlink: link(""), want: "UTC"},
		{given: "Local, TZ a zone file", loc: time.Local, env: tz("/usr/share/zoneinfo/Europe/Berlin"), readlink: link(""), want: "Europe/Berlin"},
		{given: "Local, TZ not a zone", loc: time.Local, env: tz("GMT0BST,M3.5.0/1,M10.5.0"), readlink: link(""), want: ""},
		{given: "a fixed offset", loc: time.FixedZone("+01", 3600), env: unset, readlink: link(""), want: ""},
		{given: "a fixed offset without a name", loc: time.FixedZone("", 3600), env: unset, readlink: link(""), want: ""},
	} {
		t.Run(tc.given, func(t *testing.T) {
			if got := Of(tc.loc, tc.env, tc.readlink); got != tc.want {
				t.Errorf("when named, expect %q, got %q", tc.want, got)
			}
		})
	}
}
