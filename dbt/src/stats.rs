//! The translator's counters, for `--stats` and tuning.

use std::time::Duration;

/// What the translator did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DbtStats {
    /// Blocks translated.
    pub blocks_translated: u64,
    /// Guest instructions in the blocks translated.
    pub guest_insts_translated: u64,
    /// Host instructions emitted for them.
    pub host_insts_emitted: u64,
    /// Bytes of translated code in the cache now.
    pub code_bytes: u64,
    /// Direct jumps patched to go straight to their target block.
    pub chains: u64,
    /// Block lookups answered by the jump cache (virtual pc, `satp`, privilege).
    pub jump_cache_hits: u64,
    /// Block lookups that translated the pc and searched the block map.
    pub lookups: u64,
    /// Blocks left early because a slow path stored to translated bytes or may have raised
    /// an interrupt.
    pub sync_exits: u64,
    /// Pages whose translations were dropped because they were written.
    pub invalidations: u64,
    /// Times the code cache filled up and was emptied.
    pub cache_flushes: u64,
    /// Time spent translating.
    pub translate_time: Duration,
    /// Instructions the interpreter ran (cold code and handed-over instructions).
    pub interpreted: u64,
    /// Instructions translated code ran.
    pub translated_run: u64,
}
