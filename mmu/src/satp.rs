//! The `satp` register: translation mode, address-space identifier and root page table.

use crate::addr::{PhysAddr, PAGE_SHIFT};

/// The translation scheme selected by `satp.MODE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SatpMode {
    /// No translation: virtual addresses are physical addresses.
    Bare = 0,
    /// Three levels, 39-bit virtual addresses.
    Sv39 = 8,
    /// Four levels, 48-bit virtual addresses.
    Sv48 = 9,
    /// Five levels, 57-bit virtual addresses.
    Sv57 = 10,
}

impl SatpMode {
    /// The mode for a `satp.MODE` value, or `None` for a reserved or unsupported value.
    pub const fn from_bits(bits: u64) -> Option<SatpMode> {
        match bits {
            0 => Some(SatpMode::Bare),
            8 => Some(SatpMode::Sv39),
            9 => Some(SatpMode::Sv48),
            10 => Some(SatpMode::Sv57),
            _ => None,
        }
    }

    /// The number of page-table levels (0 for `Bare`).
    pub const fn levels(self) -> u32 {
        match self {
            SatpMode::Bare => 0,
            SatpMode::Sv39 => 3,
            SatpMode::Sv48 => 4,
            SatpMode::Sv57 => 5,
        }
    }

    /// The number of significant virtual-address bits (64 for `Bare`).
    pub const fn va_bits(self) -> u32 {
        match self {
            SatpMode::Bare => 64,
            _ => PAGE_SHIFT + 9 * self.levels(),
        }
    }

    /// Whether `va` is canonical in this mode: bits 63 down to `va_bits() - 1` all equal.
    pub const fn is_canonical(self, va: u64) -> bool {
        let bits = self.va_bits();
        bits >= 64 || (((va << (64 - bits)) as i64) >> (64 - bits)) as u64 == va
    }
}

/// An address-space identifier (16 bits on RV64).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Asid(pub u16);

/// The value of the `satp` CSR.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Satp(pub u64);

impl Satp {
    /// `satp` with translation off.
    pub const BARE: Satp = Satp(0);

    const PPN_MASK: u64 = (1 << 44) - 1;

    /// Builds a `satp` value from its fields. The root must be 4 KiB aligned (its low bits are
    /// dropped).
    pub const fn new(mode: SatpMode, asid: Asid, root: PhysAddr) -> Satp {
        Satp(
            (mode as u64) << 60 | (asid.0 as u64) << 44 | ((root.0 >> PAGE_SHIFT) & Self::PPN_MASK),
        )
    }

    /// The translation mode. A reserved `MODE` value reads as [`SatpMode::Bare`]; a hart that
    /// writes `satp` with [`Satp::write`] never holds one.
    pub const fn mode(self) -> SatpMode {
        match SatpMode::from_bits(self.0 >> 60) {
            Some(m) => m,
            None => SatpMode::Bare,
        }
    }

    /// The address-space identifier.
    pub const fn asid(self) -> Asid {
        Asid((self.0 >> 44) as u16)
    }

    /// The physical page number of the root page table.
    pub const fn ppn(self) -> u64 {
        self.0 & Self::PPN_MASK
    }

    /// The physical address of the root page table.
    pub const fn root(self) -> PhysAddr {
        PhysAddr(self.ppn() << PAGE_SHIFT)
    }

    /// The value `satp` takes when a hart that implements every mode writes `value` to it:
    /// [`Satp::write_up_to`] with [`SatpMode::Sv57`].
    pub const fn write(self, value: u64) -> Satp {
        self.write_up_to(value, SatpMode::Sv57)
    }

    /// The value `satp` takes when a hart whose widest mode is `widest` writes `value` to it.
    /// `satp` is WARL, and a write that selects an unsupported mode (reserved, or wider than
    /// `widest`) has no effect at all (privileged spec, section 4.1.11). A hart with Sv48 also
    /// has Sv39 and one with Sv57 also Sv48 (section 4.5), so every mode up to `widest` is
    /// accepted, and `Bare` always. Linux probes Sv57, then Sv48, then Sv39 this way.
    pub const fn write_up_to(self, value: u64, widest: SatpMode) -> Satp {
        match SatpMode::from_bits(value >> 60) {
            Some(mode) if mode.levels() <= widest.levels() => Satp(value),
            _ => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip() {
        let s = Satp::new(SatpMode::Sv48, Asid(0xbeef), PhysAddr(0x8020_0000));
        assert_eq!(
            (s.mode(), s.asid(), s.root()),
            (SatpMode::Sv48, Asid(0xbeef), PhysAddr(0x8020_0000))
        );
    }

    #[test]
    fn write_with_unsupported_mode_has_no_effect() {
        let s = Satp::new(SatpMode::Sv39, Asid(1), PhysAddr(0x8000_0000));
        assert_eq!(s.write(5 << 60 | 0x1234), s);
    }

    #[test]
    fn write_wider_than_the_widest_mode_has_no_effect() {
        let s = Satp::new(SatpMode::Sv39, Asid(1), PhysAddr(0x8000_0000));
        let sv48 = Satp::new(SatpMode::Sv48, Asid(2), PhysAddr(0x8010_0000));
        let sv57 = Satp::new(SatpMode::Sv57, Asid(2), PhysAddr(0x8010_0000));
        assert_eq!(
            [
                s.write_up_to(sv57.0, SatpMode::Sv48),
                s.write_up_to(sv48.0, SatpMode::Sv48),
                s.write_up_to(0, SatpMode::Sv39),
            ],
            [s, sv48, Satp::BARE]
        );
    }

    #[test]
    fn sv39_canonical_addresses_sign_extend_bit_38() {
        assert_eq!(
            [
                0x3f_ffff_ffff,
                0xffff_ffc0_0000_0000,
                0x40_0000_0000,
                0xffff_ff80_0000_0000
            ]
            .map(|va| SatpMode::Sv39.is_canonical(va)),
            [true, true, false, false]
        );
    }
}
