//! Per-instruction handlers, resolved once when an instruction is decoded into a block: the
//! engine calls one function pointer per instruction instead of matching on the class and then
//! on the opcode (and looking the opcode up in the `OPS` table) every time it runs.
//!
//! The common integer instructions, branches, jumps, and integer and FP loads and stores get a
//! handler of their own (one monomorphic function per opcode, where [`alu()`] folds to the single
//! operation; loads and stores through `fast_mem`); everything else goes through
//! [`execute_unretired`], the same code as a single step, and system instructions are handed
//! back to the engine. No handler counts the instruction as retired: the engine counts a
//! block's instructions at once.
//!
//! Dispatch is threaded: a handler that completes its instruction calls the next instruction's
//! handler itself, as its last act (a tail call, which the compiler makes a jump), so a run of
//! straight-line code costs one indirect jump per instruction, each from a site of its own,
//! with no return to a loop in between. Only a handler whose instruction stops the run (a
//! jump taken, a fault, a store that may have written code or a device, a system instruction,
//! the end of the block as run) returns, with an [`Outcome`] that says what happened and at
//! which instruction (as an [`Ended`], which keeps the calls jumps). Each handler is a small
//! semantic function (instruction in, [`Outcome`] out, [`Outcome::NEXT`] to carry on) wrapped
//! by `threaded!`.

use ospite_isa::{Class, Fmt, Inst, Op, Width};
use ospite_mmu::Bus;

use super::decoded::{Decoded, RegIdx};
use super::env::Env;
use super::fast_mem;
use super::mem::size_of;
use super::outcome::{
    Ended, Outcome, CODE_END, CODE_JUMPED, CODE_LOOPED, CODE_NEXT, CODE_RAN_OUT, CODE_STORED_SLOW,
};
use super::{alu, execute_unretired, fp};
use crate::hart::Hart;
use crate::trap::{Exception, ExceptionCause};

/// A pre-resolved instruction handler: runs instruction `d`, then (see the module doc) `rest`,
/// the instructions of its block after it, until something stops the run, and returns that
/// outcome ([`Outcome::after`] the stopping instruction). It runs while the hart's pc holds the
/// block's first instruction (see [`Decoded`]); only control flow ([`Kind::Jump`]) sets the pc.
/// On an exception nothing architectural has changed by the faulting instruction.
pub(crate) type Handler<B> = fn(&mut Hart, &Env<'_, B>, &Decoded<B>, &[Decoded<B>]) -> Ended;

/// Runs `rest`, the instructions after one that completed (see [`Handler`]), or says that the
/// block ran out after it.
#[inline(always)]
pub(super) fn run_on<B>(hart: &mut Hart, env: &Env<'_, B>, rest: &[Decoded<B>]) -> Ended {
    match rest.split_first() {
        Some((d, rest)) => (d.exec)(hart, env, d, rest),
        None => ran_out(),
    }
}

/// The outcome of the last instruction of a block as run, which completed.
#[cold]
#[inline(never)]
pub(super) fn ran_out() -> Ended {
    Outcome::code(CODE_RAN_OUT).after::<()>(&[])
}

/// After the instruction followed by `rest` jumped (the pc is its target): runs the block at
/// the target when the jump cache has it and the run may take it whole (see [`Env::left`]),
/// else returns the jump's outcome.
#[inline(always)]
pub(super) fn chain<B>(hart: &mut Hart, env: &Env<'_, B>, rest: &[Decoded<B>]) -> Ended {
    if !env.fresh {
        if let Some(j) = env.jumps.find(hart.pc) {
            let next = env.jumps.block(j);
            let n = (env.block.get().len() - rest.len()) as u64;
            let left = env.left.get() - n;
            if let Some((first, after)) = next.split_first() {
                if next.len() as u64 <= left {
                    env.left.set(left);
                    env.block.set(next);
                    return (first.exec)(hart, env, first, after);
                }
            }
        }
    }
    Outcome::code(CODE_JUMPED).after(rest)
}

/// After the instruction followed by `rest` jumped back to its block's start: runs the block
/// again when the run may take it whole (as [`chain`]), else returns the jump's outcome.
#[inline(always)]
pub(super) fn rerun<B>(hart: &mut Hart, env: &Env<'_, B>, rest: &[Decoded<B>]) -> Ended {
    let block = env.block.get();
    let n = (block.len() - rest.len()) as u64;
    let left = env.left.get() - n;
    if block.len() as u64 <= left {
        if let Some((first, after)) = block.split_first() {
            env.left.set(left);
            return (first.exec)(hart, env, first, after);
        }
    }
    Outcome::code(CODE_JUMPED).after(rest)
}

/// A handler's way out of line: semantic function `f` on instruction `d`, followed by `rest`,
/// then on as the handler would.
#[cold]
#[inline(never)]
pub(super) fn slow<B, F>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    d: &Decoded<B>,
    rest: &[Decoded<B>],
    f: F,
) -> Ended
where
    F: FnOnce(&mut Hart, &Env<'_, B>, &Decoded<B>) -> Outcome,
{
    let out = f(hart, env, d);
    if out.code == CODE_NEXT {
        run_on(hart, env, rest)
    } else {
        out.after(rest)
    }
}

/// The [`Handler`] of semantic function `$f` (`fn(&mut Hart, &Env<B>, &Decoded<B>) -> Outcome`,
/// inlined into it): on [`Outcome::NEXT`] it goes on with the next instruction, otherwise it
/// returns the outcome. The other forms are for loads and stores (`fast`), branches back to
/// the block's start (`back`) and jumps (`jump`).
macro_rules! threaded {
    ($f:expr) => {
        (|hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>, rest: &[Decoded<B>]| {
            let out: Outcome = $f(hart, env, d);
            if out.code == CODE_NEXT {
                run_on(hart, env, rest)
            } else {
                out.after(rest)
            }
        }) as Handler<B>
    };
    // A load or store: `$fast` (`fn(&mut Hart, &Env<B>, &Decoded<B>) -> bool`, with nothing
    // out of line) does the common case or nothing; else `$f` does it out of line ([`slow`]),
    // so that the handler keeps no frame.
    (fast $fast:expr, $f:expr) => {
        (|hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>, rest: &[Decoded<B>]| {
            if $fast(hart, env, d) {
                run_on(hart, env, rest)
            } else {
                slow(hart, env, d, rest, $f)
            }
        }) as Handler<B>
    };
    // A branch back to the block's start: runs the block again when it can (see [`rerun`]).
    (back $f:expr) => {
        (|hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>, rest: &[Decoded<B>]| {
            let out: Outcome = $f(hart, env, d);
            if out.code == CODE_NEXT {
                run_on(hart, env, rest)
            } else if out.code == CODE_LOOPED {
                rerun(hart, env, rest)
            } else {
                out.after(rest)
            }
        }) as Handler<B>
    };
    // A jump: goes on into the block at its target when it can (see [`chain`]).
    (jump $f:expr) => {
        (|hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>, rest: &[Decoded<B>]| {
            let out: Outcome = $f(hart, env, d);
            if out.code == CODE_NEXT {
                run_on(hart, env, rest)
            } else if out.code == CODE_JUMPED {
                chain(hart, env, rest)
            } else {
                out.after(rest)
            }
        }) as Handler<B>
    };
}

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
fn x(hart: &Hart, r: RegIdx) -> u64 {
    hart.x[r.get()]
}

/// Writes a register that is not `x0` (handlers that write unconditionally are only chosen for
/// instructions with another `rd`).
#[inline(always)]
fn set_x(hart: &mut Hart, r: RegIdx, v: u64) {
    hart.x[r.get()] = v;
}

/// An instruction whose only effect is on `rd = x0`: nothing.
#[inline(always)]
fn nop<B: Bus>(_: &mut Hart, _: &Env<'_, B>, _: &Decoded<B>) -> Outcome {
    Outcome::NEXT
}

/// A [`Kind::End`] instruction: the engine executes it.
#[inline(always)]
fn end<B: Bus>(_: &mut Hart, _: &Env<'_, B>, _: &Decoded<B>) -> Outcome {
    Outcome::code(CODE_END)
}

/// Everything without a handler of its own: [`execute_unretired`] at the instruction's pc,
/// then the pc back at the block's start.
#[inline(never)]
fn generic<B: Bus>(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let start = hart.pc;
    hart.pc = pc(hart, d);
    let result = execute_unretired(hart, env.bus, &d.inst);
    hart.pc = start;
    match result {
        Ok(_) => Outcome::NEXT,
        Err(e) => Outcome::fault(e),
    }
}

/// An FP computational instruction (class `Fp`) of opcode `OP` straight through `fp::fp_of`
/// (compiled for the opcode), without the pc moved there and back and the dispatch on the
/// class; an exception (FP off, a bad rounding mode, which `fp::fp_of` raises before changing
/// anything) through [`generic`], which raises it with the instruction's bits.
#[inline(never)]
fn fp_op<B: Bus, const OP: u16>(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    if fp::fp_of::<OP>(hart, &d.inst).is_ok() {
        Outcome::NEXT
    } else {
        generic(hart, env, d)
    }
}

/// [`generic`] for stores, SCs and AMOs: the outcome's value is `rs1` as it was before (the
/// instruction may overwrite it), for the engine's check for stores to cached code.
#[inline(never)]
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

#[inline(always)]
fn alu_imm<B: Bus, const OP: u16>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let op = const { Op::ALL[OP as usize] };
    let v = alu(op, x(hart, d.rs1), d.imm() as u64).unwrap_or(0);
    set_x(hart, d.rd, v);
    Outcome::NEXT
}

#[inline(always)]
fn alu_reg<B: Bus, const OP: u16>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let op = const { Op::ALL[OP as usize] };
    let v = alu(op, x(hart, d.rs1), x(hart, d.rs2)).unwrap_or(0);
    set_x(hart, d.rd, v);
    Outcome::NEXT
}

#[inline(always)]
fn lui<B: Bus>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    set_x(hart, d.rd, d.imm() as u64);
    Outcome::NEXT
}

#[inline(always)]
fn auipc<B: Bus>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let v = pc(hart, d).wrapping_add(d.imm() as u64);
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

/// Whether a branch of opcode `OP` on `a` (`rs1`) and `b` (`rs2`) is taken.
#[inline(always)]
pub(super) fn taken<const OP: u16>(a: u64, b: u64) -> bool {
    match const { Op::ALL[OP as usize] } {
        Op::Beq => a == b,
        Op::Bne => a != b,
        Op::Blt => (a as i64) < (b as i64),
        Op::Bge => (a as i64) >= (b as i64),
        Op::Bltu => a < b,
        _ => a >= b,
    }
}

#[inline(always)]
pub(super) fn branch<B: Bus, const OP: u16>(
    hart: &mut Hart,
    _: &Env<'_, B>,
    d: &Decoded<B>,
) -> Outcome {
    if !taken::<OP>(x(hart, d.rs1), x(hart, d.rs2)) {
        // The block goes on past a branch not taken (and sets the pc if it ends here).
        return Outcome::NEXT;
    }
    let target = pc(hart, d).wrapping_add(d.imm() as u64);
    let checked = check_target(hart, target);
    if checked.is_ok() {
        hart.pc = target;
    }
    Outcome::of(CODE_JUMPED, checked)
}

/// A branch back to its block's start (the pc, while the block runs), when taken: the block
/// runs again ([`rerun`]), with no jump-cache lookup. The pc already holds the target, and
/// needs no alignment check (see [`goes_back`]: a block that starts on a half word without C,
/// as after a trap handler stepped over a 2-byte parcel, takes [`branch`], which checks).
#[inline(always)]
fn branch_back<B: Bus, const OP: u16>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    if taken::<OP>(x(hart, d.rs1), x(hart, d.rs2)) {
        Outcome::code(CODE_LOOPED)
    } else {
        Outcome::NEXT
    }
}

#[inline(always)]
fn jal<B: Bus>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let target = pc(hart, d).wrapping_add(d.imm() as u64);
    let checked = check_target(hart, target);
    if checked.is_ok() {
        hart.set_xi(d.rd.get(), next(hart, d));
        hart.pc = target;
    }
    Outcome::of(CODE_JUMPED, checked)
}

#[inline(always)]
fn jalr<B: Bus>(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    let target = x(hart, d.rs1).wrapping_add(d.imm() as u64) & !1;
    let checked = check_target(hart, target);
    if checked.is_ok() {
        hart.set_xi(d.rd.get(), next(hart, d));
        hart.pc = target;
    }
    Outcome::of(CODE_JUMPED, checked)
}

#[inline(always)]
fn sext(v: u64, width: u8) -> u64 {
    let bits = 64 - 8 * u32::from(width);
    (((v << bits) as i64) >> bits) as u64
}

#[inline(always)]
pub(super) fn load<B: Bus, const W: Width, const SIGNED: bool>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    d: &Decoded<B>,
) -> Outcome {
    let va = x(hart, d.rs1).wrapping_add(d.imm() as u64);
    let out = match fast_mem::try_load_tlb(hart, env, d, va, size_of(W)) {
        Some(v) => Outcome::value(v),
        None => fast_mem::load(hart, env, va, size_of(W)),
    };
    if out.code == CODE_NEXT {
        let v = out.value;
        set_x(hart, d.rd, if SIGNED { sext(v, W) } else { v });
    }
    out
}

#[inline(always)]
pub(super) fn store<B: Bus, const W: Width>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    d: &Decoded<B>,
) -> Outcome {
    let base = x(hart, d.rs1);
    let va = base.wrapping_add(d.imm() as u64);
    let value = x(hart, d.rs2);
    if fast_mem::try_store_tlb(hart, env, d, va, size_of(W), value) {
        return Outcome::NEXT;
    }
    fast_mem::store(hart, env, va, size_of(W), value, base)
}

/// [`load`] when it hits the page memo (aligned, in the block's RAM view); else nothing.
#[inline(always)]
pub(super) fn load_fast<B: Bus, const W: Width, const SIGNED: bool>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    d: &Decoded<B>,
) -> bool {
    let va = x(hart, d.rs1).wrapping_add(d.imm() as u64);
    match fast_mem::try_load(env, d, va, size_of(W)) {
        Some(v) => {
            set_x(hart, d.rd, if SIGNED { sext(v, W) } else { v });
            true
        }
        None => false,
    }
}

/// [`store`] when it hits the page memo (aligned, in the block's RAM view, in a page without
/// cached code); else nothing.
#[inline(always)]
pub(super) fn store_fast<B: Bus, const W: Width>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    d: &Decoded<B>,
) -> bool {
    let va = x(hart, d.rs1).wrapping_add(d.imm() as u64);
    fast_mem::try_store(env, d, va, size_of(W), x(hart, d.rs2))
}

/// [`fp_load`] with FP on, when it hits as [`load_fast`]; else nothing.
#[inline(always)]
fn fp_load_fast<B: Bus, const W: Width>(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> bool {
    if !fp::is_enabled(hart, &d.inst) {
        return false;
    }
    let va = x(hart, d.rs1).wrapping_add(d.imm() as u64);
    match fast_mem::try_load(env, d, va, size_of(W)) {
        Some(v) => {
            hart.f[d.rd.get()] = if W == 4 { fp::nan_box(v as u32) } else { v };
            hart.set_fs_dirty();
            true
        }
        None => false,
    }
}

/// [`fp_store`] with FP on, when it hits as [`store_fast`]; else nothing.
#[inline(always)]
fn fp_store_fast<B: Bus, const W: Width>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    d: &Decoded<B>,
) -> bool {
    if !fp::is_enabled(hart, &d.inst) {
        return false;
    }
    let va = x(hart, d.rs1).wrapping_add(d.imm() as u64);
    fast_mem::try_store(env, d, va, size_of(W), hart.f[d.rs2.get()])
}

/// `flw`/`fld` (see `mem::fp_load`); with FP off, the generic path raises the exception.
#[inline(always)]
fn fp_load<B: Bus, const W: Width>(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    if !fp::is_enabled(hart, &d.inst) {
        return generic(hart, env, d);
    }
    let va = x(hart, d.rs1).wrapping_add(d.imm() as u64);
    let out = match fast_mem::try_load_tlb(hart, env, d, va, size_of(W)) {
        Some(v) => Outcome::value(v),
        None => fast_mem::load(hart, env, va, size_of(W)),
    };
    if out.code == CODE_NEXT {
        let v = out.value;
        hart.f[d.rd.get()] = if W == 4 { fp::nan_box(v as u32) } else { v };
        hart.set_fs_dirty();
    }
    out
}

/// `fsw`/`fsd` (see `mem::fp_store`); with FP off, the generic path raises the exception.
#[inline(always)]
fn fp_store<B: Bus, const W: Width>(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
    if !fp::is_enabled(hart, &d.inst) {
        return generic_store(hart, env, d);
    }
    let base = x(hart, d.rs1);
    let va = base.wrapping_add(d.imm() as u64);
    let v = hart.f[d.rs2.get()];
    if fast_mem::try_store_tlb(hart, env, d, va, size_of(W), v) {
        return Outcome::NEXT;
    }
    fast_mem::store(hart, env, va, size_of(W), v, base)
}

/// The handler of `inst`, found `pc_off` bytes after the start of its block (see [`goes_back`]
/// for `back_ok`).
pub(crate) fn resolve<B: Bus>(inst: &Inst, pc_off: u64, back_ok: bool) -> Handler<B> {
    let op = inst.op;
    let kind = Kind::of(op);
    if op.class() == Class::Branch && goes_back(inst, pc_off, back_ok) {
        if let Some(h) = branch_back_handler::<B>(op) {
            return h;
        }
    }
    let writes_only_x0 = inst.rd.idx() == 0 && matches!(op.class(), Class::Alu | Class::Upper);
    // The load handlers write `rd` unconditionally; a load into `x0` still loads (and may
    // fault), through the generic handler.
    let loads_into_x0 = inst.rd.idx() == 0 && matches!(op.class(), Class::Load(..));
    match (special::<B>(op), kind) {
        (_, Kind::End) => threaded!(end::<B>),
        _ if writes_only_x0 => threaded!(nop::<B>),
        _ if loads_into_x0 => threaded!(generic::<B>),
        (Some(h), _) => h,
        (None, Kind::Store) => threaded!(generic_store::<B>),
        (None, _) => threaded!(generic::<B>),
    }
}

/// Whether branch `inst`, `pc_off` bytes after the start of its block, goes back to that start
/// and may take [`branch_back`]'s way, which skips the target's alignment check: `back_ok`
/// says that the start is on a 4-byte boundary or that C is on.
pub(crate) fn goes_back(inst: &Inst, pc_off: u64, back_ok: bool) -> bool {
    back_ok && i64::from(inst.imm) == -(pc_off as i64)
}

/// The handler of a branch of `op` back to its block's start.
fn branch_back_handler<B: Bus>(op: Op) -> Option<Handler<B>> {
    Some(match op {
        Op::Beq => threaded!(back branch_back::<B, { Op::Beq as u16 }>),
        Op::Bne => threaded!(back branch_back::<B, { Op::Bne as u16 }>),
        Op::Blt => threaded!(back branch_back::<B, { Op::Blt as u16 }>),
        Op::Bge => threaded!(back branch_back::<B, { Op::Bge as u16 }>),
        Op::Bltu => threaded!(back branch_back::<B, { Op::Bltu as u16 }>),
        Op::Bgeu => threaded!(back branch_back::<B, { Op::Bgeu as u16 }>),
        _ => return None,
    })
}

/// The handler of its own for `op`, if it has one.
fn special<B: Bus>(op: Op) -> Option<Handler<B>> {
    macro_rules! alu_ops {
        ($($name:ident)*) => {
            match op {
                $(Op::$name => Some(
                    if matches!(op.info().fmt, Fmt::I | Fmt::Sh6 | Fmt::Sh5) {
                        threaded!(alu_imm::<B, { Op::$name as u16 }>)
                    } else {
                        threaded!(alu_reg::<B, { Op::$name as u16 }>)
                    }
                ),)*
                _ => None,
            }
        };
    }
    macro_rules! fp_ops {
        ($($name:ident)*) => {
            match op {
                $(Op::$name => Some(threaded!(fp_op::<B, { Op::$name as u16 }>)),)*
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
        Class::Upper if op == Op::Lui => Some(threaded!(lui::<B>)),
        Class::Upper => Some(threaded!(auipc::<B>)),
        Class::Jal => Some(threaded!(jump jal::<B>)),
        Class::Jalr => Some(threaded!(jump jalr::<B>)),
        Class::Branch => match op {
            Op::Beq => Some(threaded!(jump branch::<B, { Op::Beq as u16 }>)),
            Op::Bne => Some(threaded!(jump branch::<B, { Op::Bne as u16 }>)),
            Op::Blt => Some(threaded!(jump branch::<B, { Op::Blt as u16 }>)),
            Op::Bge => Some(threaded!(jump branch::<B, { Op::Bge as u16 }>)),
            Op::Bltu => Some(threaded!(jump branch::<B, { Op::Bltu as u16 }>)),
            Op::Bgeu => Some(threaded!(jump branch::<B, { Op::Bgeu as u16 }>)),
            _ => None,
        },
        Class::Load(w, s) => match (w, s) {
            (1, true) => Some(threaded!(fast load_fast::<B, 1, true>, load::<B, 1, true>)),
            (2, true) => Some(threaded!(fast load_fast::<B, 2, true>, load::<B, 2, true>)),
            (4, true) => Some(threaded!(fast load_fast::<B, 4, true>, load::<B, 4, true>)),
            (8, true) => Some(threaded!(fast load_fast::<B, 8, true>, load::<B, 8, true>)),
            (1, false) => Some(threaded!(fast load_fast::<B, 1, false>, load::<B, 1, false>)),
            (2, false) => Some(threaded!(fast load_fast::<B, 2, false>, load::<B, 2, false>)),
            (4, false) => Some(threaded!(fast load_fast::<B, 4, false>, load::<B, 4, false>)),
            (8, false) => Some(threaded!(fast load_fast::<B, 8, false>, load::<B, 8, false>)),
            _ => None,
        },
        Class::Fp => fp_ops!(
            FmaddS FmsubS FnmsubS FnmaddS FaddS FsubS FmulS FdivS FsqrtS FsgnjS FsgnjnS FsgnjxS
            FminS FmaxS FcvtWS FcvtWuS FcvtLS FcvtLuS FmvXW FeqS FltS FleS FclassS FcvtSW
            FcvtSWu FcvtSL FcvtSLu FmvWX FcvtSD FmaddD FmsubD FnmsubD FnmaddD FaddD FsubD FmulD
            FdivD FsqrtD FsgnjD FsgnjnD FsgnjxD FminD FmaxD FcvtWD FcvtWuD FcvtLD FcvtLuD FmvXD
            FeqD FltD FleD FclassD FcvtDW FcvtDWu FcvtDL FcvtDLu FmvDX FcvtDS
        ),
        Class::FpLoad(4) => Some(threaded!(fast fp_load_fast::<B, 4>, fp_load::<B, 4>)),
        Class::FpLoad(8) => Some(threaded!(fast fp_load_fast::<B, 8>, fp_load::<B, 8>)),
        Class::FpStore(4) => Some(threaded!(fast fp_store_fast::<B, 4>, fp_store::<B, 4>)),
        Class::FpStore(8) => Some(threaded!(fast fp_store_fast::<B, 8>, fp_store::<B, 8>)),
        Class::Store(w) => match w {
            1 => Some(threaded!(fast store_fast::<B, 1>, store::<B, 1>)),
            2 => Some(threaded!(fast store_fast::<B, 2>, store::<B, 2>)),
            4 => Some(threaded!(fast store_fast::<B, 4>, store::<B, 4>)),
            8 => Some(threaded!(fast store_fast::<B, 8>, store::<B, 8>)),
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
    fn every_fp_op_has_its_own_handler() {
        let missing: Vec<Op> = Op::ALL
            .iter()
            .copied()
            .filter(|op| op.class() == Class::Fp)
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
