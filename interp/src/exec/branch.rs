//! Conditional branches, `jal` and `jalr`.

use ospite_isa::{Ext, Inst, Op};

use super::Flow;
use crate::hart::Hart;
use crate::trap::{Exception, ExceptionCause};

/// Checks a jump target: without C it must be 4-byte aligned (instruction-address-misaligned,
/// with the target in `tval`); with C, every target the instructions can form is aligned.
#[inline]
fn check_target(hart: &Hart, target: u64) -> Result<(), Exception> {
    if target & 3 != 0 && !hart.has(Ext::C) {
        return Err(Exception::new(
            ExceptionCause::InstructionAddressMisaligned,
            target,
        ));
    }
    Ok(())
}

pub(super) fn branch(hart: &mut Hart, inst: &Inst, next: u64) -> Result<Flow, Exception> {
    let a = hart.xi(inst.rs1.idx());
    let b = hart.xi(inst.rs2.idx());
    let taken = match inst.op {
        Op::Beq => a == b,
        Op::Bne => a != b,
        Op::Blt => (a as i64) < (b as i64),
        Op::Bge => (a as i64) >= (b as i64),
        Op::Bltu => a < b,
        Op::Bgeu => a >= b,
        _ => return Err(Exception::illegal(0)),
    };
    hart.pc = if taken {
        let target = hart.pc.wrapping_add(inst.imm as i64 as u64);
        check_target(hart, target)?;
        target
    } else {
        next
    };
    Ok(Flow::Continue)
}

pub(super) fn jump(hart: &mut Hart, inst: &Inst, next: u64) -> Result<Flow, Exception> {
    let target = match inst.op {
        Op::Jal => hart.pc.wrapping_add(inst.imm as i64 as u64),
        _ => hart.xi(inst.rs1.idx()).wrapping_add(inst.imm as i64 as u64) & !1,
    };
    check_target(hart, target)?;
    hart.set_xi(inst.rd.idx(), next);
    hart.pc = target;
    Ok(Flow::Continue)
}
