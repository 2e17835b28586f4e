//! Which guest bytes translated code was made from, per physical page. A store into a page
//! with translations (noted by the MMU) that misses these bytes only wrote data sharing the
//! page with code: translated code carries on, nothing is dropped.

use hashbrown::HashMap;
use ospite_mmu::{PAGE_MASK, PAGE_SIZE};

/// Bytes per 4 KiB page, one bit each.
type PageBits = [u64; (PAGE_SIZE / 64) as usize];

/// The most bytes one store writes (`sd`, `fsd`, an AMO); the MMU notes a store's first byte.
pub(crate) const MAX_STORE: u64 = 8;

/// Per physical page, a bit for each byte that a translated block was made from.
#[derive(Debug, Default)]
pub(crate) struct CodeMap {
    pages: HashMap<u64, Box<PageBits>>,
}

impl CodeMap {
    /// Records the `len` bytes at physical address `pa` (within one page) as translated.
    pub fn add(&mut self, pa: u64, len: u64) {
        let bits = self
            .pages
            .entry(pa & PAGE_MASK)
            .or_insert_with(|| Box::new([0; (PAGE_SIZE / 64) as usize]));
        let start = pa & !PAGE_MASK;
        for byte in start..(start + len).min(PAGE_SIZE) {
            bits[(byte / 64) as usize] |= 1 << (byte % 64);
        }
    }

    /// Whether a store whose first byte is at `pa` may have written translated bytes: the
    /// [`MAX_STORE`] bytes from `pa` up to the page's end (a store crossing into the next page
    /// is noted there too).
    #[inline]
    pub fn store_hits(&self, pa: u64) -> bool {
        let Some(bits) = self.pages.get(&(pa & PAGE_MASK)) else {
            return false;
        };
        let start = pa & !PAGE_MASK;
        (start..(start + MAX_STORE).min(PAGE_SIZE))
            .any(|byte| bits[(byte / 64) as usize] & (1 << (byte % 64)) != 0)
    }

    /// Forgets page `page`'s bytes (its blocks are recorded again with [`CodeMap::add`]).
    pub fn clear_page(&mut self, page: u64) {
        self.pages.remove(&page);
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.pages.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_hits_only_translated_bytes_and_the_ones_it_reaches() {
        let mut map = CodeMap::default();
        map.add(0x8000_1100, 6);
        assert!(map.store_hits(0x8000_1100));
        assert!(map.store_hits(0x8000_1105));
        assert!(
            map.store_hits(0x8000_10f9),
            "an 8-byte store reaches 0x1100"
        );
        assert!(!map.store_hits(0x8000_10f8));
        assert!(!map.store_hits(0x8000_1106));
        assert!(!map.store_hits(0x8000_2100), "another page");
        map.clear_page(0x8000_1000);
        assert!(!map.store_hits(0x8000_1100));
    }

    #[test]
    fn bytes_stop_at_the_page_end() {
        let mut map = CodeMap::default();
        map.add(0x8000_0ffe, 4);
        assert!(map.store_hits(0x8000_0ffe));
        assert!(!map.store_hits(0x8000_1000));
        map.clear();
        assert!(!map.store_hits(0x8000_0ffe));
    }
}
