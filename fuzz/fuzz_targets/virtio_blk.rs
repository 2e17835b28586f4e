//! Fuzz target `virtio_blk`: arbitrary accesses to a virtio-blk device on the virtio-mmio
//! transport (registers, queue setup, notifications, configuration space), over guest RAM
//! the input also writes (descriptor tables and rings anywhere, chains of any shape), with a
//! small disk image behind it. No access panics, and each is bounded: one access serves at
//! most one queue's worth of chains and moves at most one piece of bytes
//! ([`PIECE_BYTES`] plus one 64 KiB step), as does each turn between slices.

#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use ospite_mmu::{Device, GuestRam, PhysAddr};
use ospite_vmm::devices::virtio::blk::{Blk, QUEUE_SIZE};
use ospite_vmm::devices::virtio::budget::PIECE_BYTES;
use ospite_vmm::devices::virtio::{GuestMemory, MmioTransport, Work};
use ospite_vmm::devices::IrqLevels;
use ospite_vmm::DriveConfig;

#[path = "support/ops.rs"]
mod support;
use support::{ops, Op};

const RAM_BASE: u64 = 0x8000_0000;
const RAM_SIZE: u64 = 64 << 10;
/// The most bytes one piece of work moves: the piece, and the 64 KiB step that ends it.
const MAX_PIECE: u64 = PIECE_BYTES + (64 << 10);

/// A 256 KiB disk image, made once per process.
fn disk() -> &'static PathBuf {
    static DISK: OnceLock<PathBuf> = OnceLock::new();
    DISK.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("ospite-fuzz-blk-{}.img", std::process::id()));
        let f = std::fs::File::create(&path).expect("a temp file for the disk");
        f.set_len(256 << 10).expect("a 256 KiB disk");
        path
    })
}

fn assert_bounded(before: Work, after: Work) {
    assert!(after.chains - before.chains <= u64::from(QUEUE_SIZE));
    assert!(after.bytes - before.bytes <= MAX_PIECE);
}

fuzz_target!(|data: &[u8]| {
    let ram = Arc::new(GuestRam::new(RAM_SIZE).unwrap());
    let mem = GuestMemory::new(PhysAddr(RAM_BASE), ram.clone());
    let blk = Blk::open(&DriveConfig {
        path: disk().clone(),
        readonly: data.first().is_some_and(|b| b & 0x80 != 0),
    })
    .unwrap();
    let mut dev = MmioTransport::new(blk, mem.clone(), IrqLevels::new(), 8);
    let mut slice_start = dev.work();
    for op in ops(data, 0x200) {
        let before = dev.work();
        match op {
            Op::Read { offset, size } => {
                dev.read(offset, size).unwrap();
            }
            Op::Write {
                offset,
                size,
                value,
            } => dev.write(offset, size, value).unwrap(),
            Op::Poke { offset, value } => {
                let at = RAM_BASE + (offset % (RAM_SIZE - 7));
                mem.write(at, &value.to_le_bytes()).unwrap();
            }
            Op::Tick => {
                slice_start = dev.work();
                dev.resume();
            }
        }
        let after = dev.work();
        assert_bounded(before, after);
        assert!(after.bytes - slice_start.bytes <= MAX_PIECE, "one slice moved too much");
    }
    // Whatever was left is finished a piece at a time, each turn bounded.
    let mut turns = 0;
    loop {
        let before = dev.work();
        let busy = dev.resume();
        assert_bounded(before, dev.work());
        if !busy {
            break;
        }
        turns += 1;
        assert!(turns < 100_000, "work never ends");
    }
});
