//! The page-table walk of Sv39, Sv48 and Sv57 (privileged spec 1.12, section 4.3.2).
//!
//! A/D bits are set by the walker, as QEMU does (the spec's choice of a hardware update, now
//! named Svadu), rather than raising a page fault for software to set them (Svade). The update
//! is a compare-and-swap of the whole PTE on the bus: if another hart changed the PTE between
//! the read and the update, the walk starts again from the root, so the update is atomic with
//! the checks that allowed it, as the spec requires. A/D are set only for an access that is
//! allowed, after every check; `D` only for stores (and AMOs).

use crate::access::{AccessSize, AccessType, Privilege};
use crate::addr::{PhysAddr, VirtAddr, PAGE_SHIFT};
use crate::bus::Bus;
use crate::context::TranslateCtx;
use crate::fault::MemFault;
use crate::pte::Pte;

/// The result of a successful page-table walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Walk {
    /// The translated physical address.
    pub pa: PhysAddr,
    /// The leaf PTE as it is in memory after the walk (with any A/D update).
    pub pte: Pte,
    /// The level of the leaf: 0 for a 4 KiB page, 1 for 2 MiB, 2 for 1 GiB, 3 for 512 GiB,
    /// 4 for 256 TiB.
    pub level: u8,
    /// Whether the mapping is global (`G` set in the leaf or in any PTE above it).
    pub global: bool,
    path: [PhysAddr; 5],
    depth: u8,
}

impl Walk {
    /// The size in bytes of the page the leaf maps.
    #[inline]
    pub const fn page_size(&self) -> u64 {
        1 << (PAGE_SHIFT + 9 * self.level as u32)
    }

    /// The physical addresses of the PTEs read, from the root to the leaf.
    #[inline]
    pub fn path(&self) -> &[PhysAddr] {
        &self.path[..self.depth as usize]
    }

    /// The physical address of the leaf PTE.
    #[inline]
    pub fn pte_addr(&self) -> PhysAddr {
        self.path[self.depth as usize - 1]
    }
}

/// Whether a leaf PTE allows `access` at effective privilege `privilege` with the given SUM and
/// MXR. S-mode may never execute a U page; it may load and store U pages only with SUM.
#[inline]
pub(crate) fn leaf_allows(
    pte: Pte,
    privilege: Privilege,
    access: AccessType,
    sum: bool,
    mxr: bool,
) -> bool {
    let user_page = pte.has(Pte::U);
    let privilege_ok = match privilege {
        Privilege::User => user_page,
        Privilege::Supervisor => !user_page || (sum && access != AccessType::Fetch),
        Privilege::Machine => true,
    };
    privilege_ok
        && match access {
            AccessType::Fetch => pte.has(Pte::X),
            AccessType::Load => pte.has(Pte::R) || (mxr && pte.has(Pte::X)),
            AccessType::Store => pte.has(Pte::W),
        }
}

/// Walks the page tables for `access` at `va`, setting A (and D for stores) in the leaf PTE.
///
/// Returns `Ok(None)` when translation is off for this access (effective privilege M, or `satp`
/// is `Bare`): then the physical address is the virtual one. A page fault is raised for a
/// non-canonical address, an invalid PTE (V clear, W without R, reserved bits, A/D/U in a
/// non-leaf), a missing leaf, a permission failure and a misaligned superpage; an access fault
/// when a PTE cannot be read (or updated) on the bus. The fault's `tval` is `va`.
pub fn walk<B: Bus + ?Sized>(
    bus: &B,
    ctx: &TranslateCtx,
    va: VirtAddr,
    access: AccessType,
) -> Result<Option<Walk>, MemFault> {
    walk_impl(bus, ctx, va, access, true)
}

/// Like [`walk`], but writes nothing: the A/D bits are left as they are. For debuggers and for
/// tests that must look without touching.
pub fn inspect<B: Bus + ?Sized>(
    bus: &B,
    ctx: &TranslateCtx,
    va: VirtAddr,
    access: AccessType,
) -> Result<Option<Walk>, MemFault> {
    walk_impl(bus, ctx, va, access, false)
}

/// Translates `va` for `access` with a fresh walk and no TLB: the reference the TLB must agree
/// with.
pub fn translate_uncached<B: Bus + ?Sized>(
    bus: &B,
    ctx: &TranslateCtx,
    va: VirtAddr,
    access: AccessType,
) -> Result<PhysAddr, MemFault> {
    Ok(walk(bus, ctx, va, access)?.map_or(PhysAddr(va.0), |w| w.pa))
}

fn walk_impl<B: Bus + ?Sized>(
    bus: &B,
    ctx: &TranslateCtx,
    va: VirtAddr,
    access: AccessType,
    update: bool,
) -> Result<Option<Walk>, MemFault> {
    if !ctx.is_paged(access) {
        return Ok(None);
    }
    let mode = ctx.satp.mode();
    let page_fault = MemFault::page(access, va.0);
    let access_fault = MemFault::access(access, va.0);
    if !mode.is_canonical(va.0) {
        return Err(page_fault);
    }
    let privilege = ctx.effective_privilege(access);
    let levels = mode.levels();
    'restart: loop {
        let mut table = ctx.satp.root().0;
        let mut path = [PhysAddr(0); 5];
        let mut global = false;
        let mut level = levels;
        while level > 0 {
            level -= 1;
            let vpn = (va.0 >> (PAGE_SHIFT + 9 * level)) & 0x1ff;
            let pte_addr = PhysAddr(table + vpn * 8);
            path[(levels - 1 - level) as usize] = pte_addr;
            let pte = Pte(bus
                .load(pte_addr, AccessSize::B8)
                .map_err(|_| access_fault)?);
            if pte.is_invalid() {
                return Err(page_fault);
            }
            global |= pte.has(Pte::G);
            if !pte.is_leaf() {
                table = pte.ppn() << PAGE_SHIFT;
                continue;
            }
            if !leaf_allows(pte, privilege, access, ctx.sum, ctx.mxr) {
                return Err(page_fault);
            }
            let low_ppn_mask = (1u64 << (9 * level)) - 1;
            if pte.ppn() & low_ppn_mask != 0 {
                return Err(page_fault);
            }
            let mut wanted = pte.0 | Pte::A;
            if access == AccessType::Store {
                wanted |= Pte::D;
            }
            let pte = if wanted == pte.0 || !update {
                pte
            } else {
                match bus.compare_exchange(pte_addr, AccessSize::B8, pte.0, wanted) {
                    Ok(Ok(_)) => Pte(wanted),
                    Ok(Err(_)) => continue 'restart,
                    Err(_) => return Err(access_fault),
                }
            };
            let offset_bits = PAGE_SHIFT + 9 * level;
            let offset_mask = (1u64 << offset_bits) - 1;
            let pa = ((pte.ppn() << PAGE_SHIFT) & !offset_mask) | (va.0 & offset_mask);
            return Ok(Some(Walk {
                pa: PhysAddr(pa),
                pte,
                level: level as u8,
                global,
                path,
                depth: (levels - level) as u8,
            }));
        }
        // The last level held a pointer: no leaf.
        return Err(page_fault);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::FaultCause;
    use crate::satp::SatpMode;
    use crate::test_support::{Guest, RAM_BASE, ROM_BASE};

    const VA: u64 = 0x4000_1234;
    const RW: u64 = Pte::R | Pte::W;
    const RWX: u64 = Pte::R | Pte::W | Pte::X;

    fn sv39() -> Guest {
        Guest::new(SatpMode::Sv39)
    }

    fn translate(
        g: &Guest,
        ctx: &TranslateCtx,
        va: u64,
        access: AccessType,
    ) -> Result<u64, MemFault> {
        translate_uncached(&g.map, ctx, VirtAddr(va), access).map(|pa| pa.0)
    }

    fn cause(r: Result<u64, MemFault>) -> Option<(FaultCause, u64)> {
        r.err().map(|f| (f.cause, f.tval))
    }

    #[test]
    fn sv39_4k_page_translates() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE + 0x5000, 0, RW);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            translate(&g, &ctx, VA, AccessType::Load),
            Ok(RAM_BASE + 0x5234)
        );
    }

    #[test]
    fn sv48_4k_page_translates() {
        let mut g = Guest::new(SatpMode::Sv48);
        g.map_page(0x7f12_3456_7000, RAM_BASE + 0x5000, 0, RW);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            translate(&g, &ctx, 0x7f12_3456_7008, AccessType::Load),
            Ok(RAM_BASE + 0x5008)
        );
    }

    #[test]
    fn sv57_4k_page_translates() {
        let mut g = Guest::new(SatpMode::Sv57);
        g.map_page(0xff_7f12_3456_7000, RAM_BASE + 0x5000, 0, RW);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            translate(&g, &ctx, 0xff_7f12_3456_7008, AccessType::Store),
            Ok(RAM_BASE + 0x5008)
        );
    }

    #[test]
    fn sv39_non_canonical_address_is_a_page_fault() {
        let g = sv39();
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, 0x0000_0040_0000_0000, AccessType::Load)),
            Some((FaultCause::LoadPageFault, 0x0000_0040_0000_0000))
        );
    }

    #[test]
    fn sv48_non_canonical_address_is_a_page_fault() {
        let g = Guest::new(SatpMode::Sv48);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(
                &g,
                &ctx,
                0xffff_0000_0000_0000,
                AccessType::Fetch
            )),
            Some((FaultCause::InstructionPageFault, 0xffff_0000_0000_0000))
        );
    }

    #[test]
    fn invalid_pte_is_an_instruction_page_fault_on_fetch() {
        let g = sv39();
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Fetch)),
            Some((FaultCause::InstructionPageFault, VA))
        );
    }

    #[test]
    fn invalid_pte_is_a_load_page_fault_on_load() {
        let g = sv39();
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Load)),
            Some((FaultCause::LoadPageFault, VA))
        );
    }

    #[test]
    fn invalid_pte_is_a_store_page_fault_on_store() {
        let g = sv39();
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Store)),
            Some((FaultCause::StorePageFault, VA))
        );
    }

    #[test]
    fn write_without_read_is_a_page_fault() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, Pte::W);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Store)),
            Some((FaultCause::StorePageFault, VA))
        );
    }

    #[test]
    fn reserved_pte_bits_are_a_page_fault() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, RW | 1 << 61);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Load)),
            Some((FaultCause::LoadPageFault, VA))
        );
    }

    #[test]
    fn accessed_bit_in_non_leaf_is_a_page_fault() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, RW);
        let top = g.pte_addr(VirtAddr(VA), 2);
        g.write_pte(top, Pte(g.read_pte(top).0 | Pte::A));
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Load)),
            Some((FaultCause::LoadPageFault, VA))
        );
    }

    #[test]
    fn pointer_at_the_last_level_is_a_page_fault() {
        let mut g = sv39();
        let leaf = g.pte_addr(VirtAddr(VA), 0);
        g.write_pte(leaf, Pte::table(PhysAddr(RAM_BASE)));
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Load)),
            Some((FaultCause::LoadPageFault, VA))
        );
    }

    #[test]
    fn unreadable_root_is_a_load_access_fault() {
        let g = sv39();
        let mut ctx = g.ctx(Privilege::Supervisor, 0);
        ctx.satp = crate::satp::Satp::new(SatpMode::Sv39, crate::satp::Asid(0), PhysAddr(0x4000));
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Load)),
            Some((FaultCause::LoadAccessFault, VA))
        );
    }

    #[test]
    fn unreadable_root_is_an_instruction_access_fault_on_fetch() {
        let g = sv39();
        let mut ctx = g.ctx(Privilege::Supervisor, 0);
        ctx.satp = crate::satp::Satp::new(SatpMode::Sv39, crate::satp::Asid(0), PhysAddr(0x4000));
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Fetch)),
            Some((FaultCause::InstructionAccessFault, VA))
        );
    }

    #[test]
    fn unwritable_pte_needing_a_d_update_is_a_store_access_fault() {
        let g = sv39();
        // A root table in a read-only device: a gigapage leaf without A or D.
        let vpn2 = (VA >> 30) & 0x1ff;
        g.rom.lock().unwrap().0[vpn2 as usize] = Pte::leaf(PhysAddr(RAM_BASE), RW).0;
        let mut ctx = g.ctx(Privilege::Supervisor, 0);
        ctx.satp = crate::satp::Satp::new(SatpMode::Sv39, crate::satp::Asid(0), PhysAddr(ROM_BASE));
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Store)),
            Some((FaultCause::StoreAccessFault, VA))
        );
    }

    #[test]
    fn pte_with_a_and_d_set_needs_no_write() {
        let g = sv39();
        let vpn2 = (VA >> 30) & 0x1ff;
        g.rom.lock().unwrap().0[vpn2 as usize] =
            Pte::leaf(PhysAddr(RAM_BASE), RW | Pte::A | Pte::D).0;
        let mut ctx = g.ctx(Privilege::Supervisor, 0);
        ctx.satp = crate::satp::Satp::new(SatpMode::Sv39, crate::satp::Asid(0), PhysAddr(ROM_BASE));
        assert_eq!(
            translate(&g, &ctx, VA, AccessType::Store),
            Ok(RAM_BASE + (VA & 0x3fff_ffff))
        );
    }

    #[test]
    fn megapage_translates_low_bits_from_the_address() {
        let mut g = sv39();
        g.map_page(0x4020_0000, RAM_BASE + 0x20_0000, 1, RW);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            translate(&g, &ctx, 0x4033_4567, AccessType::Load),
            Ok(RAM_BASE + 0x33_4567)
        );
    }

    #[test]
    fn misaligned_megapage_is_a_page_fault() {
        let mut g = sv39();
        g.map_page(0x4020_0000, RAM_BASE + 0x1000, 1, RW);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, 0x4020_0000, AccessType::Load)),
            Some((FaultCause::LoadPageFault, 0x4020_0000))
        );
    }

    #[test]
    fn misaligned_gigapage_is_a_page_fault() {
        let mut g = sv39();
        g.map_page(0x4000_0000, RAM_BASE + 0x20_0000, 2, RW);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, 0x4000_0000, AccessType::Store)),
            Some((FaultCause::StorePageFault, 0x4000_0000))
        );
    }

    #[test]
    fn sv48_terapage_translates() {
        let mut g = Guest::new(SatpMode::Sv48);
        g.map_page(0x80_0000_0000, 0, 3, RW);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            translate(&g, &ctx, 0x80_8000_0010, AccessType::Load),
            Ok(RAM_BASE + 0x10)
        );
    }

    #[test]
    fn supervisor_load_from_user_page_faults_without_sum() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, RW | Pte::U);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Load)),
            Some((FaultCause::LoadPageFault, VA))
        );
    }

    #[test]
    fn supervisor_store_to_user_page_is_allowed_with_sum() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, RW | Pte::U);
        let ctx = TranslateCtx {
            sum: true,
            ..g.ctx(Privilege::Supervisor, 0)
        };
        assert_eq!(
            translate(&g, &ctx, VA, AccessType::Store),
            Ok(RAM_BASE + 0x234)
        );
    }

    #[test]
    fn supervisor_fetch_from_user_page_faults_even_with_sum() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, RWX | Pte::U);
        let ctx = TranslateCtx {
            sum: true,
            ..g.ctx(Privilege::Supervisor, 0)
        };
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Fetch)),
            Some((FaultCause::InstructionPageFault, VA))
        );
    }

    #[test]
    fn user_access_to_supervisor_page_faults() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, RWX);
        let ctx = g.ctx(Privilege::User, 0);
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Fetch)),
            Some((FaultCause::InstructionPageFault, VA))
        );
    }

    #[test]
    fn user_access_to_user_page_is_allowed() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, RWX | Pte::U);
        let ctx = g.ctx(Privilege::User, 0);
        assert_eq!(
            translate(&g, &ctx, VA, AccessType::Fetch),
            Ok(RAM_BASE + 0x234)
        );
    }

    #[test]
    fn load_from_execute_only_page_faults_without_mxr() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, Pte::X);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Load)),
            Some((FaultCause::LoadPageFault, VA))
        );
    }

    #[test]
    fn load_from_execute_only_page_is_allowed_with_mxr() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, Pte::X);
        let ctx = TranslateCtx {
            mxr: true,
            ..g.ctx(Privilege::Supervisor, 0)
        };
        assert_eq!(
            translate(&g, &ctx, VA, AccessType::Load),
            Ok(RAM_BASE + 0x234)
        );
    }

    #[test]
    fn fetch_from_non_executable_page_faults() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, RW);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Fetch)),
            Some((FaultCause::InstructionPageFault, VA))
        );
    }

    #[test]
    fn store_to_read_only_page_faults() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, Pte::R);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Store)),
            Some((FaultCause::StorePageFault, VA))
        );
    }

    #[test]
    fn mprv_translates_m_mode_loads_with_mpp() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, RW | Pte::U);
        let ctx = TranslateCtx {
            mprv: true,
            mpp: Privilege::User,
            ..g.ctx(Privilege::Machine, 0)
        };
        assert_eq!(
            translate(&g, &ctx, VA, AccessType::Load),
            Ok(RAM_BASE + 0x234)
        );
    }

    #[test]
    fn mprv_checks_m_mode_stores_with_mpp() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, RW);
        let ctx = TranslateCtx {
            mprv: true,
            mpp: Privilege::User,
            ..g.ctx(Privilege::Machine, 0)
        };
        assert_eq!(
            cause(translate(&g, &ctx, VA, AccessType::Store)),
            Some((FaultCause::StorePageFault, VA))
        );
    }

    #[test]
    fn mprv_does_not_translate_fetches() {
        let g = sv39();
        let ctx = TranslateCtx {
            mprv: true,
            mpp: Privilege::Supervisor,
            ..g.ctx(Privilege::Machine, 0)
        };
        assert_eq!(translate(&g, &ctx, VA, AccessType::Fetch), Ok(VA));
    }

    #[test]
    fn machine_mode_is_not_translated() {
        let g = sv39();
        let ctx = g.ctx(Privilege::Machine, 0);
        assert_eq!(translate(&g, &ctx, VA, AccessType::Store), Ok(VA));
    }

    #[test]
    fn bare_satp_is_not_translated() {
        let g = sv39();
        let ctx = TranslateCtx::new(Privilege::User, crate::satp::Satp::BARE);
        assert_eq!(translate(&g, &ctx, VA, AccessType::Load), Ok(VA));
    }

    #[test]
    fn load_sets_accessed_but_not_dirty() {
        let mut g = sv39();
        let pte = g.map_page(VA, RAM_BASE, 0, RW);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        translate(&g, &ctx, VA, AccessType::Load).unwrap();
        let p = g.read_pte(pte);
        assert_eq!((p.has(Pte::A), p.has(Pte::D)), (true, false));
    }

    #[test]
    fn store_sets_accessed_and_dirty() {
        let mut g = sv39();
        let pte = g.map_page(VA, RAM_BASE, 0, RW);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        translate(&g, &ctx, VA, AccessType::Store).unwrap();
        assert!(g.read_pte(pte).has(Pte::A | Pte::D));
    }

    #[test]
    fn faulting_access_sets_no_bits() {
        let mut g = sv39();
        let pte = g.map_page(VA, RAM_BASE, 0, Pte::R);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        translate(&g, &ctx, VA, AccessType::Store).unwrap_err();
        assert_eq!(g.read_pte(pte), Pte::leaf(PhysAddr(RAM_BASE), Pte::R));
    }

    #[test]
    fn inspect_writes_nothing() {
        let mut g = sv39();
        let pte = g.map_page(VA, RAM_BASE, 0, RW);
        let ctx = g.ctx(Privilege::Supervisor, 0);
        inspect(&g.map, &ctx, VirtAddr(VA), AccessType::Store).unwrap();
        assert_eq!(g.read_pte(pte), Pte::leaf(PhysAddr(RAM_BASE), RW));
    }

    #[test]
    fn global_bit_of_a_non_leaf_makes_the_mapping_global() {
        let mut g = sv39();
        g.map_page(VA, RAM_BASE, 0, RW);
        let top = g.pte_addr(VirtAddr(VA), 2);
        g.write_pte(top, Pte(g.read_pte(top).0 | Pte::G));
        let ctx = g.ctx(Privilege::Supervisor, 0);
        let w = walk(&g.map, &ctx, VirtAddr(VA), AccessType::Load)
            .unwrap()
            .unwrap();
        assert_eq!((w.global, w.level, w.path().len()), (true, 0, 3));
    }

    /// A bus whose first compare-and-swap loses a race: another hart rewrites the PTE first.
    struct RacingBus<'a> {
        inner: &'a crate::memory_map::MemoryMap,
        raced: core::cell::Cell<bool>,
        new_pte: Pte,
    }

    impl Bus for RacingBus<'_> {
        fn load(&self, addr: PhysAddr, size: AccessSize) -> Result<u64, crate::BusFault> {
            self.inner.load(addr, size)
        }

        fn store(
            &self,
            addr: PhysAddr,
            size: AccessSize,
            value: u64,
        ) -> Result<(), crate::BusFault> {
            self.inner.store(addr, size, value)
        }

        fn amo(
            &self,
            addr: PhysAddr,
            size: AccessSize,
            op: crate::AmoOp,
            operand: u64,
        ) -> Result<u64, crate::BusFault> {
            self.inner.amo(addr, size, op, operand)
        }

        fn compare_exchange(
            &self,
            addr: PhysAddr,
            size: AccessSize,
            current: u64,
            new: u64,
        ) -> Result<Result<u64, u64>, crate::BusFault> {
            if !self.raced.replace(true) {
                self.inner.store(addr, size, self.new_pte.0)?;
            }
            self.inner.compare_exchange(addr, size, current, new)
        }
    }

    #[test]
    fn pte_changed_during_the_a_d_update_restarts_the_walk() {
        let mut g = sv39();
        let pte = g.map_page(VA, RAM_BASE + 0x5000, 0, RW);
        let bus = RacingBus {
            inner: &g.map,
            raced: core::cell::Cell::new(false),
            new_pte: Pte::leaf(PhysAddr(RAM_BASE + 0x9000), RW),
        };
        let ctx = g.ctx(Privilege::Supervisor, 0);
        let pa = translate_uncached(&bus, &ctx, VirtAddr(VA), AccessType::Store);
        assert_eq!(
            (pa, g.read_pte(pte)),
            (
                Ok(PhysAddr(RAM_BASE + 0x9234)),
                Pte::leaf(PhysAddr(RAM_BASE + 0x9000), RW | Pte::A | Pte::D)
            )
        );
    }
}
