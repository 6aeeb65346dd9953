// Package loadtest drives simulated sensors against a real MQTT broker and
// the real fusion engine, and measures what comes out the other end.
//
// Run starts (unless Config.BrokerURL names one) an embedded mochi-mqtt
// broker on 127.0.0.1, one paho client per simulated sensor, and fusion in
// process: fusion.Engine.Run over fusion.PahoSubscriber with paho's
// automatic acknowledgement off, as `rfwarden fusion` runs it (a message is
// acknowledged once fusion has handled it), writing to a SQLite store
// (fusion/store.OpenSQLite) so the write path is the production one.
// Each sensor publishes event.Detection JSON at QoS 1 on
// event.SensorTopic(site, sensor, "detection") at Config.RateHz for
// Config.Duration.
//
// Workload. The site is sim.StandardWing's (two landings, yard, perimeter;
// sensors s1..s5). For more than five sensors the wing's five sensors are
// copied: copy c adds sensors "cNNN-s1".."cNNN-s5" to the site model passed
// to fusion, each co-located with its original. This keeps the geometry, the
// locator's grid and the physics of one real wing while the number of
// connections and messages grows with N; it is a load model, not a site
// design (a real prison of 500 sensors is many wings, see docs/scaling.md).
// In each slot every sensor reports one emitter of the wing that it can hear
// (SNR >= sim.DetectionMinSNRDB), chosen round robin with a per-copy phase,
// with the received power of sim.Wing.ReceivedPowerDBm plus seeded Gaussian
// measurement noise of sim.MeasurementSigmaDB. Sensors of one copy report
// the same emitter in the same slot, so fusion associates and locates them
// as it would a real emission.
//
// Measurement. Every detection ID names its sensor and sequence number, so
// the tracker keeps, per detection and without locks, when it was published,
// when fusion's MQTT client received it (a tap on the Subscriber) and when
// the engine's SQLite write of it returned (a wrapper around the store).
// Latencies are reported from those times: "deliver" is publish -> fusion's
// client; "stored" is publish -> committed to SQLite, which includes the
// engine's association window (default 500 ms) and its 1 s tick. Loss is
// acknowledged publishes never stored; duplicates are IDs stored twice.
// CPU is the whole process (simulated sensors, embedded broker and fusion)
// from getrusage; peak RSS is the process high-water mark; peak heap is
// sampled each progress interval.
//
// Bounds: at most MaxSensors sensors, MaxRateHz per sensor, MaxDuration and
// MaxMessages planned messages; the broker must be on a loopback address.
package loadtest
