// Package embroker starts the embedded MQTT broker (mochi-mqtt) that the
// one-command demo, the load test and the tests run on 127.0.0.1, so each of
// them does not set one up on its own.
package embroker
