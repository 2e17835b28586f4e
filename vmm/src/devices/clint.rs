//! The CLINT (SiFive `clint0`, the ACLINT MSWI and MTIMER pair): `msip` per hart at 0x0,
//! `mtimecmp` per hart at 0x4000, `mtime` at 0xbff8.
//!
//! `mtime` runs at 10 MHz from the [`VirtualClock`], which follows the host's monotonic clock
//! (see its doc for why). `MTIP` is level: `mtime >= mtimecmp`, re-evaluated on every access
//! and whenever the VM's run loop ticks the board.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ospite_interp::{Interrupt, IrqLines, TimeSource};
use ospite_mmu::{AccessSize, Device, DeviceError};

/// The `mtime` frequency, in Hz: QEMU virt's `timebase-frequency`.
pub const TIMEBASE_HZ: u64 = 10_000_000;

/// The board's clock: `mtime` in 10 MHz ticks.
///
/// It follows the host's monotonic clock from the VM's start (plus whatever the guest wrote to
/// `mtime`). We chose host time over counting instructions so that a guest's delays (U-Boot's
/// autoboot countdown, Linux's timers) take the wall time they say, so that a hart in `wfi`
/// can sleep on the host until the next `mtimecmp` deadline instead of spinning, and so that
/// each VM's clock is independent of the engine's speed. The price is that a run is not
/// cycle-for-cycle reproducible; guest output that does not print times is.
#[derive(Debug)]
pub struct VirtualClock {
    start: Instant,
    offset: AtomicI64,
}

impl Default for VirtualClock {
    fn default() -> Self {
        VirtualClock::new()
    }
}

impl VirtualClock {
    /// A clock at 0 now.
    pub fn new() -> VirtualClock {
        VirtualClock {
            start: Instant::now(),
            offset: AtomicI64::new(0),
        }
    }

    fn host_ticks(&self, at: Instant) -> u64 {
        let ns = at.saturating_duration_since(self.start).as_nanos();
        (ns / (1_000_000_000 / u128::from(TIMEBASE_HZ))) as u64
    }

    /// `mtime` now.
    pub fn mtime(&self) -> u64 {
        self.host_ticks(Instant::now())
            .wrapping_add(self.offset.load(Ordering::Relaxed) as u64)
    }

    /// Sets `mtime` (a guest write).
    pub fn set_mtime(&self, value: u64) {
        let host = self.host_ticks(Instant::now());
        self.offset
            .store(value.wrapping_sub(host) as i64, Ordering::Relaxed);
    }

    /// The host instant at which `mtime` reaches `ticks`, or `None` if it never will in a
    /// useful time (more than a day away).
    pub fn instant_of(&self, ticks: u64) -> Option<Instant> {
        let now = self.mtime();
        let ahead = ticks.saturating_sub(now);
        if ahead > 86_400 * TIMEBASE_HZ {
            return None;
        }
        Some(Instant::now() + Duration::from_nanos(ahead * (1_000_000_000 / TIMEBASE_HZ)))
    }
}

impl TimeSource for VirtualClock {
    fn now(&self) -> u64 {
        self.mtime()
    }
}

/// The CLINT's registers for `harts.len()` harts.
#[derive(Debug)]
pub struct Clint {
    clock: Arc<VirtualClock>,
    harts: Vec<IrqLines>,
    msip: Vec<bool>,
    mtimecmp: Vec<u64>,
}

const MTIMECMP: u64 = 0x4000;
const MTIME: u64 = 0xbff8;

impl Clint {
    /// A CLINT driving the MSIP and MTIP lines of `harts` from `clock`.
    pub fn new(clock: Arc<VirtualClock>, harts: Vec<IrqLines>) -> Clint {
        let n = harts.len();
        Clint {
            clock,
            harts,
            msip: vec![false; n],
            mtimecmp: vec![u64::MAX; n],
        }
    }

    /// Re-evaluates every hart's MTIP and MSIP line.
    pub fn update(&self) {
        let now = self.clock.mtime();
        for (i, lines) in self.harts.iter().enumerate() {
            lines.set(Interrupt::MachineTimer, now >= self.mtimecmp[i]);
            lines.set(Interrupt::MachineSoftware, self.msip[i]);
        }
    }

    /// When the earliest pending `mtimecmp` is reached, in host time; `None` if no timer is
    /// armed.
    pub fn next_deadline(&self) -> Option<Instant> {
        let earliest = self.mtimecmp.iter().copied().min()?;
        self.clock.instant_of(earliest)
    }

    fn update_word(old: u64, offset: u64, size: AccessSize, value: u64) -> u64 {
        match size {
            AccessSize::B8 => value,
            _ => {
                let shift = (offset & 4) * 8;
                let mask = 0xffff_ffffu64 << shift;
                (old & !mask) | ((value & 0xffff_ffff) << shift)
            }
        }
    }

    fn read_word(word: u64, offset: u64, size: AccessSize) -> u64 {
        match size {
            AccessSize::B8 => word,
            _ => (word >> ((offset & 4) * 8)) & 0xffff_ffff,
        }
    }
}

impl Device for Clint {
    fn read(&mut self, offset: u64, size: AccessSize) -> Result<u64, DeviceError> {
        if matches!(size, AccessSize::B1 | AccessSize::B2) {
            return Err(DeviceError);
        }
        let n = self.harts.len() as u64;
        let v = match offset {
            o if o < 4 * n && size == AccessSize::B4 => u64::from(self.msip[(o / 4) as usize]),
            o if (MTIMECMP..MTIMECMP + 8 * n).contains(&o) => {
                let i = ((o - MTIMECMP) / 8) as usize;
                Self::read_word(self.mtimecmp[i], o, size)
            }
            o if (MTIME..MTIME + 8).contains(&o) => Self::read_word(self.clock.mtime(), o, size),
            _ => 0,
        };
        Ok(v)
    }

    fn write(&mut self, offset: u64, size: AccessSize, value: u64) -> Result<(), DeviceError> {
        if matches!(size, AccessSize::B1 | AccessSize::B2) {
            return Err(DeviceError);
        }
        let n = self.harts.len() as u64;
        match offset {
            o if o < 4 * n && size == AccessSize::B4 => {
                self.msip[(o / 4) as usize] = value & 1 != 0
            }
            o if (MTIMECMP..MTIMECMP + 8 * n).contains(&o) => {
                let i = ((o - MTIMECMP) / 8) as usize;
                self.mtimecmp[i] = Self::update_word(self.mtimecmp[i], o, size, value);
            }
            o if (MTIME..MTIME + 8).contains(&o) => {
                let t = Self::update_word(self.clock.mtime(), o, size, value);
                self.clock.set_mtime(t);
            }
            _ => {}
        }
        self.update();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ospite_interp::Interrupt;

    #[test]
    fn mtimecmp_in_the_past_raises_mtip_and_far_future_lowers_it() {
        let lines = IrqLines::new();
        let mut c = Clint::new(Arc::new(VirtualClock::new()), vec![lines.clone()]);
        c.write(MTIMECMP, AccessSize::B8, 0).unwrap();
        assert_ne!(lines.get() & Interrupt::MachineTimer.bit(), 0);
        c.write(MTIMECMP, AccessSize::B8, u64::MAX).unwrap();
        assert_eq!(lines.get() & Interrupt::MachineTimer.bit(), 0);
    }

    #[test]
    fn msip_drives_the_software_line() {
        let lines = IrqLines::new();
        let mut c = Clint::new(Arc::new(VirtualClock::new()), vec![lines.clone()]);
        c.write(0, AccessSize::B4, 1).unwrap();
        assert_ne!(lines.get() & Interrupt::MachineSoftware.bit(), 0);
        assert_eq!(c.read(0, AccessSize::B4).unwrap(), 1);
    }

    #[test]
    fn mtime_is_writable_and_keeps_counting() {
        let mut c = Clint::new(Arc::new(VirtualClock::new()), vec![IrqLines::new()]);
        c.write(MTIME, AccessSize::B8, 1 << 40).unwrap();
        assert!(c.read(MTIME, AccessSize::B8).unwrap() >= 1 << 40);
    }
}
