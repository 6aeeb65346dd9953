package hackrfsrc

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/internal/syncbuf"
	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/agent"
	"github.com/rfwarden/rfwarden/sensor/config"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
	"github.com/rfwarden/rfwarden/sensor/publish"
)

// limited ends a DeviceSource after n blocks, dropping buffers on the way.
type limited struct {
	*DeviceSource
	stream *fakeStream
	n      int
}

func (l *limited) Next(ctx context.Context) (sensor.Block, error) {
	if l.n == 0 {
		return sensor.Block{}, io.EOF
	}
	l.n--
	b, err := l.DeviceSource.Next(ctx)
	l.stream.lost += 1000 // 500 samples lost after every block
	return b, err
}

type nopPipeline struct{}

func (nopPipeline) Process(_ sensor.Block, dst []pipeline.Result) ([]pipeline.Result, error) {
	return dst, nil
}
func (nopPipeline) Flush(dst []pipeline.Result) []pipeline.Result { return dst }

type nopClient struct{}

func (nopClient) Connect(context.Context) error                             { return nil }
func (nopClient) IsConnected() bool                                         { return true }
func (nopClient) Disconnect()                                               {}
func (nopClient) Publish(context.Context, string, byte, bool, []byte) error { return nil }

// TestDeviceSourceInAgent wires a DeviceSource over a fake board into the
// agent: the scan plan tunes it, the AGC turns the gain down on the board
// while the (always full-scale) stream clips, and the dropped USB buffers
// reach the health report.
func TestDeviceSourceInAgent(t *testing.T) {
	dev := &fakeDevice{stream: &fakeStream{}}
	cfg := config.Default()
	cfg.Site, cfg.Sensor = "site1", "s1"
	cfg.Outbox.Dir = t.TempDir()
	cfg.Source = config.Source{Kind: config.SourceHackRF, SampleRateHz: 2e6}
	cfg.Bands = []config.Band{{Name: "gsm900-ul", LowHz: 880e6, HighHz: 881.6e6, Dwell: 10 * time.Millisecond,
		Kind: config.KindDwell, MaxRevisit: 2 * time.Second}}
	cfg.Gains = []config.Gain{{LowHz: 800e6, HighHz: 1e9, GainDB: 40}}
	cfg.MQTT.AckTimeout = time.Second
	opt := OptionsFromConfig(cfg)
	opt.BlockSamples = 20000
	src := &limited{DeviceSource: NewDevice(dev, opt), stream: dev.stream, n: 12}
	a, err := agent.New(cfg, agent.Deps{Source: src, Pipeline: nopPipeline{},
		ClientFactory: func(publish.Options) (publish.Client, error) { return nopClient{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := dev.takeLog()
	t.Logf("board writes: %s", log)
	if !strings.HasPrefix(log, "rate 2000000, filter 1500000, freq 880800000, lna 40, vga 0, amp false, start 16") {
		t.Errorf("board set-up: %q", log)
	}
	// 12 clipping blocks, a step of 8 dB every 2: 40 -> 32 -> ... -> 0.
	if !strings.Contains(log, "lna 32") || !strings.HasSuffix(log, "lna 0") {
		t.Errorf("AGC gain writes %q, want steps from LNA 40 down to 0", log)
	}
	h := a.Health()
	// The loss after the last block is never seen: no block follows it.
	if h.DroppedSamples != 11*500 {
		t.Errorf("health dropped_samples %d, want %d", h.DroppedSamples, 11*500)
	}
	if g, ok := h.GainDB["gsm900-ul"]; !ok || g >= 40 || h.AGCChanges < 4 {
		t.Errorf("health gain %v (%v), AGC changes %d; want below 40 dB after at least 4 steps", g, ok, h.AGCChanges)
	}
}

// TestTransferEndInAgent: a sensor whose hackrf_transfer stops partway
// keeps running: it logs the tool's error, counts it in health and starts
// the tool again. It returned nil at once (exit status 0: systemd's
// Restart=on-failure never restarted it).
func TestTransferEndInAgent(t *testing.T) {
	r, starts := fakeTool(t, toolStreamingExit)
	cfg := config.Default()
	cfg.Site, cfg.Sensor = "site1", "s1"
	cfg.Outbox.Dir = t.TempDir()
	cfg.Source = config.Source{Kind: config.SourceHackRFTransfer, SampleRateHz: 2e6}
	cfg.Bands = []config.Band{{Name: "gsm900-ul", LowHz: 880e6, HighHz: 881.6e6, Dwell: time.Minute,
		Kind: config.KindDwell, MaxRevisit: 5 * time.Minute}}
	var log syncbuf.Buffer
	opt := OptionsFromConfig(cfg)
	opt.BlockSamples = 65536
	src := New(r, opt)
	defer src.Close()
	a, err := agent.New(cfg, agent.Deps{Source: src, Pipeline: nopPipeline{},
		Logger:        slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn})),
		ClientFactory: func(publish.Options) (publish.Client, error) { return nopClient{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	for starts.Load() < 3 {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("Run returned %v after %d starts of hackrf_transfer while the sensor should run on; log:\n%s", err, starts.Load(), log.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
	if h := a.Health(); h.USBErrors < 2 {
		t.Errorf("health usb_errors %d after hackrf_transfer stopped twice", h.USBErrors)
	}
	if !strings.Contains(log.String(), "HACKRF_ERROR_STREAMING_EXIT_CALLED (-1004)") {
		t.Errorf("log does not say what hackrf_transfer said:\n%s", log.String())
	}
}
