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
//!
//! Each page also keeps the *blocks* built from its instructions: runs that start at a slot and
//! end at a jump, an instruction that ends a block (see `exec::ends_block`), an instruction that
//! cannot be cached, or the page's end; a conditional branch leaves its block when taken and
//! lets it go on otherwise. A block holds each instruction with its handler resolved and its
//! operands unpacked (`exec::Decoded`), so the engine translates the pc, checks for stop
//! requests and interrupts once per block. Blocks live and die with their page; the jump cache
//! (`jump_cache`) finds the block last run at a virtual pc without translating it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use ospite_isa::Inst;

use crate::exec::{may_hold_code, CodeFilter};
use crate::jump_cache::{Block, JumpCache};

/// Slots per 4 KiB page: one per 2-byte parcel.
pub(crate) const SLOTS: usize = 2048;

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
    /// Whole-cache flushes other than for space: a `fence.i` after others (devices, loaders)
    /// wrote RAM, a change of mode, or an engine's request.
    pub flushes: u64,
    /// `fence.i`s run, whether or not they emptied the cache.
    pub fences: u64,
    /// Whole-cache flushes because the cache reached its size bound
    /// ([`crate::Interpreter::set_decode_cache_limit`]).
    pub capacity_flushes: u64,
}

/// The cached instructions and blocks of one physical page.
struct Page<B> {
    ppn: u64,
    /// The instruction decoded at each slot: its index in `insts` plus one, or 0. An index
    /// rather than the instruction itself because few slots of a page are ever decoded (about
    /// 150 of 2048 in a Linux boot): 4 KiB per page instead of 32 KiB of `Option<Inst>`.
    inst_at: Box<[u16]>,
    insts: Vec<Inst>,
    /// The block starting at each slot: its index in `blocks` plus one, or 0.
    block_at: Box<[u16]>,
    blocks: Vec<Block<B>>,
}

impl<B> Page<B> {
    fn new(ppn: u64) -> Self {
        Page {
            ppn,
            inst_at: vec![0; SLOTS].into_boxed_slice(),
            insts: Vec::new(),
            block_at: vec![0; SLOTS].into_boxed_slice(),
            blocks: Vec::new(),
        }
    }

    fn reset(&mut self, ppn: u64) {
        self.ppn = ppn;
        self.inst_at.fill(0);
        self.insts.clear();
        self.block_at.fill(0);
        self.blocks.clear();
    }

    /// Frees the blocks of a page that was dropped, while it waits on the free list.
    fn release(&mut self) {
        self.insts = Vec::new();
        self.blocks = Vec::new();
    }

    #[inline(always)]
    fn slot(&self, slot: usize) -> Option<Inst> {
        match self.inst_at[slot] {
            0 => None,
            n => Some(self.insts[usize::from(n) - 1]),
        }
    }

    #[inline]
    fn set_slot(&mut self, slot: usize, inst: Inst) {
        match self.inst_at[slot] {
            0 => {
                self.insts.push(inst);
                // At most one instruction per slot, so the count fits.
                self.inst_at[slot] = self.insts.len() as u16;
            }
            n => self.insts[usize::from(n) - 1] = inst,
        }
    }
}

/// Decoded instructions and blocks per physical page.
pub(crate) struct DecodeCache<B> {
    index: HashMap<u64, usize, BuildHasherDefault<PageHasher>>,
    pages: Vec<Page<B>>,
    free: Vec<usize>,
    last: Option<(u64, usize)>,
    /// The virtual page the hart last fetched from and its cache page: while the translation
    /// context is unchanged, fetching in that page needs no translation and no lookup.
    fetch_page: Option<(u64, usize)>,
    /// One bit per `ppn % 4096` of every cached page since the last flush: a store whose page's
    /// bit is clear cannot have written cached code, without a hash lookup.
    filter: CodeFilter,
    /// Instructions held in blocks, for the size bound.
    block_insts: usize,
    /// The blocks last run at virtual pcs; a new generation wherever the fetch page is
    /// forgotten or a page is dropped.
    pub jumps: JumpCache<B>,
    /// The size bound: at most this many instructions in blocks and this many pages.
    pub limit: DecodeCacheLimit,
    pub stats: CacheStats,
}

/// How big the decoded-instruction cache may grow before it is emptied and refilled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeCacheLimit {
    /// Instructions held in blocks (about 40 bytes each).
    pub insts: usize,
    /// Pages with cached instructions (8 KiB of slot indexes each).
    pub pages: usize,
}

impl Default for DecodeCacheLimit {
    /// 256 Ki instructions in 2,048 pages (a Linux boot stays below both).
    fn default() -> Self {
        DecodeCacheLimit {
            insts: 256 << 10,
            pages: 2048,
        }
    }
}

impl<B> Default for DecodeCache<B> {
    fn default() -> Self {
        DecodeCache {
            index: HashMap::default(),
            pages: Vec::new(),
            free: Vec::new(),
            last: None,
            fetch_page: None,
            filter: [0; 64],
            block_insts: 0,
            jumps: JumpCache::default(),
            limit: DecodeCacheLimit::default(),
            stats: CacheStats::default(),
        }
    }
}

impl<B> DecodeCache<B> {
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

    /// The cache page holding physical address `pa`, if cached.
    #[inline]
    pub fn page_of(&mut self, pa: u64) -> Option<usize> {
        self.page(pa >> 12)
    }

    /// The cache page for physical address `pa`, made (empty) if there is none.
    pub fn page_or_new(&mut self, pa: u64) -> usize {
        let ppn = pa >> 12;
        if let Some(i) = self.page(ppn) {
            return i;
        }
        let i = match self.free.pop() {
            Some(i) => {
                self.pages[i].reset(ppn);
                i
            }
            None => {
                self.pages.push(Page::new(ppn));
                self.pages.len() - 1
            }
        };
        self.index.insert(ppn, i);
        self.filter[(ppn as usize >> 6) & 63] |= 1 << (ppn & 63);
        self.last = Some((ppn, i));
        i
    }

    /// The physical page number of cache page `i`.
    #[inline]
    pub fn ppn(&self, i: usize) -> u64 {
        self.pages[i].ppn
    }

    /// The cached instruction in slot `slot` of cache page `i`.
    #[inline]
    pub fn slot(&self, i: usize, slot: usize) -> Option<Inst> {
        self.pages[i].slot(slot)
    }

    /// Caches `inst` in slot `slot` of cache page `i`.
    #[inline]
    pub fn set_slot(&mut self, i: usize, slot: usize, inst: Inst) {
        self.pages[i].set_slot(slot, inst);
    }

    /// The block starting at slot `slot` of cache page `i`, if built.
    #[inline(always)]
    pub fn block_at(&self, i: usize, slot: usize) -> Option<usize> {
        match self.pages[i].block_at[slot] {
            0 => None,
            b => Some(usize::from(b) - 1),
        }
    }

    /// Block `b` of cache page `i`.
    #[inline]
    pub fn block(&self, i: usize, b: usize) -> &Block<B> {
        &self.pages[i].blocks[b]
    }

    /// Records `block`, starting at slot `slot` of cache page `i`; returns its number.
    pub fn add_block(&mut self, i: usize, slot: usize, block: Block<B>) -> usize {
        self.block_insts += block.len();
        let page = &mut self.pages[i];
        page.blocks.push(block);
        // At most one block starts at each slot, so the count fits.
        page.block_at[slot] = page.blocks.len() as u16;
        page.blocks.len() - 1
    }

    /// The cache page of the remembered fetch page, when virtual address `va` is in it.
    #[inline(always)]
    pub fn fetch_page_of(&self, va: u64) -> Option<usize> {
        match self.fetch_page {
            Some((page, i)) if page == va >> 12 => Some(i),
            _ => None,
        }
    }

    /// Whether a cached instruction overlaps the `len` bytes at physical address `pa` (which
    /// must not cross a page). Data that shares a page with code can then be written without
    /// dropping the page.
    #[inline(always)]
    pub fn holds_code(&self, pa: u64, len: u64) -> bool {
        if !may_hold_code(&self.filter, pa) {
            return false;
        }
        self.holds_code_slow(pa, len)
    }

    /// The filter of pages with cached code: one bit per `ppn % 4096` of every page cached
    /// since the last flush (a store to a page whose bit is clear wrote no cached code).
    #[inline(always)]
    pub fn code_filter(&self) -> &CodeFilter {
        &self.filter
    }

    /// [`DecodeCache::holds_code`] past the filter.
    #[inline(never)]
    pub fn holds_code_slow(&self, pa: u64, len: u64) -> bool {
        let Some(&i) = self.index.get(&(pa >> 12)) else {
            return false;
        };
        // An instruction is at most 4 bytes and starts at an even address; one that starts in
        // the page before is never cached.
        let off = pa & 0xfff;
        let first = (off.saturating_sub(2) >> 1) as usize;
        let last = ((off + len.max(1) - 1) >> 1) as usize;
        self.pages[i].inst_at[first..=last.min(SLOTS - 1)]
            .iter()
            .any(|&n| n != 0)
    }

    /// The cached instruction at physical address `pa`, if any.
    #[inline]
    pub fn get(&mut self, pa: u64) -> Option<Inst> {
        let i = self.page(pa >> 12)?;
        let hit = self.pages[i].slot(((pa & 0xfff) >> 1) as usize);
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
        let hit = self.pages[i].slot(((va & 0xfff) >> 1) as usize);
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
        self.jumps.new_generation();
    }

    /// Caches `inst`, decoded from physical address `pa`.
    pub fn insert(&mut self, pa: u64, inst: Inst) {
        let i = self.page_or_new(pa);
        self.set_slot(i, ((pa & 0xfff) >> 1) as usize, inst);
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
            self.block_insts -= self.pages[i].blocks.iter().map(|b| b.len()).sum::<usize>();
            self.pages[i].release();
            self.free.push(i);
            self.stats.page_invalidations += 1;
            self.jumps.new_generation();
            if matches!(self.last, Some((p, _)) if p == ppn) {
                self.last = None;
            }
            if matches!(self.fetch_page, Some((_, page)) if page == i) {
                self.fetch_page = None;
            }
        }
    }

    /// Whether the cache has reached its size bound: the caller empties it
    /// ([`DecodeCache::flush_for_space`]) before building more.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.block_insts >= self.limit.insts || self.index.len() >= self.limit.pages
    }

    /// Drops everything to make room (not a `fence.i`: counted apart).
    pub fn flush_for_space(&mut self) {
        self.flush();
        self.stats.flushes -= 1;
        self.stats.capacity_flushes += 1;
    }

    /// The physical page addresses of the cached pages.
    pub fn cached_pages(&self) -> Vec<u64> {
        self.index.keys().map(|ppn| ppn << 12).collect()
    }

    /// Counts a `fence.i` (whether or not it emptied the cache).
    pub fn note_fence(&mut self) {
        self.stats.fences += 1;
    }

    /// Drops everything.
    pub fn flush(&mut self) {
        self.block_insts = 0;
        self.jumps.clear();
        self.index.clear();
        self.pages.clear();
        self.free.clear();
        self.last = None;
        self.fetch_page = None;
        self.filter = [0; 64];
        self.stats.flushes += 1;
    }
}
