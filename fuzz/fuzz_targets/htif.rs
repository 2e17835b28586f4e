//! Fuzz target `htif`: a guest that writes arbitrary commands to `tohost` and arbitrary
//! syscall blocks into RAM, polled by the run loop as it does between slices. No poll
//! panics, and each writes at most 1 MiB of console output (the most one `write` prints).

#![no_main]

use std::io::Write;

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use ospite_mmu::{GuestRam, MemoryMap, PhysAddr};
use ospite_vmm::devices::htif::Htif;

#[path = "support/ops.rs"]
mod support;
use support::{ops, Op};

const RAM_BASE: u64 = 0x8000_0000;
const RAM_SIZE: u64 = 64 << 10;

/// Counts what is written to it.
#[derive(Default)]
struct Count(u64);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let ram = Arc::new(GuestRam::new(RAM_SIZE).unwrap());
    let map = MemoryMap::builder()
        .ram("ram", PhysAddr(RAM_BASE), ram)
        .build()
        .unwrap();
    let htif = Htif {
        tohost: PhysAddr(RAM_BASE + 0x1000),
        fromhost: Some(PhysAddr(RAM_BASE + 0x1008)),
    };
    for op in ops(data, 1) {
        match op {
            Op::Poke { offset, value } | Op::Write { offset, value, .. } => {
                // A guest store: to tohost itself for half the offsets, anywhere else in RAM
                // for the others.
                let at = if offset & 1 == 0 {
                    htif.tohost.0
                } else {
                    RAM_BASE + (offset % (RAM_SIZE - 7))
                };
                map.write_bytes(PhysAddr(at), &value.to_le_bytes()).unwrap();
            }
            Op::Read { .. } | Op::Tick => {
                let mut out = Count::default();
                let _ = htif.poll(&map, &mut out);
                assert!(out.0 <= 1 << 20, "one poll printed {} bytes", out.0);
            }
        }
    }
});
