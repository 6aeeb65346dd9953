package dsp

// Burst is one contiguous on-period inside an Emission, in absolute sample
// indexes of the stream.
type Burst struct {
	StartSample int64 // first sample of the burst
	SampleCount int64 // length in samples, a whole number of detector frames
}

// Emission is one connected region of the time-frequency plane whose power
// stood significantly above the noise floor: what the Detector reports.
//
// Frequencies are baseband offsets from DC in Hz (add the tuning's centre
// frequency for RF). Powers are in dBFS, where 0 dBFS is the power of a
// complex sinusoid of amplitude 1 (|x| = 1); they are band powers, summed over
// the emission's bins, unless the name says otherwise.
type Emission struct {
	StartSample int64 // absolute index of the first sample of the first on frame
	SampleCount int64 // samples from StartSample to the end of the last on frame

	// The detected band: from the lower edge of the lowest detected bin
	// to the upper edge of the highest (bin k of N covers
	// (k − N/2 ± ½)·fs/N), inside [−fs/2 + fs/2N, fs/2 − fs/2N]: the bin
	// at −fs/2, which is +fs/2 too, is never detected. Until 2026-12-05
	// an emission in that bin was reported from −fs/2 − fs/2N, a
	// frequency never recorded, and until 2026-12-07 from −fs/2
	// (TestDetectorEdgesInsideBand, TestDetectorNyquistBinNotDetected). A
	// strong emission's detected band holds its window leakage too (a GSM
	// handset at 45 dB SNR: 4.2 MHz of bins for 305 kHz of occupied band).
	FreqLowHz  float64 // lower edge of the detected band, Hz from DC
	FreqHighHz float64 // upper edge of the detected band, Hz from DC

	CenterOffsetHz float64 // power-weighted centre of the excess power, Hz from DC
	BandwidthHz    float64 // occupied bandwidth holding 99% of the excess power, Hz
	// The occupied band's edges: 0.5% of the excess power lies below
	// OccupiedLowHz and 0.5% above OccupiedHighHz (interpolated within
	// the edge bins), within the detected band; BandwidthHz is
	// OccupiedHighHz − OccupiedLowHz.
	OccupiedLowHz  float64 // Hz from DC
	OccupiedHighHz float64 // Hz from DC

	// Band power is a frame's power summed over the emission's bins so far
	// (from its lowest to its highest detected bin), whichever of them were
	// on in that frame.
	PeakDBFS  float64 // highest single-frame band power, dBFS
	MeanDBFS  float64 // mean band power over the on frames, dBFS
	NoiseDBFS float64 // noise floor summed over the same bins, dBFS
	SNRDB     float64 // 10·log10((mean − noise) / noise), dB

	DutyCycle     float64 // on frames / frames between the first and last on frame
	Bursts        []Burst // on-periods separated by at least BurstGapFrames off frames
	PeriodSamples int64   // burst repetition period when regular (≥ 3 bursts), else 0
	Frames        int     // number of on frames
}

// EndSample returns the index one past the emission's last sample.
func (e Emission) EndSample() int64 { return e.StartSample + e.SampleCount }

// MinSignalSNRDB is the lowest SNR SignalDBFS takes at face value: below
// it (the mean band power within 0.4 dB of the noise floor) the
// difference of the two is mostly the error of the floor's estimate.
const MinSignalSNRDB = -10

// SignalDBFS returns the emission's signal power in its bins with the
// noise removed, dBFS: 10·log10(mean − noise) = NoiseDBFS + SNRDB, with
// the SNR taken no lower than MinSignalSNRDB. MeanDBFS holds the noise
// too: 1 dB above the signal at 6 dB SNR, 0.04 dB at 20 dB.
func (e Emission) SignalDBFS() float64 { return e.NoiseDBFS + max(e.SNRDB, MinSignalSNRDB) }
