// Package benchcpu reports the CPU time a benchmark's process spent per
// operation (user plus system, from getrusage), as the metric cpu-ns/op,
// and, on Linux, the calling thread's CPU time (Thread) for timing one
// section of a benchmark locked to its thread. On a shared machine CPU
// time is steadier than the wall time per operation, which swings with
// what others run.
package benchcpu
