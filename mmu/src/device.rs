//! The MMIO device trait: what a device model implements to sit on a [`crate::MemoryMap`].

use crate::access::AccessSize;

/// A memory-mapped device. It sees offsets from the start of its region, never absolute
/// addresses, and the real width of each access: a 64-bit store arrives as one 64-bit write.
///
/// The [`crate::MemoryMap`] keeps each device behind a mutex, so methods take `&mut self`; every
/// access, and the read-modify-write of an AMO on the device, happens under that lock. Accesses
/// are always naturally aligned and lie inside the region.
pub trait Device: Send {
    /// Reads `size` bytes at `offset`; the value is zero-extended raw bits.
    fn read(&mut self, offset: u64, size: AccessSize) -> Result<u64, DeviceError>;

    /// Writes the low `size` bytes of `value` at `offset`.
    fn write(&mut self, offset: u64, size: AccessSize, value: u64) -> Result<(), DeviceError>;
}

/// A device's refusal of an access (for example a width its registers do not support). The guest
/// sees an access fault.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DeviceError;

impl core::fmt::Display for DeviceError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the device refused the access")
    }
}

impl std::error::Error for DeviceError {}
