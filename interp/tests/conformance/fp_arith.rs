//! F and D arithmetic: add, sub, mul, div, sqrt and the fused multiply-adds, in every rounding
//! mode where it matters, with every `fflags` bit and the canonical NaN.
//!
//! Expected values are IEEE 754 reasoning, written next to each case; the same cases were run
//! under `qemu-riscv64` (see `fp_qemu.rs` for the random cross-check).

use crate::asm::*;
use ospite_isa::{Op, Rm};

const ONE_S: u32 = 0x3f80_0000;
const ONE_D: u64 = 0x3ff0_0000_0000_0000;
const QNAN_S: u32 = 0x7fc0_0000;
const QNAN_D: u64 = 0x7ff8_0000_0000_0000;
const DBL_MAX: u64 = 0x7fef_ffff_ffff_ffff;
const INF_D: u64 = 0x7ff0_0000_0000_0000;

/// Runs `op` with a static rounding mode.
fn op(op: Op, rm: Rm, a: u64, b: u64) -> (u64, u64) {
    fp_run(op, rm, 0, [a, b, 0])
}

#[test]
fn fadd_exact_and_inexact() {
    let got = [
        // 1 + 2 = 3, exact.
        op(Op::FaddS, Rm::Rne, s(ONE_S), s(0x4000_0000)),
        // 0.1 + 0.2 = 0.30000000000000004, inexact.
        op(
            Op::FaddD,
            Rm::Rne,
            0x3fb9_9999_9999_999a,
            0x3fc9_9999_9999_999a,
        ),
    ];
    assert_eq!(got, [(s(0x4040_0000), 0), (0x3fd3_3333_3333_3334, NX)]);
}

#[test]
fn fsub_exact_zero_is_negative_only_rounding_down() {
    let modes = [Rm::Rne, Rm::Rtz, Rm::Rdn, Rm::Rup, Rm::Rmm];
    let got: Vec<_> = modes
        .iter()
        .map(|&rm| op(Op::FsubS, rm, s(ONE_S), s(ONE_S)).0)
        .collect();
    assert_eq!(got, [s(0), s(0), s(0x8000_0000), s(0), s(0)]);
}

#[test]
fn fadd_tie_in_every_rounding_mode() {
    // 1 + 2^-24 is exactly half an ulp of 1.0 (ulp 2^-23): a tie.
    let modes = [Rm::Rne, Rm::Rtz, Rm::Rdn, Rm::Rup, Rm::Rmm];
    let pos: Vec<_> = modes
        .iter()
        .map(|&rm| op(Op::FaddS, rm, s(ONE_S), s(0x3380_0000)))
        .collect();
    let neg: Vec<_> = modes
        .iter()
        .map(|&rm| op(Op::FaddS, rm, s(0xbf80_0000), s(0xb380_0000)))
        .collect();
    assert_eq!(
        pos,
        [
            (s(0x3f80_0000), NX), // ties to even: 1.0
            (s(0x3f80_0000), NX), // toward zero
            (s(0x3f80_0000), NX), // down
            (s(0x3f80_0001), NX), // up
            (s(0x3f80_0001), NX), // ties away from zero
        ]
    );
    assert_eq!(
        neg,
        [
            (s(0xbf80_0000), NX),
            (s(0xbf80_0000), NX),
            (s(0xbf80_0001), NX),
            (s(0xbf80_0000), NX),
            (s(0xbf80_0001), NX),
        ]
    );
}

#[test]
fn dynamic_rounding_mode_comes_from_frm() {
    // 1 + 2^-30 and 1 - 2^-30 under frm = RUP (3) and RDN (2).
    let got = [
        fp_run(Op::FaddS, Rm::Dyn, 3, [s(ONE_S), s(0x3080_0000), 0]),
        fp_run(Op::FaddS, Rm::Dyn, 0, [s(ONE_S), s(0x3080_0000), 0]),
        fp_run(Op::FsubS, Rm::Dyn, 2, [s(ONE_S), s(0x3080_0000), 0]),
        fp_run(Op::FsubS, Rm::Dyn, 4, [s(ONE_S), s(0x3080_0000), 0]),
    ];
    assert_eq!(
        got,
        [
            (s(0x3f80_0001), NX),
            (s(0x3f80_0000), NX),
            (s(0x3f7f_ffff), NX),
            (s(0x3f80_0000), NX),
        ]
    );
}

#[test]
fn overflow_rounds_to_infinity_or_the_largest_finite() {
    let two = 0x4000_0000_0000_0000;
    let neg_max = DBL_MAX | 1 << 63;
    let got = [
        op(Op::FmulD, Rm::Rne, DBL_MAX, two),
        op(Op::FmulD, Rm::Rtz, DBL_MAX, two),
        op(Op::FmulD, Rm::Rdn, DBL_MAX, two),
        op(Op::FmulD, Rm::Rup, DBL_MAX, two),
        op(Op::FmulD, Rm::Rup, neg_max, two),
        op(Op::FmulD, Rm::Rdn, neg_max, two),
        // Single: FLT_MAX + FLT_MAX.
        op(Op::FaddS, Rm::Rne, s(0x7f7f_ffff), s(0x7f7f_ffff)),
        op(Op::FaddS, Rm::Rmm, s(0x7f7f_ffff), s(0x7f7f_ffff)),
    ];
    assert_eq!(
        got,
        [
            (INF_D, OF | NX),
            (DBL_MAX, OF | NX),
            (DBL_MAX, OF | NX),
            (INF_D, OF | NX),
            (neg_max, OF | NX),
            (INF_D | 1 << 63, OF | NX),
            (s(0x7f80_0000), OF | NX),
            (s(0x7f80_0000), OF | NX),
        ]
    );
}

#[test]
fn underflow_only_when_tiny_and_inexact() {
    let half_d = 0x3fe0_0000_0000_0000;
    let half_s = s(0x3f00_0000);
    let got = [
        // DBL_MIN / 2 = 2^-1023 is an exact subnormal: no flags.
        op(Op::FmulD, Rm::Rne, 0x0010_0000_0000_0000, half_d),
        // The smallest subnormal / 2 is a tie between 0 and itself.
        op(Op::FmulD, Rm::Rne, 1, half_d),
        op(Op::FmulD, Rm::Rup, 1, half_d),
        op(Op::FmulS, Rm::Rne, s(1), half_s),
        op(Op::FmulS, Rm::Rmm, s(1), half_s),
        op(Op::FmulS, Rm::Rtz, s(1), half_s),
    ];
    assert_eq!(
        got,
        [
            (0x0008_0000_0000_0000, 0),
            (0, UF | NX),
            (1, UF | NX),
            (s(0), UF | NX),
            (s(1), UF | NX),
            (s(0), UF | NX),
        ]
    );
}

#[test]
fn divide_by_zero_and_invalid() {
    let got = [
        op(Op::FdivS, Rm::Rne, s(ONE_S), s(0)),
        op(Op::FdivS, Rm::Rne, s(0xbf80_0000), s(0)),
        op(Op::FdivD, Rm::Rne, 0, 0),
        op(Op::FdivD, Rm::Rne, INF_D, INF_D),
        // Infinity / 0 is infinity and signals nothing.
        op(Op::FdivD, Rm::Rne, INF_D, 0),
        // 1 / 3, inexact.
        op(Op::FdivD, Rm::Rne, ONE_D, 0x4008_0000_0000_0000),
        op(Op::FdivD, Rm::Rup, ONE_D, 0x4008_0000_0000_0000),
    ];
    assert_eq!(
        got,
        [
            (s(0x7f80_0000), DZ),
            (s(0xff80_0000), DZ),
            (QNAN_D, NV),
            (QNAN_D, NV),
            (INF_D, 0),
            (0x3fd5_5555_5555_5555, NX),
            (0x3fd5_5555_5555_5556, NX),
        ]
    );
}

#[test]
fn fsqrt_rounding_and_invalid() {
    // sqrt(2) = 1.41421356237309504..., and 0x3ff6a09e667f3bcd is above it.
    let two = 0x4000_0000_0000_0000;
    let got = [
        op(Op::FsqrtD, Rm::Rne, two, 0),
        op(Op::FsqrtD, Rm::Rtz, two, 0),
        op(Op::FsqrtD, Rm::Rdn, two, 0),
        op(Op::FsqrtD, Rm::Rup, two, 0),
        op(Op::FsqrtS, Rm::Rne, s(0x4080_0000), 0),
        op(Op::FsqrtS, Rm::Rne, s(0xbf80_0000), 0),
        // sqrt(-0) = -0, exactly.
        op(Op::FsqrtD, Rm::Rne, 1 << 63, 0),
    ];
    assert_eq!(
        got,
        [
            (0x3ff6_a09e_667f_3bcd, NX),
            (0x3ff6_a09e_667f_3bcc, NX),
            (0x3ff6_a09e_667f_3bcc, NX),
            (0x3ff6_a09e_667f_3bcd, NX),
            (s(0x4000_0000), 0),
            (s(QNAN_S), NV),
            (1 << 63, 0),
        ]
    );
}

#[test]
fn nan_results_are_canonical_without_payload_or_sign() {
    let got = [
        // A quiet NaN with a payload propagates as the canonical NaN, quietly.
        op(Op::FaddS, Rm::Rne, s(0x7fc1_2345), s(ONE_S)),
        op(Op::FmulS, Rm::Rne, s(0xffc0_0001), s(ONE_S)),
        // A signalling NaN signals NV.
        op(Op::FaddS, Rm::Rne, s(0x7f80_0001), s(ONE_S)),
        op(Op::FaddD, Rm::Rne, ONE_D, 0x7ff0_0000_0000_0001),
        op(Op::FsubD, Rm::Rne, 0xfff8_0000_dead_beef, ONE_D),
        // Infinity minus infinity.
        op(Op::FsubD, Rm::Rne, INF_D, INF_D),
        op(Op::FaddS, Rm::Rne, s(0x7f80_0000), s(0xff80_0000)),
    ];
    assert_eq!(
        got,
        [
            (s(QNAN_S), 0),
            (s(QNAN_S), 0),
            (s(QNAN_S), NV),
            (QNAN_D, NV),
            (QNAN_D, 0),
            (QNAN_D, NV),
            (s(QNAN_S), NV),
        ]
    );
}

/// Runs a fused multiply-add.
fn fma(op: Op, a: u64, b: u64, c: u64) -> (u64, u64) {
    fp_run(op, Rm::Rne, 0, [a, b, c])
}

#[test]
fn fused_multiply_add_rounds_once() {
    // a = b = 1 + 2^-30: a*b = 1 + 2^-29 + 2^-60 exactly; rounding the product first would
    // lose the 2^-60 and give 0.
    let a = 0x3ff0_0000_0040_0000;
    let c = 0x3ff0_0000_0080_0000; // 1 + 2^-29
    let neg_c = c | 1 << 63;
    let got = [
        fma(Op::FmaddD, a, a, neg_c),  // a*b + c
        fma(Op::FmsubD, a, a, c),      // a*b - c
        fma(Op::FnmsubD, a, a, c),     // -(a*b) + c
        fma(Op::FnmaddD, a, a, neg_c), // -(a*b) - c
    ];
    let (p, n) = (0x3c30_0000_0000_0000, 0xbc30_0000_0000_0000); // +-2^-60
    assert_eq!(got, [(p, 0), (p, 0), (n, 0), (n, 0)]);
}

#[test]
fn fused_multiply_add_single_rounds_once() {
    // a = b = 1 + 2^-12, c = 1 + 2^-11: a*b - c = 2^-24 exactly.
    let a = s(0x3f80_0800);
    let c = s(0x3f80_1000);
    let neg_c = s(0xbf80_1000);
    let got = [
        fma(Op::FmaddS, a, a, neg_c),
        fma(Op::FmsubS, a, a, c),
        fma(Op::FnmsubS, a, a, c),
        fma(Op::FnmaddS, a, a, neg_c),
    ];
    let (p, n) = (s(0x3380_0000), s(0xb380_0000));
    assert_eq!(got, [(p, 0), (p, 0), (n, 0), (n, 0)]);
}

#[test]
fn fused_multiply_add_infinity_times_zero_is_invalid_even_with_a_quiet_nan() {
    let got = [
        fma(Op::FmaddD, INF_D, 0, QNAN_D),
        fma(Op::FmaddS, s(0), s(0xff80_0000), s(ONE_S)),
        // A quiet NaN addend alone is quiet.
        fma(Op::FmaddD, ONE_D, ONE_D, QNAN_D),
        // 1 * 1 + (-1) = +0 in RNE.
        fma(Op::FmaddD, ONE_D, ONE_D, ONE_D | 1 << 63),
    ];
    assert_eq!(got, [(QNAN_D, NV), (s(QNAN_S), NV), (QNAN_D, 0), (0, 0)]);
}

#[test]
fn fused_multiply_add_zero_sign_in_round_down() {
    // 1 * 1 - 1 is an exact zero: -0 when rounding down.
    let got = fp_run(Op::FmsubD, Rm::Rdn, 0, [ONE_D, ONE_D, ONE_D]);
    assert_eq!(got, (1 << 63, 0));
}
