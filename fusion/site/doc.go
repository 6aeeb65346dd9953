// Package site is the site model: floors, rooms as polygons in metres, walls
// with attenuation, and sensors with position and calibration, loaded from one
// strictly validated YAML file per site.
package site
