//! F and D sign injection, `fmin`/`fmax` (IEEE 754-2019 minimumNumber/maximumNumber), the
//! quiet and signalling comparisons, and `fclass`.

use crate::asm::*;
use ospite_isa::{Op, Rm};

const ONE_S: u32 = 0x3f80_0000;
const ONE_D: u64 = 0x3ff0_0000_0000_0000;
const QNAN_S: u32 = 0x7fc0_0000;
const QNAN_D: u64 = 0x7ff8_0000_0000_0000;
const SNAN_S: u32 = 0x7f80_0001;
const SNAN_D: u64 = 0x7ff0_0000_0000_0001;
const NEG0_S: u32 = 0x8000_0000;
const NEG0_D: u64 = 1 << 63;

fn op2(op: Op, a: u64, b: u64) -> (u64, u64) {
    fp_run(op, Rm::Dyn, 0, [a, b, 0])
}

#[test]
fn sign_injection_never_signals() {
    let two_neg = 0xc000_0000_0000_0000;
    let got = [
        op2(Op::FsgnjD, ONE_D, two_neg),
        op2(Op::FsgnjnD, ONE_D, two_neg),
        op2(Op::FsgnjxD, ONE_D | 1 << 63, two_neg),
        op2(Op::FsgnjS, s(ONE_S), s(0xc000_0000)),
        op2(Op::FsgnjnS, s(SNAN_S), s(ONE_S)),
        op2(Op::FsgnjxS, s(0xbf80_0000), s(ONE_S)),
    ];
    assert_eq!(
        got,
        [
            (0xbff0_0000_0000_0000, 0),
            (ONE_D, 0),
            (ONE_D, 0),
            (s(0xbf80_0000), 0),
            (s(0xff80_0001), 0),
            (s(0xbf80_0000), 0),
        ]
    );
}

#[test]
fn fmin_fmax_order_signed_zeros() {
    let got = [
        op2(Op::FminS, s(0), s(NEG0_S)),
        op2(Op::FminS, s(NEG0_S), s(0)),
        op2(Op::FmaxS, s(NEG0_S), s(0)),
        op2(Op::FmaxS, s(0), s(NEG0_S)),
        op2(Op::FminD, 0, NEG0_D),
        op2(Op::FmaxD, NEG0_D, 0),
    ];
    assert_eq!(
        got,
        [
            (s(NEG0_S), 0),
            (s(NEG0_S), 0),
            (s(0), 0),
            (s(0), 0),
            (NEG0_D, 0),
            (0, 0),
        ]
    );
}

#[test]
fn fmin_fmax_ignore_one_nan_and_signal_only_for_signalling_nans() {
    let neg_inf = 0xfff0_0000_0000_0000;
    let minus_one = ONE_D | 1 << 63;
    let got = [
        op2(Op::FminD, QNAN_D, ONE_D),
        op2(Op::FminD, SNAN_D, ONE_D),
        op2(Op::FmaxD, ONE_D, SNAN_D),
        op2(Op::FmaxS, s(QNAN_S), s(QNAN_S)),
        op2(Op::FmaxS, s(SNAN_S), s(QNAN_S)),
        op2(Op::FminS, s(0x7fc1_2345), s(0xffc0_0001)),
        op2(Op::FminS, s(ONE_S), s(0x4000_0000)),
        op2(Op::FmaxS, s(ONE_S), s(0x4000_0000)),
        op2(Op::FmaxD, neg_inf, minus_one),
        op2(Op::FminD, neg_inf, minus_one),
    ];
    assert_eq!(
        got,
        [
            (ONE_D, 0),
            (ONE_D, NV),
            (ONE_D, NV),
            (s(QNAN_S), 0),
            (s(QNAN_S), NV),
            (s(QNAN_S), 0),
            (s(ONE_S), 0),
            (s(0x4000_0000), 0),
            (minus_one, 0),
            (neg_inf, 0),
        ]
    );
}

#[test]
fn feq_is_quiet_flt_fle_signal_on_any_nan() {
    let got = [
        op2(Op::FeqS, s(QNAN_S), s(ONE_S)),
        op2(Op::FeqS, s(SNAN_S), s(ONE_S)),
        op2(Op::FltS, s(QNAN_S), s(ONE_S)),
        op2(Op::FleD, QNAN_D, QNAN_D),
        op2(Op::FeqD, 0, NEG0_D),
        op2(Op::FltD, NEG0_D, 0),
        op2(Op::FleD, NEG0_D, 0),
        op2(Op::FltS, s(ONE_S), s(0x4000_0000)),
        op2(Op::FleS, s(0x4000_0000), s(ONE_S)),
        op2(Op::FeqD, ONE_D, ONE_D),
    ];
    assert_eq!(
        got,
        [
            (0, 0),
            (0, NV),
            (0, NV),
            (0, NV),
            (1, 0),
            (0, 0),
            (1, 0),
            (1, 0),
            (0, 0),
            (1, 0),
        ]
    );
}

#[test]
fn fclass_single_all_ten_classes() {
    let values: [u32; 10] = [
        0xff80_0000, // -inf
        0xbf80_0000, // negative normal
        0x8000_0001, // negative subnormal
        0x8000_0000, // -0
        0x0000_0000, // +0
        0x007f_ffff, // positive subnormal
        0x3f80_0000, // positive normal
        0x7f80_0000, // +inf
        0x7fa0_0000, // signalling NaN
        0xffc0_0000, // quiet NaN (sign ignored)
    ];
    let got: Vec<_> = values
        .iter()
        .map(|&v| fp_run(Op::FclassS, Rm::Dyn, 0, [s(v), 0, 0]))
        .collect();
    let want: Vec<_> = (0..10).map(|i| (1u64 << i, 0)).collect();
    assert_eq!(got, want);
}

#[test]
fn fclass_double_all_ten_classes() {
    let values: [u64; 10] = [
        0xfff0_0000_0000_0000,
        0xc000_0000_0000_0000,
        0x800f_ffff_ffff_ffff,
        0x8000_0000_0000_0000,
        0,
        1,
        0x7fef_ffff_ffff_ffff,
        0x7ff0_0000_0000_0000,
        0x7ff7_ffff_ffff_ffff,
        0x7ff8_0000_0000_0001,
    ];
    let got: Vec<_> = values
        .iter()
        .map(|&v| fp_run(Op::FclassD, Rm::Dyn, 0, [v, 0, 0]))
        .collect();
    let want: Vec<_> = (0..10).map(|i| (1u64 << i, 0)).collect();
    assert_eq!(got, want);
}
