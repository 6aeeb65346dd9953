package synth

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/rfwarden/rfwarden/event"
)

// classCase is one class rendered at a rate and timing chosen to show it.
type classCase struct {
	name    string
	gen     Generator
	class   string
	p       Params
	n       int     // samples to render
	lenS    float64 // expected burst length (0: continuous)
	periodS float64 // expected burst period (0: continuous)
	phaseS  float64 // expected delay of the first burst
	nfft    int     // FFT size for measuring (0: 1024)
}

func classCases() []classCase {
	return []classCase{
		{"gsm", GSM, event.ClassGSM, Params{SampleRateHz: 2e6, OffsetHz: 200e3}, 40000, 148 / GSMBitRate, GSMFrameS, 0, 256},
		{"umts", UMTS, event.ClassUMTS, Params{SampleRateHz: 10e6, OffsetHz: -1e6}, 100000, 0, 0, 0, 0},
		{"lte-fdd", LTE, event.ClassLTE, Params{SampleRateHz: 15.36e6, BandwidthHz: 10e6}, 100000, 0, 0, 0, 0},
		{"lte-tdd", LTE, event.ClassLTE, Params{SampleRateHz: 15.36e6, BandwidthHz: 5e6, TDD: true, OffsetHz: 2e6}, 250000, 2e-3, 5e-3, 2e-3, 0},
		{"nr", NR, event.ClassNR, Params{SampleRateHz: 25e6, BandwidthHz: 20e6}, 200000, 0.5e-3, 2.5e-3, 2e-3, 0},
		{"wifi", WiFi, event.ClassWiFi, Params{SampleRateHz: 25e6, BurstPeriodS: 1e-3}, 200000, 200e-6, 1e-3, 0, 0},
		{"bluetooth", Bluetooth, event.ClassBluetooth, Params{SampleRateHz: 4e6, HopSpanHz: 1, OffsetHz: 500e3}, 40000, 366e-6, 1250e-6, 0, 256},
		{"droneid", DroneID, event.ClassDroneID, Params{SampleRateHz: 15.36e6, BurstPeriodS: 2e-3}, 150000, 643.2e-6, 2e-3, 0, 0},
		{"dronevideo", DroneVideo, event.ClassDroneVideo, Params{SampleRateHz: 15.36e6}, 150000, 1e-3, 2e-3, 0, 0},
		{"rcfhss", RCFHSS, event.ClassRCFHSS, Params{SampleRateHz: 1e6, HopSpanHz: 1}, 100000, 1e-3, 4e-3, 0, 256},
		{"fpv", FPVAnalog, event.ClassFPVAnalog, Params{SampleRateHz: 20e6}, 100000, 0, 0, 0, 0},
		{"narrow", Narrowband, ClassNarrow, Params{SampleRateHz: 200e3, OffsetHz: 20e3}, 40000, 0, 0, 0, 0},
	}
}

// segmentPSD sums |FFT|^2 (Hann window) over every nfft segment lying wholly
// inside a truth burst; bins are in FFT order.
func segmentPSD(x []complex64, truth []Truth, nfft int) (psd []float64, segs int) {
	fft := fourier.NewCmplxFFT(nfft)
	psd = make([]float64, nfft)
	in := make([]complex128, nfft)
	out := make([]complex128, nfft)
	for _, tr := range truth {
		for s := max(tr.StartSample, 0); s+nfft <= min(tr.StartSample+tr.SampleCount, len(x)); s += nfft {
			for i := range in {
				w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(nfft))
				in[i] = complex(float64(real(x[s+i]))*w, float64(imag(x[s+i]))*w)
			}
			fft.Coefficients(out, in)
			for i, v := range out {
				psd[i] += real(v)*real(v) + imag(v)*imag(v)
			}
			segs++
		}
	}
	return psd, segs
}

func binHz(i, nfft int, fs float64) float64 {
	if i >= nfft/2 {
		i -= nfft
	}
	return float64(i) * fs / float64(nfft)
}

// inBand sums the PSD over bins whose centre lies in [lo, hi].
func inBand(psd []float64, fs, lo, hi float64) float64 {
	nfft := len(psd)
	var s float64
	for i, v := range psd {
		if f := binHz(i, nfft, fs); f >= lo && f <= hi {
			s += v
		}
	}
	return s
}

// obw99 returns the 99 % power bandwidth of psd.
func obw99(psd []float64, fs float64) float64 {
	nfft := len(psd)
	ordered := make([]float64, nfft)
	var total float64
	for i, v := range psd {
		ordered[(i+nfft/2)%nfft] = v
		total += v
	}
	var acc float64
	lo, hi := 0, nfft-1
	for i, v := range ordered {
		acc += v
		if acc >= 0.005*total {
			lo = i
			break
		}
	}
	acc = 0
	for i := nfft - 1; i >= 0; i-- {
		acc += ordered[i]
		if acc >= 0.005*total {
			hi = i
			break
		}
	}
	return float64(hi-lo+1) * fs / float64(nfft)
}

func TestSNRAndBandwidth(t *testing.T) {
	for _, c := range classCases() {
		t.Run(c.name, func(t *testing.T) {
			p := c.p
			p.SNRDB, p.Seed = 10, 7
			sig := make([]complex64, c.n)
			truth := c.gen(sig, p)
			if len(truth) == 0 {
				t.Fatal("no truth")
			}
			noise := make([]complex64, c.n)
			Noise(noise, rand.New(rand.NewPCG(1, 2)), p.noisePower())
			nfft := c.nfft
			if nfft == 0 {
				nfft = 1024
			}
			ps, segs := segmentPSD(sig, truth, nfft)
			pn, _ := segmentPSD(noise, truth, nfft)
			if segs < 20 {
				t.Fatalf("only %d segments to measure", segs)
			}
			tr := truth[0]
			if tr.Class != c.class {
				t.Errorf("class: got %q, want %q", tr.Class, c.class)
			}
			snr := 10 * math.Log10(inBand(ps, p.SampleRateHz, tr.FreqLowHz, tr.FreqHighHz)/
				inBand(pn, p.SampleRateHz, tr.FreqLowHz, tr.FreqHighHz))
			if math.Abs(snr-p.SNRDB) > 0.5 {
				t.Errorf("measured SNR %.2f dB, want %.2f ± 0.5", snr, p.SNRDB)
			}
			gotBW, wantBW := obw99(ps, p.SampleRateHz), tr.FreqHighHz-tr.FreqLowHz
			if math.Abs(gotBW-wantBW) > 0.1*wantBW {
				t.Errorf("99%% bandwidth %.0f Hz, want %.0f ± 10%%", gotBW, wantBW)
			}
			// The power sits at the requested offset.
			mid := (tr.FreqLowHz + tr.FreqHighHz) / 2
			if math.Abs(mid-p.OffsetHz) > 1 {
				t.Errorf("truth centre %.0f Hz, want %.0f", mid, p.OffsetHz)
			}
		})
	}
}

func TestBurstTiming(t *testing.T) {
	for _, c := range classCases() {
		t.Run(c.name, func(t *testing.T) {
			p := c.p
			p.SNRDB, p.Seed, p.StartSample = 10, 3, 1234
			sig := make([]complex64, c.n)
			truth := c.gen(sig, p)
			fs := p.SampleRateHz
			if c.periodS == 0 {
				if len(truth) != 1 || truth[0].StartSample != 1234 || truth[0].SampleCount != c.n-1234 {
					t.Fatalf("continuous: got %+v, want one record from 1234 to %d", truth, c.n)
				}
			} else {
				if len(truth) < 2 {
					t.Fatalf("got %d bursts, want several", len(truth))
				}
				for i, tr := range truth {
					want := 1234 + int(math.Round(c.phaseS*fs+float64(i)*c.periodS*fs))
					if tr.StartSample != want {
						t.Errorf("burst %d starts at %d, want %d", i, tr.StartSample, want)
					}
					if tr.StartSample+tr.SampleCount < c.n && math.Abs(float64(tr.SampleCount)-c.lenS*fs) > 0.01*c.lenS*fs+1 {
						t.Errorf("burst %d lasts %d samples, want %.0f", i, tr.SampleCount, c.lenS*fs)
					}
				}
			}
			// Energy exactly where the truth says: none before the first
			// burst, energy inside and (for bursty classes) none between.
			on := make([]bool, c.n)
			for _, tr := range truth {
				for i := tr.StartSample; i < tr.StartSample+tr.SampleCount && i < c.n; i++ {
					on[i] = true
				}
			}
			var onE, offE float64
			for i, v := range sig {
				e := float64(real(v)*real(v) + imag(v)*imag(v))
				if on[i] {
					onE += e
				} else {
					offE += e
				}
			}
			if onE == 0 || offE != 0 {
				t.Errorf("energy inside bursts %g, outside %g; want >0 and 0", onE, offE)
			}
		})
	}
}

func TestDeterministicAndWindowed(t *testing.T) {
	for _, c := range classCases() {
		t.Run(c.name, func(t *testing.T) {
			p := c.p
			p.SNRDB, p.Seed = 10, 11
			a := make([]complex64, c.n)
			b := make([]complex64, c.n)
			c.gen(a, p)
			c.gen(b, p)
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("sample %d differs between two renders with one seed", i)
				}
			}
			// The second half rendered alone equals the second half of the whole.
			half := c.n / 2
			w := make([]complex64, c.n-half)
			q := p
			q.StartSample = -half
			c.gen(w, q)
			for i := range w {
				if d := w[i] - a[half+i]; real(d)*real(d)+imag(d)*imag(d) > 1e-12 {
					t.Fatalf("windowed sample %d: got %v, want %v", i, w[i], a[half+i])
				}
			}
			p.Seed = 12
			clear(b)
			c.gen(b, p)
			same := 0
			for i := range a {
				if a[i] == b[i] {
					same++
				}
			}
			if same == len(a) {
				t.Error("different seeds gave identical output")
			}
		})
	}
}

func TestDurationAndHopping(t *testing.T) {
	sig := make([]complex64, 200000)
	truth := Bluetooth(sig, Params{SampleRateHz: 20e6, SNRDB: 10, Seed: 1, DurationSamples: 150000})
	if len(truth) == 0 {
		t.Fatal("no Bluetooth bursts inside ±10 MHz")
	}
	seen := map[float64]bool{}
	for _, tr := range truth {
		if tr.StartSample+tr.SampleCount > 150000 {
			t.Errorf("burst ends at %d, after the duration 150000", tr.StartSample+tr.SampleCount)
		}
		if tr.FreqHighHz < -10e6 || tr.FreqLowHz > 10e6 {
			t.Errorf("burst at %.0f..%.0f Hz is outside the band", tr.FreqLowHz, tr.FreqHighHz)
		}
		c := (tr.FreqLowHz + tr.FreqHighHz) / 2
		if r := math.Mod(math.Abs(c), 1e6); r > 1 && r < 1e6-1 {
			t.Errorf("hop centre %.0f Hz is off the 1 MHz grid", c)
		}
		seen[c] = true
	}
	if len(seen) < 3 {
		t.Errorf("saw %d hop frequencies, want several", len(seen))
	}
}

func TestNoisePower(t *testing.T) {
	x := make([]complex64, 100000)
	Noise(x, rand.New(rand.NewPCG(5, 6)), 0.01)
	var s float64
	for _, v := range x {
		s += float64(real(v)*real(v) + imag(v)*imag(v))
	}
	if got := s / float64(len(x)); math.Abs(got-0.01) > 0.0003 {
		t.Errorf("noise power %g, want 0.01 ± 3 %%", got)
	}
}

func TestPowerFS(t *testing.T) {
	x := make([]complex64, 50000)
	truth := LTE(x, Params{SampleRateHz: 15.36e6, PowerFS: 0.02, Seed: 1})
	var s float64
	for _, v := range x {
		s += float64(real(v)*real(v) + imag(v)*imag(v))
	}
	if got := s / float64(len(x)); math.Abs(got-0.02) > 0.0002 {
		t.Errorf("mean power %g, want 0.02", got)
	}
	// Half the subcarriers out of band: half the power.
	clear(x)
	LTE(x, Params{SampleRateHz: 15.36e6, PowerFS: 0.02, Seed: 1, OffsetHz: 7.2e6})
	s = 0
	for _, v := range x {
		s += float64(real(v)*real(v) + imag(v)*imag(v))
	}
	if got := s / float64(len(x)); math.Abs(got-0.01) > 0.001 {
		t.Errorf("half-visible mean power %g, want about 0.01", got)
	}
	if len(truth) != 1 {
		t.Errorf("continuous LTE gave %d truth records, want 1", len(truth))
	}
}

func TestApply(t *testing.T) {
	tests := []struct {
		name  string
		a     Artefacts
		check func(t *testing.T, x []complex64)
	}{
		{"quantise", Artefacts{Quantise8Bit: true}, func(t *testing.T, x []complex64) {
			for _, v := range x {
				for _, c := range []float32{real(v), imag(v)} {
					if c*128 != float32(math.Round(float64(c*128))) || c > 127.0/128 || c < -1 {
						t.Fatalf("%v is not on the 8-bit grid", c)
					}
				}
			}
		}},
		{"quantise-low-gain", Artefacts{QuantisePeakLSB: 16}, func(t *testing.T, x []complex64) {
			// Gaussian noise, σ = 0.071 per component: its 99.9th
			// percentile of |I|, |Q| (3.29 σ) at 16 LSB puts σ at 4.9
			// LSB and the largest of 200,000 values near 4.6 σ, 22 LSB.
			var a []float64
			for _, v := range x {
				for _, c := range []float32{real(v), imag(v)} {
					if c*128 != float32(math.Round(float64(c*128))) {
						t.Fatalf("%v is not on the 8-bit grid", c)
					}
					a = append(a, math.Abs(float64(c*128)))
				}
			}
			slices.Sort(a)
			if p := a[len(a)*999/1000]; p < 15 || p > 17 {
				t.Errorf("99.9th percentile of |I|, |Q| %.0f LSB, want 16", p)
			}
			if m := a[len(a)-1]; m < 19 || m > 26 {
				t.Errorf("largest |I|, |Q| %.0f LSB, want the Gaussian's tail, about 22", m)
			}
		}},
		{"dc", Artefacts{DCSpikeDB: 10}, func(t *testing.T, x []complex64) {
			var m complex128
			for _, v := range x {
				m += complex128(v)
			}
			m /= complex(float64(len(x)), 0)
			if p := 10 * math.Log10(real(m)*real(m)+imag(m)*imag(m)); math.Abs(p-(-20+10)) > 0.3 {
				t.Errorf("DC power %.2f dB, want -10", p)
			}
		}},
		{"spur", Artefacts{SampleRateHz: 10e6, SpursHz: []float64{1.25e6}, SpurDB: -10}, func(t *testing.T, x []complex64) {
			var c complex128
			for n, v := range x {
				s, co := math.Sincos(-2 * math.Pi * 1.25e6 * float64(n) / 10e6)
				c += complex128(v) * complex(co, s)
			}
			c /= complex(float64(len(x)), 0)
			if p := 10 * math.Log10(real(c)*real(c)+imag(c)*imag(c)); math.Abs(p-(-30)) > 0.3 {
				t.Errorf("spur power %.2f dB, want -30 (10 dB under the 0.01 mean)", p)
			}
		}},
		{"gain-imbalance", Artefacts{IQGainImbalanceDB: 6}, func(t *testing.T, x []complex64) {
			var pi, pq float64
			for _, v := range x {
				pi += float64(real(v) * real(v))
				pq += float64(imag(v) * imag(v))
			}
			if r := 10 * math.Log10(pq/pi); math.Abs(r-6) > 0.3 {
				t.Errorf("Q/I power %.2f dB, want 6", r)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := make([]complex64, 100000)
			Noise(x, rand.New(rand.NewPCG(1, 1)), 0.01)
			Apply(x, tc.a, rand.New(rand.NewPCG(2, 2)))
			tc.check(t, x)
		})
	}
}

func BenchmarkGenerators(b *testing.B) {
	for _, c := range classCases() {
		b.Run(c.name, func(b *testing.B) {
			x := make([]complex64, c.n)
			p := c.p
			p.SNRDB = 10
			b.SetBytes(int64(8 * c.n))
			b.ReportAllocs()
			for b.Loop() {
				c.gen(x, p)
			}
		})
	}
}

func BenchmarkNoise(b *testing.B) {
	x := make([]complex64, 1<<16)
	rng := rand.New(rand.NewPCG(1, 1))
	b.SetBytes(8 << 16)
	b.ReportAllocs()
	for b.Loop() {
		Noise(x, rng, 1e-3)
	}
}
