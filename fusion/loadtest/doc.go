// Package loadtest drives simulated sensors against a real MQTT broker and
// the real fusion engine, and measures what comes out the other end.
//
// Run starts (unless Config.BrokerURL names one) an embedded mochi-mqtt
// broker on 127.0.0.1 (internal/embroker), one paho client per simulated
// sensor, and fusion in process as `rfwarden fusion` runs it:
// fusion.Engine.Run over fusion.PahoSubscriber with paho's automatic
// acknowledgement off (a message is acknowledged once fusion has handled
// it), writing to a SQLite store (fusion/store.OpenSQLite) and publishing
// alerts on MQTT through fusion.AsyncPublisher and fusion.MQTTPublisher.
// Each sensor publishes event.Detection JSON at QoS 1 on
// event.SensorTopic(site, sensor, "detection") at Config.RateHz for
// Config.Duration. A further client subscribes to the alert topic, as a
// dashboard or control room would.
//
// Workload. The site is sim.StandardWing's (two landings of cells, offices,
// yard, perimeter; nine sensors s1..s9). For more sensors the wing's sensors
// are copied: copy c adds sensors "cNNN-s1".."cNNN-s9" to the site model
// passed to fusion, each co-located with its original. This keeps the
// geometry, the locator's grid and the physics of one real wing while the
// number of connections and messages grows with N; it is a load model, not
// a site design (a real prison of 500 sensors is many wings, see
// docs/scaling.md). In each slot every sensor reports one emitter of the
// wing that it can hear (SNR >= sim.DetectionMinSNRDB), chosen round robin
// with a per-copy phase, with the received power of
// sim.Wing.ReceivedPowerDBm plus seeded Gaussian measurement noise of
// sim.MeasurementSigmaDB. Sensors of one copy report the same emitter in
// the same slot, so fusion associates and locates them as it would a real
// emission.
//
// Alerts. fusion raises an alert once per track and room, so the wing's
// two phones that enough sensors hear would raise two alerts in a run. To
// time many alerts, each of them is a new handset every PhoneEvery (1 s):
// same cell and received powers, a frequency no track of its class holds
// (see phoneSlots), so fusion starts a new track and the unauthorised-
// uplink rule a new alert (its pending message first; firing follows the
// rule's for duration). Drones and other alerts the wing raises are timed
// too.
//
// Measurement. Every detection ID names its sensor and sequence number, so
// the tracker keeps, per detection and without locks, when it was published,
// when fusion's MQTT client received it (a tap on the Subscriber) and when
// the engine's SQLite write of it returned (a wrapper around the store).
// Latencies are reported from those times: "deliver" is publish -> fusion's
// client; "stored" is publish -> committed to SQLite, which includes the
// engine's association window (default 500 ms) and up to a tick (1 s) or a
// full batch before the write. "alert" is detection to alert: from the
// publish of the earliest detection in an alert's evidence (the detections
// of the emission that opened it) to the alert's first message on the
// alert topic at the subscribing client; its floor is the association
// window. Loss is acknowledged publishes never stored; duplicates are IDs
// stored twice. CPU is the whole process (simulated sensors, embedded
// broker and fusion) from getrusage; peak RSS is the process high-water
// mark; peak heap is sampled each progress interval.
//
// Bounds: at most MaxSensors sensors, MaxRateHz per sensor, MaxDuration and
// MaxMessages planned messages; the broker must be on a loopback address.
package loadtest
