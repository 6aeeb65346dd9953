//go:build integration

package faults

import (
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// diagDir is RFW_FAULTS_DIAG: when set, mosquitto logs everything (and
// paho at debug level, with RFW_FAULTS_DIAG_PAHO) to files there, and
// diagDump writes goroutine dumps there; the logs of a test that passed
// are removed unless RFW_FAULTS_DIAG_KEEP is set (doc.go).
var diagDir = os.Getenv("RFW_FAULTS_DIAG")

// diagMosquittoLog returns mosquitto's log config lines.
func diagMosquittoLog(t testing.TB) string {
	if diagDir == "" {
		return "log_type error\nlog_type information\n"
	}
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	p := filepath.Join(diagDir, "mosq-"+stamp+".log")
	if os.Getenv("RFW_FAULTS_DIAG_PAHO") != "" {
		f, err := os.Create(filepath.Join(diagDir, "paho-"+stamp+".log"))
		if err != nil {
			t.Fatal(err)
		}
		mqtt.DEBUG = log.New(f, "D ", log.Lmicroseconds)
		mqtt.ERROR = log.New(f, "E ", log.Lmicroseconds)
		mqtt.WARN = log.New(f, "W ", log.Lmicroseconds)
		mqtt.CRITICAL = log.New(f, "C ", log.Lmicroseconds)
		t.Cleanup(func() {
			mqtt.DEBUG, mqtt.ERROR, mqtt.WARN, mqtt.CRITICAL = mqtt.NOOPLogger{}, mqtt.NOOPLogger{}, mqtt.NOOPLogger{}, mqtt.NOOPLogger{}
			time.Sleep(100 * time.Millisecond)
			f.Close()
			if !t.Failed() && os.Getenv("RFW_FAULTS_DIAG_KEEP") == "" {
				os.Remove(filepath.Join(diagDir, "paho-"+stamp+".log"))
			}
		})
	}
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv("RFW_FAULTS_DIAG_KEEP") == "" {
			os.Remove(p)
		}
	})
	return "log_dest file " + p + "\nlog_type all\nlog_timestamp_format %H:%M:%S\n"
}

// diagDump writes every goroutine's stack to a file in diagDir (when set).
func diagDump(t testing.TB, name string) {
	if diagDir == "" {
		return
	}
	f, err := os.Create(filepath.Join(diagDir, name+"-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".goroutines"))
	if err != nil {
		t.Log(err)
		return
	}
	defer f.Close()
	pprof.Lookup("goroutine").WriteTo(f, 2)
	t.Logf("goroutines in %s", f.Name())
}
