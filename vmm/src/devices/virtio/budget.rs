//! How much work a device may do for one guest access, or for one resumption between slices
//! of instructions: a [`Budget`] of bytes and of host time. A request that needs more is
//! served in pieces, the rest of it between the VM's slices, so that no guest access keeps the
//! VM from seeing a quit request, its deadline or its instruction budget.

use std::time::{Duration, Instant};

/// The most host time one piece of device work takes (checked between 64 KiB steps).
pub const PIECE_TIME: Duration = Duration::from_millis(5);
/// The most bytes one piece of device work moves (plus at most one 64 KiB step).
pub const PIECE_BYTES: u64 = 16 << 20;

/// What a device did, counted: chains served and bytes moved between guest and host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Descriptor chains put on a used ring.
    pub chains: u64,
    /// Bytes moved between guest memory and the device's backend.
    pub bytes: u64,
}

/// The work left to one piece: a byte allowance and a deadline.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    until: Instant,
    max_bytes: u64,
    done: Work,
}

impl Budget {
    /// A piece of at most `time` and `max_bytes`.
    pub fn new(time: Duration, max_bytes: u64) -> Budget {
        Budget {
            until: Instant::now() + time,
            max_bytes,
            done: Work::default(),
        }
    }

    /// A piece of [`PIECE_TIME`] and [`PIECE_BYTES`].
    pub fn piece() -> Budget {
        Budget::new(PIECE_TIME, PIECE_BYTES)
    }

    /// Counts `bytes` moved.
    pub fn spend_bytes(&mut self, bytes: u64) {
        self.done.bytes = self.done.bytes.saturating_add(bytes);
    }

    /// Counts one chain served.
    pub fn spend_chain(&mut self) {
        self.done.chains += 1;
    }

    /// Whether the piece is over (its bytes moved or its time passed).
    pub fn spent(&self) -> bool {
        self.done.bytes >= self.max_bytes || Instant::now() >= self.until
    }

    /// What the piece did so far.
    pub fn done(&self) -> Work {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_spent_by_bytes_or_by_time() {
        let mut b = Budget::new(Duration::from_secs(60), 100);
        b.spend_bytes(99);
        assert!(!b.spent());
        b.spend_bytes(1);
        assert!(b.spent());
        let t = Budget::new(Duration::ZERO, 100);
        assert!(t.spent());
    }
}
