//! Loads, stores, LR/SC and AMOs, through the hart's MMU.
//!
//! Misaligned loads and stores are performed (also across pages), never trapped: the MMU does
//! them byte by byte when needed, which is what OpenSBI would emulate anyway. LR/SC and AMOs
//! must be naturally aligned and raise address-misaligned otherwise.

use ospite_isa::{Inst, Op};
use ospite_mmu::{AccessSize, AmoOp, Bus, VirtAddr};

use super::fp;
use crate::hart::Hart;
use crate::trap::Exception;

/// The access size of a table width (1, 2, 4 or 8 bytes).
#[inline]
pub(crate) fn size_of(width: u8) -> AccessSize {
    match width {
        1 => AccessSize::B1,
        2 => AccessSize::B2,
        4 => AccessSize::B4,
        _ => AccessSize::B8,
    }
}

#[inline]
fn sext(v: u64, width: u8) -> u64 {
    let bits = 64 - 8 * u32::from(width);
    (((v << bits) as i64) >> bits) as u64
}

#[inline]
fn addr(hart: &Hart, inst: &Inst) -> VirtAddr {
    VirtAddr(hart.xi(inst.rs1.idx()).wrapping_add(inst.imm as i64 as u64))
}

pub(super) fn load<B: Bus + ?Sized>(
    hart: &mut Hart,
    bus: &B,
    inst: &Inst,
    width: u8,
    signed: bool,
) -> Result<(), Exception> {
    let va = addr(hart, inst);
    let ctx = hart.translate_ctx();
    let v = hart.mmu.load(bus, &ctx, va, size_of(width))?;
    let v = if signed { sext(v, width) } else { v };
    hart.set_xi(inst.rd.idx(), v);
    Ok(())
}

pub(super) fn store<B: Bus + ?Sized>(
    hart: &mut Hart,
    bus: &B,
    inst: &Inst,
    width: u8,
) -> Result<(), Exception> {
    let va = addr(hart, inst);
    let ctx = hart.translate_ctx();
    let v = hart.xi(inst.rs2.idx());
    hart.mmu.store(bus, &ctx, va, size_of(width), v)?;
    Ok(())
}

/// `flw`/`fld`: a single-precision value is NaN-boxed into the f register. Illegal while
/// `mstatus.FS` is Off; sets FS Dirty.
pub(super) fn fp_load<B: Bus + ?Sized>(
    hart: &mut Hart,
    bus: &B,
    inst: &Inst,
    width: u8,
) -> Result<(), Exception> {
    fp::check_enabled(hart, inst)?;
    let va = addr(hart, inst);
    let ctx = hart.translate_ctx();
    let v = hart.mmu.load(bus, &ctx, va, size_of(width))?;
    hart.f[inst.rd.idx()] = if width == 4 { fp::nan_box(v as u32) } else { v };
    hart.set_fs_dirty();
    Ok(())
}

/// `fsw`/`fsd`: the register's raw low bits (`fsw` does not check the NaN-boxing). Illegal
/// while `mstatus.FS` is Off.
pub(super) fn fp_store<B: Bus + ?Sized>(
    hart: &mut Hart,
    bus: &B,
    inst: &Inst,
    width: u8,
) -> Result<(), Exception> {
    fp::check_enabled(hart, inst)?;
    let va = addr(hart, inst);
    let ctx = hart.translate_ctx();
    let v = hart.f[inst.rs2.idx()];
    hart.mmu.store(bus, &ctx, va, size_of(width), v)?;
    Ok(())
}

pub(super) fn load_reserved<B: Bus + ?Sized>(
    hart: &mut Hart,
    bus: &B,
    inst: &Inst,
    width: u8,
) -> Result<(), Exception> {
    let va = VirtAddr(hart.xi(inst.rs1.idx()));
    let ctx = hart.translate_ctx();
    let r = hart.mmu.load_reserved(bus, &ctx, va, size_of(width))?;
    hart.reservation = Some(r);
    hart.set_xi(inst.rd.idx(), sext(r.value, width));
    Ok(())
}

pub(super) fn store_conditional<B: Bus + ?Sized>(
    hart: &mut Hart,
    bus: &B,
    inst: &Inst,
    width: u8,
) -> Result<(), Exception> {
    let va = VirtAddr(hart.xi(inst.rs1.idx()));
    let ctx = hart.translate_ctx();
    let v = hart.xi(inst.rs2.idx());
    let reservation = hart.reservation;
    let stored = hart
        .mmu
        .store_conditional(bus, &ctx, va, size_of(width), v, reservation)?;
    // Any SC, successful or not, ends the reservation.
    hart.reservation = None;
    hart.set_xi(inst.rd.idx(), u64::from(!stored));
    Ok(())
}

pub(super) fn amo<B: Bus + ?Sized>(
    hart: &mut Hart,
    bus: &B,
    inst: &Inst,
    width: u8,
) -> Result<(), Exception> {
    use Op::*;
    let op = match inst.op {
        AmoswapW | AmoswapD => AmoOp::Swap,
        AmoaddW | AmoaddD => AmoOp::Add,
        AmoxorW | AmoxorD => AmoOp::Xor,
        AmoandW | AmoandD => AmoOp::And,
        AmoorW | AmoorD => AmoOp::Or,
        AmominW | AmominD => AmoOp::Min,
        AmomaxW | AmomaxD => AmoOp::Max,
        AmominuW | AmominuD => AmoOp::MinU,
        AmomaxuW | AmomaxuD => AmoOp::MaxU,
        _ => return Err(Exception::illegal(0)),
    };
    let va = VirtAddr(hart.xi(inst.rs1.idx()));
    let ctx = hart.translate_ctx();
    let v = hart.xi(inst.rs2.idx());
    let old = hart.mmu.amo(bus, &ctx, va, size_of(width), op, v)?;
    hart.set_xi(inst.rd.idx(), sext(old, width));
    Ok(())
}
