//go:build amd64 && !purego

package dsp

import "golang.org/x/sys/cpu"

// haveSIMD reports whether the AVX2+FMA radix-4 kernel can run.
func haveSIMD() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// radix4PassSIMD is radix4Pass in AVX2+FMA assembly, four complex64 at a
// time; m must be a multiple of 4. sign is forwardSign or inverseSign.
//
//go:noescape
func radix4PassSIMD(x []complex64, w1, w2, w3 []complex64, m int, sign *[8]uint32)

// radix2LastSIMD is radix2Last in AVX2+FMA assembly; len(x)/2 must be a
// multiple of 4 and len(w) ≥ len(x)/2.
//
//go:noescape
func radix2LastSIMD(x, w []complex64)

// radix4FirstSIMD is radix4First in place (x already bit-reversed) in AVX2
// assembly; masks is firstForward or firstInverse.
//
//go:noescape
func radix4FirstSIMD(x []complex64, masks *[24]uint32)

// radix4FirstGatherSIMD is radix4First reading src[rev[i]] with AVX2
// loads; len(rev) ≥ len(x), every rev[i] < len(src).
//
//go:noescape
func radix4FirstGatherSIMD(x, src []complex64, rev []int32, masks *[24]uint32)

// windowSIMD writes src[i]·w[i] to dst for i < len(dst)&^3 in AVX
// assembly; src and w must be at least as long as dst.
//
//go:noescape
func windowSIMD(dst, src []complex64, w []float32)

// powerAccSIMD adds |x[i]|² to acc[i] for i < len(x)&^3 in AVX assembly;
// len(acc) ≥ len(x).
//
//go:noescape
func powerAccSIMD(acc []float64, x []complex64)

// fromCI8SIMD converts the first len(dst)&^3 samples of interleaved int8
// I/Q in src to complex64 times scale, in AVX2 assembly; len(src) ≥
// 2·len(dst).
//
//go:noescape
func fromCI8SIMD(dst []complex64, src []byte, scale float32)
