//! HTIF, the host-target interface Spike and riscv-tests use: two 64-bit words in guest RAM,
//! `tohost` and `fromhost`, found through the ELF's symbols.
//!
//! The guest writes a command to `tohost`: `device << 56 | command << 48 | payload`. Served:
//! * device 0, command 0, payload odd: exit with status `payload >> 1` (riscv-tests' pass is 1,
//!   a failure `test_number << 1 | 1`);
//! * device 0, command 0, payload even: a "syscall" block at `payload` (eight u64: number and
//!   arguments); `write` (64) to fd 1 or 2 prints, and `exit` (93) exits; the result goes to
//!   the block's first word and `fromhost` is set to 1;
//! * device 1, command 1: print the character in the payload's low byte, acknowledged through
//!   `fromhost` (`1 << 56 | 1 << 48`).
//!
//! Like Spike, the host polls `tohost` (between slices of instructions), serves it, and writes 0
//! back to it. `tohost` sits in RAM, so no device region is needed.

use std::io::Write;

use ospite_mmu::{AccessSize, Bus, MemoryMap, PhysAddr};

use super::test_finisher::PowerEvent;

/// The addresses of the two words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Htif {
    /// `tohost`.
    pub tohost: PhysAddr,
    /// `fromhost`, if the ELF defines it.
    pub fromhost: Option<PhysAddr>,
}

const SYS_WRITE: u64 = 64;
const SYS_EXIT: u64 = 93;

impl Htif {
    /// Serves one pending command, if any; returns the power event it asked for.
    pub fn poll(&self, map: &MemoryMap, out: &mut dyn Write) -> Option<PowerEvent> {
        let cmd = map.load(self.tohost, AccessSize::B8).ok()?;
        if cmd == 0 {
            return None;
        }
        let _ = map.store(self.tohost, AccessSize::B8, 0);
        let (device, command, payload) = (cmd >> 56, (cmd >> 48) & 0xff, cmd & 0xffff_ffff_ffff);
        match (device, command) {
            (0, 0) if payload & 1 == 1 => Some(PowerEvent::Off((payload >> 1) as u32)),
            (0, 0) => self.syscall(map, PhysAddr(payload), out),
            (1, 1) => {
                let _ = out.write_all(&[payload as u8]);
                if payload as u8 == b'\n' {
                    let _ = out.flush();
                }
                self.ack(map, 1 << 56 | 1 << 48);
                None
            }
            _ => None,
        }
    }

    fn ack(&self, map: &MemoryMap, value: u64) {
        if let Some(from) = self.fromhost {
            let _ = map.store(from, AccessSize::B8, value);
        }
    }

    fn syscall(&self, map: &MemoryMap, block: PhysAddr, out: &mut dyn Write) -> Option<PowerEvent> {
        let word = |i: u64| {
            map.load(PhysAddr(block.0 + 8 * i), AccessSize::B8)
                .unwrap_or(0)
        };
        let (num, a0, a1, a2) = (word(0), word(1), word(2), word(3));
        let result = match num {
            SYS_EXIT => return Some(PowerEvent::Off(a0 as u32)),
            SYS_WRITE if a0 == 1 || a0 == 2 => {
                let len = a2.min(1 << 20) as usize;
                let mut buf = vec![0; len];
                match map.read_bytes(PhysAddr(a1), &mut buf) {
                    Ok(()) => {
                        let _ = out.write_all(&buf);
                        let _ = out.flush();
                        len as u64
                    }
                    Err(_) => (-14i64) as u64, // EFAULT
                }
            }
            _ => (-38i64) as u64, // ENOSYS
        };
        let _ = map.store(block, AccessSize::B8, result);
        self.ack(map, 1);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ospite_mmu::GuestRam;
    use std::sync::Arc;

    fn map() -> MemoryMap {
        let ram = Arc::new(GuestRam::new(1 << 16).unwrap());
        MemoryMap::builder()
            .ram("ram", PhysAddr(0x8000_0000), ram)
            .build()
            .unwrap()
    }

    #[test]
    fn odd_payload_exits_with_half_of_it() {
        let m = map();
        let h = Htif {
            tohost: PhysAddr(0x8000_1000),
            fromhost: Some(PhysAddr(0x8000_1008)),
        };
        m.store(h.tohost, AccessSize::B8, (3 << 1) | 1).unwrap();
        assert_eq!(h.poll(&m, &mut Vec::new()), Some(PowerEvent::Off(3)));
        assert_eq!(m.load(h.tohost, AccessSize::B8), Ok(0));
    }

    #[test]
    fn putchar_prints_and_acknowledges() {
        let m = map();
        let h = Htif {
            tohost: PhysAddr(0x8000_1000),
            fromhost: Some(PhysAddr(0x8000_1008)),
        };
        let mut out = Vec::new();
        m.store(
            h.tohost,
            AccessSize::B8,
            1 << 56 | 1 << 48 | u64::from(b'k'),
        )
        .unwrap();
        assert_eq!(h.poll(&m, &mut out), None);
        assert_eq!(out, b"k");
        assert_eq!(
            m.load(PhysAddr(0x8000_1008), AccessSize::B8),
            Ok(1 << 56 | 1 << 48)
        );
    }
}
