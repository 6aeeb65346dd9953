// Package syncbuf provides a bytes.Buffer that several goroutines may write
// to at once: a log destination that paho's goroutines, a service under test
// and the test itself share.
package syncbuf
