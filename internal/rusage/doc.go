// Package rusage reads the CPU time and peak memory of this process from
// the operating system (getrusage on Unix). Where the system has no such
// call (Windows, Plan 9, wasm) Self says so with ErrUnsupported, so the
// programs that report it (loadtest, benchmarks) still build and run there
// and report the figures as unknown.
package rusage
