//! Executing one decoded instruction on a [`Hart`] over a [`Bus`]: the single source of truth
//! for the semantics, which the translator also calls for rare instructions.

mod alu;
mod branch;
mod csr;
mod decoded;
mod env;
mod fast_mem;
mod fp;
mod fused;
mod handlers;
mod mem;
mod memo;
mod outcome;
mod system;
mod triple;

pub(crate) use mem::size_of;

pub use alu::alu;
pub(crate) use decoded::Decoded;
pub(crate) use env::{may_hold_code, CodeFilter, DataModes, Env, RamView};
pub(crate) use fast_mem::NO_PHYS;
pub(crate) use fused::fuse;
pub(crate) use handlers::ends_block;
pub(crate) use outcome::{CODE_END, CODE_JUMPED, CODE_RAN_OUT, CODE_STORED, CODE_STORED_SLOW};
pub(crate) use triple::fuse_triple;

use ospite_isa::{Class, Fmt, Inst};
use ospite_mmu::Bus;

use crate::hart::Hart;
use crate::trap::{Exception, ExceptionCause};

/// What an instruction that completed asks of the engine, beyond the pc it already set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flow {
    /// Nothing: continue at the new pc.
    Continue,
    /// `fence.i`: cached decoded or translated code must be dropped.
    FenceI,
    /// `wfi`: the hart may sleep until an interrupt is pending in `mie`.
    Wfi,
}

/// Executes `inst`, the instruction at the hart's pc. On success the pc points at the next
/// instruction and the instruction has retired (`minstret` counted); on an exception nothing
/// architectural has changed and the caller decides whether to [`Hart::raise`] it. An
/// illegal-instruction exception carries the instruction's bits in `tval`.
pub fn execute<B: Bus + ?Sized>(hart: &mut Hart, bus: &B, inst: &Inst) -> Result<Flow, Exception> {
    let flow = execute_unretired(hart, bus, inst)?;
    hart.retire();
    Ok(flow)
}

/// [`execute`] without counting the instruction as retired, for engines that count a block's
/// instructions together ([`Hart::retire_many`]).
pub fn execute_unretired<B: Bus + ?Sized>(
    hart: &mut Hart,
    bus: &B,
    inst: &Inst,
) -> Result<Flow, Exception> {
    match execute_inner(hart, bus, inst) {
        Ok(flow) => Ok(flow),
        Err(e) if e.cause == ExceptionCause::IllegalInstruction && e.tval == 0 => {
            Err(Exception::illegal(u64::from(inst.encode().unwrap_or(0))))
        }
        Err(e) => Err(e),
    }
}

#[inline]
fn execute_inner<B: Bus + ?Sized>(
    hart: &mut Hart,
    bus: &B,
    inst: &Inst,
) -> Result<Flow, Exception> {
    let pc = hart.pc;
    let next = pc.wrapping_add(inst.size());
    let rd = inst.rd.idx();
    match inst.op.class() {
        Class::Alu => {
            let a = hart.xi(inst.rs1.idx());
            let b = match inst.op.info().fmt {
                Fmt::I | Fmt::Sh6 | Fmt::Sh5 => inst.imm as i64 as u64,
                _ => hart.xi(inst.rs2.idx()),
            };
            let v = alu(inst.op, a, b).ok_or(Exception::illegal(0))?;
            hart.set_xi(rd, v);
        }
        Class::Upper => {
            let imm = inst.imm as i64 as u64;
            let v = if inst.op == ospite_isa::Op::Auipc {
                pc.wrapping_add(imm)
            } else {
                imm
            };
            hart.set_xi(rd, v);
        }
        Class::Branch => return branch::branch(hart, inst, next),
        Class::Jal | Class::Jalr => return branch::jump(hart, inst, next),
        Class::Load(width, signed) => mem::load(hart, bus, inst, width, signed)?,
        Class::Store(width) => mem::store(hart, bus, inst, width)?,
        Class::LoadReserved(width) => mem::load_reserved(hart, bus, inst, width)?,
        Class::StoreConditional(width) => mem::store_conditional(hart, bus, inst, width)?,
        Class::Amo(width) => mem::amo(hart, bus, inst, width)?,
        Class::FpLoad(width) => mem::fp_load(hart, bus, inst, width)?,
        Class::FpStore(width) => mem::fp_store(hart, bus, inst, width)?,
        Class::Fp => fp::fp(hart, inst)?,
        Class::Fence => {}
        Class::FenceI => {
            hart.pc = next;
            return Ok(Flow::FenceI);
        }
        Class::Trap => return Err(system::ecall_ebreak(hart, inst)),
        Class::Return => return system::xret(hart, inst),
        Class::Wfi => {
            system::check_wfi(hart)?;
            hart.pc = next;
            return Ok(Flow::Wfi);
        }
        Class::SfenceVma => system::sfence_vma(hart, inst)?,
        Class::Csr => csr::csr(hart, inst)?,
    }
    hart.pc = next;
    Ok(Flow::Continue)
}
