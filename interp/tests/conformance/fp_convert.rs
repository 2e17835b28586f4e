//! F and D conversions and moves: `fcvt` between every integer and FP type with RISC-V
//! saturation, `fcvt.s.d`/`fcvt.d.s`, `fmv`, and NaN-boxing through loads, stores and reads.

use crate::asm::*;
use ospite_interp::Engine;
use ospite_isa::{Csr, Op, Rm};
use ospite_mmu::AccessSize;

const QNAN_S: u32 = 0x7fc0_0000;
const QNAN_D: u64 = 0x7ff8_0000_0000_0000;
const SNAN_S: u32 = 0x7f80_0001;
const SNAN_D: u64 = 0x7ff0_0000_0000_0001;
const INF_S: u32 = 0x7f80_0000;
const INF_D: u64 = 0x7ff0_0000_0000_0000;
const I32_MAX: u64 = 0x7fff_ffff;
const I32_MIN: u64 = 0xffff_ffff_8000_0000;
const MODES: [Rm; 5] = [Rm::Rne, Rm::Rtz, Rm::Rdn, Rm::Rup, Rm::Rmm];

fn cvt(op: Op, rm: Rm, a: u64) -> (u64, u64) {
    fp_run(op, rm, 0, [a, 0, 0])
}

fn all_modes(op: Op, a: u64) -> Vec<(u64, u64)> {
    MODES.iter().map(|&rm| cvt(op, rm, a)).collect()
}

#[test]
fn fcvt_w_s_rounds_in_every_mode() {
    let neg = |v: i64| v as u64;
    assert_eq!(
        all_modes(Op::FcvtWS, s(0x3fc0_0000)), // 1.5
        [(2, NX), (1, NX), (1, NX), (2, NX), (2, NX)]
    );
    assert_eq!(
        all_modes(Op::FcvtWS, s(0x4020_0000)), // 2.5
        [(2, NX), (2, NX), (2, NX), (3, NX), (3, NX)]
    );
    assert_eq!(
        all_modes(Op::FcvtWS, s(0xc020_0000)), // -2.5
        [
            (neg(-2), NX),
            (neg(-2), NX),
            (neg(-3), NX),
            (neg(-2), NX),
            (neg(-3), NX)
        ]
    );
}

#[test]
fn fcvt_to_signed_saturates_with_invalid() {
    let got = [
        cvt(Op::FcvtWS, Rm::Rne, s(QNAN_S)),
        cvt(Op::FcvtWS, Rm::Rne, s(SNAN_S)),
        cvt(Op::FcvtWS, Rm::Rne, s(INF_S)),
        cvt(Op::FcvtWS, Rm::Rne, s(INF_S | 1 << 31)),
        cvt(Op::FcvtWS, Rm::Rne, s(0x4f32_d05e)), // 3e9
        cvt(Op::FcvtWS, Rm::Rne, s(0xcf00_0000)), // -2^31, exact
        // 2^31 - 0.5 rounds to 2^31 (out of range) to nearest, to 2^31 - 1 toward zero.
        cvt(Op::FcvtWD, Rm::Rne, 0x41df_ffff_ffe0_0000),
        cvt(Op::FcvtWD, Rm::Rtz, 0x41df_ffff_ffe0_0000),
        cvt(Op::FcvtLD, Rm::Rne, 0x43e0_0000_0000_0000), // 2^63
        cvt(Op::FcvtLD, Rm::Rne, 0xc3e0_0000_0000_0000), // -2^63, exact
        cvt(Op::FcvtLD, Rm::Rne, QNAN_D),
        cvt(Op::FcvtLD, Rm::Rne, INF_D | 1 << 63),
        cvt(Op::FcvtLS, Rm::Rne, s(QNAN_S | 1 << 31)), // negative NaN: still the maximum
    ];
    assert_eq!(
        got,
        [
            (I32_MAX, NV),
            (I32_MAX, NV),
            (I32_MAX, NV),
            (I32_MIN, NV),
            (I32_MAX, NV),
            (I32_MIN, 0),
            (I32_MAX, NV),
            (I32_MAX, NX),
            (i64::MAX as u64, NV),
            (i64::MIN as u64, 0),
            (i64::MAX as u64, NV),
            (i64::MIN as u64, NV),
            (i64::MAX as u64, NV),
        ]
    );
}

#[test]
fn fcvt_to_unsigned_saturates_and_sign_extends_the_word() {
    let got = [
        cvt(Op::FcvtWuS, Rm::Rne, s(0xbf80_0000)), // -1.0
        cvt(Op::FcvtWuS, Rm::Rtz, s(0xbf00_0000)), // -0.5 rounds to 0: only inexact
        cvt(Op::FcvtWuS, Rm::Rdn, s(0xbf00_0000)), // -0.5 rounds to -1: invalid
        cvt(Op::FcvtWuS, Rm::Rne, s(0x4f80_0000)), // 2^32
        cvt(Op::FcvtWuS, Rm::Rne, s(QNAN_S)),
        cvt(Op::FcvtWuS, Rm::Rne, s(0x4f32_d05e)), // 3e9 fits, and is sign-extended
        cvt(Op::FcvtWuD, Rm::Rne, INF_D | 1 << 63),
        cvt(Op::FcvtLuD, Rm::Rne, 0xbff0_0000_0000_0000), // -1.0
        cvt(Op::FcvtLuD, Rm::Rne, 0x43f0_0000_0000_0000), // 2^64
        cvt(Op::FcvtLuD, Rm::Rup, 0x3ff8_0000_0000_0000), // 1.5
        cvt(Op::FcvtLuS, Rm::Rne, s(SNAN_S)),
        cvt(Op::FcvtLuS, Rm::Rne, s(0x5f7f_ffff)), // 2^64 - 2^40, fits
    ];
    assert_eq!(
        got,
        [
            (0, NV),
            (0, NX),
            (0, NV),
            (u64::MAX, NV),
            (u64::MAX, NV),
            (0xffff_ffff_b2d0_5e00, 0),
            (0, NV),
            (0, NV),
            (u64::MAX, NV),
            (2, NX),
            (u64::MAX, NV),
            (0xffff_ff00_0000_0000, 0),
        ]
    );
}

#[test]
fn fcvt_from_integers_rounds() {
    let got = [
        cvt(Op::FcvtSW, Rm::Rne, 16_777_217), // 2^24 + 1
        cvt(Op::FcvtSW, Rm::Rup, 16_777_217),
        cvt(Op::FcvtSW, Rm::Rne, u64::MAX),      // -1
        cvt(Op::FcvtSW, Rm::Rne, 0x1_0000_0001), // only the low word: 1
        cvt(Op::FcvtSWu, Rm::Rne, 0xffff_ffff),
        cvt(Op::FcvtSWu, Rm::Rtz, 0xffff_ffff),
        cvt(Op::FcvtSL, Rm::Rne, i64::MIN as u64),
        cvt(Op::FcvtSLu, Rm::Rne, u64::MAX),
        cvt(Op::FcvtDL, Rm::Rne, (1 << 53) + 1),
        cvt(Op::FcvtDL, Rm::Rup, (1 << 53) + 1),
        cvt(Op::FcvtDLu, Rm::Rne, u64::MAX),
        cvt(Op::FcvtDLu, Rm::Rtz, u64::MAX),
        cvt(Op::FcvtDW, Rm::Rne, (-5i64) as u64),
        cvt(Op::FcvtDWu, Rm::Rne, 0xffff_ffff),
    ];
    assert_eq!(
        got,
        [
            (s(0x4b80_0000), NX),
            (s(0x4b80_0001), NX),
            (s(0xbf80_0000), 0),
            (s(0x3f80_0000), 0),
            (s(0x4f80_0000), NX),
            (s(0x4f7f_ffff), NX),
            (s(0xdf00_0000), 0),
            (s(0x5f80_0000), NX),
            (0x4340_0000_0000_0000, NX),
            (0x4340_0000_0000_0001, NX),
            (0x43f0_0000_0000_0000, NX),
            (0x43ef_ffff_ffff_ffff, NX),
            (0xc014_0000_0000_0000, 0),
            (0x41ef_ffff_ffe0_0000, 0),
        ]
    );
}

#[test]
fn fcvt_between_single_and_double() {
    let pi = 0x4009_21fb_5444_2d18;
    let got = [
        cvt(Op::FcvtSD, Rm::Rne, pi),
        cvt(Op::FcvtSD, Rm::Rtz, pi),
        cvt(Op::FcvtSD, Rm::Rne, 0x7e37_e43c_8800_759c), // 1e300
        cvt(Op::FcvtSD, Rm::Rtz, 0x7e37_e43c_8800_759c),
        cvt(Op::FcvtSD, Rm::Rne, 0x358d_ee7a_4ad4_b81f), // 1e-50
        cvt(Op::FcvtSD, Rm::Rne, 0x7ff8_0000_dead_beef), // quiet NaN, payload dropped
        cvt(Op::FcvtSD, Rm::Rne, SNAN_D),
        cvt(Op::FcvtDS, Rm::Rne, s(0x3fc0_0000)), // 1.5
        cvt(Op::FcvtDS, Rm::Rne, s(1)),           // 2^-149, exact
        cvt(Op::FcvtDS, Rm::Rne, s(SNAN_S)),
        cvt(Op::FcvtDS, Rm::Rne, s(0xffc0_1234)),
        // An improperly boxed single reads as the canonical NaN.
        cvt(Op::FcvtDS, Rm::Rne, 0x3f80_0000),
    ];
    assert_eq!(
        got,
        [
            (s(0x4049_0fdb), NX),
            (s(0x4049_0fda), NX),
            (s(INF_S), OF | NX),
            (s(0x7f7f_ffff), OF | NX),
            (s(0), UF | NX),
            (s(QNAN_S), 0),
            (s(QNAN_S), NV),
            (0x3ff8_0000_0000_0000, 0),
            (0x36a0_0000_0000_0000, 0),
            (QNAN_D, NV),
            (QNAN_D, 0),
            (QNAN_D, 0),
        ]
    );
}

#[test]
fn fmv_moves_raw_bits() {
    let got = [
        // fmv.x.w sign-extends bit 31 and ignores the NaN-boxing.
        cvt(Op::FmvXW, Rm::Dyn, s(0x8000_0000)),
        cvt(Op::FmvXW, Rm::Dyn, 0x1234_5678_3f80_0000),
        // fmv.w.x boxes the low word.
        cvt(Op::FmvWX, Rm::Dyn, 0x1234_5678_9abc_def0),
        cvt(Op::FmvXD, Rm::Dyn, SNAN_D),
        cvt(Op::FmvDX, Rm::Dyn, 0x1234_5678_9abc_def0),
    ];
    assert_eq!(
        got,
        [
            (0xffff_ffff_8000_0000, 0),
            (0x3f80_0000, 0),
            (0xffff_ffff_9abc_def0, 0),
            (SNAN_D, 0),
            (0x1234_5678_9abc_def0, 0),
        ]
    );
}

#[test]
fn improperly_boxed_single_operands_read_as_canonical_nan() {
    let got = [
        fp_run(Op::FaddS, Rm::Rne, 0, [0x3f80_0000, s(0x3f80_0000), 0]),
        fp_run(
            Op::FsgnjS,
            Rm::Dyn,
            0,
            [0xffff_fffe_3f80_0000, s(0xbf80_0000), 0],
        ),
        fp_run(Op::FclassS, Rm::Dyn, 0, [0x0000_0000_0000_0001, 0, 0]),
        fp_run(Op::FeqS, Rm::Dyn, 0, [0x3f80_0000, s(0x3f80_0000), 0]),
    ];
    assert_eq!(
        got,
        [(s(QNAN_S), 0), (s(0xffc0_0000), 0), (1 << 9, 0), (0, 0),]
    );
}

#[test]
fn flw_boxes_fsw_stores_the_low_word_fld_fsd_are_raw() {
    let mut p = Asm::new();
    p.fs_on();
    p.li(A0, DATA as i64);
    p.li(T1, 0x4049_0fdb).s(Op::Sw, T1, A0, 0); // a single at DATA
    p.li(T1, 0x1234_5678_9abc_def0).s(Op::Sd, T1, A0, 8);
    p.i(Op::Flw, 1, A0, 0); // f1 = boxed
    p.i(Op::Fld, 2, A0, 8); // f2 = raw
    p.s(Op::Fsd, 2, A0, 16); // raw 64 bits
    p.s(Op::Fsw, 2, A0, 24); // the low word, unchecked
    p.s(Op::Fsd, 1, A0, 32); // the boxed single
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [
            cpu.hart().f(1),
            cpu.hart().f(2),
            peek(&cpu, DATA + 16, AccessSize::B8),
            peek(&cpu, DATA + 24, AccessSize::B8),
            peek(&cpu, DATA + 32, AccessSize::B8),
            csr(&cpu, Csr::MCAUSE),
        ],
        [
            s(0x4049_0fdb),
            0x1234_5678_9abc_def0,
            0x1234_5678_9abc_def0,
            0x9abc_def0,
            s(0x4049_0fdb),
            0
        ]
    );
}

#[test]
fn compressed_fp_loads_and_stores_work() {
    // c.fld/c.fsd/c.fldsp/c.fsdsp are decoded to fld/fsd: check one via the parcel.
    let mut p = Asm::new();
    p.fs_on();
    p.li(A0, DATA as i64);
    p.li(T1, 0x4000_0000_0000_0000).s(Op::Sd, T1, A0, 0);
    // c.fld fa1, 0(a0): funct3 001, rs1' = a0 (2), rd' = fa1 (3).
    p.half(0x2000 | 2 << 7 | 3 << 2);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(cpu.hart().f(11), 0x4000_0000_0000_0000);
}

#[test]
fn fp_loads_fault_like_integer_loads() {
    // An FP load from an unmapped address raises a load access fault with the address.
    let mut p = Asm::new();
    p.fs_on();
    p.li(A0, 0x1000);
    p.i(Op::Fld, 1, A0, 8);
    p.ebreak();
    let cpu = run(&p);
    let (cause, _, tval) = mtrap(&cpu);
    assert_eq!((cause, tval), (5, 0x1008));
}
