//! AMOs on a TLB hit: the read-modify-write as one locked x86 instruction on host memory
//! (`xchg`, `lock xadd`, `lock and/or/xor` when the old value is not wanted), else a
//! `lock cmpxchg` loop. Locked instructions are full barriers, so `aq` and `rl` need nothing
//! more, and the operation is atomic against other harts' translated code and the
//! interpreter's host atomics alike. The miss path (a TLB miss, device memory, a code page, a
//! page not yet dirty, a misaligned address) is the interpreter's, as for stores.
//!
//! AMOs leave an LR reservation alone, as the interpreter's do: a reservation is the value the
//! LR read, and an AMO that changes it fails the SC by that alone.

use iced_x86::code_asm::*;
use iced_x86::IcedError;
use ospite_isa::{Inst, Op};

use super::{write_x, Asm};

/// The operation of an AMO opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rmw {
    /// `amoswap`: `xchg`.
    Swap,
    /// `amoadd`: `lock xadd` (`lock add` when the old value is dropped).
    Add,
    /// `amoand`: a `lock cmpxchg` loop (`lock and` when the old value is dropped).
    And,
    /// `amoor`: as `amoand`, with `or`.
    Or,
    /// `amoxor`: as `amoand`, with `xor`.
    Xor,
    /// A compare and a conditional move: keep the operand when the old value is on this side
    /// of it (the `cmov` condition after `cmp old, operand`).
    Pick(Pick),
}

/// When `min`/`max` take the operand over the old value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pick {
    /// `amomin`: old > operand, signed.
    Greater,
    /// `amomax`: old < operand, signed.
    Less,
    /// `amominu`: old > operand, unsigned.
    Above,
    /// `amomaxu`: old < operand, unsigned.
    Below,
}

/// The operation of AMO opcode `op`.
fn rmw(op: Op) -> Rmw {
    use Op::*;
    match op {
        AmoswapW | AmoswapD => Rmw::Swap,
        AmoaddW | AmoaddD => Rmw::Add,
        AmoandW | AmoandD => Rmw::And,
        AmoorW | AmoorD => Rmw::Or,
        AmoxorW | AmoxorD => Rmw::Xor,
        AmominW | AmominD => Rmw::Pick(Pick::Greater),
        AmomaxW | AmomaxD => Rmw::Pick(Pick::Less),
        AmominuW | AmominuD => Rmw::Pick(Pick::Above),
        AmomaxuW | AmomaxuD => Rmw::Pick(Pick::Below),
        other => unreachable!("not an AMO: {other:?}"),
    }
}

/// The AMO `inst` of `width` bytes (4 or 8) at host address `at`, which the hit test found
/// writable: the old value, sign-extended from 32 bits for `.w`, goes to `rd`. Uses `rax`,
/// `rcx` and whatever `at` uses.
pub(super) fn emit(
    a: &mut Asm,
    inst: &Inst,
    width: u8,
    at: AsmMemoryOperand,
) -> Result<(), IcedError> {
    let (rd, rs2) = (inst.rd.num(), inst.rs2.num());
    let wide = width == 8;
    let m = if wide { qword_ptr(at) } else { dword_ptr(at) };
    let (q, d) = (rax, eax);
    match rmw(inst.op) {
        Rmw::Swap => {
            // xchg with memory is locked without the prefix.
            if wide {
                op_x!(a, mov, q, rs2)?;
                a.xchg(m, q)?;
            } else {
                op_xd!(a, mov, d, rs2)?;
                a.xchg(m, d)?;
            }
        }
        Rmw::Add | Rmw::And | Rmw::Or | Rmw::Xor if rd == 0 => {
            return locked_op(a, inst, wide, m);
        }
        Rmw::Add => {
            if wide {
                op_x!(a, mov, q, rs2)?;
                a.lock().xadd(m, q)?;
            } else {
                op_xd!(a, mov, d, rs2)?;
                a.lock().xadd(m, d)?;
            }
        }
        op => cmpxchg_loop(a, op, rs2, wide, m)?,
    }
    if rd == 0 {
        return Ok(());
    }
    // rax = the old value.
    match (wide, a.regs.get(rd)) {
        (true, _) => write_x(a, rd, rax),
        (false, Some(h)) => a.movsxd(h.q, eax),
        (false, None) => {
            a.movsxd(rax, eax)?;
            write_x(a, rd, rax)
        }
    }
}

/// `lock add/and/or/xor` of `rs2` into `m`, for an AMO whose old value is dropped.
fn locked_op(a: &mut Asm, inst: &Inst, wide: bool, m: AsmMemoryOperand) -> Result<(), IcedError> {
    let rs2 = inst.rs2.num();
    let (q, d) = match a.regs.get(rs2) {
        Some(h) => (h.q, h.d),
        None => {
            a.mov(rax, super::x(rs2))?;
            (rax, eax)
        }
    };
    let a = a.lock();
    match (rmw(inst.op), wide) {
        (Rmw::Add, true) => a.add(m, q),
        (Rmw::Add, false) => a.add(m, d),
        (Rmw::And, true) => a.and(m, q),
        (Rmw::And, false) => a.and(m, d),
        (Rmw::Or, true) => a.or(m, q),
        (Rmw::Or, false) => a.or(m, d),
        (Rmw::Xor, true) => a.xor(m, q),
        (Rmw::Xor, false) => a.xor(m, d),
        (other, _) => unreachable!("no locked form: {other:?}"),
    }
}

/// The new value from the old one in `rax` into `rcx`, and a `lock cmpxchg` that retries while
/// another writer changed memory in between; leaves the old value in `rax`.
fn cmpxchg_loop(
    a: &mut Asm,
    op: Rmw,
    rs2: u8,
    wide: bool,
    m: AsmMemoryOperand,
) -> Result<(), IcedError> {
    let mut retry = a.create_label();
    if wide {
        a.mov(rax, m)?;
    } else {
        a.mov(eax, m)?;
    }
    a.set_label(&mut retry)?;
    if wide {
        a.mov(rcx, rax)?;
        match op {
            Rmw::And => op_x!(a, and, rcx, rs2)?,
            Rmw::Or => op_x!(a, or, rcx, rs2)?,
            Rmw::Xor => op_x!(a, xor, rcx, rs2)?,
            Rmw::Pick(pick) => {
                op_x!(a, cmp, rcx, rs2)?;
                match pick {
                    Pick::Greater => op_x!(a, cmovg, rcx, rs2)?,
                    Pick::Less => op_x!(a, cmovl, rcx, rs2)?,
                    Pick::Above => op_x!(a, cmova, rcx, rs2)?,
                    Pick::Below => op_x!(a, cmovb, rcx, rs2)?,
                }
            }
            other => unreachable!("not a cmpxchg AMO: {other:?}"),
        }
        a.lock().cmpxchg(m, rcx)?;
    } else {
        a.mov(ecx, eax)?;
        match op {
            Rmw::And => op_xd!(a, and, ecx, rs2)?,
            Rmw::Or => op_xd!(a, or, ecx, rs2)?,
            Rmw::Xor => op_xd!(a, xor, ecx, rs2)?,
            Rmw::Pick(pick) => {
                op_xd!(a, cmp, ecx, rs2)?;
                match pick {
                    Pick::Greater => op_xd!(a, cmovg, ecx, rs2)?,
                    Pick::Less => op_xd!(a, cmovl, ecx, rs2)?,
                    Pick::Above => op_xd!(a, cmova, ecx, rs2)?,
                    Pick::Below => op_xd!(a, cmovb, ecx, rs2)?,
                }
            }
            other => unreachable!("not a cmpxchg AMO: {other:?}"),
        }
        a.lock().cmpxchg(m, ecx)?;
    }
    a.jne(retry)
}
