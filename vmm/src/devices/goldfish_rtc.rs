//! The Goldfish RTC (`google,goldfish-rtc`): nanoseconds since the Unix epoch from the host's
//! wall clock (plus whatever offset the guest set), and one alarm that raises its PLIC source.

use std::time::{SystemTime, UNIX_EPOCH};

use ospite_mmu::{AccessSize, Device, DeviceError};

use super::IrqLevels;

const TIME_LOW: u64 = 0x00;
const TIME_HIGH: u64 = 0x04;
const ALARM_LOW: u64 = 0x08;
const ALARM_HIGH: u64 = 0x0c;
const IRQ_ENABLED: u64 = 0x10;
const CLEAR_ALARM: u64 = 0x14;
const ALARM_STATUS: u64 = 0x18;
const CLEAR_INTERRUPT: u64 = 0x1c;

/// The RTC's state.
#[derive(Debug)]
pub struct GoldfishRtc {
    irq: IrqLevels,
    source: u32,
    offset_ns: i128,
    time_high_latch: u32,
    alarm: u64,
    alarm_armed: bool,
    irq_enabled: bool,
    irq_pending: bool,
}

impl GoldfishRtc {
    /// An RTC raising PLIC source `source`.
    pub fn new(irq: IrqLevels, source: u32) -> GoldfishRtc {
        GoldfishRtc {
            irq,
            source,
            offset_ns: 0,
            time_high_latch: 0,
            alarm: 0,
            alarm_armed: false,
            irq_enabled: false,
            irq_pending: false,
        }
    }

    fn now(&self) -> u64 {
        let host = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        (host + self.offset_ns).max(0) as u64
    }

    /// Fires the alarm if its time has come, and drives the interrupt line.
    pub fn update(&mut self) {
        if self.alarm_armed && self.now() >= self.alarm {
            self.alarm_armed = false;
            self.irq_pending = true;
        }
        self.irq
            .set(self.source, self.irq_pending && self.irq_enabled);
    }
}

impl Device for GoldfishRtc {
    fn read(&mut self, offset: u64, size: AccessSize) -> Result<u64, DeviceError> {
        if size != AccessSize::B4 {
            return Err(DeviceError);
        }
        let v = match offset {
            TIME_LOW => {
                let t = self.now();
                self.time_high_latch = (t >> 32) as u32;
                t as u32
            }
            TIME_HIGH => self.time_high_latch,
            ALARM_LOW => self.alarm as u32,
            ALARM_HIGH => (self.alarm >> 32) as u32,
            IRQ_ENABLED => u32::from(self.irq_enabled),
            ALARM_STATUS => u32::from(self.alarm_armed),
            _ => 0,
        };
        Ok(u64::from(v))
    }

    fn write(&mut self, offset: u64, size: AccessSize, value: u64) -> Result<(), DeviceError> {
        if size != AccessSize::B4 {
            return Err(DeviceError);
        }
        let v = value & 0xffff_ffff;
        match offset {
            TIME_LOW => {
                let want = (self.now() & !0xffff_ffff) | v;
                self.offset_ns += i128::from(want) - i128::from(self.now());
            }
            TIME_HIGH => {
                let want = (self.now() & 0xffff_ffff) | (v << 32);
                self.offset_ns += i128::from(want) - i128::from(self.now());
            }
            // Writing the low half arms the alarm, as in QEMU's model.
            ALARM_LOW => {
                self.alarm = (self.alarm & !0xffff_ffff) | v;
                self.alarm_armed = true;
            }
            ALARM_HIGH => self.alarm = (self.alarm & 0xffff_ffff) | (v << 32),
            IRQ_ENABLED => self.irq_enabled = v & 1 != 0,
            CLEAR_ALARM => self.alarm_armed = false,
            CLEAR_INTERRUPT => self.irq_pending = false,
            _ => {}
        }
        self.update();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_reads_the_host_wall_clock_in_nanoseconds() {
        let mut rtc = GoldfishRtc::new(IrqLevels::new(), 11);
        let low = rtc.read(TIME_LOW, AccessSize::B4).unwrap();
        let high = rtc.read(TIME_HIGH, AccessSize::B4).unwrap();
        let t = (high << 32) | low;
        // After 2020-01-01.
        assert!(t > 1_577_836_800 * 1_000_000_000);
    }

    #[test]
    fn past_alarm_raises_the_source_when_enabled() {
        let irq = IrqLevels::new();
        let mut rtc = GoldfishRtc::new(irq.clone(), 11);
        rtc.write(IRQ_ENABLED, AccessSize::B4, 1).unwrap();
        rtc.write(ALARM_HIGH, AccessSize::B4, 0).unwrap();
        rtc.write(ALARM_LOW, AccessSize::B4, 1).unwrap();
        assert_ne!(irq.get() & (1 << 11), 0);
        rtc.write(CLEAR_INTERRUPT, AccessSize::B4, 1).unwrap();
        assert_eq!(irq.get() & (1 << 11), 0);
    }
}
