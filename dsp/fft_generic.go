//go:build !amd64 || purego

package dsp

// haveSIMD reports whether a SIMD radix-4 kernel exists: not on this
// architecture.
func haveSIMD() bool { return false }

// radix4PassSIMD is never called when haveSIMD is false.
func radix4PassSIMD(x []complex64, w1, w2, w3 []complex64, m int, sign *[8]uint32) {
	radix4Pass(x, w1, w2, w3, m, sign[0] != 0)
}

// radix2LastSIMD is never called when haveSIMD is false.
func radix2LastSIMD(x, w []complex64) { radix2Last(x, w) }

// radix4FirstSIMD is never called when haveSIMD is false.
func radix4FirstSIMD(x []complex64, masks *[24]uint32) {
	radix4First(x, x, nil, masks[0] != 0)
}

// radix4FirstGatherSIMD is never called when haveSIMD is false.
func radix4FirstGatherSIMD(x, src []complex64, rev []int32, masks *[24]uint32) {
	radix4First(x, src, rev, masks[0] != 0)
}

// windowSIMD is never called when haveSIMD is false.
func windowSIMD(dst, src []complex64, w []float32) { panic("dsp: no SIMD") }

// powerAccSIMD is never called when haveSIMD is false.
func powerAccSIMD(acc []float64, x []complex64) { panic("dsp: no SIMD") }

// fromCI8SIMD is never called when haveSIMD is false.
func fromCI8SIMD(dst []complex64, src []byte, scale float32) { panic("dsp: no SIMD") }
