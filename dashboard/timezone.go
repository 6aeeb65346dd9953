package dashboard

import (
	"strings"
	"time"
)

// zoneName returns the IANA name of loc (e.g. "Europe/London"), which the
// UI gives the browser's Intl.DateTimeFormat to show times in the site's
// zone, or "" when loc has none (a fixed offset; the UI then uses the
// offset). A named zone gives its name; time.Local, which Go calls
// "Local", the zone $TZ names (Go's own reading of it: unset is
// /etc/localtime, empty is UTC, a leading ':' is dropped, a path is a
// zone file) or the zoneinfo file /etc/localtime links to. A name Go
// cannot load is no name. lookupEnv and readlink are os.LookupEnv and
// os.Readlink but in tests.
func zoneName(loc *time.Location, lookupEnv func(string) (string, bool), readlink func(string) (string, error)) string {
	name := loc.String()
	if name == "Local" {
		name = localZoneName(lookupEnv, readlink)
	}
	if name == "" || name == "Local" {
		return ""
	}
	if _, err := time.LoadLocation(name); err != nil {
		return ""
	}
	return name
}

// localZoneName is the name of the zone time.Local was loaded from, "" when
// unknown.
func localZoneName(lookupEnv func(string) (string, bool), readlink func(string) (string, error)) string {
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

// siteZone is the site's zone as GET /me sends it.
type siteZone struct {
	// TimeZone is the IANA name of Deps.Location, "" when it has none.
	TimeZone string `json:"time_zone"`
	// UTCOffsetS is the zone's offset from UTC now, in seconds east: what
	// the UI uses when TimeZone is empty (exact for a fixed offset).
	UTCOffsetS int `json:"utc_offset_s"`
}

// zone returns the site's zone for the UI.
func (s *server) zone() siteZone {
	_, off := s.now().In(s.d.Location).Zone()
	return siteZone{TimeZone: s.zoneName, UTCOffsetS: off}
}
