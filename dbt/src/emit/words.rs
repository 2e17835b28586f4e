//! Late sign extension of 32-bit results. RV64 keeps the result of a W operation (`addw`,
//! `slliw`, ...) sign-extended to 64 bits, which costs x86 a `movsxd` after each one. Code that
//! works on 32-bit values (hashes, checksums, `int` arithmetic) mostly feeds such results to
//! other W operations, which read only the low 32 bits, and to `and`/`or`/`xor`, whose low 32
//! bits depend only on their operands' low 32 bits. So a W result in a host register is left
//! *pending*: its low 32 bits are right and its upper half is not yet written (x86's 32-bit
//! operations leave it zero). It is sign-extended in place only when something reads it as 64
//! bits, and before any node that is not a native integer operation, so every memory access,
//! helper call, exit and the block's end see every guest register whole.
//!
//! `and`, `or` and `xor` (and their immediate forms, and `mv`) of operands that are each
//! pending or known to be sign-extended 32-bit values leave their result pending too: the
//! result's true value is then the sign extension of its low 32 bits.

use iced_x86::IcedError;
use ospite_isa::{Inst, Op};

use super::Asm;

/// What is known of the guest registers in host registers at a point of a block's code.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Words {
    /// Registers whose upper half is pending (bit `r` for guest register `r`).
    pending: u32,
    /// Registers known to hold the sign extension of their low 32 bits (and not pending).
    sign_extended: u32,
}

/// How an operation reads its register operands and what its result is, for [`Words`].
enum Shape {
    /// A W operation computed in place, in `rd`'s host register: reads only the low halves and
    /// leaves its result pending.
    Word,
    /// Reads only the low half of `rs1` (and of `rs2`, if `both`; else `rs2` whole).
    ReadsLowHalves { both: bool },
    /// `and`/`or`/`xor`, an immediate form or an identity such as `mv`.
    Bitwise,
    /// Anything else: whole operands, a whole result.
    Whole,
}

fn shape(inst: &Inst, rd_in_host: bool) -> Shape {
    use Op::*;
    let (r1, r2, rd) = (inst.rs1.num(), inst.rs2.num(), inst.rd.num());
    match inst.op {
        // As `alu::two_operand` computes them: in place unless `subw` would lose rs2.
        Addw | Mulw | Addiw | Slliw | Srliw | Sraiw if rd_in_host => Shape::Word,
        Subw if rd_in_host && !(r2 == rd && r1 != rd) => Shape::Word,
        Addw | Subw | Mulw | Addiw | Slliw | Srliw | Sraiw => Shape::ReadsLowHalves { both: true },
        Sllw | Srlw | Sraw | Rolw | Rorw | Roriw | Divw | Divuw | Remw | Remuw | Clzw | Ctzw
        | Cpopw | SlliUw => Shape::ReadsLowHalves { both: true },
        AddUw | Sh1addUw | Sh2addUw | Sh3addUw => Shape::ReadsLowHalves { both: false },
        And | Or | Xor | Andi | Ori | Xori if rd_in_host => Shape::Bitwise,
        Add | Addi if rd_in_host && (r2 == 0 || r1 == 0) && inst.imm == 0 => Shape::Bitwise,
        _ => Shape::Whole,
    }
}

impl Words {
    fn bit(r: u8) -> u32 {
        1 << r
    }

    /// Whether guest register `r`'s upper half is pending.
    pub(crate) fn is_pending(&self, r: u8) -> bool {
        self.pending & Self::bit(r) != 0
    }

    /// Whether `r`'s true value is the sign extension of its low 32 bits: pending, known, or x0.
    fn is_word(&self, r: u8) -> bool {
        r == 0 || (self.pending | self.sign_extended) & Self::bit(r) != 0
    }
}

/// Writes the upper half of guest register `r` if it is pending.
pub(crate) fn complete(a: &mut Asm, r: u8) -> Result<(), IcedError> {
    if !a.words.is_pending(r) {
        return Ok(());
    }
    let h = a
        .regs
        .get(r)
        .expect("a pending register lives in a host register");
    a.movsxd(h.q, h.d)?;
    a.words.pending &= !Words::bit(r);
    a.words.sign_extended |= Words::bit(r);
    Ok(())
}

/// Writes every pending upper half: before anything but a native integer operation.
pub(crate) fn complete_all(a: &mut Asm) -> Result<(), IcedError> {
    for r in 1..32 {
        complete(a, r)?;
    }
    Ok(())
}

/// Before native integer operation `inst`: completes the operands it reads whole, and says
/// whether its result will be pending (`alu::emit` then leaves out the sign extension).
pub(crate) fn prepare(a: &mut Asm, inst: &Inst) -> Result<bool, IcedError> {
    let (r1, r2, rd) = (inst.rs1.num(), inst.rs2.num(), inst.rd.num());
    let rd_in_host = a.regs.get(rd).is_some();
    // Register operands: the immediate forms' rs2 field is not one.
    let reads_rs2 = !matches!(
        inst.op,
        Op::Addi | Op::Andi | Op::Ori | Op::Xori | Op::Addiw | Op::Slliw | Op::Srliw | Op::Sraiw
    );
    let pending = match shape(inst, rd_in_host) {
        Shape::Word => true,
        Shape::ReadsLowHalves { both: true } => false,
        Shape::ReadsLowHalves { both: false } => {
            complete(a, r2)?;
            false
        }
        Shape::Bitwise => {
            let words = a.words;
            let operands_are_words = words.is_word(r1) && (!reads_rs2 || words.is_word(r2));
            let any_pending = words.is_pending(r1) || (reads_rs2 && words.is_pending(r2));
            if operands_are_words && any_pending {
                true
            } else {
                complete(a, r1)?;
                if reads_rs2 {
                    complete(a, r2)?;
                }
                false
            }
        }
        Shape::Whole => {
            complete(a, r1)?;
            if reads_rs2 {
                complete(a, r2)?;
            }
            false
        }
    };
    Ok(pending)
}

/// After a node that wrote guest register `rd`: what is known of it now. `pending` when its
/// upper half was left out; `sign_extended` when it is known whole and a 32-bit value.
pub(crate) fn written(a: &mut Asm, rd: u8, pending: bool, sign_extended: bool) {
    let bit = Words::bit(rd);
    a.words.pending &= !bit;
    a.words.sign_extended &= !bit;
    if rd == 0 {
        return;
    }
    if pending {
        a.words.pending |= bit;
    } else if sign_extended {
        a.words.sign_extended |= bit;
    }
}

/// Whether native integer operation `inst` leaves a sign-extended 32-bit value when it writes
/// its result whole.
pub(crate) fn gives_word(inst: &Inst) -> bool {
    use Op::*;
    matches!(
        inst.op,
        Addw | Subw
            | Mulw
            | Addiw
            | Slliw
            | Srliw
            | Sraiw
            | Sllw
            | Srlw
            | Sraw
            | Rolw
            | Rorw
            | Roriw
            | Divw
            | Divuw
            | Remw
            | Remuw
            | Clzw
            | Ctzw
            | Cpopw
    )
}
