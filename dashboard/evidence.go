package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// MaxEvidenceBytes bounds one evidence message: a snippet of 50 ms at
// 20 Msps (cf32_le) is 8 MB.
const MaxEvidenceBytes = 64 << 20

// SaveEvidence takes one message of a sensor's evidence topic
// (event.EvidenceTopic: a snippet an alert asked to keep, as a SigMF
// archive) and writes the recording into dir as NAME.sigmf-meta and
// NAME.sigmf-data, where the alert detail, the snippet download and the
// replay find it. The recording must be named as that sensor names its
// snippets (snippet-SENSOR-..., at most 200 bytes of letters, digits, '-'
// and '_'),
// and must open as a SigMF recording (its metadata fitting its data). It
// returns the name, or an error naming the problem; nothing is written
// then.
func SaveEvidence(dir, topic string, payload []byte) (string, error) {
	_, sensor, err := event.ParseEvidenceTopic(topic)
	if err != nil {
		return "", err
	}
	if len(payload) > MaxEvidenceBytes {
		return "", fmt.Errorf("evidence on %q: %d bytes exceeds %d", topic, len(payload), MaxEvidenceBytes)
	}
	f, err := os.CreateTemp(dir, ".incoming-*"+sigmf.ArchiveExt)
	if err != nil {
		return "", fmt.Errorf("evidence on %q: %w", topic, err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(payload)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("evidence on %q: %w", topic, err)
	}
	prefix := "snippet-" + sensor + "-"
	name, err := sigmf.ExtractArchive(f.Name(), dir, func(name string) error {
		if !strings.HasPrefix(name, prefix) || len(name) == len(prefix) || len(name) > 200 || !plainName(name) {
			return errors.New("not a snippet name of sensor " + sensor)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("evidence on %q: %w", topic, err)
	}
	return name, nil
}

// plainName reports whether s is made of letters, digits, '-' and '_'.
func plainName(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) < 0
}

// bundleJSON returns v (an incident's detail) as indented JSON for an
// evidence bundle, with, beside every non-zero nanosecond count (a key
// ending in "_ns"), the same time as an RFC 3339 string in the site's
// zone loc (the key ending in "_rfc3339" instead), and the zone as
// "time_zone": its IANA name zone, or else its offset at at. The
// nanosecond counts stay for the programs that read them.
func bundleJSON(v any, loc *time.Location, zone string, at time.Time) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("bundle json: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("bundle json: %w", err)
	}
	addRFC3339(doc, loc)
	if m, ok := doc.(map[string]any); ok {
		if zone == "" {
			zone = at.In(loc).Format("-07:00")
		}
		m["time_zone"] = zone
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("bundle json: %w", err)
	}
	return out, nil
}

// addRFC3339 adds KEY_rfc3339 beside every non-zero integer KEY_ns in the
// objects of doc, recursively.
func addRFC3339(doc any, loc *time.Location) {
	switch d := doc.(type) {
	case map[string]any:
		for k, v := range d {
			if base, ok := strings.CutSuffix(k, "_ns"); ok {
				n, isNum := v.(json.Number)
				if ns, err := n.Int64(); isNum && err == nil && ns != 0 {
					if _, taken := d[base+"_rfc3339"]; !taken {
						d[base+"_rfc3339"] = time.Unix(0, ns).In(loc).Format(time.RFC3339Nano)
					}
				}
				continue
			}
			addRFC3339(v, loc)
		}
	case []any:
		for _, v := range d {
			addRFC3339(v, loc)
		}
	}
}
