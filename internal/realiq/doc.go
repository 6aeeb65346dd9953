// Package realiq locates the shared real over-the-air recordings for tests.
//
// The recordings live read-only in ../shared/testdata/real-iq beside the
// module root (several are AGPL-3.0 and are never copied into the
// repository). Tests that need them call Dir, which skips the test cleanly
// when the folder is absent.
package realiq
