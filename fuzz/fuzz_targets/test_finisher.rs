//! Fuzz target `test_finisher`: arbitrary accesses to the SiFive test finisher. No access
//! panics, and what it posts is one of its three events: success (`0x5555`), a failure code
//! (`code << 16 | 0x3333`) or a reset (`0x7777`), only from a store of one of those values.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ospite_mmu::Device;
use ospite_vmm::devices::test_finisher::{PowerEvent, PowerLatch, TestFinisher};

#[path = "support/ops.rs"]
mod support;
use support::{ops, Op};

fuzz_target!(|data: &[u8]| {
    let latch = PowerLatch::new();
    let mut dev = TestFinisher::new(latch.clone());
    for op in ops(data, 0x1000) {
        match op {
            Op::Read { offset, size } => {
                dev.read(offset, size).unwrap();
            }
            Op::Write {
                offset,
                size,
                value,
            } => {
                let _ = dev.write(offset, size, value);
                if let Some(ev) = latch.take() {
                    let low = value as u16;
                    match ev {
                        PowerEvent::Off(0) => assert!(low == 0x5555 || low == 0x3333),
                        PowerEvent::Off(_) => assert_eq!(low, 0x3333),
                        PowerEvent::Reset => assert_eq!(low, 0x7777),
                    }
                }
            }
            Op::Poke { .. } | Op::Tick => {}
        }
    }
});
