package classify_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/dsp"
	"github.com/rfwarden/rfwarden/dsp/classify"
	"github.com/rfwarden/rfwarden/dsp/synth"
)

// detectAndClassify runs the project's detector over iq and classifies every
// emission, as the sensor pipeline does (whole capture in view).
func detectAndClassify(t testing.TB, set *classify.Set, iq []complex64, fs, fc float64) []classify.Label {
	t.Helper()
	_, labels := detectEmissions(t, set, iq, fs, fc)
	return labels
}

// detectEmissions is detectAndClassify with the emissions too (labels[i]
// names ems[i]).
func detectEmissions(t testing.TB, set *classify.Set, iq []complex64, fs, fc float64) (ems []dsp.Emission, labels []classify.Label) {
	t.Helper()
	det, err := dsp.NewDetector(dsp.DetectorConfig{SampleRateHz: fs})
	if err != nil {
		t.Fatal(err)
	}
	ems = det.Flush(det.Process(iq, 0, nil))
	labels = make([]classify.Label, len(ems))
	for i, e := range ems {
		labels[i] = set.Classify(classify.Input{IQ: iq, SampleRateHz: fs, CenterHz: fc, Em: e})
	}
	return ems, labels
}

// gsmScene renders 30 ms of noise with one GSM downlink carrier 300 kHz
// above DC, switched on after 5 ms (so the detector's noise floor has
// warmed up) in a capture at fs (2, 4 or 20 Msps) at 941 MHz (E-GSM-900
// DL), with slotsOn consecutive timeslots active per 4.615 ms TDMA frame
// (8: a BCCH-like continuous carrier).
func gsmScene(fs, snrDB float64, slotsOn int, seed uint64) []complex64 {
	iq := make([]complex64, int(30e-3*fs))
	synth.Noise(iq, rand.New(rand.NewPCG(seed, 99)), synth.DefaultNoisePower)
	synth.GSM(iq, synth.Params{SampleRateHz: fs, OffsetHz: 300e3, SNRDB: snrDB, Seed: seed,
		BurstLenS: float64(slotsOn) * synth.GSMSlotS, StartSample: int(5e-3*fs) + int(seed)*97})
	return iq
}

// TestGSMDetectionVsSNR measures Pd of the GSM downlink label against SNR
// (in the carrier's 250 kHz, synth convention) for bursty (3 of 8 slots)
// and continuous carriers at 2, 4 and 20 Msps, detector and classifier
// end to end, over 6 seeds (the table in docs/classifiers.md). Pd counts a
// trial when an emission is labelled "GSM downlink"; the detector's own
// misses count as misses (at 4 and 20 Msps most 3 dB misses are the
// detector's: 16–50 µs blips, nothing to classify).
func TestGSMDetectionVsSNR(t *testing.T) {
	set := classify.Default()
	seeds := 6
	if testing.Short() {
		seeds = 3
	}
	// Minimum Pd per SNR: weak carriers (3-5 dB) are labelled from width,
	// band and TDMA timing; from 8 dB the envelope confirms GMSK.
	minPd := map[float64]map[float64]float64{
		2e6:  {3: 0.5, 5: 0.8, 8: 1, 10: 1, 15: 1, 20: 1},
		4e6:  {5: 0.8, 8: 1, 10: 1, 15: 1, 20: 1},
		20e6: {5: 0.5, 8: 1, 10: 1, 15: 1, 20: 1},
	}
	for _, fs := range []float64{2e6, 4e6, 20e6} {
		for _, slots := range []int{3, 8} {
			var row strings.Builder
			for _, snr := range []float64{3, 5, 8, 10, 15, 20} {
				hits := 0
				for seed := uint64(1); seed <= uint64(seeds); seed++ {
					for _, l := range detectAndClassify(t, set, gsmScene(fs, snr, slots, seed), fs, 941e6) {
						if l.Class == classify.ClassGSM && l.Link == "downlink" {
							hits++
							break
						}
					}
				}
				pd := float64(hits) / float64(seeds)
				fmt.Fprintf(&row, " %2.0f dB: %.2f", snr, pd)
				if pd < minPd[fs][snr] {
					t.Errorf("%g Msps, %d slots at %.0f dB: Pd %.2f, want ≥ %.2f", fs/1e6, slots, snr, pd, minPd[fs][snr])
				}
			}
			t.Logf("GSM DL %g Msps, %d/8 slots, Pd vs SNR:%s", fs/1e6, slots, row.String())
		}
	}
}

// TestGSMNoFalseLabel runs the detector and classifier over signals that are
// not GSM, placed in a GSM band (941 MHz, E-GSM-900 DL, where LTE B8 and
// UMTS B8 are deployed too), at SNRs from 3 to 20 dB: none may be called GSM.
func TestGSMNoFalseLabel(t *testing.T) {
	set := classify.Default()
	type gen func(dst []complex64, p synth.Params) []synth.Truth
	tests := []struct {
		name   string
		fs, bw float64
		gen    gen
	}{
		{"noise", 2e6, 0, nil},
		{"tone", 2e6, 0, synth.Tone},
		{"narrowband FSK", 2e6, 0, synth.Narrowband},
		{"LTE 5 MHz", 7.68e6, 5e6, synth.LTE},
		{"LTE 1.4 MHz", 1.92e6, 1.4e6, synth.LTE},
		{"NR 10 MHz", 15.36e6, 10e6, synth.NR},
		{"Wi-Fi 20 MHz", 20e6, 20e6, synth.WiFi},
		{"UMTS", 7.68e6, 0, synth.UMTS},
	}
	snrs := []float64{3, 8, 20}
	for _, tt := range tests {
		for _, snr := range snrs {
			t.Run(fmt.Sprintf("%s/%.0fdB", tt.name, snr), func(t *testing.T) {
				for seed := uint64(1); seed <= 2; seed++ {
					iq := make([]complex64, int(10e-3*tt.fs))
					synth.Noise(iq, rand.New(rand.NewPCG(seed, 5)), synth.DefaultNoisePower)
					if tt.gen != nil {
						tt.gen(iq, synth.Params{SampleRateHz: tt.fs, OffsetHz: tt.fs * 0.05, SNRDB: snr, Seed: seed, BandwidthHz: tt.bw})
					}
					for _, l := range detectAndClassify(t, set, iq, tt.fs, 941e6) {
						if l.Class == classify.ClassGSM {
							t.Errorf("seed %d: %q (conf %.2f), want no GSM; features %v", seed, l.Text, l.Confidence, l.Features)
						}
					}
				}
			})
		}
	}
}

// TestGSMUplinkNamedAt6dB is issue 4's GSM case: a handset's uplink (one
// normal burst per 4.615 ms TDMA frame, so a duty of 1/8) at 6 dB SNR in
// its own bandwidth, in E-GSM-900 UL (902.4 MHz, where LTE B8 is deployed
// too) with the HackRF's 8-bit quantisation, detector and classifier end
// to end over many seeds. At least 90% of its bursts must lie in an
// emission named GSM uplink. (The detector bridges the bursts of one
// carrier into a single emission, so a case is mostly all right or all
// wrong: the count of cases keeps the rate's spread near ±0.04.)
func TestGSMUplinkNamedAt6dB(t *testing.T) {
	const (
		fs, fc = 2e6, 902.4e6
		snrDB  = 6
		minPc  = 0.9
	)
	set := classify.Default()
	cases := 100
	if testing.Short() {
		cases = 40
	}
	var truths, named int
	other := map[string]int{}
	for seed := uint64(1); seed <= uint64(cases); seed++ {
		rng := rand.New(rand.NewPCG(seed, 46))
		iq := make([]complex64, int(40e-3*fs))
		synth.Noise(iq, rng, synth.DefaultNoisePower)
		tr := synth.GSM(iq, synth.Params{SampleRateHz: fs, OffsetHz: 200e3, SNRDB: snrDB, Seed: seed,
			StartSample: int((2e-3 + 4e-3*rng.Float64()) * fs)})
		synth.Apply(iq, synth.Artefacts{SampleRateHz: fs, Quantise8Bit: true}, rng)
		ems, labels := detectEmissions(t, set, iq, fs, fc)
		for _, b := range tr {
			if b.StartSample < 0 || b.StartSample+b.SampleCount > len(iq) {
				continue // cut by the capture
			}
			truths++
			// the emission overlapping the burst most names it
			best, most := -1, int64(0)
			for i, e := range ems {
				lo := max(e.StartSample, int64(b.StartSample))
				hi := min(e.StartSample+e.SampleCount, int64(b.StartSample+b.SampleCount))
				if hi-lo > most {
					best, most = i, hi-lo
				}
			}
			switch {
			case best < 0:
				other["missed"]++
			case labels[best].Class == classify.ClassGSM && labels[best].Link == "uplink":
				named++
			default:
				other[labels[best].Class+" "+labels[best].Link]++
			}
		}
	}
	pc := float64(named) / float64(truths)
	t.Logf("GSM UL at %d dB: %d of %d bursts named GSM uplink (%.3f) over %d cases; others %v", snrDB, named, truths, pc, cases, other)
	if pc < minPc {
		t.Errorf("GSM UL at %d dB named right %.3f, want ≥ %.2f (others: %v)", snrDB, pc, minPc, other)
	}
}

// TestRCHopInGSMBandNotAPhone places an ELRS-like LoRa hopper (500 kHz chirps,
// 1 ms packets every 4 ms, over 2 MHz) at 910 MHz, where the 915 MHz ISM
// band overlaps E-GSM-900 uplink (and LTE B8 UL), at 6 dB SNR with 8-bit
// quantisation: no emission may be called GSM or LTE/NR (a drone
// controller would raise a phone alert), and most of the named ones must
// be RC. At 6 dB the gate cuts a chirp packet into 50–80 µs pieces, which
// no GSM burst is and which the too-short LTE/NR rule must not name when
// the emission is long enough for the CP test; and its 90%-power width
// (270–450 kHz) is wider than GMSK's (~160 kHz) even where the 3 dB
// occupied band has shrunk under 350 kHz.
func TestRCHopInGSMBandNotAPhone(t *testing.T) {
	const fs, fc, snrDB = 4e6, 910e6, 6
	set := classify.Default()
	counts := map[string]int{}
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 46))
		iq := make([]complex64, int(40e-3*fs))
		synth.Noise(iq, rng, synth.DefaultNoisePower)
		synth.RCFHSS(iq, synth.Params{SampleRateHz: fs, HopSpanHz: 2e6, SNRDB: snrDB, Seed: seed, StartSample: int(3e-3 * fs)})
		synth.Apply(iq, synth.Artefacts{SampleRateHz: fs, Quantise8Bit: true}, rng)
		for _, l := range detectAndClassify(t, set, iq, fs, fc) {
			counts[l.Class]++
			switch l.Class {
			case classify.ClassGSM, classify.ClassLTE, classify.ClassNR, classify.ClassCellular:
				t.Errorf("seed %d: %q (conf %.2f), want no phone class; features %v", seed, l.Text, l.Confidence, l.Features)
			}
		}
	}
	named := 0
	for c, n := range counts {
		if c != classify.ClassUnknown {
			named += n
		}
	}
	t.Logf("RC at 910 MHz, %d dB: %v", snrDB, counts)
	if rc := counts[classify.ClassRCFHSS]; named == 0 || float64(rc) < 0.6*float64(named) {
		t.Errorf("%d of %d named emissions are RC, want ≥ 60%% (%v)", rc, named, counts)
	}
}

// TestOverdrivenGSMHandset: a GSM handset a few metres from the sensor
// drives the 8-bit ADC into clipping, which spreads its carrier to over
// 400 kHz (the demo's L2-N07 handset, 3 m from s7, read 550 kHz at 43 dB
// SNR and was named an RC hop in 449 of its 2217 detections there). Its
// bursts still repeat at the TDMA frame, which the detector measures: it
// must be named GSM uplink, never RC.
func TestOverdrivenGSMHandset(t *testing.T) {
	const fs, fc = 10e6, 902e6
	set := classify.Default()
	for _, powerFS := range []float64{0.3, 3, 30} {
		for seed := uint64(1); seed <= 3; seed++ {
			rng := rand.New(rand.NewPCG(seed, 8))
			iq := make([]complex64, int(40e-3*fs))
			synth.Noise(iq, rng, 1e-4) // about 0.9 LSB rms per I or Q
			synth.GSM(iq, synth.Params{SampleRateHz: fs, OffsetHz: 400e3, PowerFS: powerFS, Seed: seed,
				StartSample: int(3e-3 * fs)})
			synth.Apply(iq, synth.Artefacts{SampleRateHz: fs, Quantise8Bit: true}, rng)
			named := 0
			for _, l := range detectAndClassify(t, set, iq, fs, fc) {
				switch {
				case l.Class == classify.ClassGSM && l.Link == "uplink":
					named++
				case l.Class == classify.ClassRCFHSS:
					t.Errorf("power %g seed %d: %q, want GSM; features %v", powerFS, seed, l.Text, l.Features)
				}
			}
			if named == 0 {
				t.Errorf("power %g seed %d: no emission named GSM uplink", powerFS, seed)
			}
		}
	}
}

// TestWeakLTEUplinkNotGSM: a 5 MHz LTE uplink in E-GSM-900 UL (902 MHz,
// LTE B8) at 3 dB leaves fragments whose strongest bins read 150–300 kHz
// wide, like GMSK, while the power over the noise spreads over 1.2–1.6
// MHz: no fragment may be called GSM (6 in 10 captures were).
func TestWeakLTEUplinkNotGSM(t *testing.T) {
	const fs, fc = 7.68e6, 902e6
	set := classify.Default()
	for seed := uint64(1); seed <= 10; seed++ {
		rng := rand.New(rand.NewPCG(seed, 46))
		iq := make([]complex64, int(20e-3*fs))
		synth.Noise(iq, rng, synth.DefaultNoisePower)
		synth.LTE(iq, synth.Params{SampleRateHz: fs, OffsetHz: 1e6, SNRDB: 3, Seed: seed, BandwidthHz: 5e6, StartSample: int(3e-3 * fs)})
		synth.Apply(iq, synth.Artefacts{SampleRateHz: fs, Quantise8Bit: true}, rng)
		for _, l := range detectAndClassify(t, set, iq, fs, fc) {
			if l.Class == classify.ClassGSM {
				t.Errorf("seed %d: %q, want no GSM; features %v", seed, l.Text, l.Features)
			}
		}
	}
}

// TestStrongShortGSMNotRC: a handset a few metres from the sensor (45–50 dB
// SNR) seen in a short dwell (8 ms: two bursts, no TDMA frame period from
// the detector). Its occupied band, measured under the 90th percentile of
// the detector's megahertz-wide span, reads 500–600 kHz, as wide as a LoRa
// hop, but GMSK's 90%-power width stays 165–200 kHz: it must not be named
// an RC hop (the demo's s7 named phone-gsm-1 at 902.4 MHz RC in 18 of 37
// detections, a false drone alert). Before, every case here was named RC.
func TestStrongShortGSMNotRC(t *testing.T) {
	const fs, fc = 10e6, 902e6
	set := classify.Default()
	for _, snrDB := range []float64{45, 50} {
		for _, startS := range []float64{0, 3e-3} {
			for seed := uint64(1); seed <= 3; seed++ {
				t.Run(fmt.Sprintf("%gdB/start%gms/seed%d", snrDB, startS*1e3, seed), func(t *testing.T) {
					iq := make([]complex64, int(8e-3*fs))
					synth.Noise(iq, rand.New(rand.NewPCG(3, seed)), synth.DefaultNoisePower)
					synth.GSM(iq, synth.Params{SampleRateHz: fs, OffsetHz: 400e3, SNRDB: snrDB, Seed: seed + 3,
						StartSample: int(startS * fs)})
					for _, l := range detectAndClassify(t, set, iq, fs, fc) {
						if l.Class == classify.ClassRCFHSS {
							t.Errorf("%q, want no RC hop; features %v", l.Text, l.Features)
						}
					}
				})
			}
		}
	}
}

// TestStrongRCHopInGSMBand is the other direction of TestStrongShortGSMNotRC:
// an ELRS-like hopper (500 kHz LoRa chirps, 1 ms packets) at 910 MHz, where
// the 915 MHz ISM band overlaps E-GSM-900 uplink, 35–50 dB over the noise,
// must still be named RC: its 90%-power width reads 410–450 kHz, or is
// unknown (the detector's span leaves no noise outside it) and its
// occupied band 520–1020 kHz.
func TestStrongRCHopInGSMBand(t *testing.T) {
	set := classify.Default()
	for _, fs := range []float64{2.5e6, 5e6} {
		for _, snrDB := range []float64{35, 45, 50} {
			named, total := 0, 0
			for seed := uint64(1); seed <= 4; seed++ {
				rng := rand.New(rand.NewPCG(seed, 46))
				iq := make([]complex64, int(12e-3*fs))
				synth.Noise(iq, rng, synth.DefaultNoisePower)
				synth.RCFHSS(iq, synth.Params{SampleRateHz: fs, HopSpanHz: fs / 4, SNRDB: snrDB, Seed: seed,
					StartSample: int(3e-3 * fs), BurstPeriodS: 6e-3})
				total++
				for _, l := range detectAndClassify(t, set, iq, fs, 910e6) {
					if l.Class == classify.ClassRCFHSS {
						named++
						break
					}
				}
			}
			// Before and after the 90%-power rule: every capture named RC
			// but one (5 Msps, 35 dB, seed 4: unknown both times).
			if named < total-1 {
				t.Errorf("%g Msps, %g dB: RC named in %d of %d captures, want ≥ %d", fs/1e6, snrDB, named, total, total-1)
			}
		}
	}
}

// TestGSMNoFalseLabelLongSpan: the TDMA frame periodicity measured over a
// longer, decimated span of an emission (frame_span_corr) must not open
// the GSM label to signals whose power happens to vary at about the
// 4.615 ms frame, in E-GSM-900 DL at the rates where it is measured (4 and
// 20 Msps, 30 ms captures): LTE, UMTS and narrowband FSK sent in 1–1.5 ms
// bursts every GSM frame, a LoRa RC hopper (2 MHz span) sending a packet
// every frame, a pulsed "radar" at 217 Hz (10 µs tone pulses), and
// continuous LTE 5 MHz and NR 10 MHz, at 3, 8 and 20 dB, 2 seeds.
//
// Four cases were named GSM before frame_span_corr existed, through the
// analysed segment's own timing, and were skipped here until the GSM rule
// tested GMSK's width and shape (minGSMExcessBWHz, maxGSMShoulder):
// narrowband FSK bursts at 20 dB (4 and 20 Msps), the hopper at 3 dB
// (4 Msps) and LTE 5 MHz at 3 dB (20 Msps). TestGSMLookalikesManySeeds
// runs those four over 30 seeds.
func TestGSMNoFalseLabelLongSpan(t *testing.T) {
	set := classify.Default()
	const frame = synth.GSMFrameS
	tests := []lookalike{
		{name: "LTE 1.4 MHz bursts at the frame", gen: synth.LTE, bw: 1.4e6, lenS: 1e-3, perS: frame},
		{name: "LTE 5 MHz", gen: synth.LTE, bw: 5e6, minFsHz: 7e6},
		{name: "NR 10 MHz", gen: synth.NR, bw: 10e6, minFsHz: 15e6},
		{name: "UMTS bursts at the frame", gen: synth.UMTS, lenS: 1.5e-3, perS: frame, minFsHz: 7e6},
		{name: "FSK bursts at the frame", gen: synth.Narrowband, lenS: 1e-3, perS: frame},
		{name: "RC hops at the frame", gen: synth.RCFHSS, perS: frame, hopHz: 2e6},
		{name: "pulsed tone at 217 Hz", gen: synth.Tone, lenS: 10e-6, perS: frame},
	}
	for _, fs := range []float64{4e6, 20e6} {
		for _, tt := range tests {
			if fs < tt.minFsHz {
				continue
			}
			for _, snr := range []float64{3, 8, 20} {
				t.Run(fmt.Sprintf("%gMsps/%s/%.0fdB", fs/1e6, tt.name, snr), func(t *testing.T) {
					for seed := uint64(1); seed <= 2; seed++ {
						for _, l := range detectAndClassify(t, set, tt.scene(fs, snr, seed), fs, 941e6) {
							if l.Class == classify.ClassGSM {
								t.Errorf("seed %d: %q (conf %.2f), want no GSM; features %v", seed, l.Text, l.Confidence, l.Features)
							}
						}
					}
				})
			}
		}
	}
}

// lookalike is a non-GSM emitter whose power may vary at about the TDMA
// frame, rendered into a GSM band (TestGSMNoFalseLabelLongSpan).
type lookalike struct {
	name           string
	gen            func(dst []complex64, p synth.Params) []synth.Truth
	bw, lenS, perS float64
	hopHz, minFsHz float64
}

// scene renders 30 ms of noise with the look-alike from 3 ms, 300 kHz above
// DC, at fs and snrDB.
func (tt lookalike) scene(fs, snrDB float64, seed uint64) []complex64 {
	iq := make([]complex64, int(30e-3*fs))
	synth.Noise(iq, rand.New(rand.NewPCG(seed, 5)), synth.DefaultNoisePower)
	tt.gen(iq, synth.Params{SampleRateHz: fs, OffsetHz: 300e3, SNRDB: snrDB, Seed: seed, BandwidthHz: tt.bw,
		BurstLenS: tt.lenS, BurstPeriodS: tt.perS, HopSpanHz: tt.hopHz, StartSample: int(3e-3 * fs)})
	return iq
}

// TestGSMLookalikesManySeeds runs the four look-alikes of
// TestGSMNoFalseLabelLongSpan that were named GSM before GMSK's width and
// shape were tested, over 30 seeds: the share of captures with an emission
// named GSM must stay at or under a tenth. Before (main at 3387154): 25,
// 17, 7 and 6 of 30; now none. The rules are physical (GMSK's 90%-power
// width, gated and ungated, and its shoulders 125–225 kHz off the
// carrier), not fitted to these seeds.
func TestGSMLookalikesManySeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("30 seeds of four scenes")
	}
	const frame = synth.GSMFrameS
	set := classify.Default()
	for _, tc := range []struct {
		fs, snrDB float64
		lookalike
	}{
		{4e6, 20, lookalike{name: "FSK bursts at the frame", gen: synth.Narrowband, lenS: 1e-3, perS: frame}},
		{20e6, 20, lookalike{name: "FSK bursts at the frame", gen: synth.Narrowband, lenS: 1e-3, perS: frame}},
		{4e6, 3, lookalike{name: "RC hops at the frame", gen: synth.RCFHSS, perS: frame, hopHz: 2e6}},
		{20e6, 3, lookalike{name: "LTE 5 MHz", gen: synth.LTE, bw: 5e6}},
	} {
		t.Run(fmt.Sprintf("%gMsps/%s/%.0fdB", tc.fs/1e6, tc.name, tc.snrDB), func(t *testing.T) {
			const seeds = 30
			named := 0
			for seed := uint64(1); seed <= seeds; seed++ {
				for _, l := range detectAndClassify(t, set, tc.scene(tc.fs, tc.snrDB, seed), tc.fs, 941e6) {
					if l.Class == classify.ClassGSM {
						named++
						t.Logf("seed %d: %q; features %v", seed, l.Text, l.Features)
						break
					}
				}
			}
			t.Logf("named GSM in %d of %d captures", named, seeds)
			if named*10 > seeds {
				t.Errorf("named GSM in %d of %d captures, want at most %d", named, seeds, seeds/10)
			}
		})
	}
}
