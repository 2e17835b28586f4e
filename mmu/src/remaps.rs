//! What changed in a hart's view of virtual memory since its engine last looked: the virtual
//! pages an `sfence.vma` by address named, or "everything" for a `satp` write, a full fence or a
//! superpage. An engine that caches code by virtual pc (a jump cache) drops only those pages'
//! entries, instead of all of them at each of the thousands of single-page fences a kernel
//! makes while it boots (Linux's fixmap: two per page table it builds).
//!
//! Flushes that keep every translation as it was (a physical page becoming code, or watched)
//! are not remaps.

/// The most pages remembered one by one; more are recorded as [`Remaps::All`].
pub const REMAP_PAGES: usize = 8;

/// Remaps since the last [`crate::Tlb::take_remaps`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Remaps {
    /// None: every virtual page maps as it did.
    #[default]
    None,
    /// These virtual pages (4 KiB aligned, the first `len` of `pages`) may map elsewhere.
    Pages {
        /// The pages, `len` of them valid.
        pages: [u64; REMAP_PAGES],
        /// How many of `pages` are valid.
        len: usize,
    },
    /// Any virtual page may map elsewhere.
    All,
}

impl Remaps {
    /// Records that the virtual page `page` (4 KiB aligned) may map elsewhere.
    pub fn add_page(&mut self, page: u64) {
        match self {
            Remaps::None => {
                let mut pages = [0; REMAP_PAGES];
                pages[0] = page;
                *self = Remaps::Pages { pages, len: 1 };
            }
            Remaps::Pages { pages, len } => {
                if pages[..*len].contains(&page) {
                    return;
                }
                if *len == REMAP_PAGES {
                    *self = Remaps::All;
                } else {
                    pages[*len] = page;
                    *len += 1;
                }
            }
            Remaps::All => {}
        }
    }

    /// The pages named one by one (empty for [`Remaps::None`] and [`Remaps::All`]).
    pub fn pages(&self) -> &[u64] {
        match self {
            Remaps::Pages { pages, len } => &pages[..*len],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_accumulate_without_repeats() {
        let mut r = Remaps::None;
        r.add_page(0x1000);
        r.add_page(0x3000);
        r.add_page(0x1000);
        assert_eq!(r.pages(), [0x1000, 0x3000]);
    }

    #[test]
    fn too_many_pages_become_all() {
        let mut r = Remaps::None;
        for i in 0..=REMAP_PAGES as u64 {
            r.add_page(i << 12);
        }
        assert_eq!(r, Remaps::All);
    }
}

#[cfg(test)]
mod tlb_tests {
    use super::*;
    use crate::{Asid, Satp, SatpMode, Tlb, VirtAddr};

    #[test]
    fn a_new_tlb_reports_everything_then_nothing() {
        let mut tlb = Tlb::new();
        assert_eq!(tlb.take_remaps(), Remaps::All);
        assert_eq!(tlb.take_remaps(), Remaps::None);
    }

    #[test]
    fn sfence_by_address_names_its_page_and_satp_writes_everything() {
        let mut tlb = Tlb::new();
        tlb.take_remaps();
        tlb.sfence_vma(Some(VirtAddr(0xffff_ffff_8000_1234)), None);
        tlb.sfence_vma(Some(VirtAddr(0x4000)), Some(Asid(3)));
        assert_eq!(tlb.take_remaps().pages(), [0xffff_ffff_8000_1000, 0x4000]);
        tlb.set_satp(Satp::new(
            SatpMode::Sv39,
            Asid(1),
            crate::PhysAddr(0x8000_0000),
        ));
        assert_eq!(tlb.take_remaps(), Remaps::All);
        tlb.sfence_vma(None, None);
        assert_eq!(tlb.take_remaps(), Remaps::All);
    }

    #[test]
    fn flushing_a_physical_page_is_no_remap() {
        let mut tlb = Tlb::new();
        tlb.take_remaps();
        tlb.flush_phys_page(crate::PhysAddr(0x8000_0000));
        assert_eq!(tlb.take_remaps(), Remaps::None);
    }
}
