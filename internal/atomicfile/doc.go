// Package atomicfile replaces a small file durably: after Write returns,
// the file holds the new bytes, and a crash or power cut at any moment
// leaves it with the old bytes or the new, never a mix or nothing.
package atomicfile
