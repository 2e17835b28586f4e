//! What the handlers of a block share: the bus, and the TLB regimes of data accesses in the
//! current translation context, worked out once rather than at every load and store.

use ospite_mmu::{AccessType, TlbMode};

use crate::hart::Hart;

/// The environment of a block's handlers.
pub(crate) struct Env<'a, B> {
    /// The bus.
    pub bus: &'a B,
    /// The regimes of data accesses (see [`DataModes`]).
    pub modes: DataModes,
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
