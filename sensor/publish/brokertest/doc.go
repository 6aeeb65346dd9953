// Package brokertest runs an in-process MQTT broker (mochi-mqtt) on
// 127.0.0.1 for tests of the sensor publisher and agent. It can be stopped and
// restarted on the same port to simulate an outage, and records every message
// published under a topic filter across restarts.
package brokertest
