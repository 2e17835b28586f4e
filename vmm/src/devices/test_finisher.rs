//! The SiFive test finisher (`sifive,test0`): a write of `0x5555` powers off with success,
//! `(code << 16) | 0x3333` fails with `code`, `0x7777` resets. Linux and U-Boot reach it as
//! `syscon-poweroff` and `syscon-reboot`. Writes are 32 or, as QEMU also takes them, 16 bits
//! wide: OpenSBI's SRST shutdown (what Linux's `poweroff` ends in) stores `0x5555` with `sh`.

use std::sync::{Arc, Mutex, OnceLock};

use ospite_interp::StopHandle;
use ospite_mmu::{AccessSize, Device, DeviceError};

/// What the guest asked of the board's power control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PowerEvent {
    /// Power off with this exit status (0: success).
    Off(u32),
    /// Reset the machine.
    Reset,
}

/// Where the finisher and HTIF post what the guest asked for; the run loop takes it. Posting
/// also stops the engine at its next instruction boundary.
#[derive(Debug, Default)]
pub struct PowerLatch {
    event: Mutex<Option<PowerEvent>>,
    stop: OnceLock<StopHandle>,
}

impl PowerLatch {
    /// A latch with nothing posted.
    pub fn new() -> Arc<PowerLatch> {
        Arc::new(PowerLatch::default())
    }

    /// Connects the engine's stop handle (once, when the engine exists).
    pub fn connect(&self, stop: StopHandle) {
        let _ = self.stop.set(stop);
    }

    /// Posts `event` (the first one wins) and stops the engine.
    pub fn post(&self, event: PowerEvent) {
        let mut e = self.event.lock().unwrap_or_else(|e| e.into_inner());
        if e.is_none() {
            *e = Some(event);
        }
        if let Some(stop) = self.stop.get() {
            stop.stop();
        }
    }

    /// Takes the posted event.
    pub fn take(&self) -> Option<PowerEvent> {
        self.event.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// The test finisher.
#[derive(Debug)]
pub struct TestFinisher {
    latch: Arc<PowerLatch>,
}

impl TestFinisher {
    /// A finisher posting to `latch`.
    pub fn new(latch: Arc<PowerLatch>) -> TestFinisher {
        TestFinisher { latch }
    }
}

impl Device for TestFinisher {
    fn read(&mut self, _offset: u64, _size: AccessSize) -> Result<u64, DeviceError> {
        Ok(0)
    }

    fn write(&mut self, offset: u64, size: AccessSize, value: u64) -> Result<(), DeviceError> {
        if offset != 0 || !matches!(size, AccessSize::B2 | AccessSize::B4) {
            return Ok(());
        }
        let v = value as u32;
        match v & 0xffff {
            0x5555 => self.latch.post(PowerEvent::Off(0)),
            0x3333 => self.latch.post(PowerEvent::Off(v >> 16)),
            0x7777 => self.latch.post(PowerEvent::Reset),
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_write_posts_its_code() {
        let latch = PowerLatch::new();
        let mut t = TestFinisher::new(latch.clone());
        t.write(0, AccessSize::B4, (7 << 16) | 0x3333).unwrap();
        assert_eq!(latch.take(), Some(PowerEvent::Off(7)));
    }

    #[test]
    fn pass_and_reset_values() {
        let latch = PowerLatch::new();
        let mut t = TestFinisher::new(latch.clone());
        t.write(0, AccessSize::B4, 0x7777).unwrap();
        assert_eq!(latch.take(), Some(PowerEvent::Reset));
        t.write(0, AccessSize::B4, 0x5555).unwrap();
        assert_eq!(latch.take(), Some(PowerEvent::Off(0)));
    }

    #[test]
    fn sixteen_bit_pass_write_powers_off_as_opensbi_does_it() {
        let latch = PowerLatch::new();
        let mut t = TestFinisher::new(latch.clone());
        t.write(0, AccessSize::B1, 0x55).unwrap();
        assert_eq!(latch.take(), None);
        t.write(0, AccessSize::B2, 0x5555).unwrap();
        assert_eq!(latch.take(), Some(PowerEvent::Off(0)));
    }
}
