package fusion

// BacklogDegraded is the backlog past which fusion's /healthz is degraded
// (HTTP 503): twice the ingest queue (Config.Queue's default, 4096). Up to
// a full queue is a burst being worked through (a sensor's outbox sent
// after a reconnect); past twice that, as many messages again wait in
// blocked handlers, and fusion is behind for good: at a site's 40-120
// detections/s a minute or more of detections, alerts that late, a few
// kB of memory each (docs/scaling.md), and, with the demo's embedded
// broker, the 8192 messages in flight past which it drops them.
const BacklogDegraded = 8192

// Backlog is how many messages Run has received and not yet handled: those
// in its ingest queue, those whose handlers wait for room in it (a full
// queue pushes back by blocking them, one goroutine each, paho's order
// not mattering) and the one being handled. None of them is acknowledged
// yet, so the broker (mosquitto, the persistent session) delivers them
// again if fusion stops. It is exported as rfw_fusion_backlog_messages
// and in fusion's /healthz.
func (e *Engine) Backlog() int64 { return e.met.backlog.Load() }
