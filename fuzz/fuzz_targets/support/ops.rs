//! The device fuzz targets' input: a sequence of guest accesses read from the fuzzer's bytes.
//! Each operation is a kind byte, a 24-bit offset and up to eight value bytes:
//!
//! | kind & 3 | operation |
//! | --- | --- |
//! | 0 | read at `offset` with width `1 << (kind >> 2 & 3)` |
//! | 1 | write `value` at `offset` with that width |
//! | 2 | a guest store into RAM: `value` at RAM offset `offset` (targets with RAM) |
//! | 3 | the run loop's turn between two slices (tick, resume, poll) |
//!
//! Offsets are taken modulo the device's region size, so every access lands on the device.

#![allow(dead_code)]

use ospite_mmu::AccessSize;

/// One guest access, or a slice boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// A load from the device.
    Read { offset: u64, size: AccessSize },
    /// A store to the device.
    Write {
        offset: u64,
        size: AccessSize,
        value: u64,
    },
    /// A store of eight bytes into guest RAM at an offset from its base (or, for a target
    /// without RAM, another outside event such as input or an interrupt source's level).
    Poke { offset: u64, value: u64 },
    /// The run loop's turn between slices.
    Tick,
}

/// The operations in `data`, with offsets below `region`.
pub fn ops(data: &[u8], region: u64) -> impl Iterator<Item = Op> + '_ {
    data.chunks(12).map(move |c| {
        let byte = |i: usize| c.get(i).copied().unwrap_or(0);
        let kind = byte(0);
        let offset = u64::from_le_bytes([byte(1), byte(2), byte(3), 0, 0, 0, 0, 0]);
        let mut v = [0u8; 8];
        for (i, b) in v.iter_mut().enumerate() {
            *b = byte(4 + i);
        }
        let value = u64::from_le_bytes(v);
        let size = match kind >> 2 & 3 {
            0 => AccessSize::B1,
            1 => AccessSize::B2,
            2 => AccessSize::B4,
            _ => AccessSize::B8,
        };
        match kind & 3 {
            0 => Op::Read {
                offset: offset % region,
                size,
            },
            1 => Op::Write {
                offset: offset % region,
                size,
                value,
            },
            2 => Op::Poke { offset, value },
            _ => Op::Tick,
        }
    })
}
