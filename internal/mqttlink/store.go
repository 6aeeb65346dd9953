package mqttlink

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"sync"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// NewClientOptions returns paho's client options with a store of
// messages in flight that keeps copies (NewStore) in place of paho's
// MemoryStore. Every paho client in rfwarden starts from it:
// TestEveryPahoClientKeepsCopies fails on a call to paho's own
// NewClientOptions anywhere else in the module.
func NewClientOptions() *mqtt.ClientOptions {
	return mqtt.NewClientOptions().SetStore(NewStore())
}

// NewStore returns paho's store of messages in flight, in memory, keeping
// each message as its encoded bytes: Get decodes a new packet every time.
//
// paho's own MemoryStore hands back the packet it was given. After a
// reconnect paho's resume walks the store and sets the DUP flag on each
// QoS 1 publish in it, while the new connection's network goroutine may
// be writing that very packet: a publish made as the connection came back
// (fusion's session marker, sent from the OnConnect handler; an alert; a
// registry change) is both in the store and on its way out. That is a data
// race (paho issue 703, open in paho 1.5.1), which the race detector found
// in the sensor's publisher (deploy/faults TestOutboxQuota), in fusion
// (TestBrokerRestart) and in the dashboard's client
// (TestCmdRegistryReachesFusion).
func NewStore() mqtt.Store { return newCopyStore() }

// copyStore is NewStore's store.
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
