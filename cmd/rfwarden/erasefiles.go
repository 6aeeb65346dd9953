package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rfwarden/rfwarden/dashboard"
	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/sensor/sigmf"
)

// detectionOfSensor is the condition on a detection row (the table's key:
// site, sensor, id) that it is one of the detections detectionSensors
// names, its second parameter: of the sensor its ID names, or of no
// sensor (a row an older binary wrote); an ID no sensor makes, of any
// sensor, as the dashboard finds an alert's evidence by ID.
const detectionOfSensor = `EXISTS (SELECT 1 FROM json_each(?) AS j WHERE j.key = detection.id AND (j.value = '' OR detection.sensor IN (j.value, '')))`

// detectionSensors returns dets as a JSON object of each ID to the sensor
// that makes it ("" when none does: detectionSensor), for
// detectionOfSensor.
func detectionSensors(dets []string) string {
	m := make(map[string]string, len(dets))
	for _, d := range dets {
		m[d], _ = detectionSensor(d)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// snippetCandidates returns the snippet files a detection of dets may
// have in dirs, whether they exist or not: snippet-ID.sigmf-meta and
// .sigmf-data of each ID a sensor makes (detectionSensor), and the
// .keep and .sent markers a sensor writes beside its own snippets
// (dashboard.SensorMarkerExts: a snippet folder the sensors share, as
// the demo's), which name the detection too.
func snippetCandidates(dirs, dets []string) []string {
	var out []string
	exts := append([]string{sigmf.MetaExt, sigmf.DataExt}, dashboard.SensorMarkerExts...)
	for _, d := range dets {
		if _, ok := detectionSensor(d); !ok {
			continue
		}
		for _, dir := range dirs {
			for _, ext := range exts {
				out = append(out, filepath.Join(dir, "snippet-"+d+ext))
			}
		}
	}
	return out
}

// removeSnippets deletes each of paths that exists and returns how many
// it deleted and the ones it could not, with why: a file already gone is
// neither.
func removeSnippets(paths []string) (deleted int, failed []string) {
	for _, p := range paths {
		switch err := os.Remove(p); {
		case err == nil:
			deleted++
		case errors.Is(err, os.ErrNotExist):
		default:
			failed = append(failed, fmt.Sprintf("%s (%v)", p, err))
		}
	}
	return deleted, failed
}

// detectionSensor returns the sensor whose detection ID id is, when it is
// one (event.DetectionOf: SENSOR-BOOT-START-SEQ, SENSOR a site ID of
// letters, digits, '-' and '_'): only such an ID is made into a snippet's
// file name, which then stays in its folder.
func detectionSensor(id string) (string, bool) {
	parts := strings.Split(id, "-")
	if len(parts) < 4 {
		return "", false
	}
	sensor := strings.Join(parts[:len(parts)-3], "-")
	name := "snippet-" + id + ".sigmf-meta"
	if !event.ValidID(sensor) || !event.DetectionOf(sensor, id) || !filepath.IsLocal(name) || filepath.Base(name) != name {
		return "", false
	}
	return sensor, true
}
