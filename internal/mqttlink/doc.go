// Package mqttlink follows one paho MQTT client's connection to its broker,
// so that a service can say why it is not connected: each failed connection
// attempt's error (not authorised, a certificate the client does not trust,
// refused, a timeout) is logged at warning level, rate-limited; the latest
// one is kept for /healthz; and the connection state and a count of failed
// attempts are Prometheus metrics.
//
// It uses paho's own connection notifications
// (ClientOptions.SetConnectionNotificationHandler, paho 1.5), which report
// every attempt, also those a client with ConnectRetry or AutoReconnect
// makes in the background and otherwise keeps to itself.
package mqttlink
