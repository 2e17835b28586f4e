//! Fuzz target `clint`: arbitrary accesses to the CLINT (`msip`, `mtimecmp`, `mtime`, at any
//! width and offset in its 64 KiB region), with the run loop's timer updates and deadline
//! queries in between. No access panics, whatever values `mtime` and `mtimecmp` take.

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use ospite_interp::IrqLines;
use ospite_mmu::Device;
use ospite_vmm::devices::clint::{Clint, VirtualClock};

#[path = "support/ops.rs"]
mod support;
use support::{ops, Op};

fuzz_target!(|data: &[u8]| {
    let clock = Arc::new(VirtualClock::new());
    let mut clint = Clint::new(clock.clone(), vec![IrqLines::new()]);
    for op in ops(data, 0x10000) {
        match op {
            Op::Read { offset, size } => {
                let _ = clint.read(offset, size);
            }
            Op::Write {
                offset,
                size,
                value,
            } => {
                // A DeviceError is an access fault for the guest (a width or offset the
                // device does not take), not a failure.
                let _ = clint.write(offset, size, value);
            }
            Op::Poke { value, .. } => {
                let _ = clock.instant_of(value);
            }
            Op::Tick => {
                clint.update();
                let _ = clint.next_deadline();
            }
        }
    }
});
