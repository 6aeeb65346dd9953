package dashboard

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
