/* Hand-written instructions for the objdump comparison: the privileged instructions, CSR
 * accesses, fences, every AMO with every aq/rl combination, every F/D instruction that takes a
 * rounding mode with every rounding mode, every compressed form, and the Zb* instructions.
 * Built by tests/objdump_elf.rs with -march=rv64gc_zba_zbb_zbc_zbs_zicsr_zifencei. */

    .text
    /* Full-size encodings everywhere but in `compressed`, where the parcels are spelled out. */
    .option norvc
    .globl privileged
privileged:
    ecall
    ebreak
    mret
    sret
    wfi
    sfence.vma
    sfence.vma a0
    sfence.vma zero, a1
    sfence.vma a0, a1
    fence
    fence rw, rw
    fence r, r
    fence w, w
    fence iorw, iorw
    fence i, o
    fence o, i
    fence rw, w
    fence.tso
    fence.i
    .insn i 0x0f, 0, x0, x0, 0x010  /* pause: fence w,0 */

    .globl csrs
csrs:
    .irp csr, fflags, frm, fcsr, cycle, time, instret, hpmcounter3, hpmcounter31, sstatus, sie, stvec, scounteren, senvcfg, sscratch, sepc, scause, stval, sip, satp, mvendorid, marchid, mimpid, mhartid, mconfigptr, mstatus, misa, medeleg, mideleg, mie, mtvec, mcounteren, menvcfg, mstatush, mscratch, mepc, mcause, mtval, mip, mtinst, mtval2, pmpcfg0, pmpcfg2, pmpcfg14, pmpaddr0, pmpaddr15, pmpaddr63, mcycle, minstret, mhpmcounter3, mhpmevent3, mcountinhibit, tselect, tdata1, dcsr, dpc, 0x7c0, 0x800, 0xfff
    csrrw a0, \csr, a1
    csrrs zero, \csr, t0
    csrrc a2, \csr, zero
    .endr
    csrrwi a0, mstatus, 0
    csrrwi zero, mie, 31
    csrrsi a1, sstatus, 2
    csrrci a2, sie, 17
    csrrsi zero, fflags, 5
    csrrci zero, frm, 0

    .globl amo_all
amo_all:
    .macro amos ord
    lr.w\ord a0, (a1)
    lr.d\ord a0, (a1)
    sc.w\ord a2, a3, (a4)
    sc.d\ord a2, a3, (a4)
    .irp op, amoswap, amoadd, amoxor, amoand, amoor, amomin, amomax, amominu, amomaxu
    amo_wd \op, \ord
    .endr
    .endm
    .macro amo_wd op, ord
    \op\().w\ord t0, t1, (t2)
    \op\().d\ord s0, s1, (sp)
    .endm
    amos
    amos .aq
    amos .rl
    amos .aqrl

    /* int to double is exact for 32-bit ints, so fcvt.d.w and fcvt.d.wu take no rounding
     * mode (binutils 2.40 rejects one). */
    .macro fcvt_from_int p, rm
    .ifc \p, s
    fcvt.s.w fa4, a4, \rm
    fcvt.s.wu fa5, a5, \rm
    .endif
    fcvt.\p\().l fa6, a6, \rm
    fcvt.\p\().lu fa7, a7, \rm
    .endm

    .globl rounding
rounding:
    .irp rm, rne, rtz, rdn, rup, rmm, dyn
    .irp p, s, d
    fadd.\p fa0, fa1, fa2, \rm
    fsub.\p fa3, fa4, fa5, \rm
    fmul.\p ft0, ft1, ft2, \rm
    fdiv.\p fs0, fs1, fs2, \rm
    fsqrt.\p ft11, fs11, \rm
    fmadd.\p fa0, fa1, fa2, fa3, \rm
    fmsub.\p fa4, fa5, fa6, fa7, \rm
    fnmsub.\p ft8, ft9, ft10, ft11, \rm
    fnmadd.\p fs8, fs9, fs10, fs11, \rm
    fcvt.w.\p a0, fa0, \rm
    fcvt.wu.\p a1, fa1, \rm
    fcvt.l.\p a2, fa2, \rm
    fcvt.lu.\p a3, fa3, \rm
    fcvt_from_int \p, \rm
    .endr
    fcvt.s.d fa0, fa1, \rm
    .endr
    fcvt.d.s fa0, fa1
    fcvt.d.w fa2, a0
    fcvt.d.wu fa3, a1

    .globl fp_misc
fp_misc:
    .irp p, s, d
    fsgnj.\p fa0, fa1, fa2
    fsgnjn.\p fa0, fa1, fa2
    fsgnjx.\p fa0, fa1, fa2
    fmin.\p ft0, ft1, ft2
    fmax.\p ft0, ft1, ft2
    feq.\p a0, fa0, fa1
    flt.\p a1, fa2, fa3
    fle.\p a2, fa4, fa5
    fclass.\p a3, fa6
    .endr
    fmv.x.w a0, fa0
    fmv.w.x fa1, a1
    fmv.x.d a2, fa2
    fmv.d.x fa3, a3
    flw fa0, -4(a0)
    fsw fa1, 2044(a1)
    fld fa2, -2048(s0)
    fsd fa3, 8(sp)

    .option rvc
    .globl compressed
compressed:
    c.addi4spn a0, sp, 4
    c.addi4spn s1, sp, 1020
    c.fld fa0, 0(a0)
    c.fld fs1, 248(a5)
    c.lw a0, 4(a1)
    c.lw a5, 124(s0)
    c.ld a0, 8(a1)
    c.ld s1, 248(a5)
    c.fsd fa0, 16(a1)
    c.sw a0, 64(a1)
    c.sd a0, 128(a1)
    c.nop
    c.addi a0, -32
    c.addi t6, 31
    c.addiw a0, 1
    c.addiw a1, -1
    c.li a0, -32
    c.li zero, 5
    c.addi16sp sp, -512
    c.addi16sp sp, 496
    c.lui a0, 1
    c.lui t0, 0xfffff
    c.srli a0, 1
    c.srli a5, 63
    c.srai a0, 32
    c.andi a0, -1
    c.andi s1, 31
    c.sub a0, a1
    c.xor a2, a3
    c.or a4, a5
    c.and s0, s1
    c.subw a0, a1
    c.addw a2, a3
1:  c.j 1b
    c.j 2f
    c.beqz a0, 1b
    c.bnez a5, 2f
2:  c.slli a0, 1
    c.slli t6, 63
    c.fldsp fa0, 504(sp)
    c.lwsp a0, 252(sp)
    c.ldsp ra, 0(sp)
    c.jr ra
    c.jr t6
    c.mv a0, a1
    c.ebreak
    c.jalr a0
    c.add a0, a1
    c.add sp, t6
    c.fsdsp fa0, 8(sp)
    c.swsp a0, 4(sp)
    c.sdsp ra, 504(sp)

    .option norvc
    .globl bitmanip
bitmanip:
    add.uw a0, a1, a2
    sh1add a0, a1, a2
    sh2add a0, a1, a2
    sh3add a0, a1, a2
    sh1add.uw a0, a1, a2
    sh2add.uw a0, a1, a2
    sh3add.uw a0, a1, a2
    slli.uw a0, a1, 0
    slli.uw a0, a1, 63
    andn a0, a1, a2
    orn a0, a1, a2
    xnor a0, a1, a2
    clz a0, a1
    clzw a0, a1
    ctz a0, a1
    ctzw a0, a1
    cpop a0, a1
    cpopw a0, a1
    max a0, a1, a2
    maxu a0, a1, a2
    min a0, a1, a2
    minu a0, a1, a2
    sext.b a0, a1
    sext.h a0, a1
    zext.h a0, a1
    rol a0, a1, a2
    rolw a0, a1, a2
    ror a0, a1, a2
    rorw a0, a1, a2
    rori a0, a1, 1
    rori a0, a1, 63
    roriw a0, a1, 31
    orc.b a0, a1
    rev8 a0, a1
    clmul a0, a1, a2
    clmulh a0, a1, a2
    clmulr a0, a1, a2
    bclr a0, a1, a2
    bclri a0, a1, 63
    bext a0, a1, a2
    bexti a0, a1, 5
    binv a0, a1, a2
    binvi a0, a1, 33
    bset a0, a1, a2
    bseti a0, a1, 0

    .globl base
base:
    lui a0, 0xfffff
    auipc t0, 0x80000
    jal ra, base
    jalr zero, 0(ra)
    jalr t0, -2048(t1)
    beq a0, a1, base
    bne a0, a1, 3f
    blt a0, a1, 3f
    bge a0, a1, 3f
    bltu a0, a1, 3f
    bgeu a0, a1, 3f
3:  lb a0, -1(a1)
    lh a0, 2(a1)
    lw a0, 4(a1)
    ld a0, 2047(a1)
    lbu a0, 1(a1)
    lhu a0, 2(a1)
    lwu a0, 4(a1)
    sb a0, -1(a1)
    sh a0, 2(a1)
    sw a0, 4(a1)
    sd a0, 8(a1)
    addi zero, zero, 0
    slti a0, a1, -1
    sltiu a0, a1, 1
    xori a0, a1, -1
    ori a0, a1, 7
    andi a0, a1, 0x7ff
    slli a0, a1, 63
    srli a0, a1, 32
    srai a0, a1, 1
    addiw a0, a1, -2048
    slliw a0, a1, 31
    srliw a0, a1, 1
    sraiw a0, a1, 15
    .irp op, add, sub, sll, slt, sltu, xor, srl, sra, or, and, addw, subw, sllw, srlw, sraw, mul, mulh, mulhsu, mulhu, div, divu, rem, remu, mulw, divw, divuw, remw, remuw
    \op t0, t1, t2
    .endr
    ret
