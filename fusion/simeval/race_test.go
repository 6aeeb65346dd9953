//go:build race

package simeval

// raceEnabled: under the race detector the accuracy tests run their short
// sizes. They are single-goroutine numerics, so race instrumentation finds
// nothing there and only multiplies their run time (about 10x); CI runs the
// suite with -race.
const raceEnabled = true
