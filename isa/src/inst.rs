//! The decoded instruction: an opcode and its operands, with immediates already sign-extended.

use crate::compressed::COp;
use crate::csr::Csr;
use crate::op::Op;
use crate::reg::Reg;

/// A floating-point rounding mode, as the 3-bit `rm` field holds it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[repr(u8)]
pub enum Rm {
    /// Round to nearest, ties to even.
    Rne = 0,
    /// Round towards zero.
    Rtz = 1,
    /// Round down, towards negative infinity.
    Rdn = 2,
    /// Round up, towards positive infinity.
    Rup = 3,
    /// Round to nearest, ties to max magnitude.
    Rmm = 4,
    /// Reserved encoding 5: executing it is an illegal instruction.
    Reserved5 = 5,
    /// Reserved encoding 6: executing it is an illegal instruction.
    Reserved6 = 6,
    /// Dynamic: the mode in `frm`.
    #[default]
    Dyn = 7,
}

impl Rm {
    /// The rounding mode encoded by the low three bits of `bits`.
    #[inline]
    pub const fn from_bits(bits: u32) -> Rm {
        match bits & 7 {
            0 => Rm::Rne,
            1 => Rm::Rtz,
            2 => Rm::Rdn,
            3 => Rm::Rup,
            4 => Rm::Rmm,
            5 => Rm::Reserved5,
            6 => Rm::Reserved6,
            _ => Rm::Dyn,
        }
    }

    /// The suffix objdump prints (`rne`, `rtz`...; `unknown` for the reserved encodings).
    pub const fn name(self) -> &'static str {
        match self {
            Rm::Rne => "rne",
            Rm::Rtz => "rtz",
            Rm::Rdn => "rdn",
            Rm::Rup => "rup",
            Rm::Rmm => "rmm",
            Rm::Reserved5 | Rm::Reserved6 => "unknown",
            Rm::Dyn => "dyn",
        }
    }
}

/// A decoded RISC-V instruction.
///
/// Which fields mean something depends on the opcode's format (see [`Fmt`](crate::Fmt)); the
/// others are zero. `imm` is sign-extended where the instruction's immediate is signed, and for
/// `lui`/`auipc` it is the value added (already shifted left by 12). A compressed instruction has
/// the [`Op`] of its 32-bit twin and remembers its 16-bit form in `compressed`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Inst {
    /// The operation.
    pub op: Op,
    /// Destination register.
    pub rd: Reg,
    /// First source register.
    pub rs1: Reg,
    /// Second source register.
    pub rs2: Reg,
    /// Third source register (fused multiply-add only).
    pub rs3: Reg,
    /// The immediate: sign-extended offset or value, shift amount, CSR `uimm`, or for `fence`
    /// the raw `fm|pred|succ` bits.
    pub imm: i32,
    /// The CSR number, for CSR instructions.
    pub csr: Csr,
    /// The rounding mode, for floating-point instructions that have one.
    pub rm: Rm,
    /// Acquire ordering, for LR/SC and AMOs.
    pub aq: bool,
    /// Release ordering, for LR/SC and AMOs.
    pub rl: bool,
    /// The compressed form this instruction was written in, if it came from a 16-bit parcel.
    pub compressed: Option<COp>,
}

impl Inst {
    /// An instruction of opcode `op` with every operand zero (and `rm` dynamic).
    pub const fn new(op: Op) -> Inst {
        Inst {
            op,
            rd: Reg::new(0),
            rs1: Reg::new(0),
            rs2: Reg::new(0),
            rs3: Reg::new(0),
            imm: 0,
            csr: Csr(0),
            rm: Rm::Dyn,
            aq: false,
            rl: false,
            compressed: None,
        }
    }

    /// The instruction's size in bytes: 2 for a compressed parcel, else 4.
    #[inline]
    pub const fn size(&self) -> u64 {
        if self.compressed.is_some() {
            2
        } else {
            4
        }
    }

    /// Whether this came from (and encodes to) a 16-bit compressed parcel.
    #[inline]
    pub const fn is_compressed(&self) -> bool {
        self.compressed.is_some()
    }
}
