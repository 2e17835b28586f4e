//! Loads and stores of the block loop: a hit in the TLB's fast table goes straight to RAM
//! ([`Bus::ram_offset`], inlined) or else to the bus at the physical address, the rest through
//! [`ospite_mmu::Mmu`] as a single step does.
//!
//! The regimes come from the block's [`Env`], worked out (and the TLB brought to the context)
//! once per translation context. A hit needs an entry without slow-path flags (so RAM, and for
//! stores a dirty page that holds no translated code) and an access inside one page; that is exactly when `Mmu::load` and
//! `Mmu::store` would translate through the same entry and make one bus access, so the result
//! and any fault are the same. Only the TLB's hit counter misses these hits, as it misses the
//! hits of translated code.

use ospite_mmu::tlb::TLB_FLAGS;
use ospite_mmu::{AccessSize, AccessType, Bus, MemFault, PhysAddr, TlbMode, VirtAddr, PAGE_SIZE};

use super::env::Env;
use crate::hart::Hart;
use crate::trap::Exception;

/// What a store reports when it did not go through a fast-table hit.
pub(crate) const NO_PHYS: u64 = u64::MAX;

/// The physical address of `va` for `access` in `mode` from a fast-table hit without slow-path
/// flags, when the `bytes` accessed lie inside one page.
#[inline(always)]
fn fast_phys(hart: &Hart, mode: TlbMode, access: AccessType, va: u64, bytes: u64) -> Option<u64> {
    let off = va & (PAGE_SIZE - 1);
    if off + bytes > PAGE_SIZE {
        return None;
    }
    let e = hart.mmu.tlb().lookup_fast(mode, access, VirtAddr(va))?;
    (e.tag & TLB_FLAGS == 0).then_some(e.phys | off)
}

/// Loads `size` bytes at virtual address `va` (zero-extended).
#[inline(always)]
pub(crate) fn load<B: Bus>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    va: u64,
    size: AccessSize,
) -> Result<u64, Exception> {
    match fast_phys(hart, env.modes.load, AccessType::Load, va, size.bytes()) {
        Some(pa) => match env.bus.ram_offset(PhysAddr(pa)) {
            Some((ram, off)) => ram.load(off, size),
            None => env.bus.load(PhysAddr(pa), size),
        }
        .map_err(|_| MemFault::access(AccessType::Load, va).into()),
        None => load_slow(hart, env.bus, va, size),
    }
}

#[inline(never)]
fn load_slow<B: Bus>(
    hart: &mut Hart,
    bus: &B,
    va: u64,
    size: AccessSize,
) -> Result<u64, Exception> {
    let ctx = hart.translate_ctx();
    Ok(hart.mmu.load(bus, &ctx, VirtAddr(va), size)?)
}

/// Stores the low `size` bytes of `value` at virtual address `va`. Returns the physical address
/// written when the store hit the fast table (so it went to RAM), else [`NO_PHYS`].
#[inline(always)]
pub(crate) fn store<B: Bus>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    va: u64,
    size: AccessSize,
    value: u64,
) -> Result<u64, Exception> {
    match fast_phys(hart, env.modes.store, AccessType::Store, va, size.bytes()) {
        Some(pa) => match env.bus.ram_offset(PhysAddr(pa)) {
            Some((ram, off)) => ram.store(off, size, value),
            None => env.bus.store(PhysAddr(pa), size, value),
        }
        .map(|()| pa)
        .map_err(|_| MemFault::access(AccessType::Store, va).into()),
        None => store_slow(hart, env.bus, va, size, value),
    }
}

#[inline(never)]
fn store_slow<B: Bus>(
    hart: &mut Hart,
    bus: &B,
    va: u64,
    size: AccessSize,
    value: u64,
) -> Result<u64, Exception> {
    let ctx = hart.translate_ctx();
    hart.mmu.store(bus, &ctx, VirtAddr(va), size, value)?;
    Ok(NO_PHYS)
}
