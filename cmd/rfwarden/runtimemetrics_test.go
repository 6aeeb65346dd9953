package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/sensor/publish/brokertest"
)

// runtimeMetrics are the Go runtime's and the process's metrics every
// service's /metrics carries (fusion's did; the dashboard's and the
// sensor's did not, so their memory and CPU could not be watched).
var runtimeMetrics = []string{"go_goroutines ", "go_memstats_heap_alloc_bytes ", "process_cpu_seconds_total ", "process_resident_memory_bytes "}

// TestServicesExposeRuntimeMetrics: the dashboard's and a sensor's
// /metrics carry the Go runtime and process metrics.
func TestServicesExposeRuntimeMetrics(t *testing.T) {
	t.Run("dashboard", func(t *testing.T) {
		d := startDashboardArgs(t, "--db", filepath.Join(t.TempDir(), "d.db"), "--create-db")
		defer d.stop()
		_, body := httpGet(t, d.URL+"/metrics")
		for _, m := range runtimeMetrics {
			if !strings.Contains(body, "\n"+m) {
				t.Errorf("dashboard /metrics lacks %s", m)
			}
		}
	})
	t.Run("sensor", func(t *testing.T) {
		b := brokertest.Start(t, "rfw/#")
		addr := freeTCPAddr(t)
		p := writeSensorConfig(t, fmt.Sprintf("mqtt: {url: %q}\nhttp_addr: %s\n", b.URL(), addr))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		var errb bytes.Buffer
		go func() { done <- run(ctx, []string{"sensor", "--config", p}, &bytes.Buffer{}, &errb) }()
		defer func() { cancel(); <-done }()
		var body string
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && body == "" && len(done) == 0; time.Sleep(50 * time.Millisecond) {
			body = tryGet("http://" + addr + "/metrics")
		}
		for _, m := range runtimeMetrics {
			if !strings.Contains(body, "\n"+m) {
				t.Errorf("sensor /metrics lacks %s", m)
			}
		}
	})
}

// tryGet returns the body of a GET answered 200, "" on any failure (not
// listening yet).
func tryGet(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return ""
	}
	return string(b)
}
