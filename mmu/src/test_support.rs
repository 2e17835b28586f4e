//! A small guest for unit tests: RAM, an optional device, and a page-table builder.

use std::sync::{Arc, Mutex};

use crate::access::{AccessSize, Privilege};
use crate::addr::{PhysAddr, VirtAddr, PAGE_SHIFT, PAGE_SIZE};
use crate::bus::Bus;
use crate::context::TranslateCtx;
use crate::device::{Device, DeviceError};
use crate::memory_map::MemoryMap;
use crate::pte::Pte;
use crate::ram::GuestRam;
use crate::satp::{Asid, Satp, SatpMode};

pub(crate) const RAM_BASE: u64 = 0x8000_0000;
pub(crate) const RAM_SIZE: u64 = 32 << 20;
/// Page tables are allocated from here up; data pages lie below.
pub(crate) const TABLES: u64 = RAM_BASE + (16 << 20);
pub(crate) const DEVICE_BASE: u64 = 0x1000_0000;
/// A device whose reads return PTE-like values and which refuses writes.
pub(crate) const ROM_BASE: u64 = 0x2000_0000;

/// A device that counts accesses and keeps the last value written.
#[derive(Default)]
pub(crate) struct Counter {
    pub(crate) reads: u64,
    pub(crate) writes: u64,
    pub(crate) value: u64,
}

impl Device for Counter {
    fn read(&mut self, _offset: u64, _size: AccessSize) -> Result<u64, DeviceError> {
        self.reads += 1;
        Ok(self.value)
    }

    fn write(&mut self, _offset: u64, _size: AccessSize, value: u64) -> Result<(), DeviceError> {
        self.writes += 1;
        self.value = value;
        Ok(())
    }
}

/// A read-only device holding one page of 8-byte words.
pub(crate) struct Rom(pub(crate) Vec<u64>);

impl Device for Rom {
    fn read(&mut self, offset: u64, _size: AccessSize) -> Result<u64, DeviceError> {
        Ok(self.0[(offset / 8) as usize])
    }

    fn write(&mut self, _offset: u64, _size: AccessSize, _value: u64) -> Result<(), DeviceError> {
        Err(DeviceError)
    }
}

pub(crate) struct Guest {
    pub(crate) map: MemoryMap,
    pub(crate) ram: Arc<GuestRam>,
    pub(crate) counter: Arc<Mutex<Counter>>,
    pub(crate) rom: Arc<Mutex<Rom>>,
    pub(crate) mode: SatpMode,
    pub(crate) root: PhysAddr,
    next_table: u64,
}

impl Guest {
    pub(crate) fn new(mode: SatpMode) -> Guest {
        let ram = Arc::new(GuestRam::new(RAM_SIZE).unwrap());
        let counter = Arc::new(Mutex::new(Counter::default()));
        let rom = Arc::new(Mutex::new(Rom(vec![0; 512])));
        let map = MemoryMap::builder()
            .ram("ram", PhysAddr(RAM_BASE), ram.clone())
            .device("counter", PhysAddr(DEVICE_BASE), PAGE_SIZE, counter.clone())
            .device("rom", PhysAddr(ROM_BASE), PAGE_SIZE, rom.clone())
            .build()
            .unwrap();
        let mut g = Guest {
            map,
            ram,
            counter,
            rom,
            mode,
            root: PhysAddr(0),
            next_table: TABLES,
        };
        g.root = g.alloc_table();
        g
    }

    pub(crate) fn alloc_table(&mut self) -> PhysAddr {
        let t = PhysAddr(self.next_table);
        self.next_table += PAGE_SIZE;
        t
    }

    pub(crate) fn satp(&self, asid: u16) -> Satp {
        Satp::new(self.mode, Asid(asid), self.root)
    }

    pub(crate) fn ctx(&self, privilege: Privilege, asid: u16) -> TranslateCtx {
        TranslateCtx::new(privilege, self.satp(asid))
    }

    pub(crate) fn read_pte(&self, addr: PhysAddr) -> Pte {
        Pte(self.map.load(addr, AccessSize::B8).unwrap())
    }

    pub(crate) fn write_pte(&self, addr: PhysAddr, pte: Pte) {
        self.map.store(addr, AccessSize::B8, pte.0).unwrap();
    }

    /// The address of the PTE for `va` at `level`, creating the tables above it.
    pub(crate) fn pte_addr(&mut self, va: VirtAddr, level: u32) -> PhysAddr {
        let mut table = self.root;
        let mut l = self.mode.levels() - 1;
        loop {
            let vpn = (va.0 >> (PAGE_SHIFT + 9 * l)) & 0x1ff;
            let addr = PhysAddr(table.0 + vpn * 8);
            if l == level {
                return addr;
            }
            let pte = self.read_pte(addr);
            table = if pte.has(Pte::V) && !pte.is_leaf() {
                PhysAddr(pte.ppn() << PAGE_SHIFT)
            } else {
                let t = self.alloc_table();
                self.write_pte(addr, Pte::table(t));
                t
            };
            l -= 1;
        }
    }

    /// Maps `va` to `pa` with a leaf at `level` (0 for 4 KiB) and `flags`; returns the PTE's
    /// address.
    pub(crate) fn map_page(&mut self, va: u64, pa: u64, level: u32, flags: u64) -> PhysAddr {
        let addr = self.pte_addr(VirtAddr(va), level);
        self.write_pte(addr, Pte::leaf(PhysAddr(pa), flags));
        addr
    }
}
