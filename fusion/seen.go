package fusion

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/rfwarden/rfwarden/internal/atomicfile"
)

// seenSet remembers the last capacity event IDs (FIFO eviction), so QoS 1
// redelivery is not counted twice. It can be saved to and loaded from a file
// so a restart does not double count either.
type seenSet struct {
	mu   sync.Mutex
	ids  map[string]struct{}
	ring []string
	next int
}

func newSeenSet(capacity int) *seenSet {
	return &seenSet{ids: make(map[string]struct{}, capacity), ring: make([]string, capacity)}
}

// add records id and reports whether it was new.
func (s *seenSet) add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ids[id]; ok {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = id
	s.ids[id] = struct{}{}
	s.next = (s.next + 1) % len(s.ring)
	return true
}

// save writes the IDs, oldest first, one per line, atomically and durably
// (mode 0600).
func (s *seenSet) save(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b bytes.Buffer
	for i := range s.ring {
		if id := s.ring[(s.next+i)%len(s.ring)]; id != "" {
			b.WriteString(id)
			b.WriteByte('\n')
		}
	}
	if err := atomicfile.Write(path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("save seen IDs: %w", err)
	}
	return nil
}

// load adds the IDs in the file at path; a missing file is not an error.
func (s *seenSet) load(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load seen IDs: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if id := sc.Text(); id != "" && len(id) <= 128 {
			s.add(id)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("load seen IDs %q: %w", path, err)
	}
	return nil
}
