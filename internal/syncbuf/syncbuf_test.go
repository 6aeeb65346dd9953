package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

// TestConcurrentWrites writes from many goroutines (run with -race) and
// checks that every write arrived whole.
func TestConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	const writers, each = 8, 100
	for range writers {
		wg.Go(func() {
			for range each {
				if n, err := b.Write([]byte("ab\n")); n != 3 || err != nil {
					t.Errorf("Write = %d, %v", n, err)
				}
				_ = b.String()
			}
		})
	}
	wg.Wait()
	got := b.String()
	if n := strings.Count(got, "ab\n"); n != writers*each || len(got) != 3*writers*each {
		t.Fatalf("%d whole writes in %d bytes, want %d in %d", n, len(got), writers*each, 3*writers*each)
	}
}
