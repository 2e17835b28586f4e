//! Page-table entries of Sv39, Sv48 and Sv57.

use crate::addr::{PhysAddr, PAGE_SHIFT};

/// A page-table entry (8 bytes, in guest memory, little-endian).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Pte(pub u64);

impl Pte {
    /// Valid.
    pub const V: u64 = 1 << 0;
    /// Readable.
    pub const R: u64 = 1 << 1;
    /// Writable.
    pub const W: u64 = 1 << 2;
    /// Executable.
    pub const X: u64 = 1 << 3;
    /// Accessible to U-mode.
    pub const U: u64 = 1 << 4;
    /// Global: present in every address space.
    pub const G: u64 = 1 << 5;
    /// Accessed.
    pub const A: u64 = 1 << 6;
    /// Dirty.
    pub const D: u64 = 1 << 7;
    /// Bits 63..54, reserved (Svnapot's N and Svpbmt's PBMT, which this MMU does not implement):
    /// a PTE with any of them set raises a page fault.
    pub const RESERVED: u64 = 0x3ff << 54;
    const PPN_SHIFT: u32 = 10;
    const PPN_MASK: u64 = (1 << 44) - 1;

    /// A leaf PTE mapping the page at `pa` with `flags` (`V` is added).
    pub const fn leaf(pa: PhysAddr, flags: u64) -> Pte {
        Pte(((pa.0 >> PAGE_SHIFT) & Self::PPN_MASK) << Self::PPN_SHIFT | flags | Self::V)
    }

    /// A non-leaf PTE pointing at the next-level table at `pa`.
    pub const fn table(pa: PhysAddr) -> Pte {
        Pte::leaf(pa, 0)
    }

    /// Whether all bits of `flags` are set.
    #[inline]
    pub const fn has(self, flags: u64) -> bool {
        self.0 & flags == flags
    }

    /// The physical page number (bits 53..10).
    #[inline]
    pub const fn ppn(self) -> u64 {
        (self.0 >> Self::PPN_SHIFT) & Self::PPN_MASK
    }

    /// Whether this is a leaf (R or X set).
    #[inline]
    pub const fn is_leaf(self) -> bool {
        self.0 & (Self::R | Self::X) != 0
    }

    /// Whether the walk must stop with a page fault at this PTE: not valid, writable without
    /// being readable, a reserved bit set, or (for a non-leaf) `A`, `D` or `U` set, which the
    /// spec reserves there (QEMU faults on them too).
    #[inline]
    pub const fn is_invalid(self) -> bool {
        !self.has(Self::V)
            || (self.0 & (Self::R | Self::W)) == Self::W
            || self.0 & Self::RESERVED != 0
            || (!self.is_leaf() && self.0 & (Self::A | Self::D | Self::U) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_encodes_ppn_and_flags() {
        let p = Pte::leaf(PhysAddr(0x8020_3000), Pte::R | Pte::W);
        assert_eq!((p.ppn(), p.0 & 0x3ff), (0x80203, 0b111));
    }

    #[test]
    fn write_only_is_invalid() {
        assert!(Pte(Pte::V | Pte::W).is_invalid());
    }
}
