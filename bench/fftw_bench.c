/*
 * fftw_bench times FFTW's single-precision in-place complex forward FFT
 * (fftwf_plan_dft_1d, FFTW_MEASURE, fftwf_execute) for sizes 64..65536 and
 * prints one line per size: "fftw <n> <ns/op>", the best of 5 timed runs of
 * at least min_secs/5 each (robust to other load). It is the reference for the
 * Go FFT in package dsp (see bench/run.sh and docs/performance.md).
 *
 * Build: gcc -O3 -march=native -o fftw_bench fftw_bench.c $(pkg-config --cflags --libs fftw3f) -lm
 */
#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
	double min_secs = argc > 1 ? atof(argv[1]) : 0.5;
	for (int lg = 6; lg <= 16; lg++) {
		int n = 1 << lg;
		fftwf_complex *x = fftwf_malloc(sizeof(fftwf_complex) * (size_t)n);
		if (x == NULL) {
			fprintf(stderr, "fftw_bench: out of memory for n=%d\n", n);
			return 1;
		}
		fftwf_plan p = fftwf_plan_dft_1d(n, x, x, FFTW_FORWARD, FFTW_MEASURE);
		/* Seeded input (planning with FFTW_MEASURE overwrites x). */
		unsigned s = 12345;
		for (int i = 0; i < n; i++) {
			s = s * 1103515245u + 12345u;
			x[i][0] = (float)(s >> 16) / 65536.0f - 0.5f;
			s = s * 1103515245u + 12345u;
			x[i][1] = (float)(s >> 16) / 65536.0f - 0.5f;
		}
		long iters = 1;
		double el, best = 0;
		for (;;) {
			double t0 = now_ns();
			for (long i = 0; i < iters; i++)
				fftwf_execute(p);
			el = now_ns() - t0;
			if (el >= min_secs * 1e9 / 5)
				break;
			iters *= 2;
		}
		best = el / (double)iters;
		for (int rep = 1; rep < 5; rep++) {
			double t0 = now_ns();
			for (long i = 0; i < iters; i++)
				fftwf_execute(p);
			el = (now_ns() - t0) / (double)iters;
			if (el < best)
				best = el;
		}
		printf("fftw %d %.1f\n", n, best);
		fftwf_destroy_plan(p);
		fftwf_free(x);
	}
	return 0;
}
