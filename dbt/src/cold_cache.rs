//! The cold cache: the run counts of blocks the interpreter still runs, by virtual pc, so that
//! a cold block's run costs one slot's compare instead of a fetch translation and a lookup in
//! the block map (a distribution's boot runs some 25 million of them; the block map of half a
//! million blocks misses the host's caches at every lookup).
//!
//! A slot counts for one block of the map ([`BlockKey`]) and is written back to the map when
//! another block takes the slot. Nothing in a slot is made from guest code but its run length,
//! a budget: a slot left behind by a remap or by code written since runs the interpreter for
//! that many instructions of whatever is there now, which is still right.

use ospite_mmu::Privilege;

use crate::runtime::BlockKey;

/// Slots (a power of two).
const SLOTS: usize = 1 << 15;

/// One cold block: its key, the context it was looked up in, its runs so far and how many it
/// may have before the map decides again (the translation threshold, or `u32::MAX` for a block
/// that is never translated).
#[derive(Clone, Copy, Debug)]
struct ColdSlot {
    key: BlockKey,
    satp: u64,
    privilege: Privilege,
    runs: u32,
    limit: u32,
    len: u32,
}

/// The slots.
pub(crate) struct ColdCache {
    slots: Box<[Option<ColdSlot>]>,
}

impl ColdCache {
    /// An empty cache.
    pub(crate) fn new() -> ColdCache {
        ColdCache {
            slots: vec![None; SLOTS].into_boxed_slice(),
        }
    }

    fn index(vpc: u64) -> usize {
        (vpc >> 1) as usize & (SLOTS - 1)
    }

    /// Counts a run of the block at `vpc` under `satp` and `privilege` and returns its length
    /// when the cache has it and it stays cold; `None` sends the caller to the block map.
    #[inline]
    pub(crate) fn run(&mut self, vpc: u64, satp: u64, privilege: Privilege) -> Option<u64> {
        let s = self.slots[Self::index(vpc)].as_mut()?;
        if s.key.vpc != vpc || s.satp != satp || s.privilege != privilege || s.runs >= s.limit {
            return None;
        }
        s.runs += 1;
        Some(u64::from(s.len))
    }

    /// The runs counted here for `key`, taken out of the cache (the map holds them again).
    pub(crate) fn take(&mut self, key: &BlockKey) -> Option<u32> {
        let slot = &mut self.slots[Self::index(key.vpc)];
        match slot {
            Some(s) if s.key == *key => slot.take().map(|s| s.runs),
            _ => None,
        }
    }

    /// Counts the block of `key` here from now on, with `runs` so far and `limit` before the
    /// map must look again. Returns the key and runs of the block whose slot this was.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn insert(
        &mut self,
        key: BlockKey,
        satp: u64,
        privilege: Privilege,
        runs: u32,
        limit: u32,
        len: u64,
    ) -> Option<(BlockKey, u32)> {
        let len = u32::try_from(len).ok()?;
        let new = ColdSlot {
            key,
            satp,
            privilege,
            runs,
            limit,
            len,
        };
        self.slots[Self::index(key.vpc)]
            .replace(new)
            .map(|old| (old.key, old.runs))
    }

    /// Empties every slot (their counts are lost: the blocks start cold again).
    pub(crate) fn clear(&mut self) {
        self.slots.fill(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(vpc: u64) -> BlockKey {
        BlockKey {
            vpc,
            ppc: vpc,
            ctx: 1,
        }
    }

    #[test]
    fn runs_are_counted_up_to_the_limit() {
        let mut c = ColdCache::new();
        c.insert(key(0x1000), 0, Privilege::Supervisor, 1, 3, 7);
        assert_eq!(c.run(0x1000, 0, Privilege::Supervisor), Some(7));
        assert_eq!(c.run(0x1000, 0, Privilege::Supervisor), Some(7));
        assert_eq!(c.run(0x1000, 0, Privilege::Supervisor), None);
        assert_eq!(c.take(&key(0x1000)), Some(3));
    }

    #[test]
    fn another_context_misses() {
        let mut c = ColdCache::new();
        c.insert(key(0x1000), 0, Privilege::Supervisor, 0, 9, 7);
        assert_eq!(c.run(0x1000, 0, Privilege::User), None);
        assert_eq!(c.run(0x1000, 8 << 60, Privilege::Supervisor), None);
    }

    #[test]
    fn a_colliding_block_evicts_with_its_count() {
        let mut c = ColdCache::new();
        c.insert(key(0x1000), 0, Privilege::Supervisor, 5, 9, 7);
        let evicted = c.insert(
            key(0x1000 + 2 * SLOTS as u64),
            0,
            Privilege::Supervisor,
            0,
            9,
            3,
        );
        assert_eq!(evicted, Some((key(0x1000), 5)));
    }
}
