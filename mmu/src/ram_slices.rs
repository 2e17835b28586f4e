//! A RAM region seen as slices of host atomics, one per access width: what an interpreter's
//! fast path keeps at hand, so that an aligned access is one bounds test and one host access.

use core::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, AtomicU8, Ordering};

use crate::access::AccessSize;

/// A RAM region ([`crate::GuestRam::slices`]) as host atomics: the access of `size` bytes at
/// region offset `offset` is element `offset / size` of the slice of that width. Offsets are
/// taken as aligned (their low bits are dropped): the caller has checked, as a TLB hit does.
/// Accesses are relaxed and little-endian, as [`crate::GuestRam`]'s are.
#[derive(Clone, Copy, Debug)]
pub struct RamSlices<'a> {
    pub(crate) b1: &'a [AtomicU8],
    pub(crate) b2: &'a [AtomicU16],
    pub(crate) b4: &'a [AtomicU32],
    pub(crate) b8: &'a [AtomicU64],
}

impl RamSlices<'_> {
    /// No RAM: every access is out of range.
    pub const EMPTY: RamSlices<'static> = RamSlices {
        b1: &[],
        b2: &[],
        b4: &[],
        b8: &[],
    };

    /// Loads `size` bytes at `offset` (aligned), zero-extended; `None` out of range.
    #[inline(always)]
    pub fn load(&self, offset: u64, size: AccessSize) -> Option<u64> {
        let r = Ordering::Relaxed;
        let i = (offset / size.bytes()) as usize;
        Some(match size {
            AccessSize::B1 => u64::from(self.b1.get(i)?.load(r)),
            AccessSize::B2 => u64::from(u16::from_le(self.b2.get(i)?.load(r))),
            AccessSize::B4 => u64::from(u32::from_le(self.b4.get(i)?.load(r))),
            AccessSize::B8 => u64::from_le(self.b8.get(i)?.load(r)),
        })
    }

    /// Stores the low `size` bytes of `value` at `offset` (aligned), in a page already marked
    /// dirty: the dirty bitmap is left alone, so the caller must know the mark is there (a
    /// store-table hit without [`crate::tlb::TLB_NOTDIRTY`] says so). `false` out of range.
    #[inline(always)]
    pub fn store_to_dirty(&self, offset: u64, size: AccessSize, value: u64) -> bool {
        let r = Ordering::Relaxed;
        let i = (offset / size.bytes()) as usize;
        match size {
            AccessSize::B1 => self.b1.get(i).map(|a| a.store(value as u8, r)),
            AccessSize::B2 => self.b2.get(i).map(|a| a.store((value as u16).to_le(), r)),
            AccessSize::B4 => self.b4.get(i).map(|a| a.store((value as u32).to_le(), r)),
            AccessSize::B8 => self.b8.get(i).map(|a| a.store(value.to_le(), r)),
        }
        .is_some()
    }
}
