//! The per-hart MMU: translation through the TLB, and guest-virtual memory accesses.

use crate::access::{AccessSize, AccessType};
use crate::addr::{PhysAddr, VirtAddr, PAGE_MASK, PAGE_SHIFT, PAGE_SIZE};
use crate::amo::{AmoOp, Reservation};
use crate::bus::{Bus, HostPage};
use crate::context::TranslateCtx;
use crate::fault::{BusFault, MemFault};
use crate::satp::{Asid, Satp};
use crate::tlb::{Tlb, TlbMode, TLB_CODE, TLB_NOTDIRTY};
use crate::walk::walk;

/// The MMU of one hart: its [`Tlb`] and the operations that translate through it.
///
/// It knows no hart type: every call takes the hart's [`TranslateCtx`] and a [`Bus`]. A hart
/// calls [`Mmu::set_satp`] when it writes `satp` and [`Mmu::sfence_vma`] for `sfence.vma`
/// (the MMU also notices a changed `satp` or MXR in the context by itself).
#[derive(Debug, Default)]
pub struct Mmu {
    tlb: Tlb,
    /// Physical addresses in pages holding translated code that stores were translated to,
    /// oldest first, until a translator takes them ([`Mmu::take_code_writes`]).
    code_writes: Vec<u64>,
}

impl Mmu {
    /// An MMU with an empty TLB.
    pub fn new() -> Mmu {
        Mmu {
            tlb: Tlb::new(),
            code_writes: Vec::new(),
        }
    }

    /// Whether a store was translated to a page marked as holding translated code
    /// ([`crate::Bus::set_code_page`]) since the last [`Mmu::take_code_writes`]. One test of a
    /// length: a translator asks after every run of another engine.
    #[inline]
    pub fn has_code_writes(&self) -> bool {
        !self.code_writes.is_empty()
    }

    /// The physical addresses, in pages holding translated code, that stores were translated
    /// to (the first byte of each store; possibly repeated; a store that then faulted may be
    /// included), and forgets them. A translator tells by the address whether the store can
    /// have touched its code or only data sharing the page.
    pub fn take_code_writes(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.code_writes)
    }

    /// The addresses [`Mmu::take_code_writes`] would return, left in place.
    pub fn code_writes(&self) -> &[u64] {
        &self.code_writes
    }

    #[cold]
    fn note_code_write(&mut self, phys: u64) {
        // Every store is noted, repeats included: a translator tells which notes a given
        // instruction made by the length before and after it.
        self.code_writes.push(phys);
    }

    /// The TLB (for translated code's layout and pointer, and the counters).
    pub fn tlb(&self) -> &Tlb {
        &self.tlb
    }

    /// The TLB, mutably (for explicit flushes).
    pub fn tlb_mut(&mut self) -> &mut Tlb {
        &mut self.tlb
    }

    /// Records a write of `satp`.
    pub fn set_satp(&mut self, satp: Satp) {
        self.tlb.set_satp(satp);
    }

    /// Executes `sfence.vma rs1, rs2`: `addr` is `None` for `rs1 = x0`, `asid` `None` for
    /// `rs2 = x0`.
    pub fn sfence_vma(&mut self, addr: Option<VirtAddr>, asid: Option<Asid>) {
        self.tlb.sfence_vma(addr, asid);
    }

    /// Translates `va` for `access` in `ctx`: through the fast tables, then the ASID-tagged
    /// table, then a page-table walk (which sets A/D) that refills both.
    #[inline]
    pub fn translate<B: Bus + ?Sized>(
        &mut self,
        bus: &B,
        ctx: &TranslateCtx,
        va: VirtAddr,
        access: AccessType,
    ) -> Result<PhysAddr, MemFault> {
        self.tlb.sync(ctx);
        let mode = TlbMode::of(ctx, access);
        if let Some(e) = self.tlb.lookup_fast(mode, access, va) {
            let (tag, phys) = (e.tag, e.phys);
            if tag & (TLB_CODE | TLB_NOTDIRTY) != 0 {
                if tag & TLB_CODE != 0 {
                    self.note_code_write(phys | va.page_offset());
                }
                self.refresh(bus, mode, access, va, phys);
            }
            self.tlb.count_hit();
            return Ok(PhysAddr(phys | va.page_offset()));
        }
        self.translate_miss(bus, ctx, mode, va, access)
    }

    #[inline]
    fn note_store_to_code(&mut self, access: AccessType, pa: u64, host: Option<HostPage>) {
        if access == AccessType::Store && host.is_some_and(|h| h.code) {
            self.note_code_write(pa);
        }
    }

    /// Recomputes the slow-path flags of a fast entry, so that translated code stops taking the
    /// slow path once the page is dirty or no longer holds code.
    #[cold]
    #[inline(never)]
    fn refresh<B: Bus + ?Sized>(
        &mut self,
        bus: &B,
        mode: TlbMode,
        access: AccessType,
        va: VirtAddr,
        phys: u64,
    ) {
        let host = bus.host_page(PhysAddr(phys));
        self.tlb.fill_fast(mode, access, va, phys, host, PAGE_SIZE);
    }

    #[cold]
    #[inline(never)]
    fn translate_miss<B: Bus + ?Sized>(
        &mut self,
        bus: &B,
        ctx: &TranslateCtx,
        mode: TlbMode,
        va: VirtAddr,
        access: AccessType,
    ) -> Result<PhysAddr, MemFault> {
        self.tlb.count_miss();
        if !ctx.is_paged(access) {
            let ppage = va.0 & PAGE_MASK;
            let host = bus.host_page(PhysAddr(ppage));
            self.note_store_to_code(access, va.0, host);
            self.tlb.fill_fast(mode, access, va, ppage, host, PAGE_SIZE);
            return Ok(PhysAddr(va.0));
        }
        if !ctx.satp.mode().is_canonical(va.0) {
            return Err(MemFault::page(access, va.0));
        }
        if let Some(leaf) = self.tlb.lookup_l2(ctx, va, access) {
            let host = bus.host_page(PhysAddr(leaf.ppage));
            self.note_store_to_code(access, leaf.ppage | va.page_offset(), host);
            let size = 1u64 << (PAGE_SHIFT + 9 * u32::from(leaf.level));
            self.tlb.fill_fast(mode, access, va, leaf.ppage, host, size);
            return Ok(PhysAddr(leaf.ppage | va.page_offset()));
        }
        self.tlb.count_walk();
        match walk(bus, ctx, va, access)? {
            Some(w) => {
                self.tlb.insert_l2(ctx.satp.asid(), va, &w);
                let ppage = w.pa.0 & PAGE_MASK;
                let host = bus.host_page(PhysAddr(ppage));
                self.note_store_to_code(access, w.pa.0, host);
                self.tlb
                    .fill_fast(mode, access, va, ppage, host, w.page_size());
                Ok(w.pa)
            }
            None => Ok(PhysAddr(va.0)),
        }
    }

    /// Translates an access of `size` bytes that may cross a page: the physical address of the
    /// first byte and, when the access crosses into the next page, of the first byte there
    /// (translated second, so a fault there reports that page's address in `tval`).
    #[inline]
    fn translate_span<B: Bus + ?Sized>(
        &mut self,
        bus: &B,
        ctx: &TranslateCtx,
        va: VirtAddr,
        access: AccessType,
        size: AccessSize,
    ) -> Result<(PhysAddr, Option<PhysAddr>), MemFault> {
        let pa = self.translate(bus, ctx, va, access)?;
        if va.page_offset() + size.bytes() <= PAGE_SIZE {
            return Ok((pa, None));
        }
        let next = VirtAddr(va.page_base().0.wrapping_add(PAGE_SIZE));
        Ok((pa, Some(self.translate(bus, ctx, next, access)?)))
    }

    /// Loads `size` bytes at `va` (zero-extended). Misaligned loads are performed, also across
    /// pages.
    #[inline]
    pub fn load<B: Bus + ?Sized>(
        &mut self,
        bus: &B,
        ctx: &TranslateCtx,
        va: VirtAddr,
        size: AccessSize,
    ) -> Result<u64, MemFault> {
        self.read(bus, ctx, va, size, AccessType::Load)
    }

    /// Fetches `size` bytes of instruction at `va` (2 for a compressed parcel, 4 for a full
    /// instruction, which may cross a page).
    #[inline]
    pub fn fetch<B: Bus + ?Sized>(
        &mut self,
        bus: &B,
        ctx: &TranslateCtx,
        va: VirtAddr,
        size: AccessSize,
    ) -> Result<u64, MemFault> {
        self.read(bus, ctx, va, size, AccessType::Fetch)
    }

    #[inline]
    fn read<B: Bus + ?Sized>(
        &mut self,
        bus: &B,
        ctx: &TranslateCtx,
        va: VirtAddr,
        size: AccessSize,
        access: AccessType,
    ) -> Result<u64, MemFault> {
        match self.translate_span(bus, ctx, va, access, size)? {
            (pa, None) => bus
                .load(pa, size)
                .map_err(|_| MemFault::access(access, va.0)),
            (pa, Some(next)) => {
                let first = PAGE_SIZE - va.page_offset();
                let mut value = 0;
                for i in 0..size.bytes() {
                    let (at, tval) = if i < first {
                        (pa.wrapping_add(i), va.0)
                    } else {
                        (next.wrapping_add(i - first), va.0.wrapping_add(first))
                    };
                    let b = bus
                        .load(at, AccessSize::B1)
                        .map_err(|_| MemFault::access(access, tval))?;
                    value |= b << (8 * i);
                }
                Ok(value)
            }
        }
    }

    /// Stores the low `size` bytes of `value` at `va`. Misaligned stores are performed, also
    /// across pages (both pages are translated before either is written).
    #[inline]
    pub fn store<B: Bus + ?Sized>(
        &mut self,
        bus: &B,
        ctx: &TranslateCtx,
        va: VirtAddr,
        size: AccessSize,
        value: u64,
    ) -> Result<(), MemFault> {
        let access = AccessType::Store;
        match self.translate_span(bus, ctx, va, access, size)? {
            (pa, None) => bus
                .store(pa, size, value)
                .map_err(|_| MemFault::access(access, va.0)),
            (pa, Some(next)) => {
                let first = PAGE_SIZE - va.page_offset();
                for i in 0..size.bytes() {
                    let (at, tval) = if i < first {
                        (pa.wrapping_add(i), va.0)
                    } else {
                        (next.wrapping_add(i - first), va.0.wrapping_add(first))
                    };
                    bus.store(at, AccessSize::B1, value >> (8 * i))
                        .map_err(|_| MemFault::access(access, tval))?;
                }
                Ok(())
            }
        }
    }

    /// Translates an atomic access, which must be naturally aligned (an address-misaligned
    /// fault otherwise, before translation).
    fn translate_atomic<B: Bus + ?Sized>(
        &mut self,
        bus: &B,
        ctx: &TranslateCtx,
        va: VirtAddr,
        access: AccessType,
        size: AccessSize,
    ) -> Result<PhysAddr, MemFault> {
        if !size.is_aligned(va.0) {
            return Err(MemFault::misaligned(access, va.0));
        }
        self.translate(bus, ctx, va, access)
    }

    fn atomic_fault(access: AccessType, va: VirtAddr, fault: BusFault) -> MemFault {
        match fault {
            BusFault::Misaligned => MemFault::misaligned(access, va.0),
            BusFault::Unmapped | BusFault::Device => MemFault::access(access, va.0),
        }
    }

    /// Performs an AMO at `va` and returns the old value (zero-extended).
    pub fn amo<B: Bus + ?Sized>(
        &mut self,
        bus: &B,
        ctx: &TranslateCtx,
        va: VirtAddr,
        size: AccessSize,
        op: AmoOp,
        operand: u64,
    ) -> Result<u64, MemFault> {
        let pa = self.translate_atomic(bus, ctx, va, AccessType::Store, size)?;
        bus.amo(pa, size, op, operand)
            .map_err(|f| Self::atomic_fault(AccessType::Store, va, f))
    }

    /// Compare-and-swap at `va` (Zacas): `Ok(Ok(old))` when it stored, `Ok(Err(actual))` when
    /// memory held another value.
    pub fn compare_exchange<B: Bus + ?Sized>(
        &mut self,
        bus: &B,
        ctx: &TranslateCtx,
        va: VirtAddr,
        size: AccessSize,
        current: u64,
        new: u64,
    ) -> Result<Result<u64, u64>, MemFault> {
        let pa = self.translate_atomic(bus, ctx, va, AccessType::Store, size)?;
        bus.compare_exchange(pa, size, current, new)
            .map_err(|f| Self::atomic_fault(AccessType::Store, va, f))
    }

    /// `lr.w`/`lr.d`: loads at `va` and returns the reservation for the hart to keep; its
    /// `value` is the loaded value (zero-extended).
    pub fn load_reserved<B: Bus + ?Sized>(
        &mut self,
        bus: &B,
        ctx: &TranslateCtx,
        va: VirtAddr,
        size: AccessSize,
    ) -> Result<Reservation, MemFault> {
        let pa = self.translate_atomic(bus, ctx, va, AccessType::Load, size)?;
        let value = bus
            .load(pa, size)
            .map_err(|f| Self::atomic_fault(AccessType::Load, va, f))?;
        Ok(Reservation {
            addr: pa,
            size,
            value,
        })
    }

    /// `sc.w`/`sc.d`: stores `value` at `va` if `reservation` covers it and memory still holds
    /// the value the LR read (a compare-and-swap, correct across host threads). Returns whether
    /// it stored. The address is translated (and faults are raised) even when it fails. The hart
    /// drops its reservation afterwards, whatever the result.
    pub fn store_conditional<B: Bus + ?Sized>(
        &mut self,
        bus: &B,
        ctx: &TranslateCtx,
        va: VirtAddr,
        size: AccessSize,
        value: u64,
        reservation: Option<Reservation>,
    ) -> Result<bool, MemFault> {
        let pa = self.translate_atomic(bus, ctx, va, AccessType::Store, size)?;
        let Some(r) = reservation.filter(|r| r.addr == pa && r.size == size) else {
            return Ok(false);
        };
        bus.compare_exchange(pa, size, r.value, value)
            .map(|r| r.is_ok())
            .map_err(|f| Self::atomic_fault(AccessType::Store, va, f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Privilege;
    use crate::fault::FaultCause;
    use crate::pte::Pte;
    use crate::satp::SatpMode;
    use crate::test_support::{Guest, DEVICE_BASE, RAM_BASE};
    use crate::tlb::{fast_table_offset, TLB_ENTRY_SIZE, TLB_FLAGS, TLB_MMIO, TLB_WATCHED};

    const VA: u64 = 0x4000_1000;
    const RW: u64 = Pte::R | Pte::W;

    fn setup(flags: u64) -> (Guest, PhysAddr, Mmu) {
        let mut g = Guest::new(SatpMode::Sv39);
        let pte = g.map_page(VA, RAM_BASE + 0x3000, 0, flags);
        (g, pte, Mmu::new())
    }

    #[test]
    fn second_translation_hits_the_fast_table() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        mmu.translate(&g.map, &ctx, VirtAddr(VA + 8), AccessType::Load)
            .unwrap();
        let s = mmu.tlb().stats();
        assert_eq!((s.hits, s.misses, s.walks), (1, 1, 1));
    }

    #[test]
    fn cached_translation_is_used_until_sfence() {
        let (g, pte, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        g.write_pte(pte, Pte::leaf(PhysAddr(RAM_BASE + 0x7000), RW));
        let stale = mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load);
        mmu.sfence_vma(Some(VirtAddr(VA)), Some(Asid(1)));
        let fresh = mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load);
        assert_eq!(
            (stale, fresh),
            (
                Ok(PhysAddr(RAM_BASE + 0x3000)),
                Ok(PhysAddr(RAM_BASE + 0x7000))
            )
        );
    }

    #[test]
    fn global_mapping_survives_an_asid_flush() {
        let (g, _, mut mmu) = setup(RW | Pte::G);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        mmu.sfence_vma(None, Some(Asid(1)));
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        assert_eq!(mmu.tlb().stats().walks, 1);
    }

    #[test]
    fn non_global_mapping_is_removed_by_an_asid_flush() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        mmu.sfence_vma(None, Some(Asid(1)));
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        assert_eq!(mmu.tlb().stats().walks, 2);
    }

    #[test]
    fn flush_of_another_asid_keeps_current_entries() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        mmu.sfence_vma(Some(VirtAddr(VA)), Some(Asid(2)));
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        assert_eq!(mmu.tlb().stats().hits, 1);
    }

    #[test]
    fn flush_by_address_and_asid_keeps_global_mappings() {
        let (g, _, mut mmu) = setup(RW | Pte::G);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        mmu.sfence_vma(Some(VirtAddr(VA)), Some(Asid(1)));
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        assert_eq!(mmu.tlb().stats().walks, 1);
    }

    #[test]
    fn flush_by_address_removes_global_mappings() {
        let (g, _, mut mmu) = setup(RW | Pte::G);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        mmu.sfence_vma(Some(VirtAddr(VA + 0x10)), None);
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        assert_eq!(mmu.tlb().stats().walks, 2);
    }

    #[test]
    fn flush_by_address_in_a_superpage_removes_the_whole_superpage() {
        let mut g = Guest::new(SatpMode::Sv39);
        let pte = g.map_page(0x4020_0000, RAM_BASE + 0x20_0000, 1, RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        let mut mmu = Mmu::new();
        mmu.translate(&g.map, &ctx, VirtAddr(0x4020_5000), AccessType::Load)
            .unwrap();
        g.write_pte(pte, Pte::leaf(PhysAddr(RAM_BASE + 0x40_0000), RW));
        mmu.sfence_vma(Some(VirtAddr(0x403f_f000)), Some(Asid(1)));
        assert_eq!(
            mmu.translate(&g.map, &ctx, VirtAddr(0x4020_5000), AccessType::Load),
            Ok(PhysAddr(RAM_BASE + 0x40_5000))
        );
    }

    #[test]
    fn satp_switch_keeps_entries_of_other_asids() {
        let (g, _, mut mmu) = setup(RW);
        let a = g.ctx(Privilege::Supervisor, 1);
        let b = g.ctx(Privilege::Supervisor, 2);
        mmu.translate(&g.map, &a, VirtAddr(VA), AccessType::Load)
            .unwrap();
        mmu.translate(&g.map, &b, VirtAddr(VA), AccessType::Load)
            .unwrap();
        mmu.translate(&g.map, &a, VirtAddr(VA), AccessType::Load)
            .unwrap();
        assert_eq!(mmu.tlb().stats().walks, 2);
    }

    #[test]
    fn satp_write_empties_the_fast_tables() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        mmu.set_satp(g.satp(2));
        assert!(mmu
            .tlb()
            .lookup_fast(TlbMode::Supervisor, AccessType::Load, VirtAddr(VA))
            .is_none());
    }

    #[test]
    fn store_after_load_walks_again_to_set_dirty() {
        let (g, pte, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Store)
            .unwrap();
        assert_eq!(
            (mmu.tlb().stats().walks, g.read_pte(pte).has(Pte::D)),
            (2, true)
        );
    }

    #[test]
    fn sum_selects_its_own_fast_table() {
        let (g, _, mut mmu) = setup(RW | Pte::U);
        let with_sum = TranslateCtx {
            sum: true,
            ..g.ctx(Privilege::Supervisor, 1)
        };
        let without = g.ctx(Privilege::Supervisor, 1);
        mmu.translate(&g.map, &with_sum, VirtAddr(VA), AccessType::Load)
            .unwrap();
        let r = mmu.translate(&g.map, &without, VirtAddr(VA), AccessType::Load);
        assert_eq!(r.map_err(|f| f.cause), Err(FaultCause::LoadPageFault));
    }

    #[test]
    fn mxr_change_is_seen_by_the_tlb() {
        let (g, _, mut mmu) = setup(Pte::X);
        let with_mxr = TranslateCtx {
            mxr: true,
            ..g.ctx(Privilege::Supervisor, 1)
        };
        let without = g.ctx(Privilege::Supervisor, 1);
        mmu.translate(&g.map, &with_mxr, VirtAddr(VA), AccessType::Load)
            .unwrap();
        let r = mmu.translate(&g.map, &without, VirtAddr(VA), AccessType::Load);
        assert_eq!(r.map_err(|f| f.cause), Err(FaultCause::LoadPageFault));
    }

    #[test]
    fn mmio_is_never_cached_as_ram() {
        let mut g = Guest::new(SatpMode::Sv39);
        g.map_page(VA, DEVICE_BASE, 0, RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        let mut mmu = Mmu::new();
        mmu.store(&g.map, &ctx, VirtAddr(VA), AccessSize::B4, 7)
            .unwrap();
        mmu.load(&g.map, &ctx, VirtAddr(VA), AccessSize::B4)
            .unwrap();
        mmu.load(&g.map, &ctx, VirtAddr(VA), AccessSize::B4)
            .unwrap();
        let e = *mmu
            .tlb()
            .lookup_fast(TlbMode::Supervisor, AccessType::Load, VirtAddr(VA))
            .unwrap();
        let c = g.counter.lock().unwrap();
        assert_eq!(
            (e.tag & TLB_MMIO, e.addend, c.reads, c.writes),
            (TLB_MMIO, 0, 2, 1)
        );
    }

    #[test]
    fn hit_test_of_the_layout_gives_the_host_address() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        let va = VA + 0x18;
        mmu.translate(&g.map, &ctx, VirtAddr(va), AccessType::Load)
            .unwrap();
        // What translated code does, with offsets only.
        let table = fast_table_offset(TlbMode::Supervisor, AccessType::Load) / TLB_ENTRY_SIZE;
        let index = ((va >> PAGE_SHIFT) as usize) & (crate::tlb::FAST_ENTRIES - 1);
        let entry = mmu.tlb().fast_table(TlbMode::Supervisor, AccessType::Load)[index];
        let hit = va & (PAGE_MASK | 7) == entry.tag;
        assert_eq!(
            (table, hit, va.wrapping_add(entry.addend)),
            (
                4 * crate::tlb::FAST_ENTRIES,
                true,
                g.ram.as_ptr() as u64 + 0x3018
            )
        );
    }

    #[test]
    fn misaligned_hit_test_fails() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap();
        let va = VA + 0x13;
        let index = ((va >> PAGE_SHIFT) as usize) & (crate::tlb::FAST_ENTRIES - 1);
        let entry = mmu.tlb().fast_table(TlbMode::Supervisor, AccessType::Load)[index];
        assert_ne!(va & (PAGE_MASK | 7), entry.tag);
    }

    #[test]
    fn store_to_clean_page_is_notdirty_until_refreshed() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        let flags = |mmu: &Mmu| {
            mmu.tlb()
                .lookup_fast(TlbMode::Supervisor, AccessType::Store, VirtAddr(VA))
                .map(|e| e.tag & TLB_NOTDIRTY)
        };
        mmu.store(&g.map, &ctx, VirtAddr(VA), AccessSize::B8, 1)
            .unwrap();
        let before = flags(&mmu);
        mmu.store(&g.map, &ctx, VirtAddr(VA), AccessSize::B8, 2)
            .unwrap();
        assert_eq!((before, flags(&mmu)), (Some(TLB_NOTDIRTY), Some(0)));
    }

    #[test]
    fn store_to_code_page_takes_the_slow_path() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        g.ram.code_pages().set(3);
        mmu.store(&g.map, &ctx, VirtAddr(VA), AccessSize::B8, 1)
            .unwrap();
        mmu.store(&g.map, &ctx, VirtAddr(VA), AccessSize::B8, 1)
            .unwrap();
        let e = mmu
            .tlb()
            .lookup_fast(TlbMode::Supervisor, AccessType::Store, VirtAddr(VA))
            .unwrap();
        assert_eq!(e.tag & TLB_CODE, TLB_CODE);
    }

    #[test]
    fn watched_page_stores_carry_the_flag_until_unwatched() {
        // VA maps physical page RAM_BASE + 0x3000; the store makes the page dirty first, so
        // that WATCHED is the only flag left.
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        let tags = |mmu: &Mmu| {
            let tag = |a| {
                mmu.tlb()
                    .lookup_fast(TlbMode::Supervisor, a, VirtAddr(VA))
                    .map(|e| e.tag & TLB_FLAGS)
            };
            (tag(AccessType::Store), tag(AccessType::Load))
        };
        mmu.store(&g.map, &ctx, VirtAddr(VA), AccessSize::B8, 1)
            .unwrap();
        mmu.load(&g.map, &ctx, VirtAddr(VA), AccessSize::B8)
            .unwrap();
        mmu.tlb_mut().watch_page(PhysAddr(RAM_BASE + 0x3ff8));
        // Watching empties the page's entries; the next store fills its entry with the flag.
        assert_eq!(tags(&mmu), (None, None));
        mmu.store(&g.map, &ctx, VirtAddr(VA), AccessSize::B8, 2)
            .unwrap();
        mmu.load(&g.map, &ctx, VirtAddr(VA), AccessSize::B8)
            .unwrap();
        let watched = tags(&mmu);
        mmu.tlb_mut().unwatch_all();
        let unwatched = tags(&mmu);
        let mut filter = [0u64; 64];
        let ppn = (RAM_BASE + 0x3000) >> PAGE_SHIFT;
        filter[(ppn as usize >> 6) & 63] = 1 << (ppn & 63);
        mmu.tlb_mut().watch_pages(&filter);
        let rewatched = tags(&mmu);
        assert_eq!(
            (watched, unwatched, rewatched),
            (
                (Some(TLB_WATCHED), Some(0)),
                (Some(0), Some(0)),
                (None, None)
            )
        );
        assert_eq!(mmu.tlb().watched(), &filter);
    }

    #[test]
    fn flush_phys_page_removes_its_entries() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        mmu.translate(&g.map, &ctx, VirtAddr(VA), AccessType::Store)
            .unwrap();
        mmu.tlb_mut().flush_phys_page(PhysAddr(RAM_BASE + 0x3123));
        assert!(mmu
            .tlb()
            .lookup_fast(TlbMode::Supervisor, AccessType::Store, VirtAddr(VA))
            .is_none());
    }

    #[test]
    fn machine_mode_entries_are_identity() {
        let g = Guest::new(SatpMode::Sv39);
        let ctx = g.ctx(Privilege::Machine, 1);
        let mut mmu = Mmu::new();
        mmu.store(&g.map, &ctx, VirtAddr(RAM_BASE + 8), AccessSize::B8, 5)
            .unwrap();
        assert_eq!(
            mmu.load(&g.map, &ctx, VirtAddr(RAM_BASE + 8), AccessSize::B8),
            Ok(5)
        );
    }

    #[test]
    fn load_from_nothing_is_an_access_fault() {
        let g = Guest::new(SatpMode::Sv39);
        let ctx = g.ctx(Privilege::Machine, 1);
        let mut mmu = Mmu::new();
        assert_eq!(
            mmu.load(&g.map, &ctx, VirtAddr(0x3000_0000), AccessSize::B4),
            Err(MemFault::access(AccessType::Load, 0x3000_0000))
        );
    }

    #[test]
    fn fetch_from_nothing_is_an_instruction_access_fault() {
        let g = Guest::new(SatpMode::Sv39);
        let ctx = g.ctx(Privilege::Machine, 1);
        let mut mmu = Mmu::new();
        assert_eq!(
            mmu.fetch(&g.map, &ctx, VirtAddr(0x3000_0000), AccessSize::B2),
            Err(MemFault::access(AccessType::Fetch, 0x3000_0000))
        );
    }

    #[test]
    fn store_to_nothing_is_a_store_access_fault() {
        let mut g = Guest::new(SatpMode::Sv39);
        g.map_page(VA, 0x3000_0000, 0, RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        let mut mmu = Mmu::new();
        assert_eq!(
            mmu.store(&g.map, &ctx, VirtAddr(VA + 4), AccessSize::B4, 0),
            Err(MemFault::access(AccessType::Store, VA + 4))
        );
    }

    #[test]
    fn misaligned_store_across_pages_reports_the_faulting_page() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        let va = VA + PAGE_SIZE - 4;
        assert_eq!(
            mmu.store(&g.map, &ctx, VirtAddr(va), AccessSize::B8, 0),
            Err(MemFault::page(AccessType::Store, VA + PAGE_SIZE))
        );
    }

    #[test]
    fn misaligned_load_across_pages_joins_both_pages() {
        let mut g = Guest::new(SatpMode::Sv39);
        g.map_page(VA, RAM_BASE + 0x3000, 0, RW);
        g.map_page(VA + PAGE_SIZE, RAM_BASE + 0x9000, 0, RW);
        g.map
            .store(PhysAddr(RAM_BASE + 0x3ffe), AccessSize::B2, 0x2211)
            .unwrap();
        g.map
            .store(PhysAddr(RAM_BASE + 0x9000), AccessSize::B2, 0x4433)
            .unwrap();
        let ctx = g.ctx(Privilege::Supervisor, 1);
        let mut mmu = Mmu::new();
        assert_eq!(
            mmu.load(&g.map, &ctx, VirtAddr(VA + 0xffe), AccessSize::B4),
            Ok(0x4433_2211)
        );
    }

    #[test]
    fn misaligned_amo_is_an_address_misaligned_fault() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        assert_eq!(
            mmu.amo(
                &g.map,
                &ctx,
                VirtAddr(VA + 2),
                AccessSize::B4,
                AmoOp::Add,
                1
            ),
            Err(MemFault::misaligned(AccessType::Store, VA + 2))
        );
    }

    #[test]
    fn misaligned_lr_is_a_load_address_misaligned_fault() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        assert_eq!(
            mmu.load_reserved(&g.map, &ctx, VirtAddr(VA + 4), AccessSize::B8),
            Err(MemFault::misaligned(AccessType::Load, VA + 4))
        );
    }

    #[test]
    fn amo_on_read_only_page_is_a_store_page_fault() {
        let (g, _, mut mmu) = setup(Pte::R);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        assert_eq!(
            mmu.amo(&g.map, &ctx, VirtAddr(VA), AccessSize::B8, AmoOp::Swap, 1),
            Err(MemFault::page(AccessType::Store, VA))
        );
    }

    #[test]
    fn sc_after_lr_succeeds() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        let r = mmu
            .load_reserved(&g.map, &ctx, VirtAddr(VA), AccessSize::B8)
            .unwrap();
        let ok = mmu.store_conditional(&g.map, &ctx, VirtAddr(VA), AccessSize::B8, 9, Some(r));
        assert_eq!(
            (ok, mmu.load(&g.map, &ctx, VirtAddr(VA), AccessSize::B8)),
            (Ok(true), Ok(9))
        );
    }

    #[test]
    fn sc_fails_after_another_store_changed_the_value() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        let r = mmu
            .load_reserved(&g.map, &ctx, VirtAddr(VA), AccessSize::B4)
            .unwrap();
        g.map
            .store(PhysAddr(RAM_BASE + 0x3000), AccessSize::B4, 1)
            .unwrap();
        let ok = mmu.store_conditional(&g.map, &ctx, VirtAddr(VA), AccessSize::B4, 9, Some(r));
        assert_eq!(
            (ok, mmu.load(&g.map, &ctx, VirtAddr(VA), AccessSize::B4)),
            (Ok(false), Ok(1))
        );
    }

    #[test]
    fn sc_without_reservation_fails() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        assert_eq!(
            mmu.store_conditional(&g.map, &ctx, VirtAddr(VA), AccessSize::B8, 9, None),
            Ok(false)
        );
    }

    #[test]
    fn compare_exchange_through_the_mmu() {
        let (g, _, mut mmu) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        let first = mmu.compare_exchange(&g.map, &ctx, VirtAddr(VA), AccessSize::B8, 0, 5);
        let second = mmu.compare_exchange(&g.map, &ctx, VirtAddr(VA), AccessSize::B8, 0, 6);
        assert_eq!((first, second), (Ok(Ok(0)), Ok(Err(5))));
    }

    #[test]
    fn lr_sc_increments_are_atomic_across_threads() {
        let (g, _, _) = setup(RW);
        let ctx = g.ctx(Privilege::Supervisor, 1);
        let map = &g.map;
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(move || {
                    let mut mmu = Mmu::new();
                    for _ in 0..2_000 {
                        loop {
                            let r = mmu
                                .load_reserved(map, &ctx, VirtAddr(VA), AccessSize::B8)
                                .unwrap();
                            let va = VirtAddr(VA);
                            let stored = mmu
                                .store_conditional(
                                    map,
                                    &ctx,
                                    va,
                                    AccessSize::B8,
                                    r.value + 1,
                                    Some(r),
                                )
                                .unwrap();
                            if stored {
                                break;
                            }
                        }
                    }
                });
            }
        });
        assert_eq!(
            g.map.load(PhysAddr(RAM_BASE + 0x3000), AccessSize::B8),
            Ok(8_000)
        );
    }

    #[test]
    fn memory_map_and_mmu_can_be_shared_and_sent_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<crate::MemoryMap>();
        send_sync::<crate::GuestRam>();
        send::<Mmu>();
    }
}
