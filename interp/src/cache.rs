//! The decoded-instruction cache: hot code is decoded once.
//!
//! Entries are keyed by *physical* page and by the 2-byte slot in the page, so they stay valid
//! across `satp` writes, `sfence.vma` and privilege changes (the pc is translated through the
//! TLB before every lookup, and the translation is what faults). Invalidation:
//!
//! * `fence.i` drops everything. The ISA requires a hart to execute `fence.i` before it runs
//!   code that it or another hart (or a device) stored, so this alone is correct.
//! * As a courtesy to guests that skip `fence.i` after patching their own code (QEMU tolerates
//!   that too), a store, SC or AMO by this hart to a page with cached instructions drops that
//!   page.
//! * The page of the last fetch is remembered with its translation, so straight-line code and
//!   branches within a page are fetched without translating the pc; anything that may change
//!   the translation (a trap, `mret`/`sret`, a CSR access, `sfence.vma`, `wfi`, `fence.i`, a
//!   change through `hart_mut`) forgets it.
//! * Only RAM is cached (pages with a host page on the bus); code in device memory is fetched
//!   and decoded each time. An instruction that straddles two pages is never cached.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use ospite_isa::Inst;

/// Slots per 4 KiB page: one per 2-byte parcel.
const SLOTS: usize = 2048;

/// A hasher for page numbers: a multiplicative mix is plenty for keys that are already
/// well spread.
#[derive(Default)]
struct PageHasher(u64);

impl Hasher for PageHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Counters of the decode cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Instructions fetched and decoded.
    pub misses: u64,
    /// Pages dropped because this hart stored to them.
    pub page_invalidations: u64,
    /// Whole-cache flushes (`fence.i`).
    pub flushes: u64,
}

/// Decoded instructions per physical page.
#[derive(Default)]
pub(crate) struct DecodeCache {
    index: HashMap<u64, usize, BuildHasherDefault<PageHasher>>,
    pages: Vec<Box<[Option<Inst>]>>,
    free: Vec<usize>,
    last: Option<(u64, usize)>,
    /// The virtual page the hart last fetched from and its cache page: while the translation
    /// context is unchanged, fetching in that page needs no translation and no lookup.
    fetch_page: Option<(u64, usize)>,
    pub stats: CacheStats,
}

impl DecodeCache {
    #[inline]
    fn page(&mut self, ppn: u64) -> Option<usize> {
        if let Some((p, i)) = self.last {
            if p == ppn {
                return Some(i);
            }
        }
        let i = *self.index.get(&ppn)?;
        self.last = Some((ppn, i));
        Some(i)
    }

    /// The cached instruction at physical address `pa`, if any.
    #[inline]
    pub fn get(&mut self, pa: u64) -> Option<Inst> {
        let i = self.page(pa >> 12)?;
        let hit = self.pages[i][((pa & 0xfff) >> 1) as usize];
        if hit.is_some() {
            self.stats.hits += 1;
        }
        hit
    }

    /// The cached instruction at virtual address `va`, when `va` is in the page remembered by
    /// [`DecodeCache::remember_fetch_page`] and the slot is filled.
    #[inline(always)]
    pub fn get_in_fetch_page(&mut self, va: u64) -> Option<Inst> {
        let (page, i) = self.fetch_page?;
        if va >> 12 != page {
            return None;
        }
        let hit = self.pages[i][((va & 0xfff) >> 1) as usize];
        if hit.is_some() {
            self.stats.hits += 1;
        }
        hit
    }

    /// Remembers that virtual address `va` translates to physical `pa` in the current context,
    /// if `pa`'s page is cached.
    #[inline]
    pub fn remember_fetch_page(&mut self, va: u64, pa: u64) {
        self.fetch_page = self.page(pa >> 12).map(|i| (va >> 12, i));
    }

    /// Forgets the remembered fetch page: the translation context may have changed (a trap, a
    /// return, a CSR write, `sfence.vma`) or the page was dropped.
    #[inline]
    pub fn forget_fetch_page(&mut self) {
        self.fetch_page = None;
    }

    /// Caches `inst`, decoded from physical address `pa`.
    pub fn insert(&mut self, pa: u64, inst: Inst) {
        let ppn = pa >> 12;
        let i = match self.page(ppn) {
            Some(i) => i,
            None => {
                let i = match self.free.pop() {
                    Some(i) => {
                        self.pages[i].fill(None);
                        i
                    }
                    None => {
                        self.pages.push(vec![None; SLOTS].into_boxed_slice());
                        self.pages.len() - 1
                    }
                };
                self.index.insert(ppn, i);
                self.last = Some((ppn, i));
                i
            }
        };
        self.pages[i][((pa & 0xfff) >> 1) as usize] = Some(inst);
    }

    /// Whether nothing is cached.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Drops the page holding physical address `pa`, if cached.
    pub fn invalidate(&mut self, pa: u64) {
        let ppn = pa >> 12;
        if let Some(i) = self.index.remove(&ppn) {
            self.free.push(i);
            self.stats.page_invalidations += 1;
            if matches!(self.last, Some((p, _)) if p == ppn) {
                self.last = None;
            }
            if matches!(self.fetch_page, Some((_, page)) if page == i) {
                self.fetch_page = None;
            }
        }
    }

    /// Drops everything (`fence.i`).
    pub fn flush(&mut self) {
        self.index.clear();
        self.pages.clear();
        self.free.clear();
        self.last = None;
        self.fetch_page = None;
        self.stats.flushes += 1;
    }
}
