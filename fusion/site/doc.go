// Package site is the physical model of one prison site: floors, rooms as
// polygons in metres, walls with their radio loss in dB, and sensors with
// their positions and calibration. Load reads it from strict YAML and
// validates it; the geometry helpers (RoomAt, WallLossDB, and WallFan for
// many wall losses from one sensor) serve localisation.
package site
