package hackrfsrc

import (
	"context"
	"errors"
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

// TestDeviceReopenInAgent: a board unplugged while the agent runs (its
// stream ends, it cannot be started again) is closed and opened again by
// its serial, and the agent gets blocks from the new board: the sensor
// resumed without a restart of the service. It read the dead stream for
// ever.
func TestDeviceReopenInAgent(t *testing.T) {
	const blockSamples = 20000
	errGone := errors.New("HACKRF_ERROR_LIBUSB (-1000)")
	old := &fakeDevice{stream: &fakeStream{}}
	old.stream.onRead = func() {
		if old.stream.pos >= 3*2*blockSamples { // unplugged after 3 blocks
			old.stream.ended, old.stream.onRead, old.failStart = true, nil, errGone
		}
	}
	fresh := &fakeDevice{stream: &fakeStream{}}
	op := &fakeOpener{results: []openResult{{dev: fresh}}}
	cfg := config.Default()
	cfg.Site, cfg.Sensor = "site1", "s1"
	cfg.Outbox.Dir = t.TempDir()
	cfg.Source = config.Source{Kind: config.SourceHackRF, SampleRateHz: 2e6, Serial: "a06063c8234e6c5f"}
	cfg.Bands = []config.Band{{Name: "gsm900-ul", LowHz: 880e6, HighHz: 881.6e6, Dwell: time.Minute,
		Kind: config.KindDwell, MaxRevisit: 5 * time.Minute}}
	opt := OptionsFromConfig(cfg)
	opt.BlockSamples = blockSamples
	var log syncbuf.Buffer
	// 3 blocks, the ended stream, the failed restart, then 3 blocks of the
	// new board.
	src := &limited{DeviceSource: NewDeviceReopen(old, cfg.Source.Serial, op.open, opt), stream: old.stream, n: 8}
	a, err := agent.New(cfg, agent.Deps{Source: src, Pipeline: nopPipeline{},
		Logger:        slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn})),
		ClientFactory: func(publish.Options) (publish.Client, error) { return nopClient{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if old.closed != 1 || fresh.closed != 1 || op.calls != 1 {
		t.Errorf("old board closed %d times, new one %d, opened %d times; want 1, 1, 1", old.closed, fresh.closed, op.calls)
	}
	if got := old.takeLog(); strings.Contains(got, "after close") {
		t.Errorf("the lost board was used after Close: %q", got)
	}
	got := fresh.takeLog()
	// The gain is the AGC's (the fake stream clips), not the table's.
	if !strings.HasPrefix(got, "rate 2000000, filter 1500000, freq 880800000, lna ") || !strings.Contains(got, "amp false, start 16") {
		t.Errorf("new board: wrote %q, want it set up from scratch", got)
	}
	if fresh.stream.pos < 3*2*blockSamples {
		t.Errorf("read %d bytes from the new board, want 3 blocks", fresh.stream.pos)
	}
	if h := a.Health(); h.USBErrors != 2 {
		t.Errorf("health usb_errors %d, want 2 (the ended stream, the lost board)", h.USBErrors)
	}
	if !strings.Contains(log.String(), `hackrf \"a06063c8234e6c5f\": board lost`) {
		t.Errorf("log does not name the lost board:\n%s", log.String())
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
