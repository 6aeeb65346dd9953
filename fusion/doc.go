// Package fusion turns many sensors' detections into located, authorised or
// unauthorised emitters and alerts:
//
//	ingest (MQTT, strict decode, dedupe by event ID)
//	  -> associate (same emission heard by several sensors -> group)
//	  -> track (successive groups of one emitter)
//	  -> locate (fusion/locate: room posterior + 95% ellipse)
//	  -> registry (Authorizer) -> alert (fusion/alert) -> store.
//
// Engine.Handle injects one message directly (tests, demo); Engine.Run reads
// a Subscriber; a Resubscriber makes fusion's subscriptions again on every
// connection and, with SessionMarker, marks each sensor's cmd topic once
// the broker has acknowledged them (sensors publish detections only then).
// Outputs: alerts on MQTT, HMAC-signed webhooks and RFC 5424 syslog.
package fusion
