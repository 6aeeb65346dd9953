// Package faults is rfwarden's reliability suite (issue 8, item 4): it injects
// one fault at a time into real components running on 127.0.0.1 and checks,
// by counting event IDs end to end, that nothing is lost and nothing is
// processed twice. It holds only tests, behind the build tag "integration":
//
//	go test -race -tags integration ./deploy/faults/
//
// The components are the real ones: Debian's mosquitto (/usr/sbin/mosquitto,
// started on a free port with a temporary config and on-disk persistence; the
// tests that need it skip when it is absent), the sensor agent
// (sensor/agent.New with a paced synthetic source and a fixed pipeline, so the
// detections are cheap and their IDs predictable), its durable outbox, the
// fusion engine (fusion.New, Engine.Run with fusion.PahoSubscriber and a
// persistent session, as cmd/rfwarden/fusion.go wires it), SQLite
// (store.OpenSQLite) and a real influxd (fusion/store/influxtest). Fusion's
// time series writes pass through a ledger that counts every event ID it is
// given, so a duplicate is caught even where the store itself would hide it.
//
// Faults and what each test asserts:
//
//   - TestBrokerRestart: mosquitto stopped and restarted on the same port
//     while the agent publishes. SIGTERM, fusion's default plain
//     subscription: every detection reaches fusion exactly once. SIGKILL:
//     no duplicates, delivery resumes, and the loss stays within what
//     mosquitto had acknowledged but not yet saved (autosave_interval
//     changes per crash). Shared subscription (a fusion.yaml override):
//     fusion subscribes again after the restart and resumes, no duplicates
//     (mosquitto 2.0 does not restore shared subscriptions; what reaches it
//     before fusion has subscribed again has no subscriber).
//   - TestInfluxOutage: influxd killed for 2 minutes while fusion stores
//     detections from the agent; the writes are spooled and appear in InfluxDB after the restart,
//     each exactly once, none overwritten.
//   - TestFusionRestart: the fusion engine and its MQTT client stopped and
//     restarted (persistent session, SeenFile) while the agent publishes;
//     everything published while it was down is processed after, once.
//   - TestAgentCrash: the agent process is SIGKILLed mid-stream and restarted
//     on the same outbox; everything on disk at the crash is delivered, the
//     sequence has no gap, and fusion processes each ID once.
//   - TestOutboxQuota: the outbox quota is reached while the broker is down;
//     health reports the alarm, the oldest detections are dropped and
//     counted, the newest are delivered, and dropped equals the shortfall.
//   - TestClockJump: the sensor's wall clock jumps forward and back; health
//     keeps being published, IDs stay unique and fusion stores every
//     detection once, promptly, with the time the sensor gave it.
//
// The suite takes 70–110 s with -race on two cores, a third of it influxd
// starting twice. Each test runs its own mosquitto, so tests can run alone:
// go test -race -tags integration -run TestClockJump ./deploy/faults/
//
// To find why one fails, set RFW_FAULTS_DIAG to a directory: mosquitto
// logs everything there (every PUBLISH and PUBACK, by client and message
// ID), paho too with RFW_FAULTS_DIAG_PAHO=1, and a stalled drain writes
// every goroutine's stack there; a passing test's files are removed unless
// RFW_FAULTS_DIAG_KEEP=1. That is how TestFusionRestart's stall was found:
// Run handling a restart's backlog without ticking (fusion/mqtt.go).
//
// What these tests do not repeat, because narrower tests already prove it:
// the outbox's order, torn-tail recovery and quota accounting
// (sensor/publish/outbox_test.go), sender retries (sensor/publish/sender_test.go),
// an agent against a restarted in-process broker and a cancel-and-restart with
// a fake client (sensor/agent/agent_test.go: TestBrokerOutage, TestKillRestart),
// the InfluxDB spool across an outage and a store restart
// (fusion/store/influx_test.go: TestInfluxOutage, TestInfluxSpoolSurvivesRestart),
// SQLite idempotency (fusion/store/storetest) and the seen-ID file across an
// engine restart without MQTT (fusion/engine_test.go: TestSeenPersistsAcrossRestart).
package faults
