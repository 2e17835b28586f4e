//! F and D: every RV64F and RV64D instruction except the loads and stores (in `mem.rs`), on
//! Berkeley SoftFloat 3 built with its RISC-V specialization (the library and configuration
//! Spike uses), so results and `fflags` are bit-exact with Spike.
//!
//! SoftFloat's RISC-V specialization already gives the RISC-V NaN rules (the canonical NaN
//! `0x7fc00000`/`0x7ff8000000000000`, no payload propagation), the saturating integer results
//! of `fcvt` (NaN and positive overflow to the maximum, negative overflow to the minimum), and
//! tininess after rounding. Its exception flags are laid out as `fflags` is (NX bit 0, UF 1,
//! OF 2, DZ 3, NV 4), so they accrue into `fcsr` unchanged. What SoftFloat does not do is
//! done here: NaN-boxing, the sign injections, `fmin`/`fmax` (IEEE 754-2019 minimumNumber and
//! maximumNumber: -0 below +0, a lone NaN ignored, two NaNs give the canonical NaN, NV only for
//! a signalling NaN), `fclass`, the moves, and the rounding-mode and `mstatus.FS` checks.
//!
//! SoftFloat keeps its rounding mode and flags in thread-local variables; each instruction
//! clears the flags, runs to completion on the calling thread and reads them back, so harts on
//! different threads do not interfere.

use ospite_isa::{Fmt, Inst, Op, Rm};
use softfloat_wrapper::{ExceptionFlags, Float, RoundingMode, F32, F64};

use crate::csr::mstatus;
use crate::hart::Hart;
use crate::trap::Exception;

/// The canonical single-precision NaN.
pub const CANONICAL_NAN_S: u32 = 0x7fc0_0000;
/// The canonical double-precision NaN.
pub const CANONICAL_NAN_D: u64 = 0x7ff8_0000_0000_0000;
/// The upper half of a properly NaN-boxed single-precision value.
const BOX: u64 = 0xffff_ffff_0000_0000;

/// A single-precision value NaN-boxed into a 64-bit f register.
#[inline]
pub(super) fn nan_box(v: u32) -> u64 {
    BOX | u64::from(v)
}

/// The single-precision value an f register holds: its low half if properly NaN-boxed, the
/// canonical NaN otherwise.
#[inline]
fn unbox(v: u64) -> u32 {
    if v & BOX == BOX {
        v as u32
    } else {
        CANONICAL_NAN_S
    }
}

/// Raises illegal instruction unless the hart has the instruction's extension and
/// `mstatus.FS` is not Off.
#[inline]
pub(super) fn check_enabled(hart: &Hart, inst: &Inst) -> Result<(), Exception> {
    if is_enabled(hart, inst) {
        Ok(())
    } else {
        Err(Exception::illegal(0))
    }
}

/// Whether [`check_enabled`] lets `inst` run.
#[inline(always)]
pub(super) fn is_enabled(hart: &Hart, inst: &Inst) -> bool {
    hart.has(inst.op.info().ext) && hart.csr.mstatus & mstatus::FS != 0
}

/// The rounding mode `rm` names, taking `frm` for dynamic; illegal instruction for the
/// reserved encodings 5 and 6 and for dynamic with `frm` holding 5, 6 or 7.
#[inline]
fn rounding(hart: &Hart, rm: Rm) -> Result<RoundingMode, Exception> {
    let bits = match rm {
        Rm::Dyn => (hart.fcsr >> 5) & 7,
        r => r as u64,
    };
    Ok(match bits {
        0 => RoundingMode::TiesToEven,
        1 => RoundingMode::TowardZero,
        2 => RoundingMode::TowardNegative,
        3 => RoundingMode::TowardPositive,
        4 => RoundingMode::TiesToAway,
        _ => return Err(Exception::illegal(0)),
    })
}

/// Whether instructions of format `fmt` carry a rounding mode. The exact conversions
/// (`fcvt.d.s`, `fcvt.d.w`, `fcvt.d.wu`) carry one too and, as on Spike and QEMU, trap on a
/// reserved one although it cannot change their result.
#[inline]
fn has_rm(fmt: Fmt) -> bool {
    matches!(
        fmt,
        Fmt::R4
            | Fmt::FRm
            | Fmt::F1Rm
            | Fmt::F1RmExact
            | Fmt::FToXRm
            | Fmt::XToFRm
            | Fmt::XToFRmExact
    )
}

/// What an FP instruction does, independent of its precision.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Madd,
    Msub,
    Nmsub,
    Nmadd,
    Add,
    Sub,
    Mul,
    Div,
    Sqrt,
    Sgnj,
    Sgnjn,
    Sgnjx,
    Min,
    Max,
    ToW,
    ToWu,
    ToL,
    ToLu,
    FromW,
    FromWu,
    FromL,
    FromLu,
    MvToX,
    MvFromX,
    Eq,
    Lt,
    Le,
    Class,
    /// `fcvt.s.d` or `fcvt.d.s`: the source is the other precision.
    Convert,
}

/// The kind of `op` and whether it is double precision.
#[inline(always)]
fn kind(op: Op) -> Option<(Kind, bool)> {
    use Kind::*;
    Some(match op {
        Op::FmaddS => (Madd, false),
        Op::FmsubS => (Msub, false),
        Op::FnmsubS => (Nmsub, false),
        Op::FnmaddS => (Nmadd, false),
        Op::FaddS => (Add, false),
        Op::FsubS => (Sub, false),
        Op::FmulS => (Mul, false),
        Op::FdivS => (Div, false),
        Op::FsqrtS => (Sqrt, false),
        Op::FsgnjS => (Sgnj, false),
        Op::FsgnjnS => (Sgnjn, false),
        Op::FsgnjxS => (Sgnjx, false),
        Op::FminS => (Min, false),
        Op::FmaxS => (Max, false),
        Op::FcvtWS => (ToW, false),
        Op::FcvtWuS => (ToWu, false),
        Op::FcvtLS => (ToL, false),
        Op::FcvtLuS => (ToLu, false),
        Op::FmvXW => (MvToX, false),
        Op::FeqS => (Eq, false),
        Op::FltS => (Lt, false),
        Op::FleS => (Le, false),
        Op::FclassS => (Class, false),
        Op::FcvtSW => (FromW, false),
        Op::FcvtSWu => (FromWu, false),
        Op::FcvtSL => (FromL, false),
        Op::FcvtSLu => (FromLu, false),
        Op::FmvWX => (MvFromX, false),
        Op::FcvtSD => (Convert, false),
        Op::FmaddD => (Madd, true),
        Op::FmsubD => (Msub, true),
        Op::FnmsubD => (Nmsub, true),
        Op::FnmaddD => (Nmadd, true),
        Op::FaddD => (Add, true),
        Op::FsubD => (Sub, true),
        Op::FmulD => (Mul, true),
        Op::FdivD => (Div, true),
        Op::FsqrtD => (Sqrt, true),
        Op::FsgnjD => (Sgnj, true),
        Op::FsgnjnD => (Sgnjn, true),
        Op::FsgnjxD => (Sgnjx, true),
        Op::FminD => (Min, true),
        Op::FmaxD => (Max, true),
        Op::FcvtWD => (ToW, true),
        Op::FcvtWuD => (ToWu, true),
        Op::FcvtLD => (ToL, true),
        Op::FcvtLuD => (ToLu, true),
        Op::FmvXD => (MvToX, true),
        Op::FeqD => (Eq, true),
        Op::FltD => (Lt, true),
        Op::FleD => (Le, true),
        Op::FclassD => (Class, true),
        Op::FcvtDW => (FromW, true),
        Op::FcvtDWu => (FromWu, true),
        Op::FcvtDL => (FromL, true),
        Op::FcvtDLu => (FromLu, true),
        Op::FmvDX => (MvFromX, true),
        Op::FcvtDS => (Convert, true),
        _ => return None,
    })
}

/// Where a result goes.
enum Out {
    /// To f register `rd`, as these 64 bits.
    F(u64),
    /// To x register `rd`.
    X(u64),
}

/// A precision: how its values sit in f registers and x registers.
trait Prec: Float + Copy {
    /// The sign bit.
    const SIGN: u64;
    /// The exponent field.
    const EXP: u64;
    /// The fraction field.
    const FRAC: u64;
    /// The canonical NaN.
    const CANONICAL: u64;
    /// The value f register bits hold (unboxed for single precision).
    fn from_reg(reg: u64) -> Self;
    /// The f register bits that hold `self` (NaN-boxed for single precision).
    fn to_reg(self) -> u64;
    /// The value's bits, zero-extended.
    fn raw(self) -> u64;
    /// The value with bits `v` (truncated to the width).
    fn from_raw(v: u64) -> Self;
    /// `fmv.x.*`: the raw low bits of the register, sign-extended to 64.
    fn move_to_x(reg: u64) -> u64;
    /// `fmv.*.x`: the low bits of `x`, NaN-boxed for single precision.
    fn move_from_x(x: u64) -> u64;
    /// `fcvt` from the other precision.
    fn convert_from_other(reg: u64, rm: RoundingMode) -> Self;
}

impl Prec for F32 {
    const SIGN: u64 = 1 << 31;
    const EXP: u64 = 0xff << 23;
    const FRAC: u64 = (1 << 23) - 1;
    const CANONICAL: u64 = CANONICAL_NAN_S as u64;
    #[inline]
    fn from_reg(reg: u64) -> Self {
        F32::from_bits(unbox(reg))
    }
    #[inline]
    fn to_reg(self) -> u64 {
        nan_box(self.to_bits())
    }
    #[inline]
    fn raw(self) -> u64 {
        u64::from(self.to_bits())
    }
    #[inline]
    fn from_raw(v: u64) -> Self {
        F32::from_bits(v as u32)
    }
    #[inline]
    fn move_to_x(reg: u64) -> u64 {
        reg as u32 as i32 as i64 as u64
    }
    #[inline]
    fn move_from_x(x: u64) -> u64 {
        nan_box(x as u32)
    }
    #[inline]
    fn convert_from_other(reg: u64, rm: RoundingMode) -> Self {
        F64::from_reg(reg).to_f32(rm)
    }
}

impl Prec for F64 {
    const SIGN: u64 = 1 << 63;
    const EXP: u64 = 0x7ff << 52;
    const FRAC: u64 = (1 << 52) - 1;
    const CANONICAL: u64 = CANONICAL_NAN_D;
    #[inline]
    fn from_reg(reg: u64) -> Self {
        F64::from_bits(reg)
    }
    #[inline]
    fn to_reg(self) -> u64 {
        self.to_bits()
    }
    #[inline]
    fn raw(self) -> u64 {
        self.to_bits()
    }
    #[inline]
    fn from_raw(v: u64) -> Self {
        F64::from_bits(v)
    }
    #[inline]
    fn move_to_x(reg: u64) -> u64 {
        reg
    }
    #[inline]
    fn move_from_x(x: u64) -> u64 {
        x
    }
    #[inline]
    fn convert_from_other(reg: u64, rm: RoundingMode) -> Self {
        F32::from_reg(reg).to_f64(rm)
    }
}

#[inline]
fn is_nan<P: Prec>(v: u64) -> bool {
    v & P::EXP == P::EXP && v & P::FRAC != 0
}

/// `fclass`: one bit of ten, from -infinity (bit 0) to quiet NaN (bit 9).
fn classify<P: Prec>(v: u64) -> u64 {
    let neg = v & P::SIGN != 0;
    let exp = v & P::EXP;
    let frac = v & P::FRAC;
    let quiet_bit = (P::FRAC + 1) >> 1;
    let bit = if exp == P::EXP {
        match (frac, neg) {
            (0, true) => 0,
            (0, false) => 7,
            _ if frac & quiet_bit != 0 => 9,
            _ => 8,
        }
    } else if exp == 0 {
        match (frac == 0, neg) {
            (false, true) => 2,
            (true, true) => 3,
            (true, false) => 4,
            (false, false) => 5,
        }
    } else if neg {
        1
    } else {
        6
    };
    1 << bit
}

/// Runs one operation of kind `k` in precision `P`.
#[inline(always)]
fn run<P: Prec>(hart: &Hart, inst: &Inst, k: Kind, rm: RoundingMode) -> Out {
    use Kind::*;
    let reg1 = hart.f[inst.rs1.idx()];
    let a = P::from_reg(reg1);
    let b = P::from_reg(hart.f[inst.rs2.idx()]);
    let x1 = hart.xi(inst.rs1.idx());
    let neg = |v: P| P::from_raw(v.raw() ^ P::SIGN);
    let f = |v: P| Out::F(v.to_reg());
    let sign_from =
        |sign: u64| Out::F(P::from_raw((a.raw() & !P::SIGN) | (sign & P::SIGN)).to_reg());
    match k {
        Madd | Msub | Nmsub | Nmadd => {
            let c = P::from_reg(hart.f[inst.rs3.idx()]);
            let (a, c) = match k {
                Madd => (a, c),
                Msub => (a, neg(c)),
                Nmsub => (neg(a), c),
                _ => (neg(a), neg(c)),
            };
            f(a.fused_mul_add(b, c, rm))
        }
        Add => f(a.add(b, rm)),
        Sub => f(a.sub(b, rm)),
        Mul => f(a.mul(b, rm)),
        Div => f(a.div(b, rm)),
        Sqrt => f(a.sqrt(rm)),
        Sgnj => sign_from(b.raw()),
        Sgnjn => sign_from(!b.raw()),
        Sgnjx => sign_from(a.raw() ^ b.raw()),
        Min | Max => {
            // `lt_quiet` raises NV exactly when an operand is a signalling NaN.
            let less = a.lt_quiet(b);
            let (ra, rb) = (a.raw(), b.raw());
            let v = match (is_nan::<P>(ra), is_nan::<P>(rb)) {
                (true, true) => P::CANONICAL,
                (true, false) => rb,
                (false, true) => ra,
                // Both zeros: -0 is the smaller (only the sign bits can differ).
                _ if (ra | rb) & !P::SIGN == 0 => match k {
                    Min => ra | rb,
                    _ => ra & rb,
                },
                _ if less == (k == Min) => ra,
                _ => rb,
            };
            f(P::from_raw(v))
        }
        ToW => Out::X(a.to_i32(rm, true) as i64 as u64),
        ToWu => Out::X(a.to_u32(rm, true) as i32 as i64 as u64),
        ToL => Out::X(a.to_i64(rm, true) as u64),
        ToLu => Out::X(a.to_u64(rm, true)),
        FromW => f(P::from_i32(x1 as i32, rm)),
        FromWu => f(P::from_u32(x1 as u32, rm)),
        FromL => f(P::from_i64(x1 as i64, rm)),
        FromLu => f(P::from_u64(x1, rm)),
        MvToX => Out::X(P::move_to_x(reg1)),
        MvFromX => Out::F(P::move_from_x(x1)),
        Eq => Out::X(u64::from(a.eq(b))),
        Lt => Out::X(u64::from(a.lt(b))),
        Le => Out::X(u64::from(a.le(b))),
        Class => Out::X(classify::<P>(a.raw())),
        Convert => f(P::convert_from_other(reg1, rm)),
    }
}

/// Executes an FP computational instruction (class `Fp`): checks the extension, `mstatus.FS`
/// and the rounding mode, computes, writes `rd`, accrues `fflags`, and marks the FP state
/// dirty when an f register or `fflags` was written. On an exception nothing has changed.
pub(super) fn fp(hart: &mut Hart, inst: &Inst) -> Result<(), Exception> {
    fp_as(hart, inst, inst.op)
}

/// [`fp`] for an instruction of opcode `OP` (`Op as u16`), compiled for it alone: the
/// dispatch on its kind and precision is done by the compiler.
#[inline(always)]
pub(super) fn fp_of<const OP: u16>(hart: &mut Hart, inst: &Inst) -> Result<(), Exception> {
    fp_as(hart, inst, const { Op::ALL[OP as usize] })
}

/// [`fp`], with `op` the instruction's opcode.
#[inline(always)]
fn fp_as(hart: &mut Hart, inst: &Inst, op: Op) -> Result<(), Exception> {
    check_enabled(hart, inst)?;
    let (k, double) = kind(op).ok_or(Exception::illegal(0))?;
    let rm = if has_rm(inst.op.info().fmt) {
        rounding(hart, inst.rm)?
    } else {
        RoundingMode::TiesToEven
    };
    ExceptionFlags::from_bits(0).set();
    let out = if double {
        run::<F64>(hart, inst, k, rm)
    } else {
        run::<F32>(hart, inst, k, rm)
    };
    let mut flags = ExceptionFlags::default();
    flags.get();
    let flags = u64::from(flags.to_bits()) & 0x1f;
    match out {
        Out::F(v) => {
            hart.f[inst.rd.idx()] = v;
            hart.set_fs_dirty();
        }
        Out::X(v) => hart.set_xi(inst.rd.idx(), v),
    }
    hart.accrue_fflags(flags);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softfloat_flag_bits_are_fflags_bits() {
        // NX, UF, OF, DZ, NV are fflags bits 0..4; SoftFloat must agree for flags to accrue
        // unchanged.
        let nv = ExceptionFlags::from_bits(16);
        let dz = ExceptionFlags::from_bits(8);
        let of = ExceptionFlags::from_bits(4);
        let uf = ExceptionFlags::from_bits(2);
        let nx = ExceptionFlags::from_bits(1);
        assert_eq!(
            [
                nv.is_invalid(),
                dz.is_infinite(),
                of.is_overflow(),
                uf.is_underflow(),
                nx.is_inexact()
            ],
            [true; 5]
        );
    }

    #[test]
    fn improperly_boxed_single_reads_as_canonical_nan() {
        assert_eq!(
            (unbox(0x0000_0000_3f80_0000), unbox(nan_box(0x3f80_0000))),
            (CANONICAL_NAN_S, 0x3f80_0000)
        );
    }

    #[test]
    fn classify_covers_ten_classes_of_double() {
        let cases: [u64; 10] = [
            0xfff0_0000_0000_0000,
            0xbff0_0000_0000_0000,
            0x8000_0000_0000_0001,
            0x8000_0000_0000_0000,
            0,
            1,
            0x3ff0_0000_0000_0000,
            0x7ff0_0000_0000_0000,
            0x7ff0_0000_0000_0001,
            CANONICAL_NAN_D,
        ];
        let got: Vec<u64> = cases.iter().map(|&v| classify::<F64>(v)).collect();
        let want: Vec<u64> = (0..10).map(|i| 1 << i).collect();
        assert_eq!(got, want);
    }
}
