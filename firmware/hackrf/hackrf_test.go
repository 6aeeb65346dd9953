package hackrf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestParseSweepLine(t *testing.T) {
	tests := []struct {
		name, line string
		want       SweepRow
		wantErr    string
	}{
		{"debian", "2019-06-04, 14:29:42.370282, 2400000000, 2405000000, 1000000.00, 20, -63.87, -64.20, -65.41, -64.28, -66.10\n",
			SweepRow{Time: time.Date(2019, 6, 4, 14, 29, 42, 370282000, time.UTC), LowHz: 2400000000, HighHz: 2405000000, BinWidthHz: 1e6, NumSamples: 20,
				PowersDB: []float64{-63.87, -64.20, -65.41, -64.28, -66.10}}, ""},
		{"one bin crlf", "2024-01-02, 03:04:05.5, 0, 1000, 1000.0, 8192, -100\r\n",
			SweepRow{Time: time.Date(2024, 1, 2, 3, 4, 5, 5e8, time.UTC), LowHz: 0, HighHz: 1000, BinWidthHz: 1000, NumSamples: 8192, PowersDB: []float64{-100}}, ""},
		{"too few", "2019-06-04, 14:29:42, 1, 2", SweepRow{}, "columns"},
		{"no bins", "2019-06-04, 14:29:42, 1, 2, 1, 20", SweepRow{}, "dB column 0"},
		{"bad date", "2019-13-04, 14:29:42, 1, 2, 1, 20, -1", SweepRow{}, "date/time"},
		{"high below low", "2019-06-04, 14:29:42, 5, 2, 1, 20, -1", SweepRow{}, "hz_high"},
		{"zero width", "2019-06-04, 14:29:42, 1, 2, 0, 20, -1", SweepRow{}, "hz_bin_width"},
		{"bad samples", "2019-06-04, 14:29:42, 1, 2, 1, x, -1", SweepRow{}, "num_samples"},
		{"bad db", "2019-06-04, 14:29:42, 1, 2, 1, 20, -1, abc", SweepRow{}, `dB column 1 "abc"`},
		{"inf db", "2019-06-04, 14:29:42, 1, 2, 1, 20, inf", SweepRow{}, "dB column 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSweepLine(tt.line, nil)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrSweepLine) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrSweepLine containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Time.Equal(tt.want.Time) || got.LowHz != tt.want.LowHz || got.HighHz != tt.want.HighHz || got.BinWidthHz != tt.want.BinWidthHz ||
				got.NumSamples != tt.want.NumSamples || fmt.Sprint(got.PowersDB) != fmt.Sprint(tt.want.PowersDB) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	// -nan bins are kept as NaN.
	row, err := ParseSweepLine("2019-06-04, 14:29:42, 1, 2, 1, 20, -nan, 3", nil)
	if err != nil || !math.IsNaN(row.PowersDB[0]) || row.PowersDB[1] != 3 {
		t.Errorf("-nan row = %+v, %v", row, err)
	}
}

func TestSweepReader(t *testing.T) {
	in := "2019-06-04, 14:29:42.1, 100, 200, 50, 20, -1, -2\n\n2019-06-04, 14:29:42.2, 200, 300, 50, 20, -3, -4\nbroken\n"
	sr := NewSweepReader(strings.NewReader(in))
	var lows []int64
	for {
		row, err := sr.Next()
		if err != nil {
			if !errors.Is(err, ErrSweepLine) || !strings.Contains(err.Error(), "line 4") {
				t.Fatalf("err = %v, want ErrSweepLine naming line 4", err)
			}
			break
		}
		lows = append(lows, row.LowHz)
	}
	if fmt.Sprint(lows) != "[100 200]" {
		t.Errorf("lows = %v, want [100 200]", lows)
	}
	if _, err := NewSweepReader(strings.NewReader("")).Next(); err != io.EOF {
		t.Errorf("empty input err = %v, want io.EOF", err)
	}
}

const infoTwoBoards = `hackrf_info version: 2023.01.1
libhackrf version: 2023.01.1 (0.8)
Found HackRF
Index: 0
Serial number: 0000000000000000457863c8234e2e4f
Board ID Number: 2 (HackRF One)
Firmware Version: 2023.01.1 (API:1.07)
Part ID Number: 0xa000cb3c 0x005c4f4a
Hardware Revision: r9
Hardware appears to have been manufactured by Great Scott Gadgets.
Hardware supported by installed firmware:
    HackRF One

Found HackRF
Index: 1
Serial number: 0x0000000000000000088869dc2f4a3a1b
Board ID Number: 2 (HackRF One)
Firmware Version: 2018.01.1 (API:1.02)
Part ID Number: 0xa000cb3c 0x00574f4f
`

func TestParseInfo(t *testing.T) {
	infos, err := ParseInfo(infoTwoBoards)
	if err != nil {
		t.Fatal(err)
	}
	want := []Info{
		{0, "0000000000000000457863c8234e2e4f", 2, "HackRF One", "2023.01.1", "1.07", "0xa000cb3c 0x005c4f4a", "r9"},
		{1, "0000000000000000088869dc2f4a3a1b", 2, "HackRF One", "2018.01.1", "1.02", "0xa000cb3c 0x00574f4f", ""},
	}
	if fmt.Sprint(infos) != fmt.Sprint(want) {
		t.Errorf("got %+v\nwant %+v", infos, want)
	}
	for _, out := range []string{"hackrf_info version: 2023.01.1\nNo HackRF boards found.\n", ""} {
		if _, err := ParseInfo(out); !errors.Is(err, ErrNoDevice) {
			t.Errorf("ParseInfo(%q) err = %v, want ErrNoDevice", out, err)
		}
	}
	if _, err := ParseInfo("Found HackRF\nBoard ID Number: two\n"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad board ID err = %v, want one naming line 2", err)
	}
}

// TestHelperProcess is not a test: the fake Commander re-executes the test
// binary into it to play hackrf_info, hackrf_sweep or hackrf_transfer.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("RFW_HACKRF_HELPER") != "1" {
		return
	}
	args := os.Args
	for len(args) > 0 && args[0] != "--" {
		args = args[1:]
	}
	args = args[1:]
	switch args[0] {
	case "hackrf_info":
		fmt.Print(infoTwoBoards)
	case "hackrf_sweep":
		fmt.Fprintln(os.Stderr, strings.Join(args[1:], " "))
		for i := range 3 {
			fmt.Printf("2019-06-04, 14:29:42.%d, %d, %d, 1000000.00, 20, -63.87, -64.20\n", i, 2400000000+i*5000000, 2405000000+i*5000000)
		}
		if strings.Contains(strings.Join(args, " "), "-N 9") {
			os.Exit(3)
		}
	case "hackrf_transfer":
		if strings.Join(args[1:7], " ") != "-d abc -r - -f 2440000000" {
			fmt.Fprintln(os.Stderr, "bad args", args)
			os.Exit(2)
		}
		os.Stdout.Write([]byte{0x80, 0x7f, 1, 2})
		time.Sleep(10 * time.Second) // until killed
	}
	os.Exit(0)
}

func fakeCommander(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"-test.run=^TestHelperProcess$", "--", name}, args...)...)
	cmd.Env = append(os.Environ(), "RFW_HACKRF_HELPER=1")
	return cmd
}

func TestRunner(t *testing.T) {
	ctx := context.Background()
	r := Runner{Command: fakeCommander}
	infos, err := r.Info(ctx)
	if err != nil || len(infos) != 2 || infos[1].FirmwareVersion != "2018.01.1" {
		t.Fatalf("Info = %+v, %v", infos, err)
	}

	var lows []int64
	err = r.Sweep(ctx, SweepOptions{FreqMinMHz: 2400, FreqMaxMHz: 2500, BinWidthHz: 1000000, LNAGainDB: 32, VGAGainDB: 20}, func(row SweepRow) error {
		lows = append(lows, row.LowHz)
		return nil
	})
	if err != nil || fmt.Sprint(lows) != "[2400000000 2405000000 2410000000]" {
		t.Errorf("Sweep: lows %v, err %v", lows, err)
	}
	stop := errors.New("enough")
	err = r.Sweep(ctx, SweepOptions{FreqMinMHz: 2400, FreqMaxMHz: 2500}, func(SweepRow) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("Sweep with failing fn err = %v, want %v", err, stop)
	}
	err = r.Sweep(ctx, SweepOptions{FreqMinMHz: 2400, FreqMaxMHz: 2500, NumSweeps: 9}, func(SweepRow) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "-N 9") {
		t.Errorf("Sweep with failing tool err = %v, want exit status 3 and its stderr", err)
	}
	if err := r.Sweep(ctx, SweepOptions{FreqMinMHz: 10, FreqMaxMHz: 5}, nil); err == nil {
		t.Error("Sweep accepted an inverted range")
	}

	tr := Runner{Command: fakeCommander, Serial: "abc"}
	rc, err := tr.Transfer(ctx, TransferOptions{CenterHz: 2440000000, SampleRateHz: 10000000, LNAGainDB: 16, VGAGainDB: 20})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(rc, buf); err != nil || fmt.Sprint(buf) != "[128 127 1 2]" {
		t.Errorf("Transfer read %v, %v", buf, err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("Close of a running transfer: %v", err)
	}
	if _, err := tr.Transfer(ctx, TransferOptions{CenterHz: 0, SampleRateHz: 1}); err == nil {
		t.Error("Transfer accepted centre 0")
	}
}

func FuzzParseSweepLine(f *testing.F) {
	f.Add("2019-06-04, 14:29:42.370282, 2400000000, 2405000000, 1000000.00, 20, -63.87, -64.20")
	f.Fuzz(func(t *testing.T, line string) {
		row, err := ParseSweepLine(line, nil)
		if err != nil {
			if !errors.Is(err, ErrSweepLine) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if row.HighHz <= row.LowHz || len(row.PowersDB) == 0 || !(row.BinWidthHz > 0) {
			t.Fatalf("accepted invalid row %+v", row)
		}
	})
}

func FuzzParseInfo(f *testing.F) {
	f.Add(infoTwoBoards)
	f.Fuzz(func(t *testing.T, out string) {
		infos, err := ParseInfo(out)
		if err == nil && len(infos) == 0 {
			t.Fatal("no error and no boards")
		}
	})
}
