// Package benchcpu reports the CPU time a benchmark's process spent per
// operation (user plus system, from getrusage), as the metric cpu-ns/op.
// On a shared machine it is steadier than the wall time per operation,
// which swings with what others run.
package benchcpu
