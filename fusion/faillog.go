package fusion

import (
	"slices"
	"strings"
)

// failureKey tells a failure's error apart from others for a
// retrylog.Log by its causes alone: the texts of the innermost errors
// it wraps (each one of errors.Join's), without the context around them,
// which carries counts and IDs that change at every failure ("write
// detections (14 kept for the next try)", "store alert a-3"). A store
// that keeps failing with one error then logs one line a minute, not one
// a tick, while a new cause is logged at once.
func failureKey(err error) string {
	var leaves []string
	var walk func(error)
	walk = func(err error) {
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if e != nil {
					walk(e)
				}
			}
		case interface{ Unwrap() error }:
			if inner := u.Unwrap(); inner != nil {
				walk(inner)
				return
			}
			leaves = append(leaves, err.Error())
		default:
			leaves = append(leaves, err.Error())
		}
	}
	if err != nil {
		walk(err)
	}
	slices.Sort(leaves)
	return strings.Join(slices.Compact(leaves), "; ")
}
