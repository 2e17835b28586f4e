//! A virtio-mmio transport slot with no device behind it: what QEMU virt shows in its empty
//! slots (magic "virt", version 1 as QEMU's default legacy transport, device ID 0, vendor
//! "QEMU"). Drivers probe it and move on. The block device arrives with its own issue.

use ospite_mmu::{AccessSize, Device, DeviceError};

/// Each slot's register region size.
pub const SLOT_SIZE: u64 = 0x1000;

/// An empty slot.
#[derive(Debug, Default)]
pub struct EmptySlot;

impl Device for EmptySlot {
    fn read(&mut self, offset: u64, size: AccessSize) -> Result<u64, DeviceError> {
        if size != AccessSize::B4 {
            return Ok(0);
        }
        Ok(match offset {
            0x000 => 0x7472_6976, // "virt"
            0x004 => 1,
            0x008 => 0,
            0x00c => 0x554d_4551, // "QEMU"
            _ => 0,
        })
    }

    fn write(&mut self, _offset: u64, _size: AccessSize, _value: u64) -> Result<(), DeviceError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_slot_shows_magic_and_device_id_zero() {
        let mut s = EmptySlot;
        assert_eq!(s.read(0, AccessSize::B4).unwrap(), 0x7472_6976);
        assert_eq!(s.read(8, AccessSize::B4).unwrap(), 0);
    }
}
