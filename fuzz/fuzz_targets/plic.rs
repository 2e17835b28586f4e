//! Fuzz target `plic`: arbitrary accesses to the PLIC (priorities, pending bits, enables,
//! thresholds, claim and complete, any width and offset in its 6 MiB region) while the
//! interrupt sources change level. No access panics, and a claim returns a source the PLIC
//! has (below 96) or 0.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ospite_interp::IrqLines;
use ospite_mmu::{AccessSize, Device};
use ospite_vmm::devices::plic::{Plic, NUM_SOURCES, SIZE};
use ospite_vmm::devices::IrqLevels;

#[path = "support/ops.rs"]
mod support;
use support::{ops, Op};

/// Where context `c`'s claim register is.
const CLAIM: u64 = 0x20_0004;

fuzz_target!(|data: &[u8]| {
    let levels = IrqLevels::new();
    let harts = vec![IrqLines::new(), IrqLines::new()];
    let mut plic = Plic::new(levels.clone(), harts);
    for op in ops(data, SIZE) {
        match op {
            Op::Read { offset, size } => {
                let claim = offset >= CLAIM && (offset - CLAIM) % 0x1000 == 0;
                if let (Ok(v), true, AccessSize::B4) = (plic.read(offset, size), claim, size) {
                    assert!(v < u64::from(NUM_SOURCES), "claimed source {v}");
                }
            }
            Op::Write {
                offset,
                size,
                value,
            } => {
                // A DeviceError is an access fault for the guest (a width or offset the
                // device does not take), not a failure.
                let _ = plic.write(offset, size, value);
            }
            Op::Poke { offset, value } => levels.set(offset as u32 % 70, value & 1 != 0),
            Op::Tick => plic.update(),
        }
    }
});
