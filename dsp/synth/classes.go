package synth

import (
	"math/rand/v2"

	"github.com/rfwarden/rfwarden/event"
)

// ClassNarrow is the Truth.Class of Narrowband (staff radios): rfwarden has
// no class of its own for them, so they are reported as unknown.
const ClassNarrow = event.ClassUnknown

// Generator is the common signature of every waveform generator: it adds
// the transmission described by p to dst and returns its ground truth.
type Generator func(dst []complex64, p Params) []Truth

// Generators maps each class to its generator (Narrowband under ClassNarrow).
func Generators() map[string]Generator {
	return map[string]Generator{
		event.ClassGSM: GSM, event.ClassUMTS: UMTS, event.ClassLTE: LTE, event.ClassNR: NR,
		event.ClassWiFi: WiFi, event.ClassBluetooth: Bluetooth, event.ClassDroneID: DroneID,
		event.ClassDroneVideo: DroneVideo, event.ClassRCFHSS: RCFHSS, event.ClassFPVAnalog: FPVAnalog,
		ClassNarrow: Narrowband,
	}
}

// Tone adds a continuous unmodulated carrier at p.OffsetHz. Its truth has
// zero width; its SNR uses a 1 Hz bandwidth.
func Tone(dst []complex64, p Params) []Truth {
	start := p.StartSample
	render := func(buf []complex64, b burst, fs float64, _ *rand.Rand) float64 {
		for i := range buf {
			buf[i] = 1
		}
		mix(buf, b.offsetHz, fs, b.start-start)
		return overlapFrac(b.offsetHz, b.offsetHz, fs)
	}
	return generate(dst, p, event.ClassUnknown, schedule{lenS: 1e-3, periodS: 1e-3, merge: true}, 0, 0, nil, render)
}

// GSM timing: 270.833 kbit/s GMSK (BT 0.3), a 148-bit normal burst in one of
// the 8 timeslots (577 µs each) of every 4.615 ms TDMA frame, as a handset
// sends on its uplink during a call.
const (
	GSMBitRate  = 1625e3 / 6
	GSMSlotS    = 15.0 / 26 * 1e-3
	GSMFrameS   = 8 * GSMSlotS
	gsmHalfBWHz = 125e3 // 99 % power bandwidth of GMSK BT 0.3 is about 0.92 bit rate
)

// GSM adds GMSK uplink bursts, one per TDMA frame.
func GSM(dst []complex64, p Params) []Truth {
	sch := p.timing(schedule{lenS: 148 / GSMBitRate, periodS: GSMFrameS})
	return generate(dst, p, event.ClassGSM, sch, -gsmHalfBWHz, gsmHalfBWHz, nil,
		fskRender(fskShape{rateSym: GSMBitRate, h: 0.5, bt: 0.3, levels: 2}))
}

// UMTSChipRate is the W-CDMA chip rate; UMTS is QPSK chips through a
// root-raised-cosine filter of roll-off 0.22.
const UMTSChipRate = 3.84e6

// UMTS adds a continuous W-CDMA-like carrier (rendered one 2560-chip slot at a time).
func UMTS(dst []complex64, p Params) []Truth {
	slot := 2560 / UMTSChipRate
	sch := p.timing(schedule{lenS: slot, periodS: slot, merge: true})
	half := UMTSChipRate * 1.22 / 2 * 0.94
	return generate(dst, p, event.ClassUMTS, sch, -half, half, nil,
		func(buf []complex64, b burst, fs float64, rng *rand.Rand) float64 {
			renderRRC(buf, UMTSChipRate, 0.22, b.offsetHz, fs, rng)
			return overlapFrac(b.offsetHz-half, b.offsetHz+half, fs)
		})
}

// lteRB maps LTE channel bandwidth to resource blocks (3GPP TS 36.101 table 5.6-1).
func lteRB(bwHz float64) int {
	switch {
	case bwHz <= 1.5e6:
		return 6
	case bwHz <= 3.1e6:
		return 15
	case bwHz <= 5.1e6:
		return 25
	case bwHz <= 10.1e6:
		return 50
	case bwHz <= 15.1e6:
		return 75
	}
	return 100
}

// lteSlot is one 0.5 ms slot of normal-cyclic-prefix symbols (CP 160/2048
// for the first symbol, 144/2048 for the other six).
func lteSlot() []symSpec {
	s := []symSpec{{kind: symQPSK, cpFrac: 160.0 / 2048, lenFrac: 1 + 160.0/2048}}
	for range 6 {
		s = append(s, symSpec{kind: symQPSK, cpFrac: 144.0 / 2048, lenFrac: 1 + 144.0/2048})
	}
	return s
}

// LTE adds an LTE uplink: OFDM with 15 kHz subcarrier spacing, 12 subcarriers
// per resource block over p.BandwidthHz (1.4..20 MHz, default 10 MHz),
// normal cyclic prefix, 1 ms subframes. FDD (default) sends every subframe;
// with p.TDD it sends only the uplink subframes 2,3,7,8 of TDD
// configuration 1 (2 ms every 5 ms).
func LTE(dst []complex64, p Params) []Truth {
	bw := p.BandwidthHz
	if bw == 0 {
		bw = 10e6
	}
	shape := ofdmShape{scsHz: 15e3, nsc: 12 * lteRB(bw), body: lteSlot()}
	def := schedule{lenS: 1e-3, periodS: 1e-3, merge: true}
	if p.TDD {
		def = schedule{lenS: 2e-3, periodS: 5e-3, phaseS: 2e-3}
	}
	return ofdmGenerate(dst, p, event.ClassLTE, p.timing(def), shape, nil)
}

func ofdmGenerate(dst []complex64, p Params, class string, sch schedule, shape ofdmShape, hopFn func(int64) float64) []Truth {
	half := float64(shape.nsc) / 2 * shape.scsHz
	var sc ofdmScratch
	return generate(dst, p, class, sch, -half, half, hopFn,
		func(buf []complex64, b burst, fs float64, rng *rand.Rand) float64 {
			return renderOFDM(buf, shape, b.offsetHz, fs, rng, &sc)
		})
}

// NR adds a 5G NR TDD uplink: OFDM at p.SCSHz (15 or 30 kHz, default 30),
// about 95 % of p.BandwidthHz (default 20 MHz) occupied, 14-symbol slots
// with the DDDSU pattern, so one uplink slot in every five.
func NR(dst []complex64, p Params) []Truth {
	bw, scs := p.BandwidthHz, p.SCSHz
	if bw == 0 {
		bw = 20e6
	}
	if scs == 0 {
		scs = 30e3
	}
	nrb := int(bw * 0.95 / (12 * scs))
	slotS := 1e-3 * 15e3 / scs
	shape := ofdmShape{scsHz: scs, nsc: 12 * nrb, body: append(lteSlot(), lteSlot()...)}
	sch := p.timing(schedule{lenS: slotS, periodS: 5 * slotS, phaseS: 4 * slotS})
	return ofdmGenerate(dst, p, event.ClassNR, sch, shape, nil)
}

// WiFi adds 802.11a/n-like packets: 8 µs short training field (0.8 µs
// periodic), 8 µs long training field, then 3.2+0.8 µs OFDM symbols, on
// 52 (20 MHz) or 114 (40 MHz) subcarriers at 312.5 kHz. Default packet
// 200 µs every 102.4 ms (a beacon); set BurstLenS/BurstPeriodS for traffic.
func WiFi(dst []complex64, p Params) []Truth {
	nsc := 52
	if p.BandwidthHz > 30e6 {
		nsc = 114
	}
	shape := ofdmShape{scsHz: 312.5e3, nsc: nsc,
		pre:  []symSpec{{kind: symSTF, lenFrac: 2.5}, {kind: symLTF, cpFrac: 0.5, lenFrac: 2.5}},
		body: []symSpec{{kind: symQPSK, cpFrac: 0.25, lenFrac: 1.25}}}
	sch := p.timing(schedule{lenS: 200e-6, periodS: 102.4e-3})
	return ofdmGenerate(dst, p, event.ClassWiFi, sch, shape, nil)
}

// Bluetooth adds Bluetooth BR packets: GFSK (BT 0.5, h 0.32) at 1 Msym/s,
// a 366 µs packet in every other 625 µs slot, hopping over 79 1-MHz
// channels (p.HopSpanHz, default 79 MHz) centred on p.OffsetHz.
func Bluetooth(dst []complex64, p Params) []Truth {
	span := p.HopSpanHz
	if span == 0 {
		span = 79e6
	}
	sch := p.timing(schedule{lenS: 366e-6, periodS: 1250e-6})
	return generate(dst, p, event.ClassBluetooth, sch, -450e3, 450e3,
		func(k int64) float64 { return hop(p, k, span, 1e6) },
		fskRender(fskShape{rateSym: 1e6, h: 0.32, bt: 0.5, levels: 2}))
}

// DroneID adds DJI DroneID bursts: 600 subcarriers at 15 kHz (9 MHz), nine
// OFDM symbols (long prefix on the first and last) of which the 4th and 6th
// carry Zadoff-Chu sequences of roots 600 and 147: about 643 µs, default
// every 600 ms.
func DroneID(dst []complex64, p Params) []Truth {
	long := symSpec{kind: symQPSK, cpFrac: 80.0 / 1024, lenFrac: 1 + 80.0/1024}
	short := symSpec{kind: symQPSK, cpFrac: 72.0 / 1024, lenFrac: 1 + 72.0/1024}
	zc := func(root int) symSpec { s := short; s.kind, s.root = symZC, root; return s }
	shape := ofdmShape{scsHz: 15e3, nsc: 600,
		pre: []symSpec{long, short, short, zc(600), short, zc(147), short, short, long}}
	lenS := (2*(1024+80) + 7*(1024+72)) / 15.36e6
	sch := p.timing(schedule{lenS: lenS, periodS: 600e-3})
	return ofdmGenerate(dst, p, event.ClassDroneID, sch, shape, nil)
}

// DroneVideo adds OcuSync-like video downlink: OFDM at 15 kHz over 90 % of
// p.BandwidthHz (10 or 20 MHz, default 10), 1 ms bursts every 2 ms,
// hopping in channel steps over p.HopSpanHz when set.
func DroneVideo(dst []complex64, p Params) []Truth {
	bw := p.BandwidthHz
	if bw == 0 {
		bw = 10e6
	}
	nsc := int(bw*0.9/15e3) &^ 1
	shape := ofdmShape{scsHz: 15e3, nsc: nsc, body: lteSlot()}
	sch := p.timing(schedule{lenS: 1e-3, periodS: 2e-3})
	var hopFn func(int64) float64
	if p.HopSpanHz > 0 {
		hopFn = func(k int64) float64 { return hop(p, k, p.HopSpanHz, bw) }
	}
	return ofdmGenerate(dst, p, event.ClassDroneVideo, sch, shape, hopFn)
}

// RCFHSS adds a radio-control frequency hopper like ExpressLRS: LoRa-like
// chirps of 500 kHz bandwidth and spreading factor 6 (128 µs symbols),
// 1 ms packets every 4 ms (250 Hz packet rate), each on a new 1-MHz
// channel over p.HopSpanHz (default 80 MHz, the 2.4 GHz band).
func RCFHSS(dst []complex64, p Params) []Truth {
	span := p.HopSpanHz
	if span == 0 {
		span = 80e6
	}
	shape := loraShape{bwHz: RCFHSSBandwidthHz, sf: 6}
	sch := p.timing(schedule{lenS: 1e-3, periodS: 4e-3})
	return generate(dst, p, event.ClassRCFHSS, sch, -rcHalfHz, rcHalfHz,
		func(k int64) float64 { return hop(p, k, span, 1e6) },
		func(buf []complex64, b burst, fs float64, rng *rand.Rand) float64 {
			renderLoRa(buf, shape, b.offsetHz, fs, rng)
			return overlapFrac(b.offsetHz+b.lowHz, b.offsetHz+b.highHz, fs)
		})
}

// RCFHSSBandwidthHz is the chirp bandwidth of RCFHSS (ELRS 868/915 MHz
// LoRa; ELRS 2.4 GHz uses 812.5 kHz).
const RCFHSSBandwidthHz = 500e3

// rcHalfHz is the half width of RCFHSS's truth: 99% of a 500 kHz chirp's
// power (the symbol edges spread it) lies within ±295 kHz.
const rcHalfHz = 295e3

// FPVAnalogDevHz is the peak deviation of FPVAnalog, sync tip to peak
// white ±4 MHz: with 5 MHz of video the Carson bandwidth is about 18 MHz,
// and 99% of the power lies within about ±6.1 MHz (colour and audio
// subcarriers included).
const FPVAnalogDevHz = 4e6

// fpvHalfHz is the half width FPVAnalog's truth gives its band.
const fpvHalfHz = 6.1e6

// FPVAnalog adds continuous analogue FM video as a 5.8 GHz FPV camera
// transmitter sends it (PAL-like composite with colour and an audio
// subcarrier; see renderFM).
func FPVAnalog(dst []complex64, p Params) []Truth {
	sch := p.timing(schedule{lenS: 1e-3, periodS: 1e-3, merge: true})
	return generate(dst, p, event.ClassFPVAnalog, sch, -fpvHalfHz, fpvHalfHz, nil,
		func(buf []complex64, b burst, fs float64, rng *rand.Rand) float64 {
			renderFM(buf, b.offsetHz, FPVAnalogDevHz, fs, rng)
			return overlapFrac(b.offsetHz-fpvHalfHz, b.offsetHz+fpvHalfHz, fs)
		})
}

// Narrowband adds a staff-radio-like carrier for a 25 kHz channel: 2-GFSK at
// 9.6 kbit/s, h 1, sent continuously (a press-to-talk over) while on.
func Narrowband(dst []complex64, p Params) []Truth {
	sch := p.timing(schedule{lenS: 10e-3, periodS: 10e-3, merge: true})
	return generate(dst, p, ClassNarrow, sch, -8e3, 8e3, nil,
		fskRender(fskShape{rateSym: 9600, h: 1, bt: 0.5, levels: 2}))
}
