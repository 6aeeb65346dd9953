package deploy

import _ "embed"

// MosquittoACL is mosquitto/rfwarden.acl, the production broker's topic
// ACL: the demo's embedded broker enforces the same rules
// (embroker.ParseACL), so a sensor there too may write only its own
// topics.
//
//go:embed mosquitto/rfwarden.acl
var MosquittoACL []byte
