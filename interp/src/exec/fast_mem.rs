//! Loads and stores of the block loop, in three ways, each tried when the one before misses:
//! the instruction's page memo (see `memo`), in line in the handler; the TLB's fast table,
//! out of line, which makes the memo; the bus ([`Bus::ram_offset`]) after a fast-table hit, and
//! the rest through [`ospite_mmu::Mmu`] as a single step does.
//!
//! The regimes come from the block's [`Env`], worked out (and the TLB brought to the context)
//! once per translation context. A hit needs an entry without slow-path flags (so RAM, and for
//! stores a dirty page that holds no cached code, which the engine has the TLB watch) and an
//! aligned access; that is exactly when `Mmu::load` and `Mmu::store` would translate through
//! the same entry and make one bus access, so the result is the same. Anything else (a miss, a
//! device, a bus fault) goes through the MMU, which translates again and raises the fault a
//! single step would. Only the TLB's hit counter misses these hits, as it misses the hits of
//! translated code.

use ospite_mmu::tlb::{FAST_ENTRIES, TLB_FLAGS, TLB_WATCHED};
use ospite_mmu::{AccessSize, AccessType, Bus, PhysAddr, TlbMode, VirtAddr, PAGE_SHIFT, PAGE_SIZE};

use super::decoded::Decoded;
use super::env::Env;
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

/// The page memo's tag of an access of `bytes` bytes at `va`: its page and alignment bits, as
/// in the translated code's TLB hit test (where they make a misaligned access miss).
#[inline(always)]
fn tag(va: u64, bytes: u64) -> u64 {
    va & (!(PAGE_SIZE - 1) | (bytes - 1))
}

/// The offset in the block's RAM view ([`Env::ram`]) of an aligned access of `bytes` bytes at
/// virtual address `va` by instruction `d` that hits the fast table of `mode` and `access`
/// without slow-path flags (the same facts as a hit in `d`'s page memo, which it makes). The
/// RAM access checks that the offset is in the view.
#[inline(always)]
fn tlb_offset<B>(
    hart: &Hart,
    env: &Env<'_, B>,
    d: &Decoded<B>,
    mode: TlbMode,
    access: AccessType,
    va: u64,
    bytes: u64,
) -> Option<u64> {
    let tag = tag(va, bytes);
    let table = hart.mmu.tlb().fast_table(mode, access);
    let e = &table[(va >> PAGE_SHIFT) as usize & (FAST_ENTRIES - 1)];
    if e.tag != tag {
        return None;
    }
    let off = e.phys.wrapping_sub(env.ram.base) | (va & (PAGE_SIZE - 1));
    d.memo.remember(env.run, tag, va, off);
    Some(off)
}

/// An aligned load of `size` bytes at virtual address `va` by `d` (zero-extended) that hits
/// `d`'s page memo: nothing out of line, so that a handler whose fast path is this keeps no
/// frame. `None` when it does not hit (nothing was done).
#[inline(always)]
pub(crate) fn try_load<B>(
    env: &Env<'_, B>,
    d: &Decoded<B>,
    va: u64,
    size: AccessSize,
) -> Option<u64> {
    let off = d.memo.offset(env.run, tag(va, size.bytes()), va)?;
    env.ram.slices.load(off, size)
}

/// [`try_load`] through the TLB's fast table (when the memo missed): a hit in the block's RAM
/// view, which `d`'s memo then remembers.
#[inline(always)]
pub(crate) fn try_load_tlb<B>(
    hart: &Hart,
    env: &Env<'_, B>,
    d: &Decoded<B>,
    va: u64,
    size: AccessSize,
) -> Option<u64> {
    let mode = env.modes.load;
    let off = tlb_offset(hart, env, d, mode, AccessType::Load, va, size.bytes())?;
    env.ram.slices.load(off, size)
}

/// An aligned store of the low `size` bytes of `value` at virtual address `va` by `d` that
/// hits `d`'s page memo (see [`try_load`]). The memo stands for a store-table hit without
/// flags, which says that the page is marked dirty and holds no cached code (the engine
/// watches every page it caches, or has it marked as code). `false` when it does not hit
/// (nothing was done).
#[inline(always)]
pub(crate) fn try_store<B>(
    env: &Env<'_, B>,
    d: &Decoded<B>,
    va: u64,
    size: AccessSize,
    value: u64,
) -> bool {
    match d.memo.offset(env.run, tag(va, size.bytes()), va) {
        Some(off) => env.ram.slices.store_to_dirty(off, size, value),
        None => false,
    }
}

/// [`try_store`] through the TLB's fast table (see [`try_load_tlb`]).
#[inline(always)]
pub(crate) fn try_store_tlb<B>(
    hart: &Hart,
    env: &Env<'_, B>,
    d: &Decoded<B>,
    va: u64,
    size: AccessSize,
    value: u64,
) -> bool {
    let mode = env.modes.store;
    match tlb_offset(hart, env, d, mode, AccessType::Store, va, size.bytes()) {
        Some(off) => env.ram.slices.store_to_dirty(off, size, value),
        None => false,
    }
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
/// cached code, [`Outcome::stored`] after any other store (with the physical address when
/// the entry says only that the page is watched: the store may have written cached code),
/// or the fault. Out of line past the fast path, as [`load`].
#[inline(always)]
pub(crate) fn store<B: Bus>(
    hart: &mut Hart,
    env: &Env<'_, B>,
    va: u64,
    size: AccessSize,
    value: u64,
    base: u64,
) -> Outcome {
    let off = va & (PAGE_SIZE - 1);
    if off + size.bytes() <= PAGE_SIZE {
        let tlb = hart.mmu.tlb();
        if let Some(e) = tlb.lookup_fast(env.modes.store, AccessType::Store, VirtAddr(va)) {
            let pa = e.phys | off;
            if e.tag & TLB_FLAGS & !TLB_WATCHED == 0 {
                if let Some((ram, ram_off)) = env.bus.ram_offset(PhysAddr(pa)) {
                    if ram.store(ram_off, size, value).is_ok() {
                        if e.tag & TLB_WATCHED != 0 {
                            return Outcome::stored(pa, base);
                        }
                        return Outcome::NEXT;
                    }
                }
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
