//! The jump cache: translated code by virtual pc, under a `satp` and privilege, looked up by the
//! runtime between blocks and by translated code itself at indirect jumps and returns
//! (`emit::Emitter::jump_via_cache`), hence the layout of [`JumpSlot`].
//!
//! An entry is right while its virtual page maps as when it was made. When a page may map
//! elsewhere (`sfence.vma` by address), only that page's entries go: a filter of the pages
//! that have entries makes the common case, a fence on a data page, one bit test. Linux's boot
//! makes hundreds of thousands of such fences (its fixmap), and emptying the whole cache at
//! each cost a distribution kernel's boot seconds.

use ospite_mmu::{Privilege, Remaps, PAGE_SHIFT};

/// Entries of the jump cache (a power of two).
pub(crate) const JUMP_CACHE: usize = 4096;

/// Bits in the filter of virtual pages with entries (a power of two).
const PAGE_FILTER_BITS: usize = 4096;

/// A jump-cache entry: the translated code for a virtual pc under a `satp` and privilege.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(crate) struct JumpSlot {
    pub(crate) vpc: u64,
    pub(crate) satp: u64,
    pub(crate) privilege: u64,
    pub(crate) code: u64,
}

impl JumpSlot {
    /// An empty slot: its odd pc matches no jump target.
    pub(crate) const EMPTY: JumpSlot = JumpSlot {
        vpc: 1,
        satp: 0,
        privilege: 0,
        code: 0,
    };
    /// Bytes per slot, a power of two.
    pub(crate) const SIZE: u32 = 32;
    pub(crate) const OFFSET_SATP: i32 = 8;
    pub(crate) const OFFSET_PRIVILEGE: i32 = 16;
    pub(crate) const OFFSET_CODE: i32 = 24;
}

const _: () = assert!(size_of::<JumpSlot>() == JumpSlot::SIZE as usize);
const _: () = assert!(core::mem::offset_of!(JumpSlot, satp) == JumpSlot::OFFSET_SATP as usize);
const _: () =
    assert!(core::mem::offset_of!(JumpSlot, privilege) == JumpSlot::OFFSET_PRIVILEGE as usize);
const _: () = assert!(core::mem::offset_of!(JumpSlot, code) == JumpSlot::OFFSET_CODE as usize);

/// The slots and the filter of the virtual pages they hold.
pub(crate) struct JumpCache {
    slots: Box<[JumpSlot]>,
    /// Bit `(vpage & (PAGE_FILTER_BITS - 1))`: some slot may hold a pc of a page with that
    /// hash. Set when a slot is filled; cleared only when every slot is emptied.
    pages: Box<[u64; PAGE_FILTER_BITS / 64]>,
    /// Whether any slot may be filled (emptying an empty cache costs nothing).
    used: bool,
}

fn page_bit(vpc: u64) -> (usize, u64) {
    let h = (vpc >> PAGE_SHIFT) as usize & (PAGE_FILTER_BITS - 1);
    (h / 64, 1 << (h % 64))
}

impl JumpCache {
    /// An empty cache.
    pub(crate) fn new() -> JumpCache {
        JumpCache {
            slots: vec![JumpSlot::EMPTY; JUMP_CACHE].into_boxed_slice(),
            pages: Box::new([0; PAGE_FILTER_BITS / 64]),
            used: false,
        }
    }

    /// The slot of `vpc`.
    pub(crate) fn slot_of(vpc: u64) -> usize {
        (vpc >> 1) as usize & (JUMP_CACHE - 1)
    }

    /// The code for `vpc` under `satp` and `privilege`, if the cache has it.
    #[inline]
    pub(crate) fn get(&self, vpc: u64, satp: u64, privilege: Privilege) -> Option<u64> {
        let j = self.slots[Self::slot_of(vpc)];
        (j.vpc == vpc && j.satp == satp && j.privilege == privilege as u64).then_some(j.code)
    }

    /// Records `code` as the translation of `vpc` under `satp` and `privilege`.
    pub(crate) fn remember(&mut self, vpc: u64, satp: u64, privilege: Privilege, code: u64) {
        let (word, bit) = page_bit(vpc);
        self.pages[word] |= bit;
        self.used = true;
        self.slots[Self::slot_of(vpc)] = JumpSlot {
            vpc,
            satp,
            privilege: privilege as u64,
            code,
        };
    }

    /// Empties every slot.
    pub(crate) fn clear(&mut self) {
        if self.used {
            self.slots.fill(JumpSlot::EMPTY);
            self.pages.fill(0);
            self.used = false;
        }
    }

    /// Drops what `remaps` may have made wrong.
    pub(crate) fn forget(&mut self, remaps: &Remaps) {
        match remaps {
            Remaps::None => {}
            Remaps::All => self.clear(),
            Remaps::Pages { .. } => {
                for &page in remaps.pages() {
                    self.forget_page(page);
                }
            }
        }
    }

    /// Empties the slots of pcs in the virtual page `page`.
    fn forget_page(&mut self, page: u64) {
        let (word, bit) = page_bit(page);
        if self.pages[word] & bit == 0 {
            return;
        }
        for s in self.slots.iter_mut() {
            if s.vpc >> PAGE_SHIFT == page >> PAGE_SHIFT {
                *s = JumpSlot::EMPTY;
            }
        }
    }

    /// The first slot, for translated code. Stable for the life of the cache.
    pub(crate) fn as_ptr(&self) -> *const JumpSlot {
        self.slots.as_ptr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SATP: u64 = 8 << 60;

    #[test]
    fn remap_of_a_page_drops_only_its_entries() {
        let mut c = JumpCache::new();
        c.remember(0x1000, SATP, Privilege::Supervisor, 0xa);
        c.remember(0x2004, SATP, Privilege::Supervisor, 0xb);
        let mut remaps = Remaps::None;
        remaps.add_page(0x1000);
        c.forget(&remaps);
        assert_eq!(c.get(0x1000, SATP, Privilege::Supervisor), None);
        assert_eq!(c.get(0x2004, SATP, Privilege::Supervisor), Some(0xb));
    }

    #[test]
    fn remap_of_everything_drops_every_entry() {
        let mut c = JumpCache::new();
        c.remember(0x2004, SATP, Privilege::Supervisor, 0xb);
        c.forget(&Remaps::All);
        assert_eq!(c.get(0x2004, SATP, Privilege::Supervisor), None);
    }

    #[test]
    fn entry_matches_only_its_context() {
        let mut c = JumpCache::new();
        c.remember(0x2004, SATP, Privilege::Supervisor, 0xb);
        assert_eq!(c.get(0x2004, SATP, Privilege::User), None);
        assert_eq!(c.get(0x2004, SATP | 1, Privilege::Supervisor), None);
    }
}
