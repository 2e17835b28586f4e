//! Guest RAM as a virtio device sees it: physical addresses in, bytes out. The device reaches
//! RAM directly (its own handle on the [`GuestRam`]), not through the board's memory map,
//! which holds the device itself.

use std::sync::Arc;

use ospite_mmu::{BusFault, GuestRam, PhysAddr};

/// A view of one RAM region for device DMA. A cheap clone.
#[derive(Clone, Debug)]
pub struct GuestMemory {
    base: u64,
    ram: Arc<GuestRam>,
}

impl GuestMemory {
    /// The RAM `ram`, which the board maps at `base`.
    pub fn new(base: PhysAddr, ram: Arc<GuestRam>) -> GuestMemory {
        GuestMemory { base: base.0, ram }
    }

    /// The offset of `addr` in RAM (an address below the region is no offset).
    fn offset(&self, addr: u64) -> Result<u64, BusFault> {
        addr.checked_sub(self.base).ok_or(BusFault::Unmapped)
    }

    /// Copies guest memory at `addr` into `buf`; the whole range must be RAM.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), BusFault> {
        self.ram.read_bytes(self.offset(addr)?, buf)
    }

    /// Copies `buf` into guest memory at `addr` (marking the pages dirty); the whole range
    /// must be RAM.
    pub fn write(&self, addr: u64, buf: &[u8]) -> Result<(), BusFault> {
        self.ram.write_bytes(self.offset(addr)?, buf)
    }

    /// A little-endian `u16` at `addr`.
    pub fn read_u16(&self, addr: u64) -> Result<u16, BusFault> {
        let mut b = [0; 2];
        self.read(addr, &mut b)?;
        Ok(u16::from_le_bytes(b))
    }

    /// A little-endian `u32` at `addr`.
    pub fn read_u32(&self, addr: u64) -> Result<u32, BusFault> {
        let mut b = [0; 4];
        self.read(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// A little-endian `u64` at `addr`.
    pub fn read_u64(&self, addr: u64) -> Result<u64, BusFault> {
        let mut b = [0; 8];
        self.read(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Writes a little-endian `u16` at `addr`.
    pub fn write_u16(&self, addr: u64, v: u16) -> Result<(), BusFault> {
        self.write(addr, &v.to_le_bytes())
    }

    /// Writes a little-endian `u32` at `addr`.
    pub fn write_u32(&self, addr: u64, v: u32) -> Result<(), BusFault> {
        self.write(addr, &v.to_le_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_outside_ram_fault() {
        let mem = GuestMemory::new(
            PhysAddr(0x8000_0000),
            Arc::new(GuestRam::new(0x1000).unwrap()),
        );
        mem.write_u32(0x8000_0ffc, 7).unwrap();
        assert_eq!(mem.read_u32(0x8000_0ffc), Ok(7));
        assert_eq!(mem.read_u32(0x8000_0ffe), Err(BusFault::Unmapped));
        assert_eq!(mem.read_u16(0x7fff_fffe), Err(BusFault::Unmapped));
    }
}
