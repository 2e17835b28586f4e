//! Instruction formats: where each operand sits in a 32-bit word and how objdump prints it.
//! Every row of the [table](crate::op) names one, so that decode ([`Fmt::extract`]), encode
//! ([`Fmt::insert`]) and disassembly ([`Fmt::write_operands`]) share one description.

use core::fmt::{self, Write};

use crate::csr::{Csr, PrivSpec};
use crate::encode::EncodeError;
use crate::inst::{Inst, Rm};
use crate::reg::Reg;

/// The operand layout of a 32-bit instruction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fmt {
    /// `rd,rs1,rs2`, integer registers.
    R,
    /// `rd,rs1`, integer registers (`rs2` is part of the opcode).
    R1,
    /// `rd,rs1,imm` with a signed 12-bit immediate.
    I,
    /// `rd,rs1,shamt` with a 6-bit shift amount printed in hex.
    Sh6,
    /// `rd,rs1,shamt` with a 5-bit shift amount printed in hex.
    Sh5,
    /// `rd,imm(rs1)`: integer load.
    Load,
    /// `rd,imm(rs1)`: floating-point load.
    FLoad,
    /// `rs2,imm(rs1)`: integer store.
    Store,
    /// `rs2,imm(rs1)`: floating-point store.
    FStore,
    /// `rs1,rs2,target`: conditional branch, 13-bit even offset.
    B,
    /// `rd,imm20`: upper immediate, printed as the 20 bits in hex.
    U,
    /// `rd,target`: `jal`, 21-bit even offset.
    J,
    /// `rd,imm(rs1)`: `jalr`.
    Jalr,
    /// `rd,csr,rs1`.
    Csr,
    /// `rd,csr,uimm`: the 5-bit unsigned immediate sits in the `rs1` field.
    CsrI,
    /// `rd,rs2,(rs1)` with `.aq`/`.rl` suffixes: AMOs and `sc`.
    Amo,
    /// `rd,(rs1)` with `.aq`/`.rl` suffixes: `lr`.
    Lr,
    /// `pred,succ`; `rd`, `rs1` and `fm` are kept so that re-encoding gives the same bits.
    Fence,
    /// No operands; `rd` and `rs1` are kept.
    FenceTso,
    /// No operands; `rd`, `rs1` and the immediate are kept.
    FenceI,
    /// No operands.
    None,
    /// `rs1,rs2`: `sfence.vma`.
    Sfence,
    /// `rd,rs1,rs2`, floating-point registers, no rounding mode.
    FR,
    /// `rd,rs1,rs2[,rm]`, floating-point registers.
    FRm,
    /// `rd,rs1,rs2,rs3[,rm]`: fused multiply-add.
    R4,
    /// `rd,rs1[,rm]`, floating-point registers; `rm` printed unless dynamic.
    F1Rm,
    /// `rd,rs1[,rm]`, floating-point registers; `rm` printed unless `rne` (an exact
    /// conversion, for which objdump leaves out the rounding mode the assembler defaults to).
    F1RmExact,
    /// `rd,rs1[,rm]`: floating-point source, integer destination.
    FToXRm,
    /// `rd,rs1[,rm]`: integer source, floating-point destination.
    XToFRm,
    /// `rd,rs1[,rm]`: integer source, floating-point destination, exact (`rm` printed unless
    /// `rne`).
    XToFRmExact,
    /// `rd,rs1`: floating-point source, integer destination.
    FToX,
    /// `rd,rs1`: integer source, floating-point destination.
    XToF,
    /// `rd,rs1,rs2`: floating-point sources, integer destination.
    FCmp,
}

/// Which register file an operand names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RegFile {
    /// Not used by this format.
    Unused,
    /// Integer registers.
    X,
    /// Floating-point registers.
    F,
}

/// The register files of `rd`, `rs1`, `rs2`, `rs3` for a format.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Operands {
    /// Destination.
    pub rd: RegFile,
    /// First source.
    pub rs1: RegFile,
    /// Second source.
    pub rs2: RegFile,
    /// Third source.
    pub rs3: RegFile,
}

#[inline]
const fn field(w: u32, lo: u32, len: u32) -> u32 {
    (w >> lo) & ((1 << len) - 1)
}

/// Sign-extends the low `bits` bits of `v`.
#[inline]
pub(crate) const fn sext(v: u32, bits: u32) -> i32 {
    ((v << (32 - bits)) as i32) >> (32 - bits)
}

#[inline]
fn imm_i(w: u32) -> i32 {
    (w as i32) >> 20
}

#[inline]
fn imm_s(w: u32) -> i32 {
    (((w & 0xfe00_0000) as i32) >> 20) | field(w, 7, 5) as i32
}

#[inline]
fn imm_b(w: u32) -> i32 {
    let v = (field(w, 31, 1) << 12)
        | (field(w, 7, 1) << 11)
        | (field(w, 25, 6) << 5)
        | (field(w, 8, 4) << 1);
    sext(v, 13)
}

#[inline]
fn imm_j(w: u32) -> i32 {
    let v = (field(w, 31, 1) << 20)
        | (field(w, 12, 8) << 12)
        | (field(w, 20, 1) << 11)
        | (field(w, 21, 10) << 1);
    sext(v, 21)
}

/// `v` as a signed immediate of `bits` bits that is a multiple of `align`, truncated to those
/// bits; `None` if it does not fit.
pub(crate) fn fit_signed(v: i32, bits: u32, align: i32) -> Option<u32> {
    let lo = -(1i64 << (bits - 1));
    let hi = (1i64 << (bits - 1)) - 1;
    ((v as i64) >= lo && (v as i64) <= hi && v % align == 0)
        .then_some(v as u32 & ((1u32 << bits) - 1))
}

/// `v` as an unsigned immediate below `2^bits` that is a multiple of `align`; `None` if it does
/// not fit.
pub(crate) fn fit_unsigned(v: i32, bits: u32, align: i32) -> Option<u32> {
    (v >= 0 && (v as i64) < (1i64 << bits) && v % align == 0).then_some(v as u32)
}

/// Where a format's immediate comes from: an index into the immediates [`Fmt::extract`]
/// computes.
#[derive(Clone, Copy)]
#[repr(u8)]
enum ImmKind {
    None,
    I,
    S,
    B,
    U,
    J,
    Shamt6,
    Shamt5,
    /// The CSR `uimm` in the `rs1` field.
    Zimm,
    /// `fence`'s `fm|pred|succ`, unsigned.
    Fence,
}

/// The fields a format decodes: register masks (31 kept, 0 zeroed), the immediate's source,
/// the CSR mask, the rounding mode to force when there is none (`dyn`), and the aq/rl mask.
#[derive(Clone, Copy)]
struct Layout {
    rd: u8,
    rs1: u8,
    rs2: u8,
    rs3: u8,
    imm: ImmKind,
    csr: u16,
    rm_fill: u32,
    aqrl: u8,
}

/// Every format in declaration order, for building [`LAYOUTS`].
const FORMATS: [Fmt; 33] = [
    Fmt::R,
    Fmt::R1,
    Fmt::I,
    Fmt::Sh6,
    Fmt::Sh5,
    Fmt::Load,
    Fmt::FLoad,
    Fmt::Store,
    Fmt::FStore,
    Fmt::B,
    Fmt::U,
    Fmt::J,
    Fmt::Jalr,
    Fmt::Csr,
    Fmt::CsrI,
    Fmt::Amo,
    Fmt::Lr,
    Fmt::Fence,
    Fmt::FenceTso,
    Fmt::FenceI,
    Fmt::None,
    Fmt::Sfence,
    Fmt::FR,
    Fmt::FRm,
    Fmt::R4,
    Fmt::F1Rm,
    Fmt::F1RmExact,
    Fmt::FToXRm,
    Fmt::XToFRm,
    Fmt::XToFRmExact,
    Fmt::FToX,
    Fmt::XToF,
    Fmt::FCmp,
];

/// Each format's layout, indexed by `Fmt as usize`.
static LAYOUTS: [Layout; FORMATS.len()] = {
    let mut out = [Fmt::None.layout(); FORMATS.len()];
    let mut i = 0;
    while i < FORMATS.len() {
        assert!(FORMATS[i] as usize == i);
        out[i] = FORMATS[i].layout();
        i += 1;
    }
    out
};

/// Checks that `v` fits a signed immediate of `bits` bits and is a multiple of `align`.
fn check_signed(v: i32, bits: u32, align: i32) -> Result<u32, EncodeError> {
    fit_signed(v, bits, align).ok_or(EncodeError::ImmediateOutOfRange { imm: v as i64 })
}

/// Checks that `v` fits an unsigned immediate of `bits` bits.
fn check_unsigned(v: i32, bits: u32) -> Result<u32, EncodeError> {
    fit_unsigned(v, bits, 1).ok_or(EncodeError::ImmediateOutOfRange { imm: v as i64 })
}

impl Fmt {
    /// The register files this format's register operands name.
    pub const fn operands(self) -> Operands {
        use RegFile::{Unused as N, F, X};
        let (rd, rs1, rs2, rs3) = match self {
            Fmt::R => (X, X, X, N),
            Fmt::R1 | Fmt::I | Fmt::Sh6 | Fmt::Sh5 | Fmt::Load | Fmt::Jalr | Fmt::Csr => {
                (X, X, N, N)
            }
            Fmt::FLoad => (F, X, N, N),
            Fmt::Store | Fmt::B | Fmt::Sfence => (N, X, X, N),
            Fmt::FStore => (N, X, F, N),
            Fmt::U | Fmt::J | Fmt::CsrI => (X, N, N, N),
            Fmt::Amo => (X, X, X, N),
            Fmt::Lr => (X, X, N, N),
            Fmt::Fence | Fmt::FenceTso | Fmt::FenceI | Fmt::None => (N, N, N, N),
            Fmt::FR | Fmt::FRm => (F, F, F, N),
            Fmt::R4 => (F, F, F, F),
            Fmt::F1Rm | Fmt::F1RmExact => (F, F, N, N),
            Fmt::FToXRm | Fmt::FToX => (X, F, N, N),
            Fmt::XToFRm | Fmt::XToFRmExact | Fmt::XToF => (F, X, N, N),
            Fmt::FCmp => (X, F, F, N),
        };
        Operands { rd, rs1, rs2, rs3 }
    }

    /// Whether this format has a rounding-mode field.
    pub const fn has_rm(self) -> bool {
        matches!(
            self,
            Fmt::FRm
                | Fmt::R4
                | Fmt::F1Rm
                | Fmt::F1RmExact
                | Fmt::FToXRm
                | Fmt::XToFRm
                | Fmt::XToFRmExact
        )
    }

    /// Fills `inst`'s operands from the word `w`. Branch-free: every field is taken from its
    /// fixed place and kept or zeroed by the format's [`Layout`], and the immediate is picked
    /// from all the immediate encodings by index, so decoding a mixed stream does not stall on
    /// a mispredicted jump per format.
    #[inline(always)]
    pub(crate) fn extract(self, w: u32, inst: &mut Inst) {
        let l = &LAYOUTS[self as usize];
        let imms = [
            0,
            imm_i(w),
            imm_s(w),
            imm_b(w),
            (w & 0xffff_f000) as i32,
            imm_j(w),
            field(w, 20, 6) as i32,
            field(w, 20, 5) as i32,
            field(w, 15, 5) as i32,
            field(w, 20, 12) as i32,
        ];
        inst.rd = Reg::new(field(w, 7, 5) as u8 & l.rd);
        inst.rs1 = Reg::new(field(w, 15, 5) as u8 & l.rs1);
        inst.rs2 = Reg::new(field(w, 20, 5) as u8 & l.rs2);
        inst.rs3 = Reg::new(field(w, 27, 5) as u8 & l.rs3);
        inst.imm = imms[l.imm as usize];
        inst.csr = Csr(field(w, 20, 12) as u16 & l.csr);
        inst.rm = Rm::from_bits(field(w, 12, 3) | l.rm_fill);
        inst.aq = field(w, 26, 1) as u8 & l.aqrl != 0;
        inst.rl = field(w, 25, 1) as u8 & l.aqrl != 0;
    }

    /// Which fields this format decodes: the masks [`Fmt::extract`] applies.
    const fn layout(self) -> Layout {
        use ImmKind as K;
        const ALL: u8 = 31;
        let (rd, rs1, rs2, rs3, imm) = match self {
            Fmt::R | Fmt::FR | Fmt::FCmp | Fmt::Sfence | Fmt::FRm | Fmt::Amo | Fmt::Lr => {
                (ALL, ALL, ALL, 0, K::None)
            }
            Fmt::R1 | Fmt::FToX | Fmt::XToF | Fmt::FenceTso | Fmt::Csr => (ALL, ALL, 0, 0, K::None),
            Fmt::F1Rm | Fmt::F1RmExact | Fmt::FToXRm | Fmt::XToFRm | Fmt::XToFRmExact => {
                (ALL, ALL, 0, 0, K::None)
            }
            Fmt::I | Fmt::Load | Fmt::FLoad | Fmt::Jalr | Fmt::FenceI => (ALL, ALL, 0, 0, K::I),
            Fmt::Sh6 => (ALL, ALL, 0, 0, K::Shamt6),
            Fmt::Sh5 => (ALL, ALL, 0, 0, K::Shamt5),
            Fmt::Store | Fmt::FStore => (0, ALL, ALL, 0, K::S),
            Fmt::B => (0, ALL, ALL, 0, K::B),
            Fmt::U => (ALL, 0, 0, 0, K::U),
            Fmt::J => (ALL, 0, 0, 0, K::J),
            Fmt::CsrI => (ALL, 0, 0, 0, K::Zimm),
            Fmt::Fence => (ALL, ALL, 0, 0, K::Fence),
            Fmt::None => (0, 0, 0, 0, K::None),
            Fmt::R4 => (ALL, ALL, ALL, ALL, K::None),
        };
        Layout {
            rd,
            rs1,
            rs2,
            rs3,
            imm,
            csr: if matches!(self, Fmt::Csr | Fmt::CsrI) {
                0xfff
            } else {
                0
            },
            rm_fill: if self.has_rm() { 0 } else { 7 },
            aqrl: matches!(self, Fmt::Amo | Fmt::Lr) as u8,
        }
    }

    /// The operand bits of `inst` in this format, to be or'ed with the row's `match` bits.
    pub(crate) fn insert(self, inst: &Inst) -> Result<u32, EncodeError> {
        let rd = (inst.rd.num() as u32) << 7;
        let rs1 = (inst.rs1.num() as u32) << 15;
        let rs2 = (inst.rs2.num() as u32) << 20;
        let rm = (inst.rm as u32) << 12;
        Ok(match self {
            Fmt::R | Fmt::FR | Fmt::FCmp | Fmt::Sfence => rd | rs1 | rs2,
            Fmt::R1 | Fmt::FToX | Fmt::XToF | Fmt::FenceTso => rd | rs1,
            Fmt::I | Fmt::Load | Fmt::FLoad | Fmt::Jalr | Fmt::FenceI => {
                rd | rs1 | (check_signed(inst.imm, 12, 1)? << 20)
            }
            Fmt::Sh6 => rd | rs1 | (check_unsigned(inst.imm, 6)? << 20),
            Fmt::Sh5 => rd | rs1 | (check_unsigned(inst.imm, 5)? << 20),
            Fmt::Store | Fmt::FStore => {
                let v = check_signed(inst.imm, 12, 1)?;
                rs1 | rs2 | ((v >> 5) << 25) | ((v & 31) << 7)
            }
            Fmt::B => {
                let v = check_signed(inst.imm, 13, 2)?;
                rs1 | rs2
                    | (field(v, 12, 1) << 31)
                    | (field(v, 5, 6) << 25)
                    | (field(v, 1, 4) << 8)
                    | (field(v, 11, 1) << 7)
            }
            Fmt::U => {
                if inst.imm & 0xfff != 0 {
                    return Err(EncodeError::ImmediateOutOfRange {
                        imm: inst.imm as i64,
                    });
                }
                rd | inst.imm as u32
            }
            Fmt::J => {
                let v = check_signed(inst.imm, 21, 2)?;
                rd | (field(v, 20, 1) << 31)
                    | (field(v, 1, 10) << 21)
                    | (field(v, 11, 1) << 20)
                    | (field(v, 12, 8) << 12)
            }
            Fmt::Csr => rd | rs1 | (self.csr_bits(inst)? << 20),
            Fmt::CsrI => rd | (check_unsigned(inst.imm, 5)? << 15) | (self.csr_bits(inst)? << 20),
            Fmt::Amo | Fmt::Lr => {
                let rs2 = if self == Fmt::Lr { 0 } else { rs2 };
                rd | rs1 | rs2 | ((inst.aq as u32) << 26) | ((inst.rl as u32) << 25)
            }
            Fmt::Fence => rd | rs1 | (check_unsigned(inst.imm, 12)? << 20),
            Fmt::None => 0,
            Fmt::FRm => rd | rs1 | rs2 | rm,
            Fmt::R4 => rd | rs1 | rs2 | rm | ((inst.rs3.num() as u32) << 27),
            Fmt::F1Rm | Fmt::F1RmExact | Fmt::FToXRm | Fmt::XToFRm | Fmt::XToFRmExact => {
                rd | rs1 | rm
            }
        })
    }

    fn csr_bits(self, inst: &Inst) -> Result<u32, EncodeError> {
        if inst.csr.0 > 0xfff {
            return Err(EncodeError::ImmediateOutOfRange {
                imm: inst.csr.0 as i64,
            });
        }
        Ok(inst.csr.0 as u32)
    }

    /// Writes the operands as objdump prints them, branch and jump targets taken from `pc`.
    pub(crate) fn write_operands(
        self,
        inst: &Inst,
        pc: u64,
        spec: PrivSpec,
        out: &mut dyn Write,
    ) -> fmt::Result {
        let x = |r: Reg| r.x().name();
        let f = |r: Reg| r.f().name();
        let target = pc.wrapping_add(inst.imm as i64 as u64);
        let rm = |default: Rm| RmSuffix(inst.rm, default);
        match self {
            Fmt::R => write!(out, "{},{},{}", x(inst.rd), x(inst.rs1), x(inst.rs2)),
            Fmt::R1 => write!(out, "{},{}", x(inst.rd), x(inst.rs1)),
            Fmt::I => write!(out, "{},{},{}", x(inst.rd), x(inst.rs1), inst.imm),
            Fmt::Sh6 | Fmt::Sh5 => write!(out, "{},{},0x{:x}", x(inst.rd), x(inst.rs1), inst.imm),
            Fmt::Load | Fmt::Jalr => write!(out, "{},{}({})", x(inst.rd), inst.imm, x(inst.rs1)),
            Fmt::FLoad => write!(out, "{},{}({})", f(inst.rd), inst.imm, x(inst.rs1)),
            Fmt::Store => write!(out, "{},{}({})", x(inst.rs2), inst.imm, x(inst.rs1)),
            Fmt::FStore => write!(out, "{},{}({})", f(inst.rs2), inst.imm, x(inst.rs1)),
            Fmt::B => write!(out, "{},{},{:x}", x(inst.rs1), x(inst.rs2), target),
            Fmt::U => write!(out, "{},0x{:x}", x(inst.rd), (inst.imm as u32) >> 12),
            Fmt::J => write!(out, "{},{:x}", x(inst.rd), target),
            Fmt::Csr => {
                let csr = inst.csr.display_in(spec);
                write!(out, "{},{},{}", x(inst.rd), csr, x(inst.rs1))
            }
            Fmt::CsrI => {
                let csr = inst.csr.display_in(spec);
                write!(out, "{},{},{}", x(inst.rd), csr, inst.imm)
            }
            Fmt::Amo => write!(out, "{},{},({})", x(inst.rd), x(inst.rs2), x(inst.rs1)),
            Fmt::Lr => write!(out, "{},({})", x(inst.rd), x(inst.rs1)),
            Fmt::Fence => {
                let bits = inst.imm as u32;
                write!(out, "{},{}", FenceSet(bits >> 4), FenceSet(bits))
            }
            Fmt::FenceTso | Fmt::FenceI | Fmt::None => Ok(()),
            Fmt::Sfence => write!(out, "{},{}", x(inst.rs1), x(inst.rs2)),
            Fmt::FR => write!(out, "{},{},{}", f(inst.rd), f(inst.rs1), f(inst.rs2)),
            Fmt::FRm => write!(
                out,
                "{},{},{}{}",
                f(inst.rd),
                f(inst.rs1),
                f(inst.rs2),
                rm(Rm::Dyn)
            ),
            Fmt::R4 => write!(
                out,
                "{},{},{},{}{}",
                f(inst.rd),
                f(inst.rs1),
                f(inst.rs2),
                f(inst.rs3),
                rm(Rm::Dyn)
            ),
            Fmt::F1Rm => write!(out, "{},{}{}", f(inst.rd), f(inst.rs1), rm(Rm::Dyn)),
            Fmt::F1RmExact => write!(out, "{},{}{}", f(inst.rd), f(inst.rs1), rm(Rm::Rne)),
            Fmt::FToXRm => write!(out, "{},{}{}", x(inst.rd), f(inst.rs1), rm(Rm::Dyn)),
            Fmt::XToFRm => write!(out, "{},{}{}", f(inst.rd), x(inst.rs1), rm(Rm::Dyn)),
            Fmt::XToFRmExact => write!(out, "{},{}{}", f(inst.rd), x(inst.rs1), rm(Rm::Rne)),
            Fmt::FToX => write!(out, "{},{}", x(inst.rd), f(inst.rs1)),
            Fmt::XToF => write!(out, "{},{}", f(inst.rd), x(inst.rs1)),
            Fmt::FCmp => write!(out, "{},{},{}", x(inst.rd), f(inst.rs1), f(inst.rs2)),
        }
    }
}

/// `,rm` unless the mode is the one objdump leaves out.
struct RmSuffix(Rm, Rm);

impl fmt::Display for RmSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == self.1 {
            Ok(())
        } else {
            write!(f, ",{}", self.0.name())
        }
    }
}

/// A fence's predecessor or successor set (the low four bits): `iorw` letters, or `unknown`
/// for the empty set, as objdump prints them.
struct FenceSet(u32);

impl fmt::Display for FenceSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bits = self.0 & 0xf;
        if bits == 0 {
            return f.write_str("unknown");
        }
        for (bit, letter) in [(8, 'i'), (4, 'o'), (2, 'r'), (1, 'w')] {
            if bits & bit != 0 {
                f.write_char(letter)?;
            }
        }
        Ok(())
    }
}
