//! What the handlers of a block share: the bus, the TLB regimes of data accesses in the
//! current translation context, worked out once rather than at every load and store, the
//! decode cache's filter of code pages, and what a jump needs to go on into the next block
//! itself (the jump cache, and the blocks and instructions the run may still take).

use std::cell::Cell;

use ospite_mmu::{AccessType, RamSlices, TlbMode};

use super::decoded::Decoded;
use crate::hart::Hart;
use crate::jump_cache::JumpCache;

/// The environment of a block's handlers.
pub(crate) struct Env<'a, B> {
    /// The bus.
    pub bus: &'a B,
    /// The regimes of data accesses (see [`DataModes`]).
    pub modes: DataModes,
    /// The jump cache, where a jump finds the block at its target.
    pub jumps: &'a JumpCache<B>,
    /// The instructions the run may still take at the start of the current block (within the
    /// budget, and before the engine's next look at stop requests and interrupts): a jump goes
    /// on into a block only if all of it fits after the instructions run in this one. What it
    /// has come down by since the run began is the instructions of the run's earlier blocks
    /// (completed, not yet retired).
    pub left: Cell<u64>,
    /// The run began with a block just built: that run is its decode (which the decode
    /// cache's hit count leaves out), and it goes into no other block.
    pub fresh: bool,
    /// This run's number, for the page memos of loads and stores (see `exec::memo`): never
    /// 0, and a new one for each run.
    pub run: u64,
    /// The block running now, whose index an outcome gives.
    pub block: Cell<&'a [Decoded<B>]>,
    /// The RAM region that loads and stores most likely hit (the one holding the code), so
    /// that a fast-table hit in it reaches RAM without asking the bus.
    pub ram: RamView<'a>,
}

/// A RAM region, as the fast path accesses it, and where it lies in physical memory.
#[derive(Clone, Copy)]
pub(crate) struct RamView<'a> {
    /// The region.
    pub slices: RamSlices<'a>,
    /// Its first physical address.
    pub base: u64,
}

impl<'a> RamView<'a> {
    /// No region: every access misses.
    pub const NONE: RamView<'static> = RamView {
        slices: RamSlices::EMPTY,
        base: 0,
    };

    /// The region `bus` has at physical address `pa`, if RAM that starts on a page boundary
    /// (as the fast path's offsets assume); else [`RamView::NONE`].
    #[inline]
    pub fn at<B: ospite_mmu::Bus>(bus: &'a B, pa: u64) -> RamView<'a> {
        match bus.ram_offset(ospite_mmu::PhysAddr(pa)) {
            Some((ram, off)) if (pa - off) & (ospite_mmu::PAGE_SIZE - 1) == 0 => RamView {
                slices: ram.slices(),
                base: pa - off,
            },
            _ => RamView::NONE,
        }
    }
}

/// One bit per `ppn % 4096` of the pages the decode cache holds code of: the TLB's watch
/// filter, which the engine keeps equal to it (see `Interpreter::note_code_page`).
pub(crate) type CodeFilter = ospite_mmu::tlb::WatchFilter;

/// Whether the page of physical address `pa` may hold cached code by `filter`.
#[inline(always)]
pub(crate) fn may_hold_code(filter: &CodeFilter, pa: u64) -> bool {
    let ppn = pa >> 12;
    filter[(ppn as usize >> 6) & 63] & (1 << (ppn & 63)) != 0
}

/// The TLB regimes of loads and stores in one translation context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DataModes {
    /// The regime of loads.
    pub load: TlbMode,
    /// The regime of stores.
    pub store: TlbMode,
}

impl DataModes {
    /// The regimes of the hart's current context, after bringing its TLB's fast tables to
    /// that context (so that a hit in them is a translation in it). Valid until the context
    /// changes: the engine keeps them while the fetch page is remembered.
    pub fn of(hart: &mut Hart) -> DataModes {
        let ctx = hart.translate_ctx();
        hart.mmu.tlb_mut().sync(&ctx);
        DataModes {
            load: TlbMode::of(&ctx, AccessType::Load),
            store: TlbMode::of(&ctx, AccessType::Store),
        }
    }
}
