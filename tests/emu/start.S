/*
 * Reset and exception vectors of the emulated lx106. The sim machine starts at the core's reset
 * vector with nothing set up; it jumps to _start, which sets the stack, points VECBASE at the vectors below and calls
 * emuStart (runtime.c). Every exception (an unaligned load or store, an illegal instruction, a
 * bad address) ends the run in emuFault, which reports the cause and the faulting pc: the lx106
 * has no unaligned access, and that is what running on it is meant to catch.
 */
	.section .reset, "ax"
	.begin no-transform
	j 1f
	.align 4
2:	.word _start
1:	l32r a0, 2b
	jx a0
	.end no-transform

	.section .vectors, "ax"
	.begin no-transform			/* no relaxation: each vector at its exact offset */
	.align 256
	.global emuVectors
emuVectors:
	.org 0x30					/* KernelExceptionVector (PS.UM = 0) */
	j emuKernelFault
	.org 0x50					/* UserExceptionVector (PS.UM = 1) */
	j emuUserFault
	.org 0x70					/* DoubleExceptionVector (PS.EXCM = 1) */
	j emuDoubleFault
	.org 0x80
	.end no-transform

	.section .text.emuFault, "ax"
	.literal_position
	.align 4
emuUserFault:
	movi a2, 0
	j emuAnyFault
emuKernelFault:
	movi a2, 1
	j emuAnyFault
emuDoubleFault:
	movi a2, 2
emuAnyFault:
	/* a1 is the faulting code's stack: there is no return, so it is used as it is */
	movi a3, -16
	and a1, a1, a3
	addi a1, a1, -64
	call0 emuFault
1:	j 1b

	.section .text._start, "ax"
	.literal_position
	.align 4
	.global _start
_start:
	movi a1, __stack
	movi a2, emuVectors
	wsr a2, vecbase
	/* PS: user vector mode (UM), every interrupt level masked, EXCM clear, CALL0 ABI */
	movi a2, 0x2F
	wsr a2, ps
	rsync
	call0 emuStart
2:	j 2b
