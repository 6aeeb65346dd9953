// Package sigmf reads SigMF 1.x recordings and writes SigMF 1.0.0 ones (a
// .sigmf-meta JSON file beside a .sigmf-data file, or both inside a .sigmf
// tar archive), and reads headerless raw IQ files. An annotation without
// core:sample_count (optional in SigMF) runs to the end of its capture;
// Open fills the count in, so metadata written from a recording is complete.
//
// Reading streams: a Recording decodes samples into the caller's buffer with
// a reusable byte buffer, so memory stays constant whatever the file size and
// Read allocates nothing in steady state. It reads the complex datatypes
// ci8, cu8, ci16, cu16, ci32, cu32, cf32 and cf64 (the wider ones _le or
// _be). Integer formats are scaled so full scale is |x| = 1 (ci8: v/128,
// cu8: (v-127.5)/128, ci16: v/32768, cu16: (v-32767.5)/32768, ci32:
// v/2^31, cu32: (v-(2^32-1)/2)/2^31); float formats are passed through
// unchanged, so unnormalised float recordings keep their values.
//
// Validation is strict: a truncated file, an unknown datatype, a missing or
// non-positive sample rate, NaN or Inf samples, metadata that does not fit the
// data and malformed JSON are all errors that wrap one of the sentinel errors
// below and name the file, field or sample at fault.
//
// Specification: https://github.com/sigmf/SigMF (sigmf-spec.md, 1.0.0).
package sigmf
