package zonename

import (
	"os"
	"strings"
	"time"
)

// Name is Of(loc, os.LookupEnv, os.Readlink): the IANA name of loc, ""
// when it has none.
func Name(loc *time.Location) string {
	return Of(loc, os.LookupEnv, os.Readlink)
}

// Of returns the IANA name of loc (e.g. "Europe/London"), which the
// UI gives the browser's Intl.DateTimeFormat to show times in the site's
// zone, or "" when loc has none (a fixed offset; the UI then uses the
// offset). A named zone gives its name; time.Local, which Go calls
// "Local", the zone $TZ names (Go's own reading of it: unset is
// /etc/localtime, empty is UTC, a leading ':' is dropped, a path is a
// zone file) or the zoneinfo file /etc/localtime links to. A name Go
// cannot load is no name. lookupEnv and readlink are os.LookupEnv and
// os.Readlink but in tests (Name gives them).
func Of(loc *time.Location, lookupEnv func(string) (string, bool), readlink func(string) (string, error)) string {
	name := loc.String()
	if name == "Local" {
		name = localName(lookupEnv, readlink)
	}
	if name == "" || name == "Local" {
		return ""
	}
	if _, err := time.LoadLocation(name); err != nil {
		return ""
	}
	return name
}

// localName is the name of the zone time.Local was loaded from, "" when
// unknown.
func localName(lookupEnv func(string) (string, bool), readlink func(string) (string, error)) string {
	file := "/etc/localtime"
	if tz, ok := lookupEnv("TZ"); ok {
		tz = strings.TrimPrefix(tz, ":")
		switch {
		case tz == "":
			return "UTC"
		case !strings.HasPrefix(tz, "/"):
			return tz
		}
		file = tz
	}
	if target, err := readlink(file); err == nil {
		file = target
	}
	if _, after, ok := strings.Cut(file, "zoneinfo/"); ok {
		return strings.TrimPrefix(after, "posix/")
	}
	return ""
}
