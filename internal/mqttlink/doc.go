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
//
// It also holds what fusion's, the sensors' and the dashboard's clients
// share about paho: NewStore (messages in flight kept as bytes, sent
// again in order) and AwaitGranted (a subscription is made only when the
// broker's SUBACK grants it; one answered with a code MQTT 3.1.1 lacks is
// made again).
package mqttlink
