//! The board: QEMU virt's memory map and interrupt numbers, its devices, and the guest RAM.
//!
//! | device | address | PLIC source |
//! | --- | --- | --- |
//! | boot ROM (reset stub, fw_dynamic info) | 0x0000_1000 | |
//! | SiFive test finisher | 0x0010_0000 | |
//! | Goldfish RTC | 0x0010_1000 | 11 |
//! | CLINT | 0x0200_0000 | |
//! | PLIC | 0x0c00_0000 | |
//! | NS16550A UART0 | 0x1000_0000 | 10 |
//! | virtio-mmio slots 0..8 | 0x1000_1000 + n * 0x1000 | 1 + n |
//! | RAM | 0x8000_0000 | |
//!
//! A disk (`--drive`) is a virtio-blk device in slot 7 (0x1000_8000, source 8): where QEMU
//! virt puts the first `-device virtio-blk-device` (it plugs devices into the transports from
//! the highest address down), so that a guest sees the same machine on both. The other slots
//! stay empty.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use ospite_interp::IrqLines;
use ospite_mmu::{Device, GuestRam, MemoryMap, PhysAddr};

use crate::config::DriveConfig;
use crate::devices::clint::{Clint, VirtualClock};
use crate::devices::goldfish_rtc::GoldfishRtc;
use crate::devices::plic::{self, Plic};
use crate::devices::test_finisher::{PowerLatch, TestFinisher};
use crate::devices::uart16550::{ConsoleInput, ConsoleOutput, Uart16550};
use crate::devices::virtio::blk::Blk;
use crate::devices::virtio::{GuestMemory, MmioTransport, Work};
use crate::devices::virtio_mmio::{self, EmptySlot};
use crate::devices::{IrqLevels, Wakeup};
use crate::error::Result;
use crate::reset;

/// Base addresses of QEMU virt's memory map.
pub mod map {
    /// SiFive test finisher.
    pub const TEST: u64 = 0x10_0000;
    /// Goldfish RTC.
    pub const RTC: u64 = 0x10_1000;
    /// CLINT.
    pub const CLINT: u64 = 0x200_0000;
    /// PLIC.
    pub const PLIC: u64 = 0xc00_0000;
    /// UART0.
    pub const UART0: u64 = 0x1000_0000;
    /// The first virtio-mmio slot.
    pub const VIRTIO0: u64 = 0x1000_1000;
    /// The distance between virtio-mmio slots.
    pub const VIRTIO_STRIDE: u64 = 0x1000;
    /// The number of virtio-mmio slots.
    pub const VIRTIO_SLOTS: u64 = 8;
    /// The slot of the block device: QEMU's first `-device` takes the last slot.
    pub const VIRTIO_BLK_SLOT: u64 = 7;
    /// RAM.
    pub const RAM: u64 = 0x8000_0000;
}

/// PLIC source numbers of QEMU virt.
#[derive(Debug)]
pub struct Irq;

impl Irq {
    /// UART0.
    pub const UART0: u32 = 10;
    /// The Goldfish RTC.
    pub const RTC: u32 = 11;
    /// The first virtio-mmio slot; slot `n` is `VIRTIO0 + n`.
    pub const VIRTIO0: u32 = 1;
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The devices and memory of one VM, with handles the run loop needs.
pub struct Board {
    /// The bus the harts run on.
    pub map: Arc<MemoryMap>,
    /// Guest RAM.
    pub ram: Arc<GuestRam>,
    /// The boot ROM (writable RAM, rewritten at every reset).
    pub rom: Arc<GuestRam>,
    /// The clock behind `mtime` and the harts' `time` CSR.
    pub clock: Arc<VirtualClock>,
    /// The interrupt lines of each hart.
    pub harts: Vec<IrqLines>,
    /// Power-off and reset requests from the guest.
    pub power: Arc<PowerLatch>,
    /// What wakes a hart sleeping in `wfi`.
    pub wakeup: Arc<Wakeup>,
    /// Console input for UART0.
    pub input: ConsoleInput,
    uart: Arc<Mutex<Uart16550>>,
    clint: Arc<Mutex<Clint>>,
    plic: Arc<Mutex<Plic>>,
    rtc: Arc<Mutex<GoldfishRtc>>,
    blk: Option<Arc<Mutex<MmioTransport<Blk>>>>,
}

impl std::fmt::Debug for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Board")
            .field("map", &self.map)
            .finish_non_exhaustive()
    }
}

fn shared<D: Device + 'static>(d: &Arc<Mutex<D>>) -> Arc<Mutex<dyn Device>> {
    d.clone()
}

impl Board {
    /// A board with `ram_size` bytes of RAM and `harts` harts, whose console writes `output`,
    /// with the disk `drive` if one is given (its image is opened here).
    pub fn new(
        ram_size: u64,
        harts: u32,
        output: ConsoleOutput,
        drive: Option<&DriveConfig>,
    ) -> Result<Board> {
        let ram = Arc::new(GuestRam::new(ram_size)?);
        let rom = Arc::new(GuestRam::new(reset::ROM_SIZE)?);
        let clock = Arc::new(VirtualClock::new());
        let lines: Vec<IrqLines> = (0..harts).map(|_| IrqLines::new()).collect();
        let levels = IrqLevels::new();
        let power = PowerLatch::new();
        let wakeup = Arc::new(Wakeup::new());
        let input = ConsoleInput::new(wakeup.clone());

        let uart = Arc::new(Mutex::new(Uart16550::new(
            input.clone(),
            output,
            levels.clone(),
            Irq::UART0,
        )));
        let clint = Arc::new(Mutex::new(Clint::new(clock.clone(), lines.clone())));
        let plic = Arc::new(Mutex::new(Plic::new(levels.clone(), lines.clone())));
        let rtc = Arc::new(Mutex::new(GoldfishRtc::new(levels.clone(), Irq::RTC)));
        let blk = match drive {
            Some(d) => Some(Arc::new(Mutex::new(MmioTransport::new(
                Blk::open(d)?,
                GuestMemory::new(PhysAddr(map::RAM), ram.clone()),
                levels,
                Irq::VIRTIO0 + map::VIRTIO_BLK_SLOT as u32,
            )))),
            None => None,
        };
        let test = Arc::new(Mutex::new(TestFinisher::new(power.clone())));

        let mut b = MemoryMap::builder()
            .ram("mrom", PhysAddr(reset::ROM_BASE), rom.clone())
            .ram("ram", PhysAddr(map::RAM), ram.clone())
            .device("test", PhysAddr(map::TEST), 0x1000, shared(&test))
            .device("rtc", PhysAddr(map::RTC), 0x1000, shared(&rtc))
            .device("clint", PhysAddr(map::CLINT), 0x10000, shared(&clint))
            .device("plic", PhysAddr(map::PLIC), plic::SIZE, shared(&plic))
            .device("uart0", PhysAddr(map::UART0), 0x100, shared(&uart));
        for n in 0..map::VIRTIO_SLOTS {
            let slot: Arc<Mutex<dyn Device>> = match &blk {
                Some(dev) if n == map::VIRTIO_BLK_SLOT => shared(dev),
                _ => Arc::new(Mutex::new(EmptySlot)),
            };
            b = b.device(
                format!("virtio{n}"),
                PhysAddr(map::VIRTIO0 + n * map::VIRTIO_STRIDE),
                virtio_mmio::SLOT_SIZE,
                slot,
            );
        }
        Ok(Board {
            map: Arc::new(b.build()?),
            ram,
            rom,
            clock,
            harts: lines,
            power,
            wakeup,
            input,
            uart,
            clint,
            plic,
            rtc,
            blk,
        })
    }

    /// Brings every interrupt line up to date: one more piece of the disk's work if it has
    /// some left, the timer against `mtime`, the UART against new input, the RTC's alarm, then
    /// the PLIC's outputs.
    pub fn tick(&self) {
        if let Some(blk) = &self.blk {
            lock(blk).resume();
        }
        lock(&self.clint).update();
        lock(&self.uart).update();
        lock(&self.rtc).update();
        lock(&self.plic).update();
    }

    /// Whether a device has work left from a guest's request, so that the hart must not sleep
    /// ([`Board::tick`] goes on with it).
    pub fn busy(&self) -> bool {
        self.blk.as_ref().is_some_and(|b| lock(b).busy())
    }

    /// What the disk did so far (chains served, bytes moved), if there is one.
    pub fn disk_work(&self) -> Option<Work> {
        self.blk.as_ref().map(|b| lock(b).work())
    }

    /// When the next armed timer fires, in host time.
    pub fn next_timer(&self) -> Option<Instant> {
        lock(&self.clint).next_deadline()
    }

    /// Flushes console output.
    pub fn flush_console(&self) {
        lock(&self.uart).flush();
    }
}
