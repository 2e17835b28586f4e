//! The device models of the board. Each sees offsets from its region's base, never absolute
//! addresses, and the real access width ([`ospite_mmu::Device`]).
//!
//! Interrupt sources do not call into the PLIC: each drives a level in a shared
//! [`IrqLevels`] word, and the PLIC samples the levels when the guest touches it and when the
//! VM's run loop ticks the board between slices of instructions.

pub mod clint;
pub mod goldfish_rtc;
pub mod htif;
pub mod plic;
pub mod test_finisher;
pub mod uart16550;
pub mod virtio;
pub mod virtio_mmio;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// The levels of the PLIC's interrupt sources 1..64, one bit per source, shared between the
/// devices that drive them and the PLIC. A cheap clone of one shared word.
#[derive(Clone, Debug, Default)]
pub struct IrqLevels(Arc<AtomicU64>);

impl IrqLevels {
    /// All sources low.
    pub fn new() -> IrqLevels {
        IrqLevels::default()
    }

    /// Drives source `source` (1..64) high or low; other numbers are ignored.
    pub fn set(&self, source: u32, level: bool) {
        if !(1..64).contains(&source) {
            return;
        }
        let bit = 1u64 << source;
        if level {
            self.0.fetch_or(bit, Ordering::AcqRel);
        } else {
            self.0.fetch_and(!bit, Ordering::AcqRel);
        }
    }

    /// The levels, one bit per source.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// What a hart sleeping in `wfi` waits on: console input or any other event posts it, and
/// the run loop waits with a deadline (the next timer interrupt).
#[derive(Debug, Default)]
pub struct Wakeup {
    posted: Mutex<bool>,
    cond: Condvar,
}

impl Wakeup {
    /// A fresh wake-up with nothing posted.
    pub fn new() -> Wakeup {
        Wakeup::default()
    }

    /// Wakes a waiter (or the next one, if none waits now).
    pub fn post(&self) {
        let mut p = self.posted.lock().unwrap_or_else(|e| e.into_inner());
        *p = true;
        self.cond.notify_all();
    }

    /// Sleeps until something is posted or `deadline` passes, then clears the post.
    pub fn wait_until(&self, deadline: Instant) {
        let mut p = self.posted.lock().unwrap_or_else(|e| e.into_inner());
        while !*p {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            p = match self.cond.wait_timeout(p, deadline - now) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
        *p = false;
    }
}
