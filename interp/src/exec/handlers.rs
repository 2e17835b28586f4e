//! Per-instruction handlers, resolved once when an instruction is decoded into a block: the
//! engine calls one function pointer per instruction instead of matching on the class and then
//! on the opcode (and looking the opcode up in the `OPS` table) every time it runs.
//!
//! The common integer instructions get a handler of their own (one monomorphic function per
//! opcode, where [`alu`] folds to the single operation); everything else goes through
//! [`execute_unretired`] or [`execute`], the same code as a single step. No handler counts the
//! instruction as retired except [`execute`]: the engine counts a block's instructions at once
//! (see [`Kind`]).

use ospite_isa::{Class, Fmt, Inst, Op, Width};
use ospite_mmu::Bus;

use super::{alu, execute, execute_unretired, mem, Flow};
use crate::hart::Hart;
use crate::trap::{Exception, ExceptionCause};

/// A pre-resolved instruction handler. On success the pc points at the next instruction; on
/// an exception nothing architectural has changed.
pub(crate) type Handler<B> = fn(&mut Hart, &B, &Inst) -> Result<Flow, Exception>;

/// What the engine does around a handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Nothing: the engine counts it as retired with the rest of the block. Never changes the
    /// translation context, the counters or the interrupt state.
    Plain,
    /// A store, SC or AMO (batch-retired): afterwards the engine checks whether it wrote cached
    /// code, and whether an interrupt became pending (a store to a device may raise one).
    Store,
    /// Ends the block and retires itself ([`execute`]): CSR accesses, `xret`, `ecall`/`ebreak`,
    /// `wfi`, `fence.i`, `sfence.vma`. The engine retires the block's earlier instructions
    /// first, so counters read or written by the instruction are exact.
    End,
}

impl Kind {
    /// The kind of `op`.
    pub(crate) fn of(op: Op) -> Kind {
        match op.class() {
            Class::Store(_) | Class::FpStore(_) | Class::StoreConditional(_) | Class::Amo(_) => {
                Kind::Store
            }
            Class::Csr
            | Class::Return
            | Class::Trap
            | Class::Wfi
            | Class::FenceI
            | Class::SfenceVma => Kind::End,
            _ => Kind::Plain,
        }
    }
}

/// Whether `op` is the last instruction of a block: control flow, and every [`Kind::End`].
pub(crate) fn ends_block(op: Op) -> bool {
    matches!(op.class(), Class::Branch | Class::Jal | Class::Jalr) || Kind::of(op) == Kind::End
}

#[inline(always)]
fn next(hart: &Hart, inst: &Inst) -> u64 {
    hart.pc.wrapping_add(inst.size())
}

fn alu_imm<B: Bus, const OP: u16>(hart: &mut Hart, _: &B, inst: &Inst) -> Result<Flow, Exception> {
    let op = const { Op::ALL[OP as usize] };
    let a = hart.xi(inst.rs1.idx());
    let v = alu(op, a, inst.imm as i64 as u64).unwrap_or(0);
    hart.set_xi(inst.rd.idx(), v);
    hart.pc = next(hart, inst);
    Ok(Flow::Continue)
}

fn alu_reg<B: Bus, const OP: u16>(hart: &mut Hart, _: &B, inst: &Inst) -> Result<Flow, Exception> {
    let op = const { Op::ALL[OP as usize] };
    let a = hart.xi(inst.rs1.idx());
    let b = hart.xi(inst.rs2.idx());
    let v = alu(op, a, b).unwrap_or(0);
    hart.set_xi(inst.rd.idx(), v);
    hart.pc = next(hart, inst);
    Ok(Flow::Continue)
}

fn lui<B: Bus>(hart: &mut Hart, _: &B, inst: &Inst) -> Result<Flow, Exception> {
    hart.set_xi(inst.rd.idx(), inst.imm as i64 as u64);
    hart.pc = next(hart, inst);
    Ok(Flow::Continue)
}

fn auipc<B: Bus>(hart: &mut Hart, _: &B, inst: &Inst) -> Result<Flow, Exception> {
    let v = hart.pc.wrapping_add(inst.imm as i64 as u64);
    hart.set_xi(inst.rd.idx(), v);
    hart.pc = next(hart, inst);
    Ok(Flow::Continue)
}

/// Without C a jump target must be 4-byte aligned (the same rule as `branch::check_target`).
#[inline(always)]
fn check_target(hart: &Hart, target: u64) -> Result<(), Exception> {
    if target & 3 != 0 && !hart.has(ospite_isa::Ext::C) {
        return Err(Exception::new(
            ExceptionCause::InstructionAddressMisaligned,
            target,
        ));
    }
    Ok(())
}

fn branch<B: Bus, const OP: u16>(hart: &mut Hart, _: &B, inst: &Inst) -> Result<Flow, Exception> {
    let op = const { Op::ALL[OP as usize] };
    let a = hart.xi(inst.rs1.idx());
    let b = hart.xi(inst.rs2.idx());
    let taken = match op {
        Op::Beq => a == b,
        Op::Bne => a != b,
        Op::Blt => (a as i64) < (b as i64),
        Op::Bge => (a as i64) >= (b as i64),
        Op::Bltu => a < b,
        _ => a >= b,
    };
    hart.pc = if taken {
        let target = hart.pc.wrapping_add(inst.imm as i64 as u64);
        check_target(hart, target)?;
        target
    } else {
        next(hart, inst)
    };
    Ok(Flow::Continue)
}

fn jal<B: Bus>(hart: &mut Hart, _: &B, inst: &Inst) -> Result<Flow, Exception> {
    let target = hart.pc.wrapping_add(inst.imm as i64 as u64);
    check_target(hart, target)?;
    hart.set_xi(inst.rd.idx(), next(hart, inst));
    hart.pc = target;
    Ok(Flow::Continue)
}

fn jalr<B: Bus>(hart: &mut Hart, _: &B, inst: &Inst) -> Result<Flow, Exception> {
    let target = hart.xi(inst.rs1.idx()).wrapping_add(inst.imm as i64 as u64) & !1;
    check_target(hart, target)?;
    hart.set_xi(inst.rd.idx(), next(hart, inst));
    hart.pc = target;
    Ok(Flow::Continue)
}

fn load<B: Bus, const W: Width, const SIGNED: bool>(
    hart: &mut Hart,
    bus: &B,
    inst: &Inst,
) -> Result<Flow, Exception> {
    mem::load(hart, bus, inst, W, SIGNED)?;
    hart.pc = next(hart, inst);
    Ok(Flow::Continue)
}

fn store<B: Bus, const W: Width>(hart: &mut Hart, bus: &B, inst: &Inst) -> Result<Flow, Exception> {
    mem::store(hart, bus, inst, W)?;
    hart.pc = next(hart, inst);
    Ok(Flow::Continue)
}

/// The handler of `op`, and what the engine does around it.
pub(crate) fn resolve<B: Bus>(op: Op) -> (Handler<B>, Kind) {
    let kind = Kind::of(op);
    let handler = match (special::<B>(op), kind) {
        (Some(h), _) => h,
        (None, Kind::End) => execute::<B>,
        (None, _) => execute_unretired::<B>,
    };
    (handler, kind)
}

/// The handler of its own for `op`, if it has one.
fn special<B: Bus>(op: Op) -> Option<Handler<B>> {
    macro_rules! alu_ops {
        ($($name:ident)*) => {
            match op {
                $(Op::$name => Some(
                    if matches!(op.info().fmt, Fmt::I | Fmt::Sh6 | Fmt::Sh5) {
                        alu_imm::<B, { Op::$name as u16 }> as Handler<B>
                    } else {
                        alu_reg::<B, { Op::$name as u16 }> as Handler<B>
                    }
                ),)*
                _ => None,
            }
        };
    }
    match op.class() {
        Class::Alu => alu_ops!(
            Addi Slti Sltiu Xori Ori Andi Slli Srli Srai Add Sub Sll Slt Sltu Xor Srl Sra Or And
            Addiw Slliw Srliw Sraiw Addw Subw Sllw Srlw Sraw Mul Mulh Mulhsu Mulhu Div Divu Rem
            Remu Mulw Divw Divuw Remw Remuw AddUw Sh1add Sh2add Sh3add Sh1addUw Sh2addUw
            Sh3addUw SlliUw Andn Orn Xnor Clz Ctz Cpop Clzw Ctzw Cpopw Max Maxu Min Minu SextB
            SextH ZextH Rol Rolw Ror Rorw Rori Roriw OrcB Rev8 Clmul Clmulr Clmulh Bclr Bclri
            Bext Bexti Binv Binvi Bset Bseti CzeroEqz CzeroNez
        ),
        Class::Upper if op == Op::Lui => Some(lui::<B>),
        Class::Upper => Some(auipc::<B>),
        Class::Jal => Some(jal::<B>),
        Class::Jalr => Some(jalr::<B>),
        Class::Branch => match op {
            Op::Beq => Some(branch::<B, { Op::Beq as u16 }>),
            Op::Bne => Some(branch::<B, { Op::Bne as u16 }>),
            Op::Blt => Some(branch::<B, { Op::Blt as u16 }>),
            Op::Bge => Some(branch::<B, { Op::Bge as u16 }>),
            Op::Bltu => Some(branch::<B, { Op::Bltu as u16 }>),
            Op::Bgeu => Some(branch::<B, { Op::Bgeu as u16 }>),
            _ => None,
        },
        Class::Load(w, s) => match (w, s) {
            (1, true) => Some(load::<B, 1, true>),
            (2, true) => Some(load::<B, 2, true>),
            (4, true) => Some(load::<B, 4, true>),
            (8, true) => Some(load::<B, 8, true>),
            (1, false) => Some(load::<B, 1, false>),
            (2, false) => Some(load::<B, 2, false>),
            (4, false) => Some(load::<B, 4, false>),
            (8, false) => Some(load::<B, 8, false>),
            _ => None,
        },
        Class::Store(w) => match w {
            1 => Some(store::<B, 1>),
            2 => Some(store::<B, 2>),
            4 => Some(store::<B, 4>),
            8 => Some(store::<B, 8>),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alu_op_has_its_own_handler() {
        let missing: Vec<Op> = Op::ALL
            .iter()
            .copied()
            .filter(|op| op.class() == Class::Alu)
            .filter(|&op| special::<ospite_mmu::MemoryMap>(op).is_none())
            .collect();
        assert_eq!(missing, Vec::<Op>::new());
    }

    #[test]
    fn system_instructions_end_blocks_and_stores_are_checked() {
        assert_eq!(
            [
                Kind::of(Op::Csrrw),
                Kind::of(Op::Mret),
                Kind::of(Op::Sd),
                Kind::of(Op::AmoaddW),
                Kind::of(Op::Add),
            ],
            [Kind::End, Kind::End, Kind::Store, Kind::Store, Kind::Plain]
        );
    }
}
