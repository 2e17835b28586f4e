//! Loads and stores of the block loop: a hit in the TLB's fast table in RAM goes straight to
//! RAM ([`Bus::ram_offset`], inlined), the rest through [`ospite_mmu::Mmu`] as a single step
//! does.
//!
//! The regimes come from the block's [`Env`], worked out (and the TLB brought to the context)
//! once per translation context. A hit needs an entry without slow-path flags (so RAM, and for
//! stores a dirty page that holds no translated code) and an access inside one page; that is
//! exactly when `Mmu::load` and `Mmu::store` would translate through the same entry and make
//! one bus access, so the result is the same. Anything else (a miss, a device, a bus fault)
//! goes through the MMU, which translates again and raises the fault a single step would.
//! Only the TLB's hit counter misses these hits, as it misses the hits of translated code.

use ospite_mmu::tlb::{FAST_ENTRIES, TLB_FLAGS};
use ospite_mmu::{AccessSize, AccessType, Bus, PhysAddr, TlbMode, VirtAddr, PAGE_SHIFT, PAGE_SIZE};

use super::env::{may_hold_code, Env};
use super::outcome::Outcome;
use crate::hart::Hart;

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

/// The RAM and offset there, in the block's RAM view ([`Env::ram`]), of an aligned access of
/// `bytes` bytes at virtual address `va` that hits the fast table without slow-path flags (its
/// tag is then exactly the page of `va`). The RAM access checks that the offset is in range.
#[inline(always)]
fn fast_ram<'a, B>(
    hart: &Hart,
    env: &Env<'a, B>,
    mode: TlbMode,
    access: AccessType,
    va: u64,
    bytes: u64,
) -> Option<(&'a ospite_mmu::GuestRam, u64)> {
    let table = hart.mmu.tlb().fast_table(mode, access);
    let e = &table[(va >> PAGE_SHIFT) as usize & (FAST_ENTRIES - 1)];
    if e.tag != va & !(PAGE_SIZE - 1) {
        return None;
    }
    let view = env.ram?;
    let off = (e.phys | (va & (PAGE_SIZE - 1))).wrapping_sub(view.base);
    // Aligned, so inside one page.
    (off & (bytes - 1) == 0).then_some((view.ram, off))
}

/// An aligned load of `size` bytes at virtual address `va` (zero-extended) that hits the fast
/// table in the block's RAM view: nothing out of line, so a handler whose fast path is this
/// needs no frame. `None` when it does not hit (nothing was done).
#[inline(always)]
pub(crate) fn try_load<B>(hart: &Hart, env: &Env<'_, B>, va: u64, size: AccessSize) -> Option<u64> {
    let (ram, off) = fast_ram(
        hart,
        env,
        env.modes.load,
        AccessType::Load,
        va,
        size.bytes(),
    )?;
    ram.load(off, size).ok()
}

/// An aligned store of the low `size` bytes of `value` at virtual address `va` that hits the
/// fast table in the block's RAM view, in a page without cached code (see [`try_load`]).
/// `false` when it does not (nothing was done).
#[inline(always)]
pub(crate) fn try_store<B>(
    hart: &Hart,
    env: &Env<'_, B>,
    va: u64,
    size: AccessSize,
    value: u64,
) -> bool {
    let Some((ram, off)) = fast_ram(
        hart,
        env,
        env.modes.store,
        AccessType::Store,
        va,
        size.bytes(),
    ) else {
        return false;
    };
    let pa = env.ram.map_or(0, |v| v.base).wrapping_add(off);
    !may_hold_code(env.code_filter, pa) && ram.store(off, size, value).is_ok()
}

/// Loads `size` bytes at virtual address `va` (zero-extended): [`Outcome::NEXT`] with the
/// value, or the fault. Everything past a fast-table hit in RAM is out of line and answers in
/// registers, so that a handler calls nothing that answers through memory (which would keep
/// its call of the next handler from being a jump).
#[inline(always)]
pub(crate) fn load<B: Bus>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    va: u64,
    size: AccessSize,
) -> Outcome {
    if let Some(pa) = fast_phys(hart, env.modes.load, AccessType::Load, va, size.bytes()) {
        if let Some((ram, off)) = env.bus.ram_offset(PhysAddr(pa)) {
            if let Ok(v) = ram.load(off, size) {
                return Outcome::value(v);
            }
        }
    }
    load_other(hart, env.bus, va, size)
}

/// [`load`] past the fast path: through the MMU as a single step does (a fast-table hit
/// outside RAM translates the same way and makes the same bus access).
#[cold]
#[inline(never)]
fn load_other<B: Bus>(hart: &mut Hart, bus: &B, va: u64, size: AccessSize) -> Outcome {
    let ctx = hart.translate_ctx();
    match hart.mmu.load(bus, &ctx, VirtAddr(va), size) {
        Ok(v) => Outcome::value(v),
        Err(e) => Outcome::fault(e.into()),
    }
}

/// Stores the low `size` bytes of `value` at virtual address `va`, which `rs1` held `base`
/// for: [`Outcome::NEXT`] after a store to RAM through the fast table in a page without
/// cached code, [`Outcome::stored`] after any other store, or the fault. Out of line past the
/// fast path, as [`load`].
#[inline(always)]
pub(crate) fn store<B: Bus>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    va: u64,
    size: AccessSize,
    value: u64,
    base: u64,
) -> Outcome {
    if let Some(pa) = fast_phys(hart, env.modes.store, AccessType::Store, va, size.bytes()) {
        if let Some((ram, off)) = env.bus.ram_offset(PhysAddr(pa)) {
            if ram.store(off, size, value).is_ok() {
                if may_hold_code(env.code_filter, pa) {
                    return Outcome::stored(pa, base);
                }
                return Outcome::NEXT;
            }
        }
    }
    store_other(hart, env.bus, va, size, value, base)
}

/// [`store`] past the fast path, through the MMU.
#[cold]
#[inline(never)]
fn store_other<B: Bus>(
    hart: &mut Hart,
    bus: &B,
    va: u64,
    size: AccessSize,
    value: u64,
    base: u64,
) -> Outcome {
    let ctx = hart.translate_ctx();
    match hart.mmu.store(bus, &ctx, VirtAddr(va), size, value) {
        Ok(()) => Outcome::stored(NO_PHYS, base),
        Err(e) => Outcome::fault(e.into()),
    }
}
