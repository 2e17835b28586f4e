//! Fused pairs: one handler for two instructions that often follow each other (integer
//! operations, loads and stores, and a branch after any of them), chosen when a block is built.
//! The pair's handler sits in the first instruction's entry and runs the second from the next
//! entry (whose own handler stays, unused while the pair runs), so indexes, retired counts and
//! the pc stay those of the separate instructions: a fault or a way out of line in either half
//! is reported at that half's index with nothing of the later half done, and a budget that
//! ends between the two stops after the first. What the pair saves is the indirect jump
//! between the two handlers.

use ospite_isa::{Class, Inst, Op, Width};
use ospite_mmu::Bus;

use super::alu;
use super::decoded::Decoded;
use super::env::Env;
use super::handlers::{
    branch, chain, goes_back, load, load_fast, ran_out, rerun, run_on, slow, store, store_fast,
    taken, Handler,
};
use super::outcome::{Ended, Outcome, CODE_JUMPED, CODE_NEXT};
use crate::hart::Hart;

/// One half of a pair: `fast` does the common case (and says so) or nothing; `slow` does the
/// instruction out of line, as its handler would.
pub(super) trait Step<B> {
    fn fast(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> bool;
    fn slow(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> Outcome;
}

/// An integer operation (never out of line).
pub(super) struct Alu<const OP: u16, const IMM: bool>;
/// A load.
pub(super) struct Load<const W: Width, const SIGNED: bool>;
/// A store.
pub(super) struct Store<const W: Width>;

impl<B: Bus, const OP: u16, const IMM: bool> Step<B> for Alu<OP, IMM> {
    #[inline(always)]
    fn fast(hart: &mut Hart, _: &Env<'_, B>, d: &Decoded<B>) -> bool {
        let op = const { Op::ALL[OP as usize] };
        let a = hart.x[d.rs1.get()];
        let b = if IMM {
            d.imm() as u64
        } else {
            hart.x[d.rs2.get()]
        };
        // Only chosen for an `rd` other than `x0`.
        hart.x[d.rd.get()] = alu(op, a, b).unwrap_or(0);
        true
    }
    fn slow(_: &mut Hart, _: &Env<'_, B>, _: &Decoded<B>) -> Outcome {
        Outcome::NEXT
    }
}

impl<B: Bus, const W: Width, const SIGNED: bool> Step<B> for Load<W, SIGNED> {
    #[inline(always)]
    fn fast(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> bool {
        load_fast::<B, W, SIGNED>(hart, env, d)
    }
    #[inline(always)]
    fn slow(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
        load::<B, W, SIGNED>(hart, env, d)
    }
}

impl<B: Bus, const W: Width> Step<B> for Store<W> {
    #[inline(always)]
    fn fast(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> bool {
        store_fast::<B, W>(hart, env, d)
    }
    #[inline(always)]
    fn slow(hart: &mut Hart, env: &Env<'_, B>, d: &Decoded<B>) -> Outcome {
        store::<B, W>(hart, env, d)
    }
}

/// The handler of pair `S1`, `S2` (see [`Handler`]).
fn pair<B: Bus, S1: Step<B>, S2: Step<B>>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    d: &Decoded<B>,
    rest: &[Decoded<B>],
) -> Ended {
    if !S1::fast(hart, env, d) {
        return slow(hart, env, d, rest, S1::slow);
    }
    let Some((d2, rest2)) = rest.split_first() else {
        return ran_out();
    };
    if S2::fast(hart, env, d2) {
        run_on(hart, env, rest2)
    } else {
        slow(hart, env, d2, rest2, S2::slow)
    }
}

/// The handler of `S1` and then a branch of `OP`, `BACK` when to its block's start.
fn pair_branch<B: Bus, S1: Step<B>, const OP: u16, const BACK: bool>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    d: &Decoded<B>,
    rest: &[Decoded<B>],
) -> Ended {
    if !S1::fast(hart, env, d) {
        return slow(hart, env, d, rest, S1::slow);
    }
    then_branch::<B, OP, BACK>(hart, env, rest)
}

/// After a fused instruction that completed, followed by `rest`: the branch of `OP` that is
/// `rest`'s first instruction (`BACK` when to its block's start), then on as its handler would.
#[inline(always)]
pub(super) fn then_branch<B: Bus, const OP: u16, const BACK: bool>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    rest: &[Decoded<B>],
) -> Ended {
    let Some((d, after)) = rest.split_first() else {
        return ran_out();
    };
    if BACK {
        // The target is the block's start, which the pc holds (see `handlers::branch_back`).
        return if taken::<OP>(hart.x[d.rs1.get()], hart.x[d.rs2.get()]) {
            rerun(hart, env, after)
        } else {
            run_on(hart, env, after)
        };
    }
    let out = branch::<B, OP>(hart, env, d);
    if out.code == CODE_NEXT {
        run_on(hart, env, after)
    } else if out.code == CODE_JUMPED {
        chain(hart, env, after)
    } else {
        out.after(after)
    }
}

/// `$f::<$t.., OP, BACK>` as a [`Handler`] for branch opcode `$op` (`$back` when it goes to
/// its block's start); `None` for anything but a branch.
macro_rules! by_branch {
    ($op:expr, $back:expr, $f:ident::<$($t:ty),*>) => {
        match ($op, $back) {
            (Op::Beq, true) => Some($f::<$($t),*, { Op::Beq as u16 }, true> as Handler<B>),
            (Op::Bne, true) => Some($f::<$($t),*, { Op::Bne as u16 }, true> as Handler<B>),
            (Op::Blt, true) => Some($f::<$($t),*, { Op::Blt as u16 }, true> as Handler<B>),
            (Op::Bge, true) => Some($f::<$($t),*, { Op::Bge as u16 }, true> as Handler<B>),
            (Op::Bltu, true) => Some($f::<$($t),*, { Op::Bltu as u16 }, true> as Handler<B>),
            (Op::Bgeu, true) => Some($f::<$($t),*, { Op::Bgeu as u16 }, true> as Handler<B>),
            (Op::Beq, false) => Some($f::<$($t),*, { Op::Beq as u16 }, false> as Handler<B>),
            (Op::Bne, false) => Some($f::<$($t),*, { Op::Bne as u16 }, false> as Handler<B>),
            (Op::Blt, false) => Some($f::<$($t),*, { Op::Blt as u16 }, false> as Handler<B>),
            (Op::Bge, false) => Some($f::<$($t),*, { Op::Bge as u16 }, false> as Handler<B>),
            (Op::Bltu, false) => Some($f::<$($t),*, { Op::Bltu as u16 }, false> as Handler<B>),
            (Op::Bgeu, false) => Some($f::<$($t),*, { Op::Bgeu as u16 }, false> as Handler<B>),
            _ => None,
        }
    };
}
pub(super) use by_branch;

/// Whether `inst` writes a register other than `x0` (which the pairs' integer and load halves
/// assume).
pub(super) fn writes_rd(inst: &Inst) -> bool {
    inst.rd.idx() != 0 || !matches!(inst.op.class(), Class::Alu | Class::Upper | Class::Load(..))
}

/// Invokes `$then!` with the instructions that fuse, each with its step.
macro_rules! fusing_steps {
    ($then:ident) => {
        $then! {
            Addi => Alu<{ Op::Addi as u16 }, true>,
            Add => Alu<{ Op::Add as u16 }, false>,
            Addiw => Alu<{ Op::Addiw as u16 }, true>,
            Addw => Alu<{ Op::Addw as u16 }, false>,
            Sub => Alu<{ Op::Sub as u16 }, false>,
            Xor => Alu<{ Op::Xor as u16 }, false>,
            Xori => Alu<{ Op::Xori as u16 }, true>,
            Or => Alu<{ Op::Or as u16 }, false>,
            And => Alu<{ Op::And as u16 }, false>,
            Andi => Alu<{ Op::Andi as u16 }, true>,
            Slli => Alu<{ Op::Slli as u16 }, true>,
            Srli => Alu<{ Op::Srli as u16 }, true>,
            Srai => Alu<{ Op::Srai as u16 }, true>,
            Slliw => Alu<{ Op::Slliw as u16 }, true>,
            Srliw => Alu<{ Op::Srliw as u16 }, true>,
            Mul => Alu<{ Op::Mul as u16 }, false>,
            Lw => Load<4, true>,
            Ld => Load<8, true>,
            Lbu => Load<1, false>,
            Lhu => Load<2, false>,
            Sw => Store<4>,
            Sd => Store<8>,
            Sb => Store<1>,
        }
    };
}

/// The handler of the pair `first`, `second` (at `second_off` bytes from the start of its block;
/// `back_ok` as for `handlers::goes_back`), if they fuse.
pub(crate) fn fuse<B: Bus>(
    first: &Inst,
    second: &Inst,
    second_off: u64,
    back_ok: bool,
) -> Option<Handler<B>> {
    if !writes_rd(first) || !writes_rd(second) {
        return None;
    }
    let back = goes_back(second, second_off, back_ok);
    macro_rules! firsts {
        ($($op:ident => $step:ty,)*) => {
            match first.op {
                $(Op::$op => with_first::<B, $step>(second, back),)*
                _ => None,
            }
        };
    }
    fusing_steps!(firsts)
}

/// The handler of `S1` followed by `second`, `back` when `second` branches to its block's
/// start, if they fuse.
fn with_first<B: Bus, S1: Step<B>>(second: &Inst, back: bool) -> Option<Handler<B>> {
    macro_rules! seconds {
        ($($op:ident => $step:ty,)*) => {
            match second.op {
                $(Op::$op => Some(pair::<B, S1, $step> as Handler<B>),)*
                op => by_branch!(op, back, pair_branch::<B, S1>),
            }
        };
    }
    fusing_steps!(seconds)
}
