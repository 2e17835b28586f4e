//! Guest-visible faults: values that a hart turns into traps.

use crate::access::AccessType;

/// The exception a memory access raises, with its `mcause`/`scause` code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FaultCause {
    /// Instruction address misaligned (0).
    InstructionAddressMisaligned = 0,
    /// Instruction access fault (1).
    InstructionAccessFault = 1,
    /// Load address misaligned (4).
    LoadAddressMisaligned = 4,
    /// Load access fault (5).
    LoadAccessFault = 5,
    /// Store/AMO address misaligned (6).
    StoreAddressMisaligned = 6,
    /// Store/AMO access fault (7).
    StoreAccessFault = 7,
    /// Instruction page fault (12).
    InstructionPageFault = 12,
    /// Load page fault (13).
    LoadPageFault = 13,
    /// Store/AMO page fault (15).
    StorePageFault = 15,
}

impl FaultCause {
    /// The exception code written to `mcause`/`scause`.
    #[inline]
    pub const fn code(self) -> u64 {
        self as u64
    }

    /// The page fault for an access type.
    #[inline]
    pub const fn page_fault(access: AccessType) -> FaultCause {
        match access {
            AccessType::Fetch => FaultCause::InstructionPageFault,
            AccessType::Load => FaultCause::LoadPageFault,
            AccessType::Store => FaultCause::StorePageFault,
        }
    }

    /// The access fault for an access type.
    #[inline]
    pub const fn access_fault(access: AccessType) -> FaultCause {
        match access {
            AccessType::Fetch => FaultCause::InstructionAccessFault,
            AccessType::Load => FaultCause::LoadAccessFault,
            AccessType::Store => FaultCause::StoreAccessFault,
        }
    }

    /// The address-misaligned exception for an access type.
    #[inline]
    pub const fn misaligned(access: AccessType) -> FaultCause {
        match access {
            AccessType::Fetch => FaultCause::InstructionAddressMisaligned,
            AccessType::Load => FaultCause::LoadAddressMisaligned,
            AccessType::Store => FaultCause::StoreAddressMisaligned,
        }
    }
}

/// A fault raised by a guest memory access: the cause and the value for `mtval`/`stval`.
///
/// `tval` is the faulting virtual address (for an access that crosses a page, the address of the
/// part that faulted, as the privileged spec allows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemFault {
    /// The exception cause.
    pub cause: FaultCause,
    /// The trap value: the faulting virtual address.
    pub tval: u64,
}

impl MemFault {
    /// A page fault for `access` at `tval`.
    #[inline]
    pub const fn page(access: AccessType, tval: u64) -> MemFault {
        MemFault {
            cause: FaultCause::page_fault(access),
            tval,
        }
    }

    /// An access fault for `access` at `tval`.
    #[inline]
    pub const fn access(access: AccessType, tval: u64) -> MemFault {
        MemFault {
            cause: FaultCause::access_fault(access),
            tval,
        }
    }

    /// An address-misaligned fault for `access` at `tval`.
    #[inline]
    pub const fn misaligned(access: AccessType, tval: u64) -> MemFault {
        MemFault {
            cause: FaultCause::misaligned(access),
            tval,
        }
    }
}

/// Why the physical bus refused an access. Every variant is an access fault for the guest,
/// except that [`BusFault::Misaligned`] on an atomic access may be reported as address-misaligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BusFault {
    /// Nothing is mapped at the address, or the access runs past the end of its region.
    Unmapped,
    /// A device refused the access (for example a width it does not support).
    Device,
    /// An atomic access (AMO, LR/SC, CAS) that is not naturally aligned, or a misaligned
    /// access to a device.
    Misaligned,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_codes_match_the_privileged_spec() {
        let codes = AccessType::ALL.map(|a| {
            (
                FaultCause::misaligned(a).code(),
                FaultCause::access_fault(a).code(),
                FaultCause::page_fault(a).code(),
            )
        });
        assert_eq!(codes, [(0, 1, 12), (4, 5, 13), (6, 7, 15)]);
    }
}
