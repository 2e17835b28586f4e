//! The jump cache: the block last run at a virtual pc, found with one compare instead of the
//! walk from the fetch page to the page's block table (QEMU keeps a `tb_jmp_cache` for the
//! same reason). A running block's jumps look their target up here too, to go on into the
//! block there without returning to the engine (see `exec::handlers`).
//!
//! An entry is valid only in the *generation* it was made in. The decode cache starts a new
//! generation whenever an entry may have become wrong: the translation context may have
//! changed (everything that forgets the fetch page) or a page of blocks was dropped. Entries
//! share their block with the page that owns it, so a stale entry is merely unreachable.

use std::sync::Arc;

use crate::exec::Decoded;

/// Entries (direct-mapped by the pc's 2-byte slot).
const ENTRIES: usize = 2048;

/// A block as both its page and the jump cache hold it.
pub(crate) type Block<B> = Arc<[Decoded<B>]>;

struct Entry<B> {
    pc: u64,
    generation: u64,
    block: Option<Block<B>>,
}

impl<B> Entry<B> {
    /// An entry that matches no generation the cache reaches.
    const EMPTY: Entry<B> = Entry {
        pc: 0,
        generation: u64::MAX,
        block: None,
    };
}

/// The jump cache of one interpreter.
pub(crate) struct JumpCache<B> {
    entries: Box<[Entry<B>; ENTRIES]>,
    generation: u64,
}

impl<B> Default for JumpCache<B> {
    fn default() -> Self {
        JumpCache {
            entries: Box::new([const { Entry::EMPTY }; ENTRIES]),
            generation: 0,
        }
    }
}

impl<B> JumpCache<B> {
    #[inline(always)]
    fn index(pc: u64) -> usize {
        (pc >> 1) as usize & (ENTRIES - 1)
    }

    /// The entry of the block at `pc`, if one is remembered in this generation.
    #[inline(always)]
    pub fn find(&self, pc: u64) -> Option<usize> {
        let j = Self::index(pc);
        let e = &self.entries[j];
        (e.pc == pc && e.generation == self.generation).then_some(j)
    }

    /// The block of entry `j` (from [`JumpCache::find`] or [`JumpCache::remember`]).
    #[inline(always)]
    pub fn block(&self, j: usize) -> &[Decoded<B>] {
        self.entries[j].block.as_deref().unwrap_or(&[])
    }

    /// Remembers `block` as the block at `pc`; returns its entry.
    pub fn remember(&mut self, pc: u64, block: Block<B>) -> usize {
        let j = Self::index(pc);
        self.entries[j] = Entry {
            pc,
            generation: self.generation,
            block: Some(block),
        };
        j
    }

    /// The current generation.
    #[inline(always)]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Makes every entry stale.
    #[inline]
    pub fn new_generation(&mut self) {
        self.generation += 1;
    }

    /// Drops every entry (and with them the last references to dropped blocks).
    pub fn clear(&mut self) {
        self.entries.fill_with(|| Entry::EMPTY);
        self.new_generation();
    }
}
