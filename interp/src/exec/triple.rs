//! Fused triples: two instructions and the conditional branch after them under one handler,
//! chosen when a block is built, as pairs are (see `fused`). A triple is chosen where the
//! block's pairs, taken two by two from its start, would leave the branch alone: the ends of
//! loops such as `addi; addi; bltu` or `mul; add; bne`. It saves one more indirect jump.
//!
//! Only the commonest instructions of such places open a triple (each combination is a handler
//! of its own); every other instruction and every index stays as in a pair.

use ospite_isa::{Inst, Op};
use ospite_mmu::Bus;

use super::decoded::Decoded;
use super::env::Env;
use super::fused::{by_branch, then_branch, writes_rd, Alu, Load, Step, Store};
use super::handlers::{goes_back, ran_out, slow, Handler};
use super::outcome::Ended;
use crate::hart::Hart;

/// The handler of `S1`, `S2`, then a branch of `OP` (`BACK` when to its block's start).
fn triple<B: Bus, S1: Step<B>, S2: Step<B>, const OP: u16, const BACK: bool>(
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
    if !S2::fast(hart, env, d2) {
        return slow(hart, env, d2, rest2, S2::slow);
    }
    then_branch::<B, OP, BACK>(hart, env, rest2)
}

/// The handler of the triple `first`, `second`, `third` (a branch, at `third_off` bytes from
/// the start of its block; `back_ok` as for `handlers::goes_back`), if they fuse.
pub(crate) fn fuse_triple<B: Bus>(
    first: &Inst,
    second: &Inst,
    third: &Inst,
    third_off: u64,
    back_ok: bool,
) -> Option<Handler<B>> {
    if !writes_rd(first) || !writes_rd(second) {
        return None;
    }
    let back = goes_back(third, third_off, back_ok);
    macro_rules! firsts {
        ($($op:ident => $step:ty,)*) => {
            match first.op {
                $(Op::$op => with_first::<B, $step>(second, third.op, back),)*
                _ => None,
            }
        };
    }
    firsts! {
        Addi => Alu<{ Op::Addi as u16 }, true>,
        Add => Alu<{ Op::Add as u16 }, false>,
        Addiw => Alu<{ Op::Addiw as u16 }, true>,
        Addw => Alu<{ Op::Addw as u16 }, false>,
        Xor => Alu<{ Op::Xor as u16 }, false>,
        Mul => Alu<{ Op::Mul as u16 }, false>,
        Lw => Load<4, true>,
        Sb => Store<1>,
    }
}

/// The handler of `S1`, `second`, then a branch of `op` (`back` when to its block's start),
/// if they fuse.
fn with_first<B: Bus, S1: Step<B>>(second: &Inst, op: Op, back: bool) -> Option<Handler<B>> {
    macro_rules! seconds {
        ($($op:ident => $step:ty,)*) => {
            match second.op {
                $(Op::$op => by_branch!(op, back, triple::<B, S1, $step>),)*
                _ => None,
            }
        };
    }
    seconds! {
        Addi => Alu<{ Op::Addi as u16 }, true>,
        Add => Alu<{ Op::Add as u16 }, false>,
        Addiw => Alu<{ Op::Addiw as u16 }, true>,
        Addw => Alu<{ Op::Addw as u16 }, false>,
        Xor => Alu<{ Op::Xor as u16 }, false>,
        Sb => Store<1>,
        Sw => Store<4>,
    }
}
