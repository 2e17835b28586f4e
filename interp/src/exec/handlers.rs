//! Per-instruction handlers, resolved once when an instruction is decoded into a block: the
//! engine calls one function pointer per instruction instead of matching on the class and then
//! on the opcode (and looking the opcode up in the `OPS` table) every time it runs.
//!
//! The common integer instructions, branches, jumps, and integer and FP loads and stores get a
//! handler of their own (one monomorphic function per opcode, where [`alu()`] folds to the single
//! operation; loads and stores through `fast_mem`); everything else goes through
//! [`execute_unretired`], the same code as a single step, and system instructions are handed
//! back to the engine. A handler says in its [`Outcome`] what the engine does next. No handler
//! counts the instruction as retired: the engine counts a block's instructions at once.

use ospite_isa::{Class, Fmt, Inst, Op, Width};
use ospite_mmu::Bus;

use super::decoded::Decoded;
use super::env::Env;
use super::fast_mem;
use super::mem::size_of;
use super::outcome::{Outcome, CODE_END, CODE_JUMPED, CODE_STORED_SLOW};
use super::{alu, execute_unretired, fp};
use crate::hart::Hart;
use crate::trap::{Exception, ExceptionCause};

/// A pre-resolved instruction handler. It runs while the hart's pc holds the block's first
/// instruction (see [`Decoded`]); only control flow ([`Kind::Jump`]) sets the pc. On an
/// exception nothing architectural has changed.
pub(crate) type Handler<B> = fn(&mut Hart, &Env<'_, B>, &Decoded<B>) -> Outcome;

/// The kinds of instruction that blocks and handlers tell apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Nothing: the engine counts it as retired with the rest of the block. Never changes the
    /// translation context, the counters, the interrupt state or the pc.
    Plain,
    /// A store, SC or AMO (batch-retired): afterwards the engine checks whether it wrote cached
    /// code; one that did not go to RAM through the TLB's fast table ends the block (it may
    /// have written a device, which may raise an interrupt line).
    Store,
    /// A branch or jump (batch-retired): sets the pc when it jumps, which ends the block. A
    /// jump is always last in its block; a branch not taken lets the block go on.
    Jump,
    /// Ends the block and retires itself (`execute`): CSR accesses, `xret`, `ecall`/`ebreak`,
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
            Class::Branch | Class::Jal | Class::Jalr => Kind::Jump,
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

/// Whether `op` is the last instruction of a block: jumps and every [`Kind::End`]. A block
/// goes on past a conditional branch, which leaves it when taken.
pub(crate) fn ends_block(op: Op) -> bool {
    op.class() != Class::Branch && matches!(Kind::of(op), Kind::Jump | Kind::End)
}

/// This instruction's pc.
#[inline(always)]
fn pc<B>(hart: &Hart, d: &Decoded<B>) -> u64 {
    hart.pc.wrapping_add(u64::from(d.pc_off))
}

/// The next instruction's pc.
#[inline(always)]
fn next<B>(hart: &Hart, d: &Decoded<B>) -> u64 {
    hart.pc.wrapping_add(u64::from(d.next_off))
}

#[inline(always)]
fn x(hart: &Hart, r: u8) -> u64 {
    hart.x[usize::from(r & 31)]
}

/// Writes a register that is not `x0` (handlers that write unconditionally are only chosen for
/// instructions with another `rd`).
#[inline(always)]
fn set_x(hart: &mut Hart, r: u8, v: u64) {
    hart.x[usize::from(r & 31)] = v;
}

/// An instruction whose only effect is on `rd = x0`: nothing.
fn nop<B: Bus>(_: &mut Hart, _: &Env<'_, B>, _: &Decoded<B>) -> Outcome {
    Outcome::NEXT
}

/// A [`Kind::End`] instruction: the engine executes it.
fn end<B: Bus>(_: &mut Hart, _: &Env<'_, B>, _: &Decoded<B>) -> Outcome {
    Outcome::code(CODE_END)
}

/// Everything without a handler of its own: [`execute_unretired`] at the instruction's pc,
/// then the pc back at the block's start.
fn generic<B: Bus>(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let start = hart.pc;
    hart.pc = pc(hart, d);
    match execute_unretired(hart, env.bus, &d.inst) {
        Ok(_) => {
            hart.pc = start;
            Outcome::NEXT
        }
        Err(e) => Outcome::fault(e),
    }
}

/// [`generic`] for stores, SCs and AMOs: the outcome's value is `rs1` as it was before (the
/// instruction may overwrite it), for the engine's check for stores to cached code.
fn generic_store<B: Bus>(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let base = x(hart, d.rs1);
    match generic(hart, env, d) {
        o if o.is_fault() => o,
        _ => Outcome {
            code: CODE_STORED_SLOW,
            value: base,
        },
    }
}

fn alu_imm<B: Bus, const OP: u16>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let op = const { Op::ALL[OP as usize] };
    let v = alu(op, x(hart, d.rs1), d.imm as u64).unwrap_or(0);
    set_x(hart, d.rd, v);
    Outcome::NEXT
}

fn alu_reg<B: Bus, const OP: u16>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let op = const { Op::ALL[OP as usize] };
    let v = alu(op, x(hart, d.rs1), x(hart, d.rs2)).unwrap_or(0);
    set_x(hart, d.rd, v);
    Outcome::NEXT
}

fn lui<B: Bus>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    set_x(hart, d.rd, d.imm as u64);
    Outcome::NEXT
}

fn auipc<B: Bus>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let v = pc(hart, d).wrapping_add(d.imm as u64);
    set_x(hart, d.rd, v);
    Outcome::NEXT
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

fn branch<B: Bus, const OP: u16>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let op = const { Op::ALL[OP as usize] };
    let a = x(hart, d.rs1);
    let b = x(hart, d.rs2);
    let taken = match op {
        Op::Beq => a == b,
        Op::Bne => a != b,
        Op::Blt => (a as i64) < (b as i64),
        Op::Bge => (a as i64) >= (b as i64),
        Op::Bltu => a < b,
        _ => a >= b,
    };
    if !taken {
        // The block goes on past a branch not taken (and sets the pc if it ends here).
        return Outcome::NEXT;
    }
    let target = pc(hart, d).wrapping_add(d.imm as u64);
    let checked = check_target(hart, target);
    if checked.is_ok() {
        hart.pc = target;
    }
    Outcome::of(CODE_JUMPED, checked)
}

fn jal<B: Bus>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let target = pc(hart, d).wrapping_add(d.imm as u64);
    let checked = check_target(hart, target);
    if checked.is_ok() {
        hart.set_xi(usize::from(d.rd & 31), next(hart, d));
        hart.pc = target;
    }
    Outcome::of(CODE_JUMPED, checked)
}

fn jalr<B: Bus>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let target = x(hart, d.rs1).wrapping_add(d.imm as u64) & !1;
    let checked = check_target(hart, target);
    if checked.is_ok() {
        hart.set_xi(usize::from(d.rd & 31), next(hart, d));
        hart.pc = target;
    }
    Outcome::of(CODE_JUMPED, checked)
}

#[inline(always)]
fn sext(v: u64, width: u8) -> u64 {
    let bits = 64 - 8 * u32::from(width);
    (((v << bits) as i64) >> bits) as u64
}

fn load<B: Bus, const W: Width, const SIGNED: bool>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    d: &Decoded<B>,
) -> Outcome {
    let va = x(hart, d.rs1).wrapping_add(d.imm as u64);
    match fast_mem::load(hart, env, va, size_of(W)) {
        Ok(v) => {
            hart.set_xi(usize::from(d.rd & 31), if SIGNED { sext(v, W) } else { v });
            Outcome::NEXT
        }
        Err(e) => Outcome::fault(e),
    }
}

fn store<B: Bus, const W: Width>(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let va = x(hart, d.rs1).wrapping_add(d.imm as u64);
    match fast_mem::store(hart, env, va, size_of(W), x(hart, d.rs2)) {
        Ok(pa) => Outcome::stored(pa, x(hart, d.rs1)),
        Err(e) => Outcome::fault(e),
    }
}

/// `flw`/`fld` (see `mem::fp_load`); with FP off, the generic path raises the exception.
fn fp_load<B: Bus, const W: Width>(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    if fp::check_enabled(hart, &d.inst).is_err() {
        return generic(hart, env, d);
    }
    let va = x(hart, d.rs1).wrapping_add(d.imm as u64);
    match fast_mem::load(hart, env, va, size_of(W)) {
        Ok(v) => {
            hart.f[usize::from(d.rd & 31)] = if W == 4 { fp::nan_box(v as u32) } else { v };
            hart.set_fs_dirty();
            Outcome::NEXT
        }
        Err(e) => Outcome::fault(e),
    }
}

/// `fsw`/`fsd` (see `mem::fp_store`); with FP off, the generic path raises the exception.
fn fp_store<B: Bus, const W: Width>(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    if fp::check_enabled(hart, &d.inst).is_err() {
        return generic_store(hart, env, d);
    }
    let va = x(hart, d.rs1).wrapping_add(d.imm as u64);
    let v = hart.f[usize::from(d.rs2 & 31)];
    match fast_mem::store(hart, env, va, size_of(W), v) {
        Ok(pa) => Outcome::stored(pa, x(hart, d.rs1)),
        Err(e) => Outcome::fault(e),
    }
}

/// The handler of `inst`.
pub(crate) fn resolve<B: Bus>(inst: &Inst) -> Handler<B> {
    let op = inst.op;
    let kind = Kind::of(op);
    let writes_only_x0 = inst.rd.idx() == 0 && matches!(op.class(), Class::Alu | Class::Upper);
    match (special::<B>(op), kind) {
        (_, Kind::End) => end::<B>,
        _ if writes_only_x0 => nop::<B>,
        (Some(h), _) => h,
        (None, Kind::Store) => generic_store::<B>,
        (None, _) => generic::<B>,
    }
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
        Class::FpLoad(4) => Some(fp_load::<B, 4>),
        Class::FpLoad(8) => Some(fp_load::<B, 8>),
        Class::FpStore(4) => Some(fp_store::<B, 4>),
        Class::FpStore(8) => Some(fp_store::<B, 8>),
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
