//! Guest address newtypes and page-size constants.

use core::fmt;

/// Bits of the offset inside a base page.
pub const PAGE_SHIFT: u32 = 12;
/// Size of a base page in bytes (4 KiB).
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
/// Mask that keeps the page number bits of an address and clears the page offset.
pub const PAGE_MASK: u64 = !(PAGE_SIZE - 1);

/// A guest-physical address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhysAddr(pub u64);

/// A guest-virtual address (what a hart computes before translation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VirtAddr(pub u64);

macro_rules! addr_impl {
    ($t:ident) => {
        impl $t {
            /// The raw address value.
            #[inline]
            pub const fn value(self) -> u64 {
                self.0
            }

            /// The address of the first byte of the page holding this address.
            #[inline]
            pub const fn page_base(self) -> Self {
                Self(self.0 & PAGE_MASK)
            }

            /// The offset of this address inside its page.
            #[inline]
            pub const fn page_offset(self) -> u64 {
                self.0 & (PAGE_SIZE - 1)
            }

            /// The page number (address shifted right by [`PAGE_SHIFT`]).
            #[inline]
            pub const fn page_number(self) -> u64 {
                self.0 >> PAGE_SHIFT
            }

            /// This address plus `offset`, wrapping around at 2^64.
            #[inline]
            pub const fn wrapping_add(self, offset: u64) -> Self {
                Self(self.0.wrapping_add(offset))
            }

            /// This address plus `offset`, or `None` on overflow.
            #[inline]
            pub const fn checked_add(self, offset: u64) -> Option<Self> {
                match self.0.checked_add(offset) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:#x}", self.0)
            }
        }

        impl fmt::LowerHex for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::LowerHex::fmt(&self.0, f)
            }
        }
    };
}

addr_impl!(PhysAddr);
addr_impl!(VirtAddr);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_parts_split_an_address() {
        let a = VirtAddr(0x1234_5678);
        assert_eq!(
            (a.page_base(), a.page_offset(), a.page_number()),
            (VirtAddr(0x1234_5000), 0x678, 0x12345)
        );
    }

    #[test]
    fn display_prints_hex() {
        assert_eq!(PhysAddr(0x8000_0000).to_string(), "0x80000000");
    }
}
