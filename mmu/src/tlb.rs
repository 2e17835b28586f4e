//! The software TLB of one hart: fast direct-mapped tables that translated code reads, backed by
//! a set-associative table tagged by ASID.
//!
//! # Structure
//!
//! * **Fast tables** hold translations for the current context only (current `satp`, current
//!   `mstatus.MXR`). There is one table per *regime* ([`TlbMode`]: M, S, S with SUM, U) and per
//!   access type (fetch, load, store), each [`FAST_ENTRIES`] entries, direct-mapped by the
//!   virtual page number. A hit is one compare and one add. An entry covers one 4 KiB page, even
//!   when the page-table leaf is a superpage. Store entries are only filled once the PTE's D bit
//!   is set, so a hit never needs a page-table write.
//! * **The ASID-tagged table** ([`L2_SETS`] sets of [`L2_WAYS`] ways) keeps the leaf
//!   translations of every address space seen, tagged by ASID, with global mappings matching any
//!   ASID. A fast-table miss looks here before walking, so switching back to an address space
//!   does not walk its page tables again. Its permissions are checked against the current
//!   privilege, SUM and MXR on every use.
//!
//! # Flushing
//!
//! [`Tlb::sfence_vma`] does what `sfence.vma` says: with neither operand everything; with only
//! an address the translations of that address in every address space, global ones included
//! (a superpage is flushed by any address inside it); with only an ASID every non-global
//! translation of that ASID; with both the non-global translations of that address in that ASID.
//! Global translations survive ASID flushes. A `satp` write ([`Tlb::set_satp`]) empties the fast
//! tables of the translated regimes (M's identity entries stay) and keeps the ASID-tagged table,
//! as ASIDs allow; a change of MXR empties the fast load tables.
//!
//! # Layout for translated code
//!
//! The fast tables are one contiguous array of [`TlbEntry`] at [`Tlb::fast_tables_ptr`] (stable
//! for the life of the `Tlb`; the `Tlb` itself holds that pointer at offset
//! [`TLB_FAST_PTR_OFFSET`]). The table of regime `m` and access type `a` starts at byte
//! [`fast_table_offset`]`(m, a)` = `(m * 3 + a) * FAST_ENTRIES * 32`; `a` is 0 fetch, 1 load,
//! 2 store; `m` is [`TlbMode::index`]: 0 M (effective privilege M, no translation), 1 S (and
//! every S-mode fetch), 2 S loads and stores with SUM set, 3 U. An entry is 32 bytes:
//!
//! | offset | field | meaning |
//! | --- | --- | --- |
//! | 0 ([`TLB_ENTRY_TAG_OFFSET`]) | `tag` | virtual page address, low bits: slow-path flags |
//! | 8 ([`TLB_ENTRY_ADDEND_OFFSET`]) | `addend` | host address minus virtual address |
//! | 16 ([`TLB_ENTRY_PHYS_OFFSET`]) | `phys` | guest-physical page address |
//! | 24 | reserved | zero |
//!
//! The hit test for an access of `s` bytes (1, 2, 4, 8) at virtual address `va`:
//!
//! ```text
//! e = base + fast_table_offset(m, a) + ((va >> 12) & (FAST_ENTRIES - 1)) * 32
//! if (va & (PAGE_MASK | (s - 1))) == e.tag { host = va + e.addend } else { call the slow path }
//! ```
//!
//! The alignment bits in the mask send misaligned accesses (which may cross a page) to the slow
//! path. The flags live in bits 7..=11 of `tag`, which the masked address never has, so any set
//! flag fails the compare: [`TLB_INVALID`] (empty entry), [`TLB_MMIO`] (no host memory: a device
//! or a hole), [`TLB_CODE`] (store to a page holding translated code: invalidate it first),
//! [`TLB_NOTDIRTY`] (first store to a page not yet marked in its RAM dirty bitmap) and
//! [`TLB_WATCHED`] (store to a page this hart's own engine watches, see [`Tlb::watch_page`]).
//! The slow path calls [`crate::Mmu::translate`], which refreshes the `CODE`, `NOTDIRTY` and
//! `WATCHED` flags, and then the bus. After clearing a dirty bitmap or marking a page as code,
//! flush the TLBs of the harts ([`Tlb::flush_phys_page`] or [`Tlb::flush_all`]) so that no
//! stale entry skips the slow path.
//!
//! A hit without flags in a store table thus says that the page is RAM, already marked dirty,
//! not marked as code and not watched: an engine's fast path may store there and do nothing
//! else.

use crate::access::{AccessType, Privilege};
use crate::addr::{PhysAddr, VirtAddr, PAGE_MASK, PAGE_SHIFT};
use crate::bus::HostPage;
use crate::context::TranslateCtx;
use crate::pte::Pte;
use crate::remaps::Remaps;
use crate::satp::{Asid, Satp};
use crate::walk::{leaf_allows, Walk};

/// log2 of [`FAST_ENTRIES`].
pub const FAST_INDEX_BITS: u32 = 8;
/// Entries in each fast table.
pub const FAST_ENTRIES: usize = 1 << FAST_INDEX_BITS;
/// Number of regimes with their own fast tables ([`TlbMode`]).
pub const FAST_MODES: usize = 4;
/// Entries in all fast tables together.
pub const FAST_TOTAL: usize = FAST_MODES * 3 * FAST_ENTRIES;
/// Sets of the ASID-tagged table.
pub const L2_SETS: usize = 256;
/// Ways of each set of the ASID-tagged table.
pub const L2_WAYS: usize = 4;

/// Tag flag: the entry is empty.
pub const TLB_INVALID: u64 = 1 << 11;
/// Tag flag: the page has no host memory (a device or nothing): always take the slow path.
pub const TLB_MMIO: u64 = 1 << 10;
/// Tag flag (store tables): the page holds translated code.
pub const TLB_CODE: u64 = 1 << 9;
/// Tag flag (store tables): the page is not yet marked dirty in its RAM region's bitmap.
pub const TLB_NOTDIRTY: u64 = 1 << 8;
/// Tag flag (store tables): the page is watched by this hart's own engine ([`Tlb::watch_page`]),
/// such as an interpreter that caches decoded instructions from it.
pub const TLB_WATCHED: u64 = 1 << 7;
/// All tag flags.
pub const TLB_FLAGS: u64 = TLB_INVALID | TLB_MMIO | TLB_CODE | TLB_NOTDIRTY | TLB_WATCHED;

/// The pages a hart's engine watches for stores ([`Tlb::watch_page`]): one bit per
/// `ppn % 4096`, so a page may be watched because another one 16 MiB away is.
pub type WatchFilter = [u64; 64];

/// The word and bit of a [`WatchFilter`] for the page holding physical address `pa`.
#[inline]
fn watch_bit(pa: u64) -> (usize, u64) {
    let ppn = pa >> PAGE_SHIFT;
    ((ppn as usize >> 6) & 63, 1 << (ppn & 63))
}

/// Whether `filter` watches the page holding physical address `pa`.
#[inline]
fn watches(filter: &WatchFilter, pa: u64) -> bool {
    let (word, bit) = watch_bit(pa);
    filter[word] & bit != 0
}

/// Byte offset of [`TlbEntry::tag`].
pub const TLB_ENTRY_TAG_OFFSET: usize = 0;
/// Byte offset of [`TlbEntry::addend`].
pub const TLB_ENTRY_ADDEND_OFFSET: usize = 8;
/// Byte offset of [`TlbEntry::phys`].
pub const TLB_ENTRY_PHYS_OFFSET: usize = 16;
/// Size of a [`TlbEntry`] in bytes.
pub const TLB_ENTRY_SIZE: usize = 32;
/// Byte offset, inside [`Tlb`], of the pointer to the fast tables.
pub const TLB_FAST_PTR_OFFSET: usize = 0;

/// One fast-table entry. See the module documentation for the layout and the hit test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(32))]
pub struct TlbEntry {
    /// The 4 KiB-aligned virtual page address, or'ed with the slow-path flags.
    pub tag: u64,
    /// Host address minus guest-virtual address (wrapping); 0 when `TLB_MMIO` is set.
    pub addend: u64,
    /// The 4 KiB-aligned guest-physical page address.
    pub phys: u64,
    reserved: u64,
}

const _: () = assert!(core::mem::size_of::<TlbEntry>() == TLB_ENTRY_SIZE);
const _: () = assert!(core::mem::align_of::<TlbEntry>() == TLB_ENTRY_SIZE);
const _: () = assert!(core::mem::offset_of!(TlbEntry, tag) == TLB_ENTRY_TAG_OFFSET);
const _: () = assert!(core::mem::offset_of!(TlbEntry, addend) == TLB_ENTRY_ADDEND_OFFSET);
const _: () = assert!(core::mem::offset_of!(TlbEntry, phys) == TLB_ENTRY_PHYS_OFFSET);
const _: () = assert!(core::mem::offset_of!(Tlb, fast) == TLB_FAST_PTR_OFFSET);
// Below the page, a masked address has only its alignment bits (0..=2).
const _: () = assert!(TLB_FLAGS & 0x7f == 0 && TLB_FLAGS & PAGE_MASK == 0);

impl TlbEntry {
    /// An empty entry: its tag matches no address.
    pub const EMPTY: TlbEntry = TlbEntry {
        tag: TLB_INVALID,
        addend: 0,
        phys: 0,
        reserved: 0,
    };
}

/// The byte offset of the fast table of regime `mode` and access type `access` from
/// [`Tlb::fast_tables_ptr`].
pub const fn fast_table_offset(mode: TlbMode, access: AccessType) -> usize {
    (mode.index() * 3 + access.index()) * FAST_ENTRIES * TLB_ENTRY_SIZE
}

/// The regime a fast table serves: the effective privilege, and for S-mode loads and stores,
/// SUM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TlbMode {
    /// Effective privilege M: no translation.
    Machine = 0,
    /// S-mode (loads and stores with SUM clear, and every fetch).
    Supervisor = 1,
    /// S-mode loads and stores with SUM set.
    SupervisorSum = 2,
    /// U-mode.
    User = 3,
}

impl TlbMode {
    /// The regime of an access in a context.
    #[inline]
    pub const fn of(ctx: &TranslateCtx, access: AccessType) -> TlbMode {
        match ctx.effective_privilege(access) {
            Privilege::Machine => TlbMode::Machine,
            Privilege::User => TlbMode::User,
            Privilege::Supervisor => {
                if ctx.sum && !matches!(access, AccessType::Fetch) {
                    TlbMode::SupervisorSum
                } else {
                    TlbMode::Supervisor
                }
            }
        }
    }

    /// The regime's index in the fast tables.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Counters of TLB activity, for tuning. Hits made inline by translated code, or by the
/// interpreter's block loop looking in the fast tables itself, are not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct TlbStats {
    /// Translations answered by a fast table.
    pub hits: u64,
    /// Translations a fast table could not answer (answered by the ASID-tagged table, a walk,
    /// or identity).
    pub misses: u64,
    /// Page-table walks started (including walks that fault).
    pub walks: u64,
    /// Flushes: `sfence.vma`, `satp` and MXR changes, and explicit flushes.
    pub flushes: u64,
}

/// An entry of the ASID-tagged table.
#[derive(Clone, Copy, Debug)]
struct L2Entry {
    /// 4 KiB virtual page address.
    vpage: u64,
    /// 4 KiB physical page address.
    ppage: u64,
    /// The leaf PTE as the walk left it.
    pte: Pte,
    asid: Asid,
    global: bool,
    valid: bool,
    /// The leaf's level (0 for 4 KiB).
    level: u8,
}

impl L2Entry {
    const EMPTY: L2Entry = L2Entry {
        vpage: 0,
        ppage: 0,
        pte: Pte(0),
        asid: Asid(0),
        global: false,
        valid: false,
        level: 0,
    };

    fn leaf_contains(&self, va: u64) -> bool {
        let shift = PAGE_SHIFT + 9 * u32::from(self.level);
        (self.vpage ^ va) >> shift == 0
    }
}

/// An inclusive range of virtual addresses covered by superpage translations, so that a flush
/// by address knows whether it must look beyond the address's own slot.
#[derive(Clone, Copy, Debug)]
struct Hull {
    lo: u64,
    hi: u64,
}

impl Hull {
    const EMPTY: Hull = Hull {
        lo: u64::MAX,
        hi: 0,
    };

    fn add(&mut self, base: u64, size: u64) {
        self.lo = self.lo.min(base);
        self.hi = self.hi.max(base + (size - 1));
    }

    fn contains(&self, va: u64) -> bool {
        self.lo <= va && va <= self.hi
    }
}

/// A translation found in the TLB or made by a walk, ready to be cached.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Leaf {
    pub(crate) ppage: u64,
    pub(crate) level: u8,
}

/// The software TLB of one hart. See the module documentation.
#[repr(C)]
pub struct Tlb {
    fast: Box<[TlbEntry; FAST_TOTAL]>,
    l2: Box<[L2Entry]>,
    victim: usize,
    satp: Satp,
    mxr: bool,
    fast_super: Hull,
    l2_super: Hull,
    stats: TlbStats,
    watched: WatchFilter,
    remaps: Remaps,
}

impl core::fmt::Debug for Tlb {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Tlb")
            .field("satp", &self.satp)
            .field("mxr", &self.mxr)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Default for Tlb {
    fn default() -> Self {
        Tlb::new()
    }
}

impl Tlb {
    /// An empty TLB for a hart whose `satp` is `Bare` and MXR clear.
    pub fn new() -> Tlb {
        let fast: Box<[TlbEntry; FAST_TOTAL]> = vec![TlbEntry::EMPTY; FAST_TOTAL]
            .into_boxed_slice()
            .try_into()
            .unwrap_or_else(|_| unreachable!("the vector has FAST_TOTAL entries"));
        Tlb {
            fast,
            l2: vec![L2Entry::EMPTY; L2_SETS * L2_WAYS].into_boxed_slice(),
            victim: 0,
            satp: Satp::BARE,
            mxr: false,
            fast_super: Hull::EMPTY,
            l2_super: Hull::EMPTY,
            stats: TlbStats::default(),
            watched: [0; 64],
            remaps: Remaps::All,
        }
    }

    /// Watches stores to the physical page holding `pa`: from now on, store entries for it
    /// carry [`TLB_WATCHED`], so that no fast path stores there unseen. An interpreter calls
    /// this for each page it starts caching decoded instructions of, and then knows that a
    /// store-table hit without flags wrote none of them.
    pub fn watch_page(&mut self, pa: PhysAddr) {
        let (word, bit) = watch_bit(pa.0);
        if self.watched[word] & bit == 0 {
            self.watched[word] |= bit;
            self.flush_phys_page(pa);
        }
    }

    /// Watches every page `filter` has (as [`Tlb::watch_page`] does one by one): a hart's
    /// engine brings its TLB in line with its own record of the pages it watches, which stays
    /// right should the hart's MMU be replaced.
    pub fn watch_pages(&mut self, filter: &WatchFilter) {
        let mut new = false;
        for (w, f) in self.watched.iter_mut().zip(filter) {
            new |= *f & !*w != 0;
            *w |= f;
        }
        if !new {
            return;
        }
        self.stats.flushes += 1;
        let watched = self.watched;
        for e in self.fast.iter_mut() {
            if watches(&watched, e.phys) && e.tag & (TLB_INVALID | TLB_WATCHED) == 0 {
                *e = TlbEntry::EMPTY;
            }
        }
    }

    /// Stops watching every page ([`Tlb::watch_page`]), as after the watcher dropped its cache:
    /// the store entries lose [`TLB_WATCHED`].
    pub fn unwatch_all(&mut self) {
        if self.watched == [0; 64] {
            return;
        }
        self.watched = [0; 64];
        for e in self.fast.iter_mut() {
            e.tag &= !TLB_WATCHED;
        }
    }

    /// The watched pages ([`Tlb::watch_page`]).
    pub fn watched(&self) -> &WatchFilter {
        &self.watched
    }

    /// The first fast-table entry, for translated code. The pointer stays valid and does not
    /// move for the life of the `Tlb`.
    pub fn fast_tables_ptr(&self) -> *const TlbEntry {
        self.fast.as_ptr()
    }

    /// The fast table of a regime and access type.
    #[inline]
    pub fn fast_table(&self, mode: TlbMode, access: AccessType) -> &[TlbEntry] {
        let start = (mode.index() * 3 + access.index()) * FAST_ENTRIES;
        &self.fast[start..start + FAST_ENTRIES]
    }

    /// What changed in the virtual-to-physical view since the last call (see
    /// [`crate::remaps`]), and forgets it. A new TLB reports [`Remaps::All`].
    pub fn take_remaps(&mut self) -> Remaps {
        core::mem::take(&mut self.remaps)
    }

    /// The counters.
    pub fn stats(&self) -> TlbStats {
        self.stats
    }

    /// Sets every counter to zero.
    pub fn reset_stats(&mut self) {
        self.stats = TlbStats::default();
    }

    /// The `satp` value the fast tables were filled under.
    pub fn satp(&self) -> Satp {
        self.satp
    }

    #[inline]
    fn fast_index(mode: TlbMode, access: AccessType, va: u64) -> usize {
        (mode.index() * 3 + access.index()) * FAST_ENTRIES
            + ((va >> PAGE_SHIFT) as usize & (FAST_ENTRIES - 1))
    }

    /// Brings the fast tables to the context: a different `satp` empties the translated
    /// regimes, a different MXR their load tables.
    #[inline]
    pub fn sync(&mut self, ctx: &TranslateCtx) {
        if ctx.satp != self.satp || ctx.mxr != self.mxr {
            self.resync(ctx);
        }
    }

    #[cold]
    #[inline(never)]
    fn resync(&mut self, ctx: &TranslateCtx) {
        if ctx.satp != self.satp {
            self.set_satp(ctx.satp);
        }
        if ctx.mxr != self.mxr {
            self.mxr = ctx.mxr;
            self.stats.flushes += 1;
            for mode in [TlbMode::Supervisor, TlbMode::SupervisorSum, TlbMode::User] {
                let start = Self::fast_index(mode, AccessType::Load, 0);
                self.fast[start..start + FAST_ENTRIES].fill(TlbEntry::EMPTY);
            }
        }
    }

    /// Records a `satp` write: the fast tables of the translated regimes are emptied; the
    /// ASID-tagged table is kept.
    pub fn set_satp(&mut self, satp: Satp) {
        self.satp = satp;
        self.stats.flushes += 1;
        self.remaps = Remaps::All;
        self.flush_fast_translated();
    }

    fn flush_fast_translated(&mut self) {
        let start = Self::fast_index(TlbMode::Supervisor, AccessType::Fetch, 0);
        self.fast[start..].fill(TlbEntry::EMPTY);
        self.fast_super = Hull::EMPTY;
    }

    /// Empties everything, including M-mode's identity entries.
    pub fn flush_all(&mut self) {
        self.stats.flushes += 1;
        self.remaps = Remaps::All;
        self.fast.fill(TlbEntry::EMPTY);
        self.l2.fill(L2Entry::EMPTY);
        self.fast_super = Hull::EMPTY;
        self.l2_super = Hull::EMPTY;
    }

    /// Empties the fast entries that map the physical page holding `pa`, in every regime: after
    /// the translator marks the page as code, or the page's dirty bit is cleared.
    pub fn flush_phys_page(&mut self, pa: PhysAddr) {
        self.stats.flushes += 1;
        let page = pa.0 & PAGE_MASK;
        for e in self.fast.iter_mut() {
            if e.phys == page && e.tag & TLB_INVALID == 0 {
                *e = TlbEntry::EMPTY;
            }
        }
    }

    /// `sfence.vma`: `addr` is `rs1` (`None` for `x0`), `asid` is `rs2` (`None` for `x0`).
    pub fn sfence_vma(&mut self, addr: Option<VirtAddr>, asid: Option<Asid>) {
        self.stats.flushes += 1;
        match addr {
            // A superpage's other pages change with the named one.
            Some(va) if !self.l2_super.contains(va.0) && !self.fast_super.contains(va.0) => {
                self.remaps.add_page(va.0 & PAGE_MASK)
            }
            _ => self.remaps = Remaps::All,
        }
        let current = self.satp.asid();
        match (addr, asid) {
            (None, None) => {
                self.l2.fill(L2Entry::EMPTY);
                self.l2_super = Hull::EMPTY;
                self.flush_fast_translated();
            }
            (None, Some(asid)) => {
                for e in self.l2.iter_mut() {
                    if e.valid && !e.global && e.asid == asid {
                        e.valid = false;
                    }
                }
                if asid == current {
                    self.flush_fast_translated();
                }
            }
            (Some(va), asid) => {
                let va = va.0;
                let matches =
                    |e: &L2Entry| e.valid && asid.is_none_or(|a| !e.global && e.asid == a);
                if self.l2_super.contains(va) {
                    for e in self.l2.iter_mut() {
                        if matches(e) && e.leaf_contains(va) {
                            e.valid = false;
                        }
                    }
                } else {
                    let set = Self::l2_set(va);
                    for e in &mut self.l2[set..set + L2_WAYS] {
                        if matches(e) && e.vpage == va & PAGE_MASK {
                            e.valid = false;
                        }
                    }
                }
                if asid.is_none_or(|a| a == current) {
                    if self.fast_super.contains(va) {
                        self.flush_fast_translated();
                    } else {
                        for mode in [TlbMode::Supervisor, TlbMode::SupervisorSum, TlbMode::User] {
                            for access in AccessType::ALL {
                                self.fast[Self::fast_index(mode, access, va)] = TlbEntry::EMPTY;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Looks `va` up in the fast table of `mode` and `access`: the entry when its page matches,
    /// whatever its slow-path flags.
    #[inline]
    pub fn lookup_fast(
        &self,
        mode: TlbMode,
        access: AccessType,
        va: VirtAddr,
    ) -> Option<&TlbEntry> {
        let e = &self.fast[Self::fast_index(mode, access, va.0)];
        (e.tag & !(TLB_MMIO | TLB_CODE | TLB_NOTDIRTY | TLB_WATCHED) == va.0 & PAGE_MASK)
            .then_some(e)
    }

    #[inline]
    pub(crate) fn count_hit(&mut self) {
        self.stats.hits += 1;
    }

    #[inline]
    pub(crate) fn count_miss(&mut self) {
        self.stats.misses += 1;
    }

    #[inline]
    pub(crate) fn count_walk(&mut self) {
        self.stats.walks += 1;
    }

    /// Fills the fast entry of `va` for `mode` and `access` with the translation to the physical
    /// page `ppage`, whose host memory is `host`. `leaf_size` is the size of the page-table leaf
    /// the translation comes from (for flushing superpages by address).
    pub(crate) fn fill_fast(
        &mut self,
        mode: TlbMode,
        access: AccessType,
        va: VirtAddr,
        ppage: u64,
        host: Option<HostPage>,
        leaf_size: u64,
    ) {
        let vpage = va.0 & PAGE_MASK;
        let (flags, addend) = match host {
            None => (TLB_MMIO, 0),
            Some(h) => {
                let mut flags = 0;
                if access == AccessType::Store {
                    if h.code {
                        flags |= TLB_CODE;
                    }
                    if !h.dirty {
                        flags |= TLB_NOTDIRTY;
                    }
                    if watches(&self.watched, ppage) {
                        flags |= TLB_WATCHED;
                    }
                }
                (flags, (h.host as u64).wrapping_sub(vpage))
            }
        };
        if mode != TlbMode::Machine && leaf_size > 1 << PAGE_SHIFT {
            self.fast_super.add(va.0 & !(leaf_size - 1), leaf_size);
        }
        self.fast[Self::fast_index(mode, access, va.0)] = TlbEntry {
            tag: vpage | flags,
            addend,
            phys: ppage,
            reserved: 0,
        };
    }

    #[inline]
    fn l2_set(va: u64) -> usize {
        ((va >> PAGE_SHIFT) as usize & (L2_SETS - 1)) * L2_WAYS
    }

    /// Looks up the ASID-tagged table for `va` in `asid`: a translation if one is cached and
    /// allows the access in this context (stores need D set), else `None`.
    pub(crate) fn lookup_l2(
        &self,
        ctx: &TranslateCtx,
        va: VirtAddr,
        access: AccessType,
    ) -> Option<Leaf> {
        let asid = ctx.satp.asid();
        let vpage = va.0 & PAGE_MASK;
        let set = Self::l2_set(va.0);
        let e = self.l2[set..set + L2_WAYS]
            .iter()
            .find(|e| e.valid && e.vpage == vpage && (e.global || e.asid == asid))?;
        let allowed = leaf_allows(
            e.pte,
            ctx.effective_privilege(access),
            access,
            ctx.sum,
            ctx.mxr,
        ) && (access != AccessType::Store || e.pte.has(Pte::D));
        allowed.then_some(Leaf {
            ppage: e.ppage,
            level: e.level,
        })
    }

    /// Caches the result of a walk for `va` in `asid`.
    pub(crate) fn insert_l2(&mut self, asid: Asid, va: VirtAddr, walk: &Walk) {
        let vpage = va.0 & PAGE_MASK;
        let set = Self::l2_set(va.0);
        let entry = L2Entry {
            vpage,
            ppage: walk.pa.0 & PAGE_MASK,
            pte: walk.pte,
            asid,
            global: walk.global,
            valid: true,
            level: walk.level,
        };
        if walk.level > 0 {
            self.l2_super
                .add(va.0 & !(walk.page_size() - 1), walk.page_size());
        }
        let ways = &mut self.l2[set..set + L2_WAYS];
        let slot = ways
            .iter()
            .position(|e| e.valid && e.vpage == vpage && e.global == walk.global && e.asid == asid)
            .or_else(|| ways.iter().position(|e| !e.valid));
        let way = match slot {
            Some(w) => w,
            None => {
                self.victim = (self.victim + 1) % L2_WAYS;
                self.victim
            }
        };
        self.l2[set + way] = entry;
    }
}
