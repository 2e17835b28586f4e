//! Native x86-64 code for integer operations: RV64I, M, Zba, Zbb, Zbs and Zicond. The result
//! ends in `rax`; `rcx` and `rdx` are scratch. Division follows RISC-V, which never traps:
//! by zero gives all ones (quotient) or the dividend (remainder), and `MIN / -1` gives `MIN`
//! and remainder 0.

use iced_x86::code_asm::*;
use iced_x86::IcedError;
use ospite_isa::{Inst, Op};

use super::{x, Asm, HostFeatures};

/// Whether `op` has native code here (the rest run through the interpreter's semantics).
pub(crate) fn is_native(op: Op, f: HostFeatures) -> bool {
    use Op::*;
    match op {
        Clz | Clzw => f.lzcnt,
        Ctz | Ctzw => f.bmi1,
        Cpop | Cpopw => f.popcnt,
        Add | Sub | And | Or | Xor | Addi | Andi | Ori | Xori | Slt | Slti | Sltu | Sltiu | Sll
        | Srl | Sra | Slli | Srli | Srai | Addw | Subw | Addiw | Sllw | Srlw | Sraw | Slliw
        | Srliw | Sraiw | Mul | Mulw | Mulh | Mulhu | Mulhsu | Div | Divu | Rem | Remu | Divw
        | Divuw | Remw | Remuw | Sh1add | Sh2add | Sh3add | AddUw | Sh1addUw | Sh2addUw
        | Sh3addUw | SlliUw | Andn | Orn | Xnor | Max | Min | Maxu | Minu | SextB | SextH
        | ZextH | Rol | Ror | Rori | Rolw | Rorw | Roriw | Rev8 | Bclr | Bset | Binv | Bext
        | Bclri | Bseti | Binvi | Bexti | CzeroEqz | CzeroNez => true,
        _ => false,
    }
}

/// Emits `inst` (an operation [`is_native`] accepts, with `rd != 0`) and the write of `rd`;
/// with `pending`, a W operation computed in `rd`'s host register leaves the upper half
/// unwritten (see `words`).
pub(crate) fn emit(a: &mut Asm, inst: &Inst, pending: bool) -> Result<(), IcedError> {
    use Op::*;
    if is_two_operand(inst.op) {
        return two_operand(a, inst, pending);
    }
    let (r1, r2, imm) = (inst.rs1.num(), inst.rs2.num(), inst.imm);
    let uimm = imm as u32;
    match inst.op {
        Slt | Sltu | Slti | Sltiu => {
            op_x!(a, mov, rax, r1)?;
            match inst.op {
                Slt | Sltu => op_x!(a, cmp, rax, r2)?,
                _ => a.cmp(rax, imm)?,
            }
            match inst.op {
                Slt | Slti => a.setl(al)?,
                _ => a.setb(al)?,
            }
            a.movzx(eax, al)?;
        }
        Sll | Srl | Sra | Rol | Ror => {
            op_x!(a, mov, rax, r1)?;
            op_x!(a, mov, rcx, r2)?;
            match inst.op {
                Sll => a.shl(rax, cl)?,
                Srl => a.shr(rax, cl)?,
                Sra => a.sar(rax, cl)?,
                Rol => a.rol(rax, cl)?,
                _ => a.ror(rax, cl)?,
            }
        }
        Rori => {
            op_x!(a, mov, rax, r1)?;
            a.ror(rax, uimm)?;
        }
        Sllw | Srlw | Sraw | Rolw | Rorw => {
            op_xd!(a, mov, eax, r1)?;
            op_xd!(a, mov, ecx, r2)?;
            match inst.op {
                Sllw => a.shl(eax, cl)?,
                Srlw => a.shr(eax, cl)?,
                Sraw => a.sar(eax, cl)?,
                Rolw => a.rol(eax, cl)?,
                _ => a.ror(eax, cl)?,
            }
            a.movsxd(rax, eax)?;
        }
        Roriw => {
            op_xd!(a, mov, eax, r1)?;
            a.ror(eax, uimm)?;
            a.movsxd(rax, eax)?;
        }
        Mulh | Mulhu => {
            op_x!(a, mov, rax, r1)?;
            if inst.op == Mulh {
                op1_x!(a, imul, r2)?;
            } else {
                op1_x!(a, mul, r2)?;
            }
            a.mov(rax, rdx)?;
        }
        Mulhsu => {
            // The unsigned high half, minus rs2 when rs1 is negative.
            op_x!(a, mov, rax, r1)?;
            op1_x!(a, mul, r2)?;
            op_x!(a, mov, rax, r1)?;
            a.sar(rax, 63)?;
            op_x!(a, and, rax, r2)?;
            a.sub(rdx, rax)?;
            a.mov(rax, rdx)?;
        }
        Div | Rem | Divu | Remu => divide(a, inst.op, r1, r2, false)?,
        Divw | Remw | Divuw | Remuw => divide(a, inst.op, r1, r2, true)?,
        Sh1add | Sh2add | Sh3add | Sh1addUw | Sh2addUw | Sh3addUw => {
            if matches!(inst.op, Sh1addUw | Sh2addUw | Sh3addUw) {
                op_xd!(a, mov, eax, r1)?;
            } else {
                op_x!(a, mov, rax, r1)?;
            }
            op_x!(a, mov, rcx, r2)?;
            match inst.op {
                Sh1add | Sh1addUw => a.lea(rax, qword_ptr(rcx + rax * 2))?,
                Sh2add | Sh2addUw => a.lea(rax, qword_ptr(rcx + rax * 4))?,
                _ => a.lea(rax, qword_ptr(rcx + rax * 8))?,
            }
        }
        AddUw => {
            op_xd!(a, mov, eax, r1)?;
            op_x!(a, add, rax, r2)?;
        }
        SlliUw => {
            op_xd!(a, mov, eax, r1)?;
            a.shl(rax, uimm)?;
        }
        Andn | Orn => {
            op_x!(a, mov, rax, r2)?;
            a.not(rax)?;
            if inst.op == Andn {
                op_x!(a, and, rax, r1)?;
            } else {
                op_x!(a, or, rax, r1)?;
            }
        }
        Xnor => {
            op_x!(a, mov, rax, r1)?;
            op_x!(a, xor, rax, r2)?;
            a.not(rax)?;
        }
        Clz => op_x!(a, lzcnt, rax, r1)?,
        Ctz => op_x!(a, tzcnt, rax, r1)?,
        Cpop => op_x!(a, popcnt, rax, r1)?,
        Clzw => op_xd!(a, lzcnt, eax, r1)?,
        Ctzw => op_xd!(a, tzcnt, eax, r1)?,
        Cpopw => op_xd!(a, popcnt, eax, r1)?,
        Max | Min | Maxu | Minu => {
            op_x!(a, mov, rax, r1)?;
            op_x!(a, mov, rcx, r2)?;
            a.cmp(rax, rcx)?;
            match inst.op {
                Max => a.cmovl(rax, rcx)?,
                Min => a.cmovg(rax, rcx)?,
                Maxu => a.cmovb(rax, rcx)?,
                _ => a.cmova(rax, rcx)?,
            }
        }
        SextB => match a.regs.get(r1) {
            Some(h) => a.movsx(rax, h.b)?,
            None => a.movsx(rax, byte_ptr(super::x_addr(r1)))?,
        },
        SextH => match a.regs.get(r1) {
            Some(h) => a.movsx(rax, h.w)?,
            None => a.movsx(rax, word_ptr(super::x_addr(r1)))?,
        },
        ZextH => match a.regs.get(r1) {
            Some(h) => a.movzx(eax, h.w)?,
            None => a.movzx(eax, word_ptr(super::x_addr(r1)))?,
        },
        Rev8 => {
            op_x!(a, mov, rax, r1)?;
            a.bswap(rax)?;
        }
        Bclr | Bset | Binv | Bext => {
            op_x!(a, mov, rax, r1)?;
            op_x!(a, mov, rcx, r2)?;
            match inst.op {
                Bclr => a.btr(rax, rcx)?,
                Bset => a.bts(rax, rcx)?,
                Binv => a.btc(rax, rcx)?,
                _ => {
                    a.bt(rax, rcx)?;
                    a.setb(al)?;
                    a.movzx(eax, al)?;
                }
            }
        }
        Bclri | Bseti | Binvi | Bexti => {
            op_x!(a, mov, rax, r1)?;
            match inst.op {
                Bclri => a.btr(rax, uimm)?,
                Bseti => a.bts(rax, uimm)?,
                Binvi => a.btc(rax, uimm)?,
                _ => {
                    a.bt(rax, uimm)?;
                    a.setb(al)?;
                    a.movzx(eax, al)?;
                }
            }
        }
        CzeroEqz | CzeroNez => {
            op_x!(a, mov, rax, r1)?;
            a.xor(ecx, ecx)?;
            match a.regs.get(r2) {
                Some(h) => a.cmp(h.q, 0)?,
                None => a.cmp(x(r2), 0)?,
            }
            if inst.op == CzeroEqz {
                a.cmove(rax, rcx)?;
            } else {
                a.cmovne(rax, rcx)?;
            }
        }
        _ => unreachable!("{:?} has no native code", inst.op),
    }
    super::write_x(a, inst.rd.num(), rax)
}

/// Whether `op` is computed as `mov dst, rs1; op dst, rs2/imm` (sign-extended after, for the
/// W forms), which [`two_operand`] emits.
fn is_two_operand(op: Op) -> bool {
    use Op::*;
    matches!(
        op,
        Add | Sub
            | And
            | Or
            | Xor
            | Mul
            | Addw
            | Subw
            | Mulw
            | Addi
            | Andi
            | Ori
            | Xori
            | Slli
            | Srli
            | Srai
            | Addiw
            | Slliw
            | Srliw
            | Sraiw
    )
}

/// A two-operand form, computed straight in `rd`'s host register when it has one (no trip
/// through `rax`), else in `rax` and then written to `rd`.
fn two_operand(a: &mut Asm, inst: &Inst, pending: bool) -> Result<(), IcedError> {
    use Op::*;
    let (rd, mut r1, mut r2, imm) = (inst.rd.num(), inst.rs1.num(), inst.rs2.num(), inst.imm);
    let with_reg = matches!(
        inst.op,
        Add | Sub | And | Or | Xor | Mul | Addw | Subw | Mulw
    );
    if with_reg && r1 == 0 && !matches!(inst.op, Sub | Subw) {
        // `x0 op rs2` is `rs2 op x0` (`mv` is `add rd, x0, rs2`).
        std::mem::swap(&mut r1, &mut r2);
    }
    // With x0 the second operand of these, the first is the result (`mv`, or `sext.w` for
    // the W forms).
    let identity = r2 == 0 && matches!(inst.op, Add | Sub | Or | Xor | Addw | Subw);
    let mut in_place = a.regs.get(rd);
    if in_place.is_some() && with_reg && r2 == rd && r1 != rd {
        // Writing rd first would lose rs2: swap when the order does not matter.
        if matches!(inst.op, Sub | Subw) {
            in_place = None;
        } else {
            std::mem::swap(&mut r1, &mut r2);
        }
    }
    let word = matches!(inst.op, Addw | Subw | Mulw | Addiw | Slliw | Srliw | Sraiw);
    if in_place.is_none() && !identity && in_memory(a, inst.op, rd, r1, r2, imm)? {
        return Ok(());
    }
    let (q, d) = in_place.map_or((rax, eax), |h| (h.q, h.d));
    if inst.op == Addiw && imm == 0 && pending {
        // `sext.w` of a value whose upper half is left pending: only the low half moves.
        if r1 != rd {
            op_xd!(a, mov, d, r1)?;
        }
    } else if inst.op == Addiw && imm == 0 {
        // `sext.w`: one sign-extending move.
        op_xd!(a, movsxd, q, r1)?;
    } else {
        if in_place.is_none() || r1 != rd {
            if word {
                op_xd!(a, mov, d, r1)?;
            } else {
                op_x!(a, mov, q, r1)?;
            }
        }
        let uimm = imm as u32;
        match inst.op {
            _ if identity => {}
            Add => op_x!(a, add, q, r2)?,
            Sub => op_x!(a, sub, q, r2)?,
            And => op_x!(a, and, q, r2)?,
            Or => op_x!(a, or, q, r2)?,
            Xor => op_x!(a, xor, q, r2)?,
            Mul => op_x!(a, imul_2, q, r2)?,
            Addw => op_xd!(a, add, d, r2)?,
            Subw => op_xd!(a, sub, d, r2)?,
            Mulw => op_xd!(a, imul_2, d, r2)?,
            Addi if imm != 0 => a.add(q, imm)?,
            Andi => a.and(q, imm)?,
            Ori if imm != 0 => a.or(q, imm)?,
            Xori if imm != 0 => a.xor(q, imm)?,
            Slli if uimm != 0 => a.shl(q, uimm)?,
            Srli if uimm != 0 => a.shr(q, uimm)?,
            Srai if uimm != 0 => a.sar(q, uimm)?,
            Addiw if imm != 0 => a.add(d, imm)?,
            Slliw if uimm != 0 => a.shl(d, uimm)?,
            Srliw if uimm != 0 => a.shr(d, uimm)?,
            Sraiw if uimm != 0 => a.sar(d, uimm)?,
            // A zero immediate (`mv` is `addi rd, rs, 0`): the move was the whole operation.
            _ => {}
        }
        if word && !pending {
            a.movsxd(q, d)?;
        }
    }
    if in_place.is_none() {
        super::write_x(a, rd, rax)?;
    }
    Ok(())
}

/// A 64-bit operation whose `rd` lives in the hart and is its first operand (or, commutative,
/// its second), done on the hart's copy in place: `add qword [rd], imm` rather than a load, the
/// operation and a store. Returns whether it was.
fn in_memory(a: &mut Asm, op: Op, rd: u8, r1: u8, r2: u8, imm: i32) -> Result<bool, IcedError> {
    use Op::*;
    // The other operand: a register, or `None` for the immediate.
    let other = match op {
        Add | Sub | And | Or | Xor if r1 == rd && r2 != 0 && r2 != rd => Some(r2),
        Add | And | Or | Xor if r2 == rd && r1 != 0 && r1 != rd => Some(r1),
        Addi | Ori | Xori | Slli | Srli | Srai if r1 == rd && imm != 0 => None,
        Andi if r1 == rd => None,
        _ => return Ok(false),
    };
    let m = x(rd);
    let Some(other) = other else {
        match op {
            Addi => a.add(m, imm)?,
            Andi => a.and(m, imm)?,
            Ori => a.or(m, imm)?,
            Xori => a.xor(m, imm)?,
            Slli => a.shl(m, imm as u32)?,
            Srli => a.shr(m, imm as u32)?,
            _ => a.sar(m, imm as u32)?,
        }
        return Ok(true);
    };
    let src = match a.regs.get(other) {
        Some(h) => h.q,
        None => {
            op_x!(a, mov, rax, other)?;
            rax
        }
    };
    match op {
        Add => a.add(m, src)?,
        Sub => a.sub(m, src)?,
        And => a.and(m, src)?,
        Or => a.or(m, src)?,
        _ => a.xor(m, src)?,
    }
    Ok(true)
}

/// Division and remainder, signed or not, 64- or 32-bit (`word`, result sign-extended).
fn divide(a: &mut Asm, op: Op, r1: u8, r2: u8, word: bool) -> Result<(), IcedError> {
    use Op::*;
    let signed = matches!(op, Div | Rem | Divw | Remw);
    let quotient = matches!(op, Div | Divu | Divw | Divuw);
    let mut by_zero = a.create_label();
    let mut done = a.create_label();
    if word {
        op_xd!(a, mov, eax, r1)?;
        op_xd!(a, mov, ecx, r2)?;
        a.test(ecx, ecx)?;
    } else {
        op_x!(a, mov, rax, r1)?;
        op_x!(a, mov, rcx, r2)?;
        a.test(rcx, rcx)?;
    }
    a.je(by_zero)?;
    if signed {
        // By -1: the quotient is the negation (MIN stays MIN), the remainder 0; x86 would trap
        // on MIN / -1.
        let mut general = a.create_label();
        if word {
            a.cmp(ecx, -1)?;
        } else {
            a.cmp(rcx, -1)?;
        }
        a.jne(general)?;
        if quotient {
            if word {
                a.neg(eax)?;
            } else {
                a.neg(rax)?;
            }
        } else {
            a.xor(eax, eax)?;
        }
        a.jmp(done)?;
        a.set_label(&mut general)?;
        if word {
            a.cdq()?;
            a.idiv(ecx)?;
        } else {
            a.cqo()?;
            a.idiv(rcx)?;
        }
    } else {
        a.xor(edx, edx)?;
        if word {
            a.div(ecx)?;
        } else {
            a.div(rcx)?;
        }
    }
    if !quotient {
        a.mov(rax, rdx)?;
    }
    a.jmp(done)?;
    a.set_label(&mut by_zero)?;
    if quotient {
        a.mov(rax, -1i64)?;
    }
    // Otherwise the remainder is the dividend, already in (e)ax.
    a.zero_bytes()?;
    a.set_label(&mut done)?;
    if word {
        a.movsxd(rax, eax)?;
    }
    Ok(())
}
