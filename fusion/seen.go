package fusion

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/internal/atomicfile"
)

// seenSet remembers the last capacity detections (FIFO eviction), each by
// its sensor and its event ID, so QoS 1 redelivery is not counted twice
// while another sensor's detection with the same ID (a counter reset by a
// reflash, a cloned node) is not taken for a duplicate. It can be saved to
// and loaded from a file so a restart does not double count either.
type seenSet struct {
	mu   sync.Mutex
	ids  map[string]int // seenKey(sensor, id) -> its slot in ring
	ring []string
	next int
}

// seenKey joins a sensor and an event ID with a tab, which neither may
// hold (sensor IDs are [A-Za-z0-9_-], event IDs have no control
// characters), so each key has one meaning and a line of the seen file
// that holds one is told from an older file's bare ID.
func seenKey(sensor, id string) string { return sensor + "\t" + id }

func newSeenSet(capacity int) *seenSet {
	return &seenSet{ids: make(map[string]int, capacity), ring: make([]string, capacity)}
}

// add records sensor's detection id and reports whether it was new.
func (s *seenSet) add(sensor, id string) bool { return s.addKey(seenKey(sensor, id)) }

func (s *seenSet) addKey(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ids[key]; ok {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = key
	s.ids[key] = s.next
	s.next = (s.next + 1) % len(s.ring)
	return true
}

// forget removes sensor's detection id, so that it is new again. Its
// slot, found by the map, evicts nothing later: until 2026-12-07 it was
// found by a scan of the ring, about 1 ms each in the default 200 000,
// once per journaled detection at the intake journal's replay.
func (s *seenSet) forget(sensor, id string) {
	key := seenKey(sensor, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.ids[key]
	if !ok {
		return
	}
	delete(s.ids, key)
	s.ring[i] = ""
}

// save writes the detections, oldest first, one a line as sensor, tab, ID,
// atomically and durably (mode 0600).
func (s *seenSet) save(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b bytes.Buffer
	for i := range s.ring {
		if key := s.ring[(s.next+i)%len(s.ring)]; key != "" {
			b.WriteString(key)
			b.WriteByte('\n')
		}
	}
	if err := atomicfile.Write(path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("save seen IDs: %w", err)
	}
	return nil
}

// seenLoaded counts the lines of a seen file load read, but empty ones:
// used, a sensor, a tab and a detection ID; bare, a detection ID alone,
// as a file saved before detections were told apart by sensor holds
// them; and damaged, any other (random bytes, a line cut short or longer
// than any key).
type seenLoaded struct{ used, bare, damaged int }

// load adds the detections in the file at path and counts its lines; a
// missing file is not an error. It skips a bare ID, which may be any
// sensor's, so taking it for one sensor's could drop another's new
// detection as a duplicate, and the lines it cannot read: the file only
// spares redelivered detections a second count, so damage to it is no
// reason to keep fusion from starting. An error is the file's to read.
func (s *seenSet) load(path string) (n seenLoaded, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return n, nil
	}
	if err != nil {
		return n, fmt.Errorf("load seen IDs: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, maxSeenLine)
	for {
		b, err := r.ReadSlice('\n')
		long := errors.Is(err, bufio.ErrBufferFull)
		for errors.Is(err, bufio.ErrBufferFull) { // skip the rest of the line
			_, err = r.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return n, fmt.Errorf("load seen IDs %q: %w", path, err)
		}
		line := string(bytes.TrimSuffix(b, []byte("\n")))
		sensor, id, ok := strings.Cut(line, "\t")
		switch {
		case long:
			n.damaged++
		case line == "":
		case !ok && event.ValidEventID(line):
			n.bare++
		case ok && event.ValidID(sensor) && event.ValidEventID(id):
			s.addKey(line)
			n.used++
		default:
			n.damaged++
		}
		if err != nil {
			return n, nil
		}
	}
}

// maxSeenLine bounds a line of the seen file: a sensor ID, a tab, an ID of
// at most 128 bytes and the newline fit many times over.
const maxSeenLine = 4096
