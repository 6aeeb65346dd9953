package pipeline

import "github.com/rfwarden/rfwarden/sensor/sigmf"

// ReplacesAnnotation reports whether a new run of the pipeline over a
// recording replaces the recording's annotation a: one an earlier run
// wrote (core:generator Generator), so annotating an annotated recording
// does not repeat its detections. Every other annotation is kept: ground
// truth, other tools', and the sensor's own detection in an evidence
// snippet (core:generator "rfwarden sensor"), which a replay is compared
// with. `rfwarden scan --annotate` and the dashboard's replay apply it.
func ReplacesAnnotation(a sigmf.Annotation) bool { return a.Generator == Generator }
