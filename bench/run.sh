#!/bin/sh
# run.sh compares package dsp's complex64 FFT with FFTW (single precision,
# in-place, FFTW_MEASURE) for sizes 64..65536 on one core and prints
# ns/op for both and the ratio Go/FFTW. Needs gcc and libfftw3-dev
# (pkg-config fftw3f); without them it prints the Go numbers only.
#
# Both sides report the best of 5 runs, as the machine may be shared.
#
# Usage: bench/run.sh [benchtime]   (default 0.3s; run from anywhere)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
benchtime=${1:-0.3s}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GOFLAGS=-mod=mod

echo "# machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $(go version)"

have_fftw=0
if command -v gcc >/dev/null 2>&1 && pkg-config --exists fftw3f 2>/dev/null; then
	gcc -O3 -march=native -o "$tmp/fftw_bench" "$root/bench/fftw_bench.c" \
		$(pkg-config --cflags --libs fftw3f) -lm
	taskset -c 0 "$tmp/fftw_bench" 0.5 >"$tmp/fftw.txt" 2>/dev/null ||
		"$tmp/fftw_bench" 0.5 >"$tmp/fftw.txt"
	have_fftw=1
else
	echo "# fftw3f not found (pkg-config fftw3f): Go numbers only"
fi

(cd "$root" && GOMAXPROCS=1 go test ./dsp/ -run '^$' -bench '^BenchmarkFFT(OutOfPlace)?$' -benchtime "$benchtime" -cpu 1 -count 5) |
	awk '/^BenchmarkFFT\// { split($1, a, "/"); print "in", a[2], $3 }
	     /^BenchmarkFFTOutOfPlace\// { split($1, a, "/"); print "out", a[2], $3 }' >"$tmp/go.txt"

# Columns: Go in place, Go out of place (dst != src), FFTW in place, ratios.
[ "$have_fftw" = 1 ] || : >"$tmp/fftw.txt"
printf '%8s %12s %12s %12s %10s %10s\n' n go_in_ns go_out_ns fftw_ns in/fftw out/fftw
awk 'FILENAME == ARGV[1] { f[$2] = $3; next }
     $1 == "in" { if (!($2 in gin)) order[++k] = $2; if (!($2 in gin) || $3 < gin[$2]) gin[$2] = $3 }
     $1 == "out" { if (!($2 in gout) || $3 < gout[$2]) gout[$2] = $3 }
     END {
	for (i = 1; i <= k; i++) {
		n = order[i]
		if (n in f) printf "%8d %12.1f %12.1f %12.1f %10.2f %10.2f\n", n, gin[n], gout[n], f[n], gin[n] / f[n], gout[n] / f[n]
		else printf "%8d %12.1f %12.1f %12s %10s %10s\n", n, gin[n], gout[n], "-", "-", "-"
	}
     }' "$tmp/fftw.txt" "$tmp/go.txt"
