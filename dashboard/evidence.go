package dashboard

import (
	"errors"
	"fmt"
	"os"
	"strings"

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
