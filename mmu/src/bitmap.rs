//! A bitmap with one bit per guest page, shared by host threads.

use core::sync::atomic::{AtomicU64, Ordering};

/// One bit per 4 KiB page of a RAM region, readable and writable from any host thread.
///
/// [`crate::GuestRam`] keeps two: the dirty pages (set by every write through its API, for
/// snapshots and migration) and the pages that hold translated code (set by the translator,
/// which then gets stores to those pages on its slow path through the TLB's `CODE` bit).
#[derive(Debug)]
pub struct PageBitmap {
    words: Box<[AtomicU64]>,
    pages: u64,
}

impl PageBitmap {
    /// A bitmap of `pages` bits, all clear. The storage is zero-filled lazily by the host, so a
    /// bitmap for a large idle RAM region costs little until it is written.
    pub fn new(pages: u64) -> PageBitmap {
        let words = crate::ram::zeroed_atomic_words(pages.div_ceil(64) as usize);
        PageBitmap { words, pages }
    }

    /// The number of pages (bits) covered.
    #[inline]
    pub fn len(&self) -> u64 {
        self.pages
    }

    /// Whether the bitmap covers no page.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pages == 0
    }

    /// Whether the bit of `page` is set (`false` for a page out of range).
    #[inline]
    pub fn get(&self, page: u64) -> bool {
        match self.words.get((page / 64) as usize) {
            Some(w) if page < self.pages => w.load(Ordering::Relaxed) & (1 << (page % 64)) != 0,
            _ => false,
        }
    }

    /// Sets the bit of `page` (ignored for a page out of range). Reads first, so that setting an
    /// already set bit does not take the cache line away from other threads.
    #[inline]
    pub fn set(&self, page: u64) {
        if let Some(w) = self.words.get((page / 64) as usize) {
            let bit = 1 << (page % 64);
            if page < self.pages && w.load(Ordering::Relaxed) & bit == 0 {
                w.fetch_or(bit, Ordering::Relaxed);
            }
        }
    }

    /// Clears the bit of `page` (ignored for a page out of range).
    #[inline]
    pub fn clear(&self, page: u64) {
        if let Some(w) = self.words.get((page / 64) as usize) {
            let bit = 1u64 << (page % 64);
            if w.load(Ordering::Relaxed) & bit != 0 {
                w.fetch_and(!bit, Ordering::Relaxed);
            }
        }
    }

    /// Clears every bit.
    pub fn clear_all(&self) {
        for w in self.words.iter() {
            if w.load(Ordering::Relaxed) != 0 {
                w.store(0, Ordering::Relaxed);
            }
        }
    }

    /// A copy of the bitmap words (bit `i % 64` of word `i / 64` is page `i`).
    pub fn snapshot(&self) -> Vec<u64> {
        self.words
            .iter()
            .map(|w| w.load(Ordering::Relaxed))
            .collect()
    }

    /// A copy of the bitmap words, clearing each word atomically as it is read, so that a bit set
    /// concurrently is either returned or left set, never lost.
    pub fn take(&self) -> Vec<u64> {
        self.words
            .iter()
            .map(|w| {
                if w.load(Ordering::Relaxed) == 0 {
                    0
                } else {
                    w.swap(0, Ordering::AcqRel)
                }
            })
            .collect()
    }

    /// The indices of the set pages, in increasing order.
    pub fn iter_set(&self) -> impl Iterator<Item = u64> + '_ {
        self.words.iter().enumerate().flat_map(|(i, w)| {
            let mut bits = w.load(Ordering::Relaxed);
            core::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let b = bits.trailing_zeros() as u64;
                bits &= bits - 1;
                Some(i as u64 * 64 + b)
            })
        })
    }

    /// The number of set pages.
    pub fn count(&self) -> u64 {
        self.words
            .iter()
            .map(|w| u64::from(w.load(Ordering::Relaxed).count_ones()))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_pages_are_listed_in_order() {
        let b = PageBitmap::new(200);
        for p in [130, 3, 64] {
            b.set(p);
        }
        assert_eq!(b.iter_set().collect::<Vec<_>>(), vec![3, 64, 130]);
    }

    #[test]
    fn take_returns_and_clears() {
        let b = PageBitmap::new(70);
        b.set(69);
        let words = b.take();
        assert_eq!((words, b.count()), (vec![0, 1 << 5], 0));
    }

    #[test]
    fn out_of_range_pages_are_ignored() {
        let b = PageBitmap::new(10);
        b.set(11);
        assert_eq!((b.get(11), b.count()), (false, 0));
    }

    #[test]
    fn clear_resets_one_bit() {
        let b = PageBitmap::new(10);
        b.set(2);
        b.set(3);
        b.clear(2);
        assert_eq!(b.iter_set().collect::<Vec<_>>(), vec![3]);
    }
}
