package synth

import (
	"math"
	"math/rand/v2"
)

// fskShape is a continuous-phase FSK modem: symbol rate, modulation index
// and Gaussian filter bandwidth-time product (0 means unfiltered).
type fskShape struct {
	rateSym float64
	h       float64
	bt      float64
	levels  int // 2 or 4
}

const pulseRes = 32 // table points per symbol

// pulseTable tabulates the frequency pulse (a rectangle of one symbol
// convolved with a Gaussian of bandwidth BT/T) over ±2 symbols.
func pulseTable(bt float64) []float64 {
	tab := make([]float64, 4*pulseRes+1)
	for i := range tab {
		t := float64(i)/pulseRes - 2 // in symbols
		if bt <= 0 {
			if t >= -0.5 && t < 0.5 {
				tab[i] = 1
			}
			continue
		}
		sigma := math.Sqrt(math.Ln2) / (2 * math.Pi * bt) // in symbols
		tab[i] = 0.5 * (math.Erf((t+0.5)/(sigma*math.Sqrt2)) - math.Erf((t-0.5)/(sigma*math.Sqrt2)))
	}
	return tab
}

// renderFSK fills buf with a CPFSK burst of random symbols at offsetHz.
func renderFSK(buf []complex64, s fskShape, offsetHz, fs float64, rng *rand.Rand) {
	tab := pulseTable(s.bt)
	nsym := int(float64(len(buf))*s.rateSym/fs) + 4
	sym := make([]float64, nsym+4)
	for i := range sym {
		if s.levels == 4 {
			sym[i] = float64(2*rng.IntN(4)-3) / 3
		} else {
			sym[i] = float64(2*rng.IntN(2) - 1)
		}
	}
	dev := s.h * s.rateSym / 2
	var phase float64
	for i := range buf {
		t := float64(i) * s.rateSym / fs // in symbols
		k := int(t)
		var f float64
		for j := k - 2; j <= k+2; j++ {
			if j < 0 {
				continue
			}
			x := (t - float64(j) - 0.5 + 2) * pulseRes
			xi := int(x)
			if xi < 0 || xi >= len(tab)-1 {
				continue
			}
			mu := x - float64(xi)
			f += sym[j+0] * (tab[xi]*(1-mu) + tab[xi+1]*mu)
		}
		phase += 2 * math.Pi * (offsetHz + dev*f) / fs
		if phase > math.Pi {
			phase -= 2 * math.Pi * math.Floor((phase+math.Pi)/(2*math.Pi))
		} else if phase < -math.Pi {
			phase += 2 * math.Pi * math.Floor((math.Pi-phase)/(2*math.Pi))
		}
		sn, cs := math.Sincos(phase)
		buf[i] = complex(float32(cs), float32(sn))
	}
}

func fskRender(s fskShape) renderFunc {
	return func(buf []complex64, b burst, fs float64, rng *rand.Rand) float64 {
		renderFSK(buf, s, b.offsetHz, fs, rng)
		return overlapFrac(b.offsetHz+b.lowHz, b.offsetHz+b.highHz, fs)
	}
}

// renderFM fills buf with analogue FM video as a 5.8 GHz FPV transmitter
// sends it: PAL-like lines of 64 µs (4.7 µs sync tip at −0.3 V, black at
// 0, white at 0.7 V, so sync sits just below black) with a random-walk
// luminance at 0.1 µs per pixel (5 MHz video), a 4.43 MHz colour
// subcarrier of random saturation per line, and an FM audio subcarrier at
// 6.5 MHz; the composite deviates ±peakDevHz from sync tip to peak white.
func renderFM(buf []complex64, offsetHz, peakDevHz, fs float64, rng *rand.Rand) {
	const lineS, syncS, pixS = 64e-6, 4.7e-6, 0.1e-6
	const chromaHz, audioHz, audioLevel = 4.43361875e6, 6.5e6, 0.1
	npix := int(float64(len(buf))/fs/pixS) + 2
	lum := make([]float64, npix)
	level := 0.4
	for i := range lum {
		level += 0.12 * rng.NormFloat64()
		level = math.Max(0, math.Min(1, level))
		lum[i] = level
	}
	nline := int(float64(len(buf))/fs/lineS) + 2
	sat := make([]float64, nline)
	for i := range sat {
		sat[i] = 0.05 + 0.25*rng.Float64()
	}
	chromaPh, audioPh := 2*math.Pi*rng.Float64(), 2*math.Pi*rng.Float64()
	var phase float64
	for i := range buf {
		t := float64(i) / fs
		var v float64 // composite video, volts: sync −0.3, black 0, white 0.7
		if math.Mod(t, lineS) < syncS {
			v = -0.3
		} else {
			x := t / pixS
			j := int(x)
			mu := x - float64(j)
			v = 0.7*(lum[j]*(1-mu)+lum[j+1]*mu) + 0.7*sat[int(t/lineS)]*math.Sin(2*math.Pi*chromaHz*t+chromaPh)
		}
		m := (v-0.2)/0.5 + audioLevel*math.Sin(2*math.Pi*audioHz*t+audioPh) // −1 at sync, +1 at white
		phase += 2 * math.Pi * (offsetHz + peakDevHz*m) / fs
		phase = math.Remainder(phase, 2*math.Pi)
		sn, cs := math.Sincos(phase)
		buf[i] = complex(float32(cs), float32(sn))
	}
}

// loraShape is a LoRa-like chirp spread spectrum modem: bandwidth and
// spreading factor (2^sf chips per symbol of 2^sf/bw seconds).
type loraShape struct {
	bwHz float64
	sf   int
}

// renderLoRa fills buf with LoRa-like symbols at offsetHz: each symbol an
// up-chirp across ±bw/2 cyclically shifted by a random value, phase
// continuous.
func renderLoRa(buf []complex64, s loraShape, offsetHz, fs float64, rng *rand.Rand) {
	chips := float64(int(1) << s.sf)
	symS := chips / s.bwHz
	var phase, shift float64
	sym := -1
	for i := range buf {
		t := float64(i) / fs
		if k := int(t / symS); k != sym {
			sym = k
			shift = float64(rng.IntN(int(chips))) / chips
		}
		u := math.Mod(t/symS+shift, 1)
		phase += 2 * math.Pi * (offsetHz + s.bwHz*(u-0.5)) / fs
		phase = math.Remainder(phase, 2*math.Pi)
		sn, cs := math.Sincos(phase)
		buf[i] = complex(float32(cs), float32(sn))
	}
}
