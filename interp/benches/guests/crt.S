# Start-up for the benchmark guests on QEMU's virt board (and ours): stack, gp, FPU on, .bss
# cleared, main(), then the SiFive test finisher (0x5555 pass). A trap exits with code 1.
	.section .text.init
	.globl _start
_start:
	la sp, __stack_top
	.option push
	.option norelax
	la gp, __global_pointer$
	.option pop
	la t0, trap
	csrw mtvec, t0
	li t0, 0x2000		# mstatus.FS = Initial
	csrs mstatus, t0
	la t0, __bss_start
	la t1, __bss_end
1:	bgeu t0, t1, 2f
	sd zero, 0(t0)
	addi t0, t0, 8
	j 1b
2:	call main
	li t0, 0x100000
	li t1, 0x5555
	sw t1, 0(t0)
3:	j 3b
	.balign 4
trap:
	li t0, 0x100000
	li t1, 0x13333
	sw t1, 0(t0)
4:	j 4b
