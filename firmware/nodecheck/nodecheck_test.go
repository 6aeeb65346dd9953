package nodecheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rfwarden/rfwarden/firmware/hackrf"
)

// recorded returns a Run that plays testdata/name as hackrf_info's output;
// outputs without a board exit 1 like the real tool.
func recorded(t *testing.T, name string) func(context.Context, string, ...string) ([]byte, error) {
	t.Helper()
	out, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return func(_ context.Context, prog string, _ ...string) ([]byte, error) {
		if prog != "hackrf_info" {
			return nil, fmt.Errorf("unexpected program %q", prog)
		}
		if !bytes.Contains(out, []byte("Board ID")) {
			return out, errors.New("exit status 1")
		}
		return out, nil
	}
}

// usbFS is a sysfs view with one HackRF at the given speed and serial and
// an unrelated keyboard.
func usbFS(speed, serial string) fstest.MapFS {
	return fstest.MapFS{
		"1-1.2/idVendor":  {Data: []byte("1d50\n")},
		"1-1.2/idProduct": {Data: []byte("6089\n")},
		"1-1.2/speed":     {Data: []byte(speed + "\n")},
		"1-1.2/serial":    {Data: []byte(serial + "\n")},
		"1-1.2/busnum":    {Data: []byte("1\n")},
		"1-1.2/devnum":    {Data: []byte("7\n")},
		"1-1.1/idVendor":  {Data: []byte("046d\n")},
		"1-1.1/idProduct": {Data: []byte("c31c\n")},
		"1-1.1/speed":     {Data: []byte("1.5\n")},
		"usb1/idVendor":   {Data: []byte("1d6b\n")},
	}
}

const serialOne = "0000000000000000457863c8234e2e4f"

func statuses(r Report) string {
	var s []string
	for _, c := range r.Checks {
		s = append(s, c.Name+"="+c.Status.String())
	}
	return strings.Join(s, " ")
}

func TestRunBoardAndFirmware(t *testing.T) {
	notFound := func(context.Context, string, ...string) ([]byte, error) {
		return nil, &exec.Error{Name: "hackrf_info", Err: exec.ErrNotFound}
	}
	hang := func(ctx context.Context, _ string, _ ...string) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	tests := []struct {
		name       string
		run        func(context.Context, string, ...string) ([]byte, error)
		usb        fstest.MapFS
		serial     string
		want       string // statuses in order
		wantDetail string // fragment of the report text
		wantWorst  Status
	}{
		{"no tool", notFound, nil, "", "board=FAIL firmware=skip usb=skip noise=skip", "apt install hackrf", Fail},
		{"no device (recorded)", recorded(t, "info-none.txt"), fstest.MapFS{}, "", "board=FAIL firmware=skip usb=FAIL noise=skip", "no HackRF board found", Fail},
		{"permission denied", recorded(t, "info-denied.txt"), usbFS("480", serialOne), "", "board=FAIL firmware=skip usb=ok noise=skip", "HACKRF_ERROR_LIBUSB", Fail},
		{"hung tool", hang, nil, "", "board=FAIL firmware=skip usb=skip noise=skip", "did not finish", Fail},
		{"one board current", recorded(t, "info-one.txt"), usbFS("480", serialOne), "", "board=ok firmware=ok usb=ok noise=skip", "firmware 2023.01.1, libhackrf 2023.01.1", Skip},
		{"one board full speed", recorded(t, "info-one.txt"), usbFS("12", serialOne), "", "board=ok firmware=ok usb=warn noise=skip", "12 Mb/s", Warn},
		{"two boards, none chosen", recorded(t, "info-two-old.txt"), usbFS("480", serialOne), "", "board=warn firmware=ok usb=ok noise=skip", "first of 2 boards", Warn},
		{"older than libhackrf", recorded(t, "info-two-old.txt"), usbFS("480", serialOne), "088869dc2f4a3a1b", "board=ok firmware=warn usb=ok noise=skip",
			"firmware 2018.01.1 is older than the host's libhackrf 2023.01.1", Warn},
		{"serial absent", recorded(t, "info-two-old.txt"), nil, "deadbeef", "board=FAIL firmware=skip usb=skip noise=skip", "no board with serial deadbeef", Fail},
		{"below minimum", recorded(t, "info-ancient.txt"), nil, "", "board=ok firmware=FAIL usb=skip noise=skip", "older than 2017.02.1", Fail},
		{"development firmware", recorded(t, "info-git.txt"), nil, "", "board=ok firmware=warn usb=skip noise=skip", `"git-44df9d1" is not a release`, Warn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Deps{Run: tt.run, Now: func() time.Time { return time.Unix(0, 0) }}
			if tt.usb != nil {
				d.USB = tt.usb
			}
			r, err := Run(context.Background(), d, Options{Serial: tt.serial, Timeout: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if got := statuses(r); got != tt.want {
				t.Errorf("statuses = %s\nwant       %s", got, tt.want)
			}
			var text bytes.Buffer
			r.WriteText(&text)
			if !strings.Contains(text.String(), tt.wantDetail) {
				t.Errorf("report does not mention %q:\n%s", tt.wantDetail, text.String())
			}
			if r.Worst() != tt.wantWorst {
				t.Errorf("Worst = %v, want %v", r.Worst(), tt.wantWorst)
			}
		})
	}
}

func TestUSBWithoutSysfs(t *testing.T) {
	c := checkUSB(os.DirFS(filepath.Join(t.TempDir(), "absent")), nil)
	if c.Status != Skip || !strings.Contains(c.Detail, "no sysfs USB view") {
		t.Errorf("missing sysfs: %+v", c)
	}
}

func TestUSBPicksBoardBySerial(t *testing.T) {
	sys := usbFS("12", "0000000000000000088869dc2f4a3a1b")
	sys["1-2/idVendor"] = &fstest.MapFile{Data: []byte("1d50")}
	sys["1-2/idProduct"] = &fstest.MapFile{Data: []byte("6089")}
	sys["1-2/speed"] = &fstest.MapFile{Data: []byte("480")}
	sys["1-2/serial"] = &fstest.MapFile{Data: []byte(serialOne)}
	sys["1-2/busnum"] = &fstest.MapFile{Data: []byte("2")}
	sys["1-2/devnum"] = &fstest.MapFile{Data: []byte("3")}
	for serial, want := range map[string]string{serialOne: "ok", "088869dc2f4a3a1b": "warn"} {
		c := checkUSB(sys, &hackrf.Info{Serial: serial})
		if c.Status.String() != want {
			t.Errorf("serial %s: %v (%s), want %s", serial, c.Status, c.Detail, want)
		}
	}
}

// noiseCI8 returns n ci8 samples of complex Gaussian noise with sigmaLSB
// per component, a DC offset and a strong tone, seeded.
func noiseCI8(n int, sigmaLSB float64, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, 2*n)
	q := func(v float64) byte {
		v = math.Round(v)
		return byte(int8(max(-128, min(127, v))))
	}
	for i := range n {
		ph := 2 * math.Pi * 0.1234 * float64(i)
		b[2*i] = q(sigmaLSB*r.NormFloat64() + 3 + 20*math.Cos(ph))
		b[2*i+1] = q(sigmaLSB*r.NormFloat64() - 2 + 20*math.Sin(ph))
	}
	return b
}

// fakeCapture serves data and records the options it was started with.
type fakeCapture struct {
	data []byte
	err  error
	got  hackrf.TransferOptions
}

func (f *fakeCapture) capture(_ context.Context, opt hackrf.TransferOptions) (io.ReadCloser, error) {
	f.got = opt
	if f.err != nil {
		return nil, f.err
	}
	return io.NopCloser(bytes.NewReader(f.data)), nil
}

func TestNoiseSelfTest(t *testing.T) {
	const n = 220_000 // 20 ms at 10 Msps plus the settling part
	// Tolerance of the floor estimate: the median of 1024 bins of ~100
	// averaged frames is within a few hundredths of a dB; the tone and DC
	// do not move it, 8-bit rounding adds 1/12 LSB² per component.
	const tolDB = 0.25
	sigma := 6.0
	wantFloor := 10 * math.Log10(2*(sigma*sigma+1.0/12)/(128*128))
	tests := []struct {
		name      string
		fc        *fakeCapture
		want      Status
		wantFloor bool
		detail    string
	}{
		{"noise with DC and tone", &fakeCapture{data: noiseCI8(n, sigma, 1)}, OK, true, "dBFS over 10.0 MHz"},
		{"short read", &fakeCapture{data: noiseCI8(n/2, sigma, 2)}, Warn, true, "only 110000 of 220000 samples"},
		{"almost nothing", &fakeCapture{data: noiseCI8(1000, sigma, 3)}, Fail, false, "delivered 1000 of 220000"},
		{"overload", &fakeCapture{data: noiseCI8(n, 70, 4)}, Warn, false, "clip at minimum gain"},
		{"dead receiver", &fakeCapture{data: make([]byte, 2*n)}, Fail, false, "every sample is the same"},
		{"cannot start", &fakeCapture{err: errors.New("hackrf_transfer: exit status 1")}, Fail, false, "cannot start capture"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Deps{Run: recorded(t, "info-one.txt"), Capture: tt.fc.capture}
			r, err := Run(context.Background(), d, Options{NoiseTest: true, Dur: 20 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			c := r.Checks[len(r.Checks)-1]
			if c.Name != "noise" || c.Status != tt.want || !strings.Contains(c.Detail+c.Hint, tt.detail) {
				t.Fatalf("noise check = %+v, want %v mentioning %q", c, tt.want, tt.detail)
			}
			if want := (hackrf.TransferOptions{CenterHz: DefaultNoiseCenterHz, SampleRateHz: DefaultNoiseRateHz, NumSamples: n}); tt.fc.got != want {
				t.Errorf("capture options = %+v, want %+v (minimum gain, amp off)", tt.fc.got, want)
			}
			if tt.wantFloor {
				if r.NoiseDBFS == nil || math.Abs(*r.NoiseDBFS-wantFloor) > tolDB {
					t.Errorf("floor = %v, want %.2f ± %.2f dBFS", r.NoiseDBFS, wantFloor, tolDB)
				}
			} else if tt.want == Fail && r.NoiseDBFS != nil {
				t.Errorf("failed check reports floor %v", *r.NoiseDBFS)
			}
		})
	}
}

func TestNoiseDefaults(t *testing.T) {
	// Without options the self-test asks for 0.1 s at 10 Msps plus 10%
	// settling, at 1.2 GHz with minimum gain and the amplifier off.
	fc := &fakeCapture{err: errors.New("no board")}
	Run(context.Background(), Deps{Run: recorded(t, "info-one.txt"), Capture: fc.capture}, Options{NoiseTest: true})
	if want := (hackrf.TransferOptions{CenterHz: 1_200_000_000, SampleRateHz: 10_000_000, NumSamples: 1_100_000}); fc.got != want {
		t.Errorf("capture options = %+v, want %+v", fc.got, want)
	}
}

func TestAnalyseCI8Floors(t *testing.T) {
	// The floor follows the noise power: 6 dB per doubling of sigma.
	for _, sigma := range []float64{2, 4, 8, 16} {
		st, err := AnalyseCI8(noiseCI8(200_000, sigma, uint64(sigma)))
		if err != nil {
			t.Fatal(err)
		}
		want := 10 * math.Log10(2*(sigma*sigma+1.0/12)/(128*128))
		if math.Abs(st.FloorDBFS-want) > 0.3 {
			t.Errorf("sigma %v LSB: floor %.2f dBFS, want %.2f", sigma, st.FloorDBFS, want)
		}
	}
	if _, err := AnalyseCI8(make([]byte, 100)); err == nil {
		t.Error("100 bytes analysed without error")
	}
}

func TestReportJSON(t *testing.T) {
	r, _ := Run(context.Background(), Deps{Run: recorded(t, "info-one.txt"), Now: func() time.Time { return time.Unix(1e9, 0) }}, Options{})
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Board  hackrf.Info `json:"board"`
		Lib    string      `json:"libhackrf_version"`
		Checks []struct{ Name, Status string }
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if back.Board.Serial != serialOne || back.Lib != "2023.01.1" || len(back.Checks) != 4 || back.Checks[0].Status != "ok" || back.Checks[3].Status != "skip" {
		t.Errorf("JSON report = %s", buf.String())
	}
}

func TestRunStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	hang := func(ctx context.Context, _ string, _ ...string) ([]byte, error) { <-ctx.Done(); return nil, ctx.Err() }
	if _, err := Run(ctx, Deps{Run: hang}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
