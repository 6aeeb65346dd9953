// Package deploy holds the production layout's configuration files (Mosquitto
// with TLS and one user and ACL per sensor, systemd units, sample configs) and
// the tests that prove them against real servers: a sensor that tries to
// publish as another sensor is refused by the broker.
package deploy
