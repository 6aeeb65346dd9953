// Package publish moves a sensor's events to the MQTT broker.
//
// Client is the small seam over the MQTT library (paho in production, a fake
// in tests); NewPaho builds the production client: QoS 1, persistent session
// (CleanSession=false) with the sensor ID as client ID, TLS from files,
// username/password, last will "offline" retained on the status topic,
// "online" retained on every connect, and auto-reconnect.
//
// Outbox is a durable on-disk queue of detections in front of the client, and
// Sender drains it in order with at-least-once delivery, a window of
// publishes in flight at once: a record is removed only after the broker's
// PUBACK for it and every record before it, so after a reconnect or a
// restart everything not acknowledged is sent again. Receivers de-duplicate
// by event ID. A Gate in front of the Sender holds the records in the
// outbox while the broker is not known to keep them for their reader (the
// agent's wait for fusion's session marker); Options.Connecting closes it
// at every connection attempt, and Subscription.Refused tells of a
// subscription the broker refused (SUBACK 0x80). A subscription answered
// with a code MQTT 3.1.1 does not have (mochi's 0x91) is made again
// (mqttlink.AwaitGranted).
//
// # Outbox format
//
// The outbox directory holds segment files seg-XXXXXXXXXXXXXXXXXXXX.log, named
// by the sequence number of their first record, and a file "cursor" holding the
// sequence number of the first unacknowledged record. A segment is a run of
// records, each framed as
//
//	uint32 LE payload length | uint32 LE CRC-32C of payload | payload
//
// A payload is never empty.
//
// # Durability (fsync policy)
//
// Enqueue writes the record and fsyncs the segment before it returns, so an
// accepted record survives a process kill or power loss. A write or fsync
// that fails (a full disk, EIO) refuses the records it held and leaves the
// outbox as it was before them (it cuts their bytes off the segment);
// EnqueueBatch says how many of a batch it accepted, so the caller can hold
// the rest and offer them again, and the outbox takes records again as soon
// as the disk does. The cursor is written
// to a temporary file, fsynced and renamed over the old one (and the directory
// fsynced) on every Ack; losing the last cursor update only causes a re-send.
// On Open a torn tail (a length or CRC that does not check, or the zeros a
// file system may leave where an append was cut by a power loss, with no
// good record after it) is detected, the segment is truncated to its last
// good record, and the rest of the queue is kept. A corrupt record in an
// older segment (a bad sector) cuts that segment the same way; the records
// from it to the next segment are lost, counted in Stats.Lost and logged,
// and the readers step over the gap, so delivery goes on with the next
// segment. A corrupt record in the last segment with good records after it
// (found by looking, byte by byte, for the next record whose length and CRC
// check) is not a torn tail: the good records after it are moved to a new
// segment, and the last one is cut and treated as an older one. Records hold
// no sequence numbers, so the new segment counts one lost record per stretch
// of damage and starts at the cursor at the earliest: the records kept are
// all sent, some perhaps again. The damaged bytes are counted in
// Stats.Corrupt (and Stats.Discarded, which counts torn tails too).
//
// # Quota
//
// When the segments would exceed the disk quota, the oldest segment is deleted
// and its unsent records are counted in Stats.Dropped; Stats.OverQuota stays set
// until the queue drains, for the health alarm.
package publish
