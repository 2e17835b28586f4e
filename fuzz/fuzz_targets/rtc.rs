//! Fuzz target `rtc`: arbitrary accesses to the Goldfish RTC (time, alarm, interrupt enable
//! and clear, any width and offset in its 4 KiB region), with the run loop's updates in
//! between. No access panics, whatever the alarm is set to.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ospite_mmu::Device;
use ospite_vmm::devices::goldfish_rtc::GoldfishRtc;
use ospite_vmm::devices::IrqLevels;

#[path = "support/ops.rs"]
mod support;
use support::{ops, Op};

fuzz_target!(|data: &[u8]| {
    let mut rtc = GoldfishRtc::new(IrqLevels::new(), 11);
    for op in ops(data, 0x1000) {
        match op {
            Op::Read { offset, size } => {
                let _ = rtc.read(offset, size);
            }
            Op::Write {
                offset,
                size,
                value,
            } => {
                // A DeviceError is an access fault for the guest (a width or offset the
                // device does not take), not a failure.
                let _ = rtc.write(offset, size, value);
            }
            Op::Poke { .. } | Op::Tick => rtc.update(),
        }
    }
});
