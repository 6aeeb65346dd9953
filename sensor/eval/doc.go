// Package eval measures how well rfwarden's detection pipeline finds and
// names emitters: per-class precision and recall, a confusion matrix of truth
// against predicted class, false alarms per hour of noise, and the
// probability of detection against SNR at the detector's fixed per-cell
// false-alarm probability.
//
// Ground truth comes from two places. A corpus is any folder of SigMF
// recordings whose annotations carry a core:label (ParseLabel maps the
// label's words, e.g. "lte-dl", "NR uplink", "Wi-Fi", "noise", to a class
// and link); annotations rfwarden's own detectors wrote (IsOwnDetection)
// are what it found, not truth, unless asked (CorpusConfig.IncludeOwn).
// FindCorpus follows symbolic links. Generated cases come from dsp/synth: seeded signals of every
// class at a sweep of SNRs, plus pure-noise cases with HackRF artefacts.
// Both are run through the same sensor/pipeline code `rfwarden scan` uses
// (ScanRecording, ScanSamples) and scored by the same matcher (Match).
//
// Matching is by overlap in time and frequency. A truth record is detected
// when any detection overlaps it; its predicted class is that of the
// detection overlapping it most (time × frequency area). A detection lying
// mostly inside a noise window is a false alarm. See docs/evaluation.md for
// what each number means.
//
// The package reads files (the corpus) and so is not part of dsp; it starts
// no goroutines.
package eval
