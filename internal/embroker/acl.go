package embroker

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"fmt"
	"strings"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// ACL is a topic ACL in Mosquitto's acl_file format, as
// deploy/mosquitto/rfwarden.acl writes it: "user NAME" starts a user's
// block, "topic [read|write|readwrite|deny] FILTER" grants that user (or,
// before any user line, no one: the embedded broker lets no anonymous
// client in), and "pattern [ACCESS] FILTER" grants every user, with %u
// standing for the username and %c for the client ID. Access left out is
// readwrite; a deny rule wins over a grant; what no rule grants is
// denied, as Mosquitto does.
type ACL struct {
	users    map[string][]aclRule
	patterns []aclRule
}

// aclRule is one topic or pattern line.
type aclRule struct {
	filter      string
	read, write bool // deny: both false
}

// ParseACL reads an ACL in Mosquitto's acl_file format (see ACL). It
// refuses a line it does not know, naming it, rather than leave a rule out.
func ParseACL(text []byte) (*ACL, error) {
	a := &ACL{users: map[string][]aclRule{}}
	user, anonymous := "", true
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kw, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch kw {
		case "user":
			if rest == "" {
				return nil, fmt.Errorf("ACL line %d: %q names no user", n, line)
			}
			user, anonymous = rest, false
		case "topic", "pattern":
			r, err := parseACLRule(rest)
			if err != nil {
				return nil, fmt.Errorf("ACL line %d: %q: %w", n, line, err)
			}
			switch {
			case kw == "pattern":
				a.patterns = append(a.patterns, r)
			case !anonymous:
				a.users[user] = append(a.users[user], r)
			}
		default:
			return nil, fmt.Errorf("ACL line %d: %q: want user, topic or pattern (Mosquitto's acl_file format)", n, line)
		}
	}
	return a, sc.Err()
}

// parseACLRule reads "[ACCESS] FILTER".
func parseACLRule(s string) (aclRule, error) {
	access, filter, ok := strings.Cut(s, " ")
	if !ok {
		access, filter = "readwrite", s
	}
	filter = strings.TrimSpace(filter)
	r := aclRule{filter: filter}
	switch access {
	case "read":
		r.read = true
	case "write":
		r.write = true
	case "readwrite":
		r.read, r.write = true, true
	case "deny":
	default:
		return r, fmt.Errorf("access %q: want read, write, readwrite or deny", access)
	}
	if filter == "" || strings.Contains(filter, " ") {
		return r, fmt.Errorf("want one topic filter")
	}
	return r, nil
}

// Allows reports whether user, connected as clientID, may publish to
// topic (write) or subscribe to filter topic and be sent messages on it
// (read). A subscription is allowed only within what the user may read:
// Mosquitto 2.0 grants any SUBSCRIBE and drops, message by message, what
// the ACL does not let the user read, where the embedded broker refuses
// the subscription (SUBACK failure) and still checks each delivery.
func (a *ACL) Allows(user, clientID, topic string, write bool) bool {
	granted := false
	check := func(r aclRule, filter string) {
		if within(topic, filter) && ((write && r.write) || (!write && r.read)) {
			granted = true
		}
	}
	// deny first, as Mosquitto: a deny rule that matches refuses whatever else grants
	for _, r := range a.users[user] {
		if !r.read && !r.write && within(topic, r.filter) {
			return false
		}
		check(r, r.filter)
	}
	// %u and %c are not substituted by a name that would widen the
	// filter (Mosquitto refuses such names in patterns too)
	safe := func(s string) bool { return s != "" && !strings.ContainsAny(s, "/+#") }
	for _, r := range a.patterns {
		f := r.filter
		if strings.Contains(f, "%u") {
			if !safe(user) {
				continue
			}
			f = strings.ReplaceAll(f, "%u", user)
		}
		if strings.Contains(f, "%c") {
			if !safe(clientID) {
				continue
			}
			f = strings.ReplaceAll(f, "%c", clientID)
		}
		if !r.read && !r.write && within(topic, f) {
			return false
		}
		check(r, f)
	}
	return granted
}

// within reports whether every topic the filter sub matches is one the
// filter acl matches (a topic name, without wildcards, is a filter
// matching itself).
func within(sub, acl string) bool {
	s, a := strings.Split(sub, "/"), strings.Split(acl, "/")
	for i, al := range a {
		if al == "#" {
			return true
		}
		if i >= len(s) {
			return false
		}
		switch sl := s[i]; {
		case sl == "#":
			return false
		case al == "+":
		case sl != al: // sl "+" is wider than a name
			return false
		}
	}
	return len(s) == len(a)
}

// aclHook lets in only the clients whose username and password are in
// logins, and lets each publish and subscribe only as acl allows.
type aclHook struct {
	mochi.HookBase
	logins map[string]string
	acl    *ACL
}

// ID implements mochi.Hook.
func (h *aclHook) ID() string { return "rfwarden-acl" }

// Provides implements mochi.Hook.
func (h *aclHook) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}

// OnConnectAuthenticate implements mochi.Hook: the username must be in
// logins with that password.
func (h *aclHook) OnConnectAuthenticate(cl *mochi.Client, pk packets.Packet) bool {
	want, ok := h.logins[string(cl.Properties.Username)]
	return ok && want != "" && subtle.ConstantTimeCompare([]byte(want), pk.Connect.Password) == 1
}

// OnACLCheck implements mochi.Hook.
func (h *aclHook) OnACLCheck(cl *mochi.Client, topic string, write bool) bool {
	if cl.Net.Inline {
		return true // the broker's own (tests' srv.Publish and srv.Subscribe)
	}
	return h.acl.Allows(string(cl.Properties.Username), cl.ID, topic, write)
}
