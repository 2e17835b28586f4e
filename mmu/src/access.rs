//! What kind of access is made, by whom, and how wide.

/// The kind of memory access being translated or performed.
///
/// AMOs and store-conditionals are [`AccessType::Store`]: the privileged spec reports their faults
/// as store/AMO faults and requires write permission for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AccessType {
    /// An instruction fetch.
    Fetch = 0,
    /// A data load (including LR).
    Load = 1,
    /// A data store, AMO or SC.
    Store = 2,
}

impl AccessType {
    /// All access types, in the order of their index in the TLB's tables.
    pub const ALL: [AccessType; 3] = [AccessType::Fetch, AccessType::Load, AccessType::Store];

    /// The index of this access type in the TLB's fast tables (`Fetch` 0, `Load` 1, `Store` 2).
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// A RISC-V privilege mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Privilege {
    /// U-mode.
    User = 0,
    /// S-mode.
    Supervisor = 1,
    /// M-mode.
    Machine = 3,
}

impl Privilege {
    /// The privilege encoded as in `mstatus.MPP` (0 U, 1 S, 3 M); the reserved value 2 is `None`.
    #[inline]
    pub const fn from_bits(bits: u64) -> Option<Privilege> {
        match bits {
            0 => Some(Privilege::User),
            1 => Some(Privilege::Supervisor),
            3 => Some(Privilege::Machine),
            _ => None,
        }
    }

    /// The two-bit encoding of this privilege (as in `mstatus.MPP`).
    #[inline]
    pub const fn bits(self) -> u64 {
        self as u64
    }
}

/// The width of one memory access: 1, 2, 4 or 8 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AccessSize {
    /// One byte.
    B1 = 1,
    /// Two bytes (half word).
    B2 = 2,
    /// Four bytes (word).
    B4 = 4,
    /// Eight bytes (double word).
    B8 = 8,
}

impl AccessSize {
    /// The width in bytes.
    #[inline]
    pub const fn bytes(self) -> u64 {
        self as u64
    }

    /// The width for a byte count of 1, 2, 4 or 8, otherwise `None`.
    #[inline]
    pub const fn from_bytes(bytes: u64) -> Option<AccessSize> {
        match bytes {
            1 => Some(AccessSize::B1),
            2 => Some(AccessSize::B2),
            4 => Some(AccessSize::B4),
            8 => Some(AccessSize::B8),
            _ => None,
        }
    }

    /// A mask of the low `8 * bytes()` bits.
    #[inline]
    pub const fn value_mask(self) -> u64 {
        match self {
            AccessSize::B8 => u64::MAX,
            _ => (1u64 << (8 * self as u32)) - 1,
        }
    }

    /// Whether `addr` is a multiple of this width.
    #[inline]
    pub const fn is_aligned(self, addr: u64) -> bool {
        addr & (self.bytes() - 1) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_size_masks_cover_width() {
        assert_eq!(
            [
                AccessSize::B1,
                AccessSize::B2,
                AccessSize::B4,
                AccessSize::B8
            ]
            .map(|s| s.value_mask()),
            [0xff, 0xffff, 0xffff_ffff, u64::MAX]
        );
    }

    #[test]
    fn mpp_reserved_encoding_is_none() {
        assert_eq!(Privilege::from_bits(2), None);
    }
}
