//! The guest-physical memory map: RAM regions and MMIO devices behind one [`Bus`].

use std::sync::{Arc, Mutex, MutexGuard};

use crate::access::AccessSize;
use crate::addr::{PhysAddr, PAGE_SHIFT, PAGE_SIZE};
use crate::amo::AmoOp;
use crate::bus::{Bus, HostPage};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::fault::BusFault;
use crate::ram::GuestRam;

/// A device as the memory map holds it: shared, so that the board can keep a handle to it.
pub type SharedDevice = Arc<Mutex<dyn Device>>;

/// A RAM region of a [`MemoryMap`].
#[derive(Debug, Clone)]
pub struct RamRegion {
    name: String,
    base: PhysAddr,
    ram: Arc<GuestRam>,
}

impl RamRegion {
    /// The region's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The guest-physical address of the region's first byte.
    pub fn base(&self) -> PhysAddr {
        self.base
    }

    /// The guest-physical address one past the region's last byte.
    pub fn end(&self) -> PhysAddr {
        PhysAddr(self.base.0 + self.ram.len())
    }

    /// The region's RAM.
    pub fn ram(&self) -> &Arc<GuestRam> {
        &self.ram
    }
}

struct DeviceRegion {
    name: String,
    base: u64,
    size: u64,
    device: SharedDevice,
}

impl DeviceRegion {
    fn lock(&self) -> MutexGuard<'_, dyn Device + 'static> {
        // A device that panicked while holding its lock is a host bug that has already been
        // reported; go on with its state rather than spread the panic to every hart.
        self.device.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Guest-physical memory: RAM regions and MMIO devices at fixed, non-overlapping addresses.
///
/// An access to an address where nothing is mapped, or that runs past the end of its region, is
/// a [`BusFault::Unmapped`] (an access fault for the guest). A misaligned access to RAM is
/// performed; a misaligned access to a device is refused with [`BusFault::Misaligned`]. AMOs and
/// compare-and-swap on a device are done as a read and a write under the device's lock.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use ospite_mmu::{AccessSize, Bus, Device, DeviceError, GuestRam, MemoryMap, PhysAddr};
///
/// struct Counter(u64);
/// impl Device for Counter {
///     fn read(&mut self, _offset: u64, _size: AccessSize) -> Result<u64, DeviceError> {
///         self.0 += 1;
///         Ok(self.0)
///     }
///     fn write(&mut self, _offset: u64, _size: AccessSize, v: u64) -> Result<(), DeviceError> {
///         self.0 = v;
///         Ok(())
///     }
/// }
///
/// let ram = Arc::new(GuestRam::new(0x10_0000)?);
/// let map = MemoryMap::builder()
///     .ram("ram", PhysAddr(0x8000_0000), ram)
///     .device("counter", PhysAddr(0x1000_0000), 0x100, Arc::new(Mutex::new(Counter(0))))
///     .build()?;
/// map.store(PhysAddr(0x1000_0000), AccessSize::B8, 41).unwrap();
/// assert_eq!(map.load(PhysAddr(0x1000_0000), AccessSize::B8), Ok(42));
/// assert!(map.load(PhysAddr(0x2000_0000), AccessSize::B4).is_err());
/// # Ok::<(), ospite_mmu::Error>(())
/// ```
pub struct MemoryMap {
    rams: Vec<RamRegion>,
    /// Sorted by base.
    devices: Vec<DeviceRegion>,
}

impl core::fmt::Debug for MemoryMap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut l = f.debug_list();
        for r in &self.rams {
            l.entry(&format_args!("ram `{}` [{}, {})", r.name, r.base, r.end()));
        }
        for d in &self.devices {
            l.entry(&format_args!(
                "device `{}` [{:#x}, {:#x})",
                d.name,
                d.base,
                d.base + d.size
            ));
        }
        l.finish()
    }
}

enum Entry {
    Ram(RamRegion),
    Device(DeviceRegion),
}

impl Entry {
    fn name(&self) -> &str {
        match self {
            Entry::Ram(r) => &r.name,
            Entry::Device(d) => &d.name,
        }
    }

    fn base(&self) -> u64 {
        match self {
            Entry::Ram(r) => r.base.0,
            Entry::Device(d) => d.base,
        }
    }

    fn size(&self) -> u64 {
        match self {
            Entry::Ram(r) => r.ram.len(),
            Entry::Device(d) => d.size,
        }
    }
}

/// Collects the regions of a [`MemoryMap`]; [`MemoryMapBuilder::build`] checks them.
#[derive(Default)]
pub struct MemoryMapBuilder {
    entries: Vec<Entry>,
}

impl MemoryMapBuilder {
    /// Adds a RAM region at `base`. Base and size must be 4 KiB aligned.
    pub fn ram(mut self, name: impl Into<String>, base: PhysAddr, ram: Arc<GuestRam>) -> Self {
        self.entries.push(Entry::Ram(RamRegion {
            name: name.into(),
            base,
            ram,
        }));
        self
    }

    /// Adds a device covering `[base, base + size)`.
    pub fn device(
        mut self,
        name: impl Into<String>,
        base: PhysAddr,
        size: u64,
        device: SharedDevice,
    ) -> Self {
        self.entries.push(Entry::Device(DeviceRegion {
            name: name.into(),
            base: base.0,
            size,
            device,
        }));
        self
    }

    /// Checks the regions and builds the map: a region of size zero, one that runs past the end
    /// of the address space, an unaligned RAM region, or two regions that overlap are refused
    /// with an error that names them.
    pub fn build(mut self) -> Result<MemoryMap> {
        for e in &self.entries {
            let (name, base, size) = (e.name().to_owned(), PhysAddr(e.base()), e.size());
            if size == 0 {
                return Err(Error::ZeroSize { name, base });
            }
            if base.0.checked_add(size).is_none() {
                return Err(Error::OutOfRange { name, base, size });
            }
            if matches!(e, Entry::Ram(_)) && (base.0 % PAGE_SIZE != 0 || size % PAGE_SIZE != 0) {
                return Err(Error::Unaligned { name, base, size });
            }
        }
        self.entries.sort_by_key(Entry::base);
        for pair in self.entries.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if a.base() + a.size() > b.base() {
                return Err(Error::Overlap {
                    first: a.name().to_owned(),
                    first_base: PhysAddr(a.base()),
                    first_end: PhysAddr(a.base() + a.size()),
                    second: b.name().to_owned(),
                    second_base: PhysAddr(b.base()),
                    second_end: PhysAddr(b.base() + b.size()),
                });
            }
        }
        let mut rams = Vec::new();
        let mut devices = Vec::new();
        for e in self.entries {
            match e {
                Entry::Ram(r) => rams.push(r),
                Entry::Device(d) => devices.push(d),
            }
        }
        Ok(MemoryMap { rams, devices })
    }
}

enum Target<'a> {
    Ram(&'a GuestRam, u64),
    Device(&'a DeviceRegion, u64),
}

impl MemoryMap {
    /// A builder for a memory map.
    pub fn builder() -> MemoryMapBuilder {
        MemoryMapBuilder::default()
    }

    /// The RAM regions, sorted by base address.
    pub fn ram_regions(&self) -> &[RamRegion] {
        &self.rams
    }

    /// The RAM region holding `addr` and the offset of `addr` in it.
    #[inline]
    pub fn ram_at(&self, addr: PhysAddr) -> Option<(&RamRegion, u64)> {
        self.rams.iter().find_map(|r| {
            let off = addr.0.wrapping_sub(r.base.0);
            (off < r.ram.len()).then_some((r, off))
        })
    }

    /// The region of `[addr, addr + len)`, which must lie inside one region.
    #[inline]
    fn target(&self, addr: PhysAddr, len: u64) -> Result2<Target<'_>> {
        for r in &self.rams {
            let off = addr.0.wrapping_sub(r.base.0);
            if off < r.ram.len() {
                return if r.ram.len() - off >= len {
                    Ok(Target::Ram(&r.ram, off))
                } else {
                    Err(BusFault::Unmapped)
                };
            }
        }
        let i = self.devices.partition_point(|d| d.base <= addr.0);
        let d = i
            .checked_sub(1)
            .map(|i| &self.devices[i])
            .ok_or(BusFault::Unmapped)?;
        let off = addr.0 - d.base;
        if off >= d.size || d.size - off < len {
            return Err(BusFault::Unmapped);
        }
        if off % len != 0 {
            return Err(BusFault::Misaligned);
        }
        Ok(Target::Device(d, off))
    }

    /// Copies guest memory at `addr` into `buf` (RAM only, inside one region), for loaders and
    /// debuggers.
    pub fn read_bytes(&self, addr: PhysAddr, buf: &mut [u8]) -> Result2<()> {
        let (ram, off) = self.target_ram(addr, buf.len() as u64)?;
        ram.read_bytes(off, buf)
    }

    /// Copies `buf` into guest memory at `addr` (RAM only, inside one region), for loaders.
    pub fn write_bytes(&self, addr: PhysAddr, buf: &[u8]) -> Result2<()> {
        let (ram, off) = self.target_ram(addr, buf.len() as u64)?;
        ram.write_bytes(off, buf)
    }

    fn target_ram(&self, addr: PhysAddr, len: u64) -> Result2<(&GuestRam, u64)> {
        match self.target(addr, len.max(1))? {
            Target::Ram(ram, off) => Ok((ram, off)),
            Target::Device(..) => Err(BusFault::Unmapped),
        }
    }
}

type Result2<T> = core::result::Result<T, BusFault>;

impl Bus for MemoryMap {
    #[inline]
    fn load(&self, addr: PhysAddr, size: AccessSize) -> Result2<u64> {
        match self.target(addr, size.bytes())? {
            Target::Ram(ram, off) => ram.load(off, size),
            Target::Device(d, off) => d.lock().read(off, size).map_err(|_| BusFault::Device),
        }
    }

    #[inline]
    fn store(&self, addr: PhysAddr, size: AccessSize, value: u64) -> Result2<()> {
        match self.target(addr, size.bytes())? {
            Target::Ram(ram, off) => ram.store(off, size, value),
            Target::Device(d, off) => d
                .lock()
                .write(off, size, value & size.value_mask())
                .map_err(|_| BusFault::Device),
        }
    }

    fn amo(&self, addr: PhysAddr, size: AccessSize, op: AmoOp, operand: u64) -> Result2<u64> {
        match self.target(addr, size.bytes())? {
            Target::Ram(ram, off) => ram.amo(off, size, op, operand),
            Target::Device(d, off) => {
                let mut dev = d.lock();
                let old = dev.read(off, size).map_err(|_| BusFault::Device)?;
                let new = op.apply(size, old, operand);
                dev.write(off, size, new).map_err(|_| BusFault::Device)?;
                Ok(old)
            }
        }
    }

    fn compare_exchange(
        &self,
        addr: PhysAddr,
        size: AccessSize,
        current: u64,
        new: u64,
    ) -> Result2<core::result::Result<u64, u64>> {
        match self.target(addr, size.bytes())? {
            Target::Ram(ram, off) => ram.compare_exchange(off, size, current, new),
            Target::Device(d, off) => {
                let mut dev = d.lock();
                let old = dev.read(off, size).map_err(|_| BusFault::Device)?;
                if old != current & size.value_mask() {
                    return Ok(Err(old));
                }
                dev.write(off, size, new & size.value_mask())
                    .map_err(|_| BusFault::Device)?;
                Ok(Ok(old))
            }
        }
    }

    #[inline]
    fn host_page(&self, addr: PhysAddr) -> Option<HostPage> {
        let (r, off) = self.ram_at(addr)?;
        let page = off >> PAGE_SHIFT;
        Some(HostPage {
            host: r.ram.host_addr(page << PAGE_SHIFT)?,
            dirty: r.ram.dirty_pages().get(page),
            code: r.ram.code_pages().get(page),
        })
    }

    #[inline]
    fn ram_offset(&self, addr: PhysAddr) -> Option<(&GuestRam, u64)> {
        self.ram_at(addr).map(|(r, off)| (&*r.ram, off))
    }

    fn set_code_page(&self, addr: PhysAddr, code: bool) -> bool {
        let Some((r, off)) = self.ram_at(addr) else {
            return false;
        };
        if code {
            r.ram.code_pages().set(off >> PAGE_SHIFT);
        } else {
            r.ram.code_pages().clear(off >> PAGE_SHIFT);
        }
        true
    }

    fn bulk_writes(&self) -> Option<u64> {
        Some(
            self.rams
                .iter()
                .fold(0u64, |n, r| n.wrapping_add(r.ram.bulk_writes())),
        )
    }

    fn clear_dirty_page(&self, addr: PhysAddr) -> bool {
        let Some((r, off)) = self.ram_at(addr) else {
            return false;
        };
        r.ram.dirty_pages().clear(off >> PAGE_SHIFT);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DeviceError;

    /// Records the accesses it sees.
    #[derive(Default)]
    struct Recorder {
        log: Vec<(char, u64, u64, u64)>,
        value: u64,
    }

    impl Device for Recorder {
        fn read(
            &mut self,
            offset: u64,
            size: AccessSize,
        ) -> core::result::Result<u64, DeviceError> {
            self.log.push(('r', offset, size.bytes(), 0));
            Ok(self.value)
        }

        fn write(
            &mut self,
            offset: u64,
            size: AccessSize,
            value: u64,
        ) -> core::result::Result<(), DeviceError> {
            self.log.push(('w', offset, size.bytes(), value));
            self.value = value;
            Ok(())
        }
    }

    fn ram(pages: u64) -> Arc<GuestRam> {
        Arc::new(GuestRam::new(pages * PAGE_SIZE).unwrap())
    }

    #[test]
    fn device_sees_offset_width_and_value() {
        let dev = Arc::new(Mutex::new(Recorder::default()));
        let map = MemoryMap::builder()
            .device("rec", PhysAddr(0x1000_0000), 0x100, dev.clone())
            .build()
            .unwrap();
        map.store(PhysAddr(0x1000_0008), AccessSize::B8, 0x1122_3344_5566_7788)
            .unwrap();
        map.load(PhysAddr(0x1000_0004), AccessSize::B4).unwrap();
        assert_eq!(
            dev.lock().unwrap().log,
            vec![('w', 8, 8, 0x1122_3344_5566_7788), ('r', 4, 4, 0)]
        );
    }

    #[test]
    fn overlapping_regions_are_refused() {
        let err = MemoryMap::builder()
            .ram("ram", PhysAddr(0x8000_0000), ram(4))
            .device(
                "uart",
                PhysAddr(0x8000_3000),
                0x2000,
                Arc::new(Mutex::new(Recorder::default())),
            )
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "region `ram` [0x80000000, 0x80004000) overlaps region `uart` [0x80003000, 0x80005000)"
        );
    }

    #[test]
    fn zero_sized_device_is_refused() {
        let err = MemoryMap::builder()
            .device(
                "nothing",
                PhysAddr(0x100),
                0,
                Arc::new(Mutex::new(Recorder::default())),
            )
            .build()
            .unwrap_err();
        assert_eq!(err.to_string(), "region `nothing` at 0x100 has size zero");
    }

    #[test]
    fn region_past_the_end_is_refused() {
        let err = MemoryMap::builder()
            .device(
                "top",
                PhysAddr(u64::MAX - 1),
                4,
                Arc::new(Mutex::new(Recorder::default())),
            )
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::OutOfRange { .. }));
    }

    #[test]
    fn unaligned_ram_is_refused() {
        let err = MemoryMap::builder()
            .ram("ram", PhysAddr(0x8000_0800), ram(1))
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Unaligned { .. }));
    }

    #[test]
    fn access_to_nothing_is_unmapped() {
        let map = MemoryMap::builder()
            .ram("ram", PhysAddr(0x8000_0000), ram(1))
            .build()
            .unwrap();
        assert_eq!(
            map.load(PhysAddr(0x7fff_fff8), AccessSize::B8),
            Err(BusFault::Unmapped)
        );
    }

    #[test]
    fn access_straddling_ram_end_is_unmapped() {
        let map = MemoryMap::builder()
            .ram("ram", PhysAddr(0x8000_0000), ram(1))
            .build()
            .unwrap();
        assert_eq!(
            map.store(PhysAddr(0x8000_0ffc), AccessSize::B8, 0),
            Err(BusFault::Unmapped)
        );
    }

    #[test]
    fn misaligned_device_access_is_refused() {
        let map = MemoryMap::builder()
            .device(
                "rec",
                PhysAddr(0x1000),
                0x100,
                Arc::new(Mutex::new(Recorder::default())),
            )
            .build()
            .unwrap();
        assert_eq!(
            map.load(PhysAddr(0x1002), AccessSize::B4),
            Err(BusFault::Misaligned)
        );
    }

    #[test]
    fn amo_on_device_reads_then_writes() {
        let dev = Arc::new(Mutex::new(Recorder {
            log: Vec::new(),
            value: 5,
        }));
        let map = MemoryMap::builder()
            .device("rec", PhysAddr(0x1000), 0x100, dev.clone())
            .build()
            .unwrap();
        let old = map.amo(PhysAddr(0x1010), AccessSize::B4, AmoOp::Add, 2);
        assert_eq!(
            (old, dev.lock().unwrap().log.clone()),
            (Ok(5), vec![('r', 0x10, 4, 0), ('w', 0x10, 4, 7)])
        );
    }

    /// A recording device at 0x1000 and two pages of RAM at 0x8000_0000.
    fn device_then_ram() -> MemoryMap {
        MemoryMap::builder()
            .device(
                "rec",
                PhysAddr(0x1000),
                0x100,
                Arc::new(Mutex::new(Recorder::default())),
            )
            .ram("ram", PhysAddr(0x8000_0000), ram(2))
            .build()
            .unwrap()
    }

    #[test]
    fn ram_offset_is_ram_only() {
        let map = device_then_ram();
        assert_eq!(
            (
                map.ram_offset(PhysAddr(0x1000)).is_none(),
                map.ram_offset(PhysAddr(0x8000_1008)).map(|(_, off)| off),
                map.ram_offset(PhysAddr(0x8000_2000)).is_none(),
            ),
            (true, Some(0x1008), true)
        );
    }

    #[test]
    fn device_has_no_host_page() {
        let map = device_then_ram();
        assert_eq!(
            (
                map.host_page(PhysAddr(0x1000)).is_none(),
                map.host_page(PhysAddr(0x8000_1000)).is_some()
            ),
            (true, true)
        );
    }

    #[test]
    fn ram_host_page_reports_dirty_state() {
        let r = ram(2);
        let map = MemoryMap::builder()
            .ram("ram", PhysAddr(0x8000_0000), r.clone())
            .build()
            .unwrap();
        map.store(PhysAddr(0x8000_1008), AccessSize::B1, 1).unwrap();
        let page = map.host_page(PhysAddr(0x8000_1234)).unwrap();
        assert_eq!(
            (page.host, page.dirty, page.code),
            (r.as_ptr() as usize + 0x1000, true, false)
        );
    }
}
