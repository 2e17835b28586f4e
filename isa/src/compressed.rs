//! The RV64C table: every 16-bit form, the 32-bit [`Op`] it expands to, and the format that
//! places its operands. Decoding, encoding and disassembly of compressed parcels read it.

use core::fmt::{self, Write};

use crate::encode::EncodeError;
use crate::ext::Ext;
use crate::format::{fit_signed, fit_unsigned, sext};
use crate::inst::Inst;
use crate::op::Op;
use crate::reg::Reg;

/// The operand layout of a compressed parcel.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CFmt {
    /// `rd',sp,nzuimm`: `c.addi4spn`.
    Ciw,
    /// `rd',uimm(rs1')`, word offset.
    ClW,
    /// `rd',uimm(rs1')`, doubleword offset.
    ClD,
    /// `rs2',uimm(rs1')`, word offset.
    CsW,
    /// `rs2',uimm(rs1')`, doubleword offset.
    CsD,
    /// `rd,imm` where the expansion reads `rd` too: `c.addi`, `c.addiw`.
    CiAddi,
    /// `rd,imm` where the expansion reads `x0`: `c.li`.
    CiLi,
    /// `sp,nzimm`: `c.addi16sp`.
    CiAddi16sp,
    /// `rd,nzimm` printed as the 20-bit upper immediate: `c.lui`.
    CiLui,
    /// `rd',shamt` in hex: `c.srli`, `c.srai`.
    CbShift,
    /// `rd'`: `c.srli64`, `c.srai64`, shifts by zero.
    CbShift64,
    /// `rd',imm`: `c.andi`.
    CbAndi,
    /// `rd',rs2'`: `c.sub`, `c.xor`, `c.or`, `c.and`, `c.subw`, `c.addw`.
    Ca,
    /// `target`: `c.j`.
    Cj,
    /// `rs1',target`: `c.beqz`, `c.bnez`.
    Cb,
    /// `rd,shamt` in hex: `c.slli`.
    CiSlli,
    /// `rd`: `c.slli64`, a shift by zero.
    CiSlli64,
    /// `rd,uimm(sp)`, word offset.
    CiLwsp,
    /// `rd,uimm(sp)`, doubleword offset.
    CiLdsp,
    /// `rs2,uimm(sp)`, word offset.
    CssW,
    /// `rs2,uimm(sp)`, doubleword offset.
    CssD,
    /// `rs1`: `c.jr`, `c.jalr`.
    CrJr,
    /// `rd,rs2` where the expansion reads `x0`: `c.mv`.
    CrMv,
    /// `rd,rs2` where the expansion reads `rd`: `c.add`.
    CrAdd,
    /// No operands: `c.ebreak`.
    CNone,
}

/// Which operand of a compressed form must not be zero; a zero there is a reserved encoding.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NonZero {
    /// No such rule.
    Nothing,
    /// `rd` must not be `x0`.
    Rd,
    /// The immediate must not be zero.
    Imm,
    /// `rs1` must not be `x0`.
    Rs1,
}

impl NonZero {
    /// Whether the expanded instruction `i` has a zero where this rule forbids one, which makes
    /// its encoding reserved.
    pub fn is_broken_by(self, i: &Inst) -> bool {
        match self {
            NonZero::Nothing => false,
            NonZero::Rd => i.rd == ZERO,
            NonZero::Imm => i.imm == 0,
            NonZero::Rs1 => i.rs1 == ZERO,
        }
    }
}

/// One row of the compressed table.
#[derive(Clone, Copy, Debug)]
pub struct COpInfo {
    /// The mnemonic, as objdump prints it.
    pub name: &'static str,
    /// The identifying bits.
    pub mat: u16,
    /// Which bits identify the form.
    pub mask: u16,
    /// Where the operands live.
    pub fmt: CFmt,
    /// The 32-bit instruction it expands to.
    pub op: Op,
    /// The extension beyond C that it needs (`D` for the floating-point forms), or `C`.
    pub ext: Ext,
    /// Which operand must not be zero.
    pub nonzero: NonZero,
    /// Whether `rd` (or `rs2` for stores) names a floating-point register.
    pub fp: bool,
}

macro_rules! cops {
    ($($variant:ident $name:literal $mat:literal $mask:literal $fmt:ident $op:ident $ext:ident $nz:ident $fp:literal;)*) => {
        /// Every RV64C form, one variant per table row.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        #[repr(u8)]
        #[allow(missing_docs)]
        pub enum COp { $($variant,)* }

        /// The compressed table, indexed by `COp as usize`.
        pub static COPS: [COpInfo; [$(COp::$variant),*].len()] = [
            $(COpInfo { name: $name, mat: $mat, mask: $mask, fmt: CFmt::$fmt, op: Op::$op,
                        ext: Ext::$ext, nonzero: NonZero::$nz, fp: $fp },)*
        ];

        /// The identifying bits of each row, for the decoder's dispatch table.
        pub(crate) const CPATTERNS: [(u32, u32); [$(COp::$variant),*].len()] =
            [$(($mat as u32, $mask as u32),)*];

        impl COp {
            /// Every compressed form, in table order.
            pub const ALL: [COp; [$(COp::$variant),*].len()] = [$(COp::$variant),*];
        }
    };
}

cops! {
    CAddi4spn "c.addi4spn" 0x0000 0xe003 Ciw Addi C Imm false;
    CFld "c.fld" 0x2000 0xe003 ClD Fld D Nothing true;
    CLw "c.lw" 0x4000 0xe003 ClW Lw C Nothing false;
    CLd "c.ld" 0x6000 0xe003 ClD Ld C Nothing false;
    CFsd "c.fsd" 0xa000 0xe003 CsD Fsd D Nothing true;
    CSw "c.sw" 0xc000 0xe003 CsW Sw C Nothing false;
    CSd "c.sd" 0xe000 0xe003 CsD Sd C Nothing false;
    CAddi "c.addi" 0x0001 0xe003 CiAddi Addi C Nothing false;
    CAddiw "c.addiw" 0x2001 0xe003 CiAddi Addiw C Rd false;
    CLi "c.li" 0x4001 0xe003 CiLi Addi C Nothing false;
    CAddi16sp "c.addi16sp" 0x6101 0xef83 CiAddi16sp Addi C Imm false;
    CLui "c.lui" 0x6001 0xe003 CiLui Lui C Imm false;
    CSrli64 "c.srli64" 0x8001 0xfc7f CbShift64 Srli C Nothing false;
    CSrai64 "c.srai64" 0x8401 0xfc7f CbShift64 Srai C Nothing false;
    CSrli "c.srli" 0x8001 0xec03 CbShift Srli C Nothing false;
    CSrai "c.srai" 0x8401 0xec03 CbShift Srai C Nothing false;
    CAndi "c.andi" 0x8801 0xec03 CbAndi Andi C Nothing false;
    CSub "c.sub" 0x8c01 0xfc63 Ca Sub C Nothing false;
    CXor "c.xor" 0x8c21 0xfc63 Ca Xor C Nothing false;
    COr "c.or" 0x8c41 0xfc63 Ca Or C Nothing false;
    CAnd "c.and" 0x8c61 0xfc63 Ca And C Nothing false;
    CSubw "c.subw" 0x9c01 0xfc63 Ca Subw C Nothing false;
    CAddw "c.addw" 0x9c21 0xfc63 Ca Addw C Nothing false;
    CJ "c.j" 0xa001 0xe003 Cj Jal C Nothing false;
    CBeqz "c.beqz" 0xc001 0xe003 Cb Beq C Nothing false;
    CBnez "c.bnez" 0xe001 0xe003 Cb Bne C Nothing false;
    CSlli64 "c.slli64" 0x0002 0xf07f CiSlli64 Slli C Nothing false;
    CSlli "c.slli" 0x0002 0xe003 CiSlli Slli C Nothing false;
    CFldsp "c.fldsp" 0x2002 0xe003 CiLdsp Fld D Nothing true;
    CLwsp "c.lwsp" 0x4002 0xe003 CiLwsp Lw C Rd false;
    CLdsp "c.ldsp" 0x6002 0xe003 CiLdsp Ld C Rd false;
    CJr "c.jr" 0x8002 0xf07f CrJr Jalr C Rs1 false;
    CMv "c.mv" 0x8002 0xf003 CrMv Add C Nothing false;
    CEbreak "c.ebreak" 0x9002 0xffff CNone Ebreak C Nothing false;
    CJalr "c.jalr" 0x9002 0xf07f CrJr Jalr C Rs1 false;
    CAdd "c.add" 0x9002 0xf003 CrAdd Add C Nothing false;
    CFsdsp "c.fsdsp" 0xa002 0xe003 CssD Fsd D Nothing true;
    CSwsp "c.swsp" 0xc002 0xe003 CssW Sw C Nothing false;
    CSdsp "c.sdsp" 0xe002 0xe003 CssD Sd C Nothing false;
}

impl COp {
    /// This form's table row.
    #[inline]
    pub fn info(self) -> &'static COpInfo {
        &COPS[self as usize]
    }
}

#[inline]
const fn bits(p: u32, hi: u32, lo: u32) -> u32 {
    (p >> lo) & ((1 << (hi - lo + 1)) - 1)
}

/// A 3-bit register field (`x8`..`x15`) at bit `lo`.
#[inline]
const fn creg(p: u32, lo: u32) -> Reg {
    Reg::new(8 + bits(p, lo + 2, lo) as u8)
}

/// A full 5-bit register field at bit `lo`.
#[inline]
const fn reg5(p: u32, lo: u32) -> Reg {
    Reg::new(bits(p, lo + 4, lo) as u8)
}

/// The 6-bit immediate `imm[5] = p[12]`, `imm[4:0] = p[6:2]`, unsigned.
#[inline]
const fn ci_imm(p: u32) -> u32 {
    (bits(p, 12, 12) << 5) | bits(p, 6, 2)
}

const SP: Reg = Reg::new(2);
const RA: Reg = Reg::new(1);
const ZERO: Reg = Reg::new(0);

impl CFmt {
    /// Fills the expanded instruction's operands from parcel `p`.
    #[inline]
    pub(crate) fn extract(self, p: u32, op: Op, i: &mut Inst) {
        match self {
            CFmt::Ciw => {
                i.rd = creg(p, 2);
                i.rs1 = SP;
                i.imm = ((bits(p, 12, 11) << 4)
                    | (bits(p, 10, 7) << 6)
                    | (bits(p, 6, 6) << 2)
                    | (bits(p, 5, 5) << 3)) as i32;
            }
            CFmt::ClW | CFmt::ClD => {
                i.rd = creg(p, 2);
                i.rs1 = creg(p, 7);
                i.imm = mem_offset(self, p);
            }
            CFmt::CsW | CFmt::CsD => {
                i.rs2 = creg(p, 2);
                i.rs1 = creg(p, 7);
                i.imm = mem_offset(self, p);
            }
            CFmt::CiAddi => {
                i.rd = reg5(p, 7);
                i.rs1 = i.rd;
                i.imm = sext(ci_imm(p), 6);
            }
            CFmt::CiLi => {
                i.rd = reg5(p, 7);
                i.imm = sext(ci_imm(p), 6);
            }
            CFmt::CiAddi16sp => {
                i.rd = SP;
                i.rs1 = SP;
                let v = (bits(p, 12, 12) << 9)
                    | (bits(p, 6, 6) << 4)
                    | (bits(p, 5, 5) << 6)
                    | (bits(p, 4, 3) << 7)
                    | (bits(p, 2, 2) << 5);
                i.imm = sext(v, 10);
            }
            CFmt::CiLui => {
                i.rd = reg5(p, 7);
                i.imm = sext(ci_imm(p) << 12, 18);
            }
            CFmt::CbShift | CFmt::CbShift64 => {
                i.rd = creg(p, 7);
                i.rs1 = i.rd;
                i.imm = ci_imm(p) as i32;
            }
            CFmt::CbAndi => {
                i.rd = creg(p, 7);
                i.rs1 = i.rd;
                i.imm = sext(ci_imm(p), 6);
            }
            CFmt::Ca => {
                i.rd = creg(p, 7);
                i.rs1 = i.rd;
                i.rs2 = creg(p, 2);
            }
            CFmt::Cj => {
                let v = (bits(p, 12, 12) << 11)
                    | (bits(p, 11, 11) << 4)
                    | (bits(p, 10, 9) << 8)
                    | (bits(p, 8, 8) << 10)
                    | (bits(p, 7, 7) << 6)
                    | (bits(p, 6, 6) << 7)
                    | (bits(p, 5, 3) << 1)
                    | (bits(p, 2, 2) << 5);
                i.rd = ZERO;
                i.imm = sext(v, 12);
            }
            CFmt::Cb => {
                let v = (bits(p, 12, 12) << 8)
                    | (bits(p, 11, 10) << 3)
                    | (bits(p, 6, 5) << 6)
                    | (bits(p, 4, 3) << 1)
                    | (bits(p, 2, 2) << 5);
                i.rs1 = creg(p, 7);
                i.rs2 = ZERO;
                i.imm = sext(v, 9);
            }
            CFmt::CiSlli | CFmt::CiSlli64 => {
                i.rd = reg5(p, 7);
                i.rs1 = i.rd;
                i.imm = ci_imm(p) as i32;
            }
            CFmt::CiLwsp | CFmt::CiLdsp => {
                i.rd = reg5(p, 7);
                i.rs1 = SP;
                i.imm = mem_offset(self, p);
            }
            CFmt::CssW | CFmt::CssD => {
                i.rs2 = reg5(p, 2);
                i.rs1 = SP;
                i.imm = mem_offset(self, p);
            }
            CFmt::CrJr => {
                i.rd = if op == Op::Jalr && bits(p, 12, 12) == 1 {
                    RA
                } else {
                    ZERO
                };
                i.rs1 = reg5(p, 7);
            }
            CFmt::CrMv => {
                i.rd = reg5(p, 7);
                i.rs2 = reg5(p, 2);
            }
            CFmt::CrAdd => {
                i.rd = reg5(p, 7);
                i.rs1 = i.rd;
                i.rs2 = reg5(p, 2);
            }
            CFmt::CNone => {}
        }
    }

    /// The parcel bits for `i`, to be or'ed with the row's `match` bits, or why `i` has no
    /// such compressed form.
    pub(crate) fn insert(self, cop: COp, i: &Inst) -> Result<u32, EncodeError> {
        let info = cop.info();
        let imm = i.imm;
        let rd5 = (i.rd.num() as u32) << 7;
        let rs2_5 = (i.rs2.num() as u32) << 2;
        let p = match self {
            CFmt::Ciw => {
                need(i.rs1 == SP)?;
                let v = uimm(imm, 10, 4)?;
                (creg_bits(i.rd)? << 2)
                    | (bits(v, 5, 4) << 11)
                    | (bits(v, 9, 6) << 7)
                    | (bits(v, 2, 2) << 6)
                    | (bits(v, 3, 3) << 5)
            }
            CFmt::ClW | CFmt::ClD => {
                (creg_bits(i.rd)? << 2) | (creg_bits(i.rs1)? << 7) | self.offset_bits(imm)?
            }
            CFmt::CsW | CFmt::CsD => {
                (creg_bits(i.rs2)? << 2) | (creg_bits(i.rs1)? << 7) | self.offset_bits(imm)?
            }
            CFmt::CiAddi | CFmt::CiLi => {
                let src = if self == CFmt::CiLi { ZERO } else { i.rd };
                need(i.rs1 == src)?;
                rd5 | ci_bits(simm(imm, 6, 1)?)
            }
            CFmt::CiAddi16sp => {
                need(i.rd == SP && i.rs1 == SP)?;
                let v = simm(imm, 10, 16)?;
                (bits(v, 9, 9) << 12)
                    | (bits(v, 4, 4) << 6)
                    | (bits(v, 6, 6) << 5)
                    | (bits(v, 8, 7) << 3)
                    | (bits(v, 5, 5) << 2)
            }
            CFmt::CiLui => rd5 | ci_bits(simm(imm, 18, 4096)? >> 12),
            CFmt::CbShift | CFmt::CbAndi => {
                need(i.rs1 == i.rd)?;
                let v = if self == CFmt::CbShift {
                    uimm(imm, 6, 1)?
                } else {
                    simm(imm, 6, 1)?
                };
                (creg_bits(i.rd)? << 7) | ci_bits(v)
            }
            CFmt::Ca => {
                need(i.rs1 == i.rd)?;
                (creg_bits(i.rd)? << 7) | (creg_bits(i.rs2)? << 2)
            }
            CFmt::Cj => {
                need(i.rd == ZERO)?;
                let v = simm(imm, 12, 2)?;
                (bits(v, 11, 11) << 12)
                    | (bits(v, 4, 4) << 11)
                    | (bits(v, 9, 8) << 9)
                    | (bits(v, 10, 10) << 8)
                    | (bits(v, 6, 6) << 7)
                    | (bits(v, 7, 7) << 6)
                    | (bits(v, 3, 1) << 3)
                    | (bits(v, 5, 5) << 2)
            }
            CFmt::Cb => {
                need(i.rs2 == ZERO)?;
                let v = simm(imm, 9, 2)?;
                (creg_bits(i.rs1)? << 7)
                    | (bits(v, 8, 8) << 12)
                    | (bits(v, 4, 3) << 10)
                    | (bits(v, 7, 6) << 5)
                    | (bits(v, 2, 1) << 3)
                    | (bits(v, 5, 5) << 2)
            }
            CFmt::CiSlli => {
                need(i.rs1 == i.rd)?;
                rd5 | ci_bits(uimm(imm, 6, 1)?)
            }
            CFmt::CiSlli64 => {
                need(i.rs1 == i.rd && imm == 0)?;
                rd5
            }
            CFmt::CbShift64 => {
                need(i.rs1 == i.rd && imm == 0)?;
                creg_bits(i.rd)? << 7
            }
            CFmt::CiLwsp | CFmt::CiLdsp => {
                need(i.rs1 == SP)?;
                rd5 | self.offset_bits(imm)?
            }
            CFmt::CssW | CFmt::CssD => {
                need(i.rs1 == SP)?;
                rs2_5 | self.offset_bits(imm)?
            }
            CFmt::CrJr => {
                let link = if cop == COp::CJalr { RA } else { ZERO };
                need(i.rd == link && imm == 0)?;
                (i.rs1.num() as u32) << 7
            }
            CFmt::CrMv => {
                need(i.rs1 == ZERO && i.rs2 != ZERO)?;
                rd5 | rs2_5
            }
            CFmt::CrAdd => {
                need(i.rs1 == i.rd && i.rs2 != ZERO)?;
                rd5 | rs2_5
            }
            CFmt::CNone => 0,
        };
        need(!info.nonzero.is_broken_by(i))?;
        Ok(p)
    }

    /// The offset bits of a load or store form.
    fn offset_bits(self, imm: i32) -> Result<u32, EncodeError> {
        Ok(match self {
            CFmt::ClW | CFmt::CsW => {
                let v = uimm(imm, 7, 4)?;
                (bits(v, 5, 3) << 10) | (bits(v, 2, 2) << 6) | (bits(v, 6, 6) << 5)
            }
            CFmt::ClD | CFmt::CsD => {
                let v = uimm(imm, 8, 8)?;
                (bits(v, 5, 3) << 10) | (bits(v, 7, 6) << 5)
            }
            CFmt::CiLwsp => {
                let v = uimm(imm, 8, 4)?;
                (bits(v, 5, 5) << 12) | (bits(v, 4, 2) << 4) | (bits(v, 7, 6) << 2)
            }
            CFmt::CiLdsp => {
                let v = uimm(imm, 9, 8)?;
                (bits(v, 5, 5) << 12) | (bits(v, 4, 3) << 5) | (bits(v, 8, 6) << 2)
            }
            CFmt::CssW => {
                let v = uimm(imm, 8, 4)?;
                (bits(v, 5, 2) << 9) | (bits(v, 7, 6) << 7)
            }
            _ => {
                let v = uimm(imm, 9, 8)?;
                (bits(v, 5, 3) << 10) | (bits(v, 8, 6) << 7)
            }
        })
    }

    /// Writes the operands as objdump prints them for the compressed form.
    pub(crate) fn write_operands(
        self,
        fp: bool,
        i: &Inst,
        pc: u64,
        out: &mut dyn Write,
    ) -> fmt::Result {
        let x = |r: Reg| r.x().name();
        let data = |r: Reg| if fp { r.f().name() } else { r.x().name() };
        let target = pc.wrapping_add(i.imm as i64 as u64);
        match self {
            CFmt::Ciw => write!(out, "{},sp,{}", x(i.rd), i.imm),
            CFmt::ClW | CFmt::ClD | CFmt::CiLwsp | CFmt::CiLdsp => {
                write!(out, "{},{}({})", data(i.rd), i.imm, x(i.rs1))
            }
            CFmt::CsW | CFmt::CsD | CFmt::CssW | CFmt::CssD => {
                write!(out, "{},{}({})", data(i.rs2), i.imm, x(i.rs1))
            }
            CFmt::CiAddi | CFmt::CiLi | CFmt::CbAndi => write!(out, "{},{}", x(i.rd), i.imm),
            CFmt::CiAddi16sp => write!(out, "sp,{}", i.imm),
            CFmt::CiLui => write!(out, "{},0x{:x}", x(i.rd), (i.imm as u32) >> 12),
            CFmt::CbShift | CFmt::CiSlli => write!(out, "{},0x{:x}", x(i.rd), i.imm),
            CFmt::Ca | CFmt::CrMv | CFmt::CrAdd => write!(out, "{},{}", x(i.rd), x(i.rs2)),
            CFmt::Cj => write!(out, "{:x}", target),
            CFmt::Cb => write!(out, "{},{:x}", x(i.rs1), target),
            CFmt::CiSlli64 | CFmt::CbShift64 => write!(out, "{}", x(i.rd)),
            CFmt::CrJr => write!(out, "{}", x(i.rs1)),
            CFmt::CNone => Ok(()),
        }
    }
}

/// The offset of a load or store form, zero-extended and scaled.
fn mem_offset(f: CFmt, p: u32) -> i32 {
    let v = match f {
        CFmt::ClW | CFmt::CsW => {
            (bits(p, 12, 10) << 3) | (bits(p, 6, 6) << 2) | (bits(p, 5, 5) << 6)
        }
        CFmt::ClD | CFmt::CsD => (bits(p, 12, 10) << 3) | (bits(p, 6, 5) << 6),
        CFmt::CiLwsp => (bits(p, 12, 12) << 5) | (bits(p, 6, 4) << 2) | (bits(p, 3, 2) << 6),
        CFmt::CiLdsp => (bits(p, 12, 12) << 5) | (bits(p, 6, 5) << 3) | (bits(p, 4, 2) << 6),
        CFmt::CssW => (bits(p, 12, 9) << 2) | (bits(p, 8, 7) << 6),
        _ => (bits(p, 12, 10) << 3) | (bits(p, 9, 7) << 6),
    };
    v as i32
}

fn need(ok: bool) -> Result<(), EncodeError> {
    if ok {
        Ok(())
    } else {
        Err(EncodeError::NotCompressible)
    }
}

/// The 3-bit field for a register `x8`..`x15`.
fn creg_bits(r: Reg) -> Result<u32, EncodeError> {
    need((8..16).contains(&r.num()))?;
    Ok((r.num() - 8) as u32)
}

/// The compressed immediate split as `c.addi` stores it: bit 5 at 12, bits 4:0 at 6:2.
fn ci_bits(v: u32) -> u32 {
    (bits(v, 5, 5) << 12) | (bits(v, 4, 0) << 2)
}

/// `v` as an unsigned immediate below `2^bits`, a multiple of `align`.
fn uimm(v: i32, bits: u32, align: i32) -> Result<u32, EncodeError> {
    fit_unsigned(v, bits, align).ok_or(EncodeError::NotCompressible)
}

/// `v` as a signed immediate of `bits` bits, a multiple of `align`, truncated to those bits.
fn simm(v: i32, bits: u32, align: i32) -> Result<u32, EncodeError> {
    fit_signed(v, bits, align).ok_or(EncodeError::NotCompressible)
}
