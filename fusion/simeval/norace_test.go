//go:build !race

package simeval

const raceEnabled = false
