// Package mosquittotest runs Debian's mosquitto broker for tests: on a free
// 127.0.0.1 port, anonymous, with the queue, in-flight and persistence
// settings of deploy/mosquitto/mosquitto.conf (no TLS, no ACL; StartTLS
// serves TLS with a certificate the test gives), persistence in the
// test's temporary directory. A test that needs it is skipped when
// mosquitto is not installed (scripts/install-deps.sh installs it). The
// broker is killed when the test ends.
package mosquittotest
