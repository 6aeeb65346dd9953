//go:build amd64 && !purego

#include "textflag.h"

// func radix4PassSIMD(x []complex64, w1, w2, w3 []complex64, m int, sign *[8]uint32)
TEXT ·radix4PassSIMD(SB), NOSPLIT, $0-112
	MOVQ x_base+0(FP), DI
	MOVQ x_len+8(FP), CX        // n
	MOVQ w1_base+24(FP), R8
	MOVQ w2_base+48(FP), R9
	MOVQ w3_base+72(FP), R10
	MOVQ m+96(FP), DX
	MOVQ sign+104(FP), AX
	VMOVUPS (AX), Y15           // sign mask
	MOVQ DX, R11
	SHLQ $3, R11                // m*8 bytes: stride between quarters
	MOVQ DX, BX
	SHLQ $5, BX                 // 4m*8 bytes: block size
	SHLQ $3, CX                 // n*8 bytes
	LEAQ (DI)(CX*1), CX         // end of x
	MOVQ R11, R12
	SHLQ $1, R12                // 2m*8
	LEAQ (R11)(R12*1), R13      // 3m*8

block:
	CMPQ DI, CX
	JAE  done
	XORQ SI, SI                 // byte offset j*8
inner:
	CMPQ SI, R11
	JAE  nextblock
	LEAQ (DI)(SI*1), AX
	VMOVUPS (AX), Y0            // x0
	VMOVUPS (AX)(R11*1), Y1     // q1
	VMOVUPS (AX)(R12*1), Y2     // q2
	VMOVUPS (AX)(R13*1), Y3     // q3

	// x1 = q1*w2
	VMOVUPS (R9)(SI*1), Y4
	VMOVSLDUP Y4, Y5
	VMOVSHDUP Y4, Y6
	VPERMILPS $0xB1, Y1, Y7
	VMULPS Y6, Y7, Y7
	VFMADDSUB231PS Y5, Y1, Y7   // Y7 = Y1*Y5 -/+ Y7
	// x2 = q2*w1
	VMOVUPS (R8)(SI*1), Y4
	VMOVSLDUP Y4, Y5
	VMOVSHDUP Y4, Y6
	VPERMILPS $0xB1, Y2, Y8
	VMULPS Y6, Y8, Y8
	VFMADDSUB231PS Y5, Y2, Y8
	// x3 = q3*w3
	VMOVUPS (R10)(SI*1), Y4
	VMOVSLDUP Y4, Y5
	VMOVSHDUP Y4, Y6
	VPERMILPS $0xB1, Y3, Y9
	VMULPS Y6, Y9, Y9
	VFMADDSUB231PS Y5, Y3, Y9

	VADDPS Y7, Y0, Y10          // a = x0+x1
	VSUBPS Y7, Y0, Y11          // b = x0-x1
	VADDPS Y9, Y8, Y12          // c = x2+x3
	VSUBPS Y9, Y8, Y13          // d = x2-x3
	VPERMILPS $0xB1, Y13, Y13   // swap re/im
	VXORPS Y15, Y13, Y13        // jd

	VADDPS Y12, Y10, Y0
	VSUBPS Y12, Y10, Y2
	VADDPS Y13, Y11, Y1
	VSUBPS Y13, Y11, Y3
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, (AX)(R11*1)
	VMOVUPS Y2, (AX)(R12*1)
	VMOVUPS Y3, (AX)(R13*1)

	ADDQ $32, SI
	JMP  inner
nextblock:
	ADDQ BX, DI
	JMP  block
done:
	VZEROUPPER
	RET

// func radix2LastSIMD(x, w []complex64)
TEXT ·radix2LastSIMD(SB), NOSPLIT, $0-48
	MOVQ x_base+0(FP), DI
	MOVQ x_len+8(FP), CX
	MOVQ w_base+24(FP), R8
	SHRQ $1, CX
	SHLQ $3, CX                 // h*8 bytes
	XORQ SI, SI
loop2:
	CMPQ SI, CX
	JAE  done2
	LEAQ (DI)(SI*1), AX
	VMOVUPS (AX), Y0            // e
	VMOVUPS (AX)(CX*1), Y1      // x[j+h]
	VMOVUPS (R8)(SI*1), Y4      // w
	VMOVSLDUP Y4, Y5
	VMOVSHDUP Y4, Y6
	VPERMILPS $0xB1, Y1, Y7
	VMULPS Y6, Y7, Y7
	VFMADDSUB231PS Y5, Y1, Y7   // o = x[j+h]*w
	VADDPS Y7, Y0, Y2
	VSUBPS Y7, Y0, Y3
	VMOVUPS Y2, (AX)
	VMOVUPS Y3, (AX)(CX*1)
	ADDQ $32, SI
	JMP  loop2
done2:
	VZEROUPPER
	RET

// RADIX4FIRST does the twiddle-free radix-4 butterfly on Y0 = [x0 x1 x2 x3]
// (complex64 in qword lanes) and stores [a+c b+jd a-c b-jd] at (DI).
// Y13 = ±i sign mask, Y14 = negate lanes 1,3, Y15 = negate lanes 2,3.
#define RADIX4FIRST \
	VPERMPD $0xA0, Y0, Y1 \
	VPERMPD $0xF5, Y0, Y2 \
	VXORPS Y14, Y2, Y2 \
	VADDPS Y2, Y1, Y3 \
	VPERMILPS $0xB1, Y3, Y4 \
	VXORPS Y13, Y4, Y4 \
	VBLENDPS $0xC0, Y4, Y3, Y3 \
	VPERMPD $0x44, Y3, Y5 \
	VPERMPD $0xEE, Y3, Y6 \
	VXORPS Y15, Y6, Y6 \
	VADDPS Y6, Y5, Y0 \
	VMOVUPS Y0, (DI)

// func radix4FirstSIMD(x []complex64, masks *[24]uint32)
TEXT ·radix4FirstSIMD(SB), NOSPLIT, $0-32
	MOVQ x_base+0(FP), DI
	MOVQ x_len+8(FP), CX
	MOVQ masks+24(FP), AX
	VMOVUPS (AX), Y13
	VMOVUPS 32(AX), Y14
	VMOVUPS 64(AX), Y15
	SHLQ $3, CX
	ADDQ DI, CX
loopf:
	CMPQ DI, CX
	JAE  donef
	VMOVUPS (DI), Y0
	RADIX4FIRST
	ADDQ $32, DI
	JMP  loopf
donef:
	VZEROUPPER
	RET

// func radix4FirstGatherSIMD(x, src []complex64, rev []int32, masks *[24]uint32)
TEXT ·radix4FirstGatherSIMD(SB), NOSPLIT, $0-80
	MOVQ x_base+0(FP), DI
	MOVQ x_len+8(FP), CX
	MOVQ src_base+24(FP), R8
	MOVQ rev_base+48(FP), R9
	MOVQ masks+72(FP), AX
	VMOVUPS (AX), Y13
	VMOVUPS 32(AX), Y14
	VMOVUPS 64(AX), Y15
	SHLQ $3, CX
	ADDQ DI, CX
loopg:
	CMPQ DI, CX
	JAE  doneg
	MOVL 0(R9), R10
	MOVL 4(R9), R11
	MOVL 8(R9), R12
	MOVL 12(R9), R13
	VMOVSD (R8)(R10*8), X0
	VMOVHPD (R8)(R11*8), X0, X0
	VMOVSD (R8)(R12*8), X1
	VMOVHPD (R8)(R13*8), X1, X1
	VINSERTF128 $1, X1, Y0, Y0
	RADIX4FIRST
	ADDQ $32, DI
	ADDQ $16, R9
	JMP  loopg
doneg:
	VZEROUPPER
	RET

// func windowSIMD(dst, src []complex64, w []float32)
TEXT ·windowSIMD(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	MOVQ w_base+48(FP), R8
	SHRQ $2, CX
loopw:
	TESTQ CX, CX
	JZ    donew
	VMOVUPS (R8), X1
	VUNPCKLPS X1, X1, X2
	VUNPCKHPS X1, X1, X3
	VINSERTF128 $1, X3, Y2, Y2
	VMULPS (SI), Y2, Y0
	VMOVUPS Y0, (DI)
	ADDQ $16, R8
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JMP  loopw
donew:
	VZEROUPPER
	RET

// func powerAccSIMD(acc []float64, x []complex64)
TEXT ·powerAccSIMD(SB), NOSPLIT, $0-48
	MOVQ acc_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	SHRQ $2, CX
loopp:
	TESTQ CX, CX
	JZ    donep
	VMOVUPS (SI), Y0
	VMULPS Y0, Y0, Y0
	VPERMILPS $0xB1, Y0, Y1
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VSHUFPS $0x88, X1, X0, X2
	VCVTPS2PD X2, Y3
	VADDPD (DI), Y3, Y3
	VMOVUPD Y3, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JMP  loopp
donep:
	VZEROUPPER
	RET

// func fromCI8SIMD(dst []complex64, src []byte, scale float32)
TEXT ·fromCI8SIMD(SB), NOSPLIT, $0-52
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Y15
	SHRQ $2, CX
loopc:
	TESTQ CX, CX
	JZ    donec
	VPMOVSXBD (SI), Y0
	VCVTDQ2PS Y0, Y0
	VMULPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $8, SI
	ADDQ $32, DI
	DECQ CX
	JMP  loopc
donec:
	VZEROUPPER
	RET
