package publish

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"sync"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// copyStore is paho's store of messages in flight, in memory, keeping
// each message as its encoded bytes: Get decodes a new packet every time.
// paho's own MemoryStore hands back the packet it was given, which paho's
// network goroutine may still be writing while a reconnect's resume sets
// its DUP flag (a data race, paho issue 703). See NewPaho for why paho
// needs a store at all.
type copyStore struct {
	mu   sync.Mutex
	msgs map[string][]byte
}

var _ mqtt.Store = (*copyStore)(nil)

func newCopyStore() *copyStore { return &copyStore{msgs: map[string][]byte{}} }

func (s *copyStore) Open() {}

func (s *copyStore) Put(key string, p packets.ControlPacket) {
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		return // paho then cannot send it again; the Outbox still will
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs[key] = b.Bytes()
}

func (s *copyStore) Get(key string) packets.ControlPacket {
	s.mu.Lock()
	b, ok := s.msgs[key]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	p, err := packets.ReadPacket(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	return p
}

// All returns the keys ("o.ID" outbound, "i.ID" inbound) sorted by
// direction and message ID, so messages are sent again in the order of
// their IDs (the order they were first sent in, until the IDs wrap).
func (s *copyStore) All() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.msgs))
	for k := range s.msgs {
		keys = append(keys, k)
	}
	id := func(k string) int {
		_, n, _ := strings.Cut(k, ".")
		v, _ := strconv.Atoi(n)
		return v
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return id(keys[i]) < id(keys[j])
	})
	return keys
}

func (s *copyStore) Del(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.msgs, key)
}

func (s *copyStore) Close() {}

func (s *copyStore) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.msgs)
}
