//go:build !unix

package rusage

// Self returns ErrUnsupported: this system has no getrusage.
func Self() (Usage, error) { return Usage{}, ErrUnsupported }
