package sigmf

import "errors"

// Sentinel errors wrapped by every validation failure; test with errors.Is.
var (
	// ErrTruncated means the data ends inside a sample: its byte count is not
	// a multiple of the sample size.
	ErrTruncated = errors.New("truncated data")
	// ErrDatatype means core:datatype is missing, malformed or not supported.
	ErrDatatype = errors.New("unsupported datatype")
	// ErrChannels means core:num_channels is more than 1: rfwarden reads
	// recordings of one channel.
	ErrChannels = errors.New("more than one channel")
	// ErrWAV means a raw file is a WAV file (RIFF/WAVE) that is not read
	// as IQ samples: not 2 channels of 8-bit or 16-bit PCM or 32-bit
	// float, or its chunks are malformed.
	ErrWAV = errors.New("WAV file not readable as IQ")
	// ErrNoSampleRate means core:sample_rate is missing, non-positive or not finite.
	ErrNoSampleRate = errors.New("missing or non-positive sample rate")
	// ErrSampleRateRange means core:sample_rate is a positive number
	// outside what rfwarden analyses, MinSampleRateHz to MaxSampleRateHz.
	ErrSampleRateRange = errors.New("sample rate out of range")
	// ErrNonFinite means a float sample is NaN or Inf.
	ErrNonFinite = errors.New("non-finite sample")
	// ErrMismatch means the metadata does not fit the data: a capture or
	// annotation beyond the end, unsorted segments or a hash that differs.
	ErrMismatch = errors.New("metadata does not match data")
	// ErrNoVersion means core:version is missing or not a supported version.
	ErrNoVersion = errors.New("missing or unsupported core:version")
	// ErrBadMeta means the metadata is not valid JSON or a field has the
	// wrong type or value.
	ErrBadMeta = errors.New("invalid metadata")
	// ErrOverride means a value given for a recording (Overrides) cannot
	// stand for the metadata's: one centre for captures at several
	// tunings, or, with Overrides.MustAgree, a value the metadata has
	// otherwise. The data is not at fault.
	ErrOverride = errors.New("given value does not agree with the metadata")
	// ErrTooLarge means the metadata is larger than rfwarden reads:
	// more than MaxMetaBytes, or more than MaxCaptures captures.
	ErrTooLarge = errors.New("metadata too large")
	// ErrNotRegular means a path names a FIFO, device, socket or
	// directory, not a regular file: reading a FIFO would wait for a
	// writer for ever.
	ErrNotRegular = errors.New("not a regular file")
	// ErrLooksLikeMeta means a file given as raw samples is evidently
	// SigMF metadata, JSON text (LooksLikeMeta): its name ends in .json,
	// or it is a JSON object with a "global" member.
	ErrLooksLikeMeta = errors.New("looks like SigMF metadata, not samples")
)
