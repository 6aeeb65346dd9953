package fusion

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
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

// save writes the IDs, oldest first, one per line, atomically.
func (s *seenSet) save(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".seen-*")
	if err != nil {
		return fmt.Errorf("save seen IDs: %w", err)
	}
	w := bufio.NewWriter(tmp)
	for i := range s.ring {
		if id := s.ring[(s.next+i)%len(s.ring)]; id != "" {
			w.WriteString(id)
			w.WriteByte('\n')
		}
	}
	err = errors.Join(w.Flush(), tmp.Sync(), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save seen IDs %q: %w", path, err)
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
