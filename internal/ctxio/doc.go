// Package ctxio stops a long copy when its context ends: Reader looks at
// the context before every chunk it reads, so a copy of a large upload or
// an archive's extraction ends within a chunk of the request that asked
// for it going away, instead of running to the end of the file.
package ctxio
