//! The page memo of a load or store instruction: the page its last access went to and where
//! that page lies in the run's RAM view, so that the next access to the same page needs one
//! compare instead of a TLB lookup.
//!
//! A memo holds only for the run that made it (see `Env::run`). Within one run nothing can
//! make it wrong: the translation context and the RAM view are the run's, a TLB entry only
//! leaves through a flush, and every flush, like every change of context or of the pages the
//! engine watches, happens between runs (system instructions, traps and stores that may have
//! written code or a device end the run). A memo is made only from a TLB hit without flags,
//! so it stands for the same facts as that hit (see `fast_mem`).

use std::sync::atomic::{AtomicU64, Ordering};

/// A page memo (see the module doc). Atomics (relaxed: plain moves) so that blocks can be
/// shared between threads; a memo is only ever read and written by the interpreter that owns
/// the block.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    /// The run that made it; 0 is no run.
    run: AtomicU64,
    /// The page's virtual address, with the alignment bits of the access (as a TLB tag).
    tag: AtomicU64,
    /// What to add to a virtual address in the page to get its offset in the RAM view.
    delta: AtomicU64,
}

impl Memo {
    /// The RAM view offset of `va`, whose page and alignment bits are `tag`, if the memo holds
    /// it in run `run`.
    #[inline(always)]
    pub fn offset(&self, run: u64, tag: u64, va: u64) -> Option<u64> {
        let r = Ordering::Relaxed;
        (self.tag.load(r) == tag && self.run.load(r) == run)
            .then(|| va.wrapping_add(self.delta.load(r)))
    }

    /// Remembers that `va`, with page and alignment bits `tag`, is at RAM view offset `off`
    /// in run `run`.
    #[inline(always)]
    pub fn remember(&self, run: u64, tag: u64, va: u64, off: u64) {
        let r = Ordering::Relaxed;
        self.run.store(run, r);
        self.tag.store(tag, r);
        self.delta.store(off.wrapping_sub(va), r);
    }
}
