//! The split virtqueue (virtio 1.2, section 2.7): the driver's descriptor table and available
//! ring, the device's used ring, all in guest RAM.
//!
//! The device pops descriptor chains the driver made available, serves each, and pushes its
//! head back on the used ring with the number of bytes it wrote. A chain is read once into a
//! list of [`Segment`]s (its readable buffers first, then its writable ones), and the request
//! is served through [`Chain::read`] and [`Chain::write`], which see each side as one run of
//! bytes whatever the buffers' sizes.

use super::memory::GuestMemory;

/// Descriptor flag: the chain continues at `next`.
const DESC_F_NEXT: u16 = 1;
/// Descriptor flag: the buffer is device-writable.
const DESC_F_WRITE: u16 = 2;
/// Descriptor flag: the buffer is a table of indirect descriptors (not offered).
const DESC_F_INDIRECT: u16 = 4;
/// Available-ring flag: the driver asks for no interrupt when buffers are used.
pub const AVAIL_F_NO_INTERRUPT: u16 = 1;

/// Why a queue cannot be served: the driver broke the protocol. The device then asks to be
/// reset (`DEVICE_NEEDS_RESET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueError {
    /// A ring or descriptor lies outside guest RAM.
    Memory,
    /// A descriptor index is past the queue's size.
    BadIndex(u16),
    /// A chain is longer than the queue (it loops).
    Loop,
    /// An indirect descriptor, which the device did not offer.
    Indirect,
    /// The queue's size is zero, not a power of two or larger than the device allows.
    BadSize(u16),
    /// An address plus a length passes 2^64 (a ring, or a descriptor's buffer).
    Wrap,
    /// The available ring's index is more than the queue's size ahead of the device (virtio
    /// 1.2, 2.7.13.1: the driver may not make more buffers available than the queue holds).
    TooFarAhead {
        /// `avail->idx` as read.
        avail: u16,
        /// The device's next available index.
        next: u16,
    },
}

impl From<ospite_mmu::BusFault> for QueueError {
    fn from(_: ospite_mmu::BusFault) -> QueueError {
        QueueError::Memory
    }
}

/// `addr + len`, or [`QueueError::Wrap`] when the sum passes 2^64.
fn add(addr: u64, len: u64) -> Result<u64, QueueError> {
    addr.checked_add(len).ok_or(QueueError::Wrap)
}

/// One buffer of a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Its guest-physical address.
    pub addr: u64,
    /// Its length in bytes.
    pub len: u32,
}

/// A descriptor chain taken from the available ring.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chain {
    /// The index of its first descriptor, which goes back on the used ring.
    pub head: u16,
    /// The device-readable buffers, in order.
    pub readable: Vec<Segment>,
    /// The device-writable buffers, in order.
    pub writable: Vec<Segment>,
}

/// Copies between `buf` and the bytes at `offset` of the run that `segs` form; `copy` does one
/// piece (guest address, part of `buf`). Returns how many bytes were copied (fewer when the
/// run ends first).
fn walk<F>(segs: &[Segment], mut offset: u64, len: usize, mut copy: F) -> Result<usize, QueueError>
where
    F: FnMut(u64, std::ops::Range<usize>) -> Result<(), ospite_mmu::BusFault>,
{
    let mut done = 0usize;
    for s in segs {
        if done == len {
            break;
        }
        let seg_len = u64::from(s.len);
        if offset >= seg_len {
            offset -= seg_len;
            continue;
        }
        let n = ((seg_len - offset) as usize).min(len - done);
        copy(add(s.addr, offset)?, done..done + n)?;
        done += n;
        offset = 0;
    }
    Ok(done)
}

impl Chain {
    /// The total length of the readable buffers.
    pub fn readable_len(&self) -> u64 {
        self.readable.iter().map(|s| u64::from(s.len)).sum()
    }

    /// The total length of the writable buffers.
    pub fn writable_len(&self) -> u64 {
        self.writable.iter().map(|s| u64::from(s.len)).sum()
    }

    /// Reads the readable bytes at `offset` into `buf`; returns how many there were.
    pub fn read(
        &self,
        mem: &GuestMemory,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, QueueError> {
        let len = buf.len();
        walk(&self.readable, offset, len, |addr, r| {
            mem.read(addr, &mut buf[r])
        })
    }

    /// Writes `buf` to the writable bytes at `offset`; returns how many fitted.
    pub fn write(&self, mem: &GuestMemory, offset: u64, buf: &[u8]) -> Result<usize, QueueError> {
        walk(&self.writable, offset, buf.len(), |addr, r| {
            mem.write(addr, &buf[r])
        })
    }
}

/// One virtqueue's registers and the device's place in its rings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queue {
    /// The largest size the device accepts (`QueueNumMax`).
    pub max_size: u16,
    /// The size the driver chose (`QueueNum`).
    pub size: u16,
    /// `QueueReady`.
    pub ready: bool,
    /// The descriptor table's guest-physical address.
    pub desc: u64,
    /// The available ring's ("driver area") address.
    pub driver: u64,
    /// The used ring's ("device area") address.
    pub device: u64,
    next_avail: u16,
    next_used: u16,
    /// The available index a notification read: [`Queue::pop`] serves up to here and no
    /// further, so that one notification serves at most one queue's worth of chains.
    serve_until: u16,
}

impl Queue {
    /// A queue of at most `max_size` entries, not ready.
    pub fn new(max_size: u16) -> Queue {
        Queue {
            max_size,
            size: max_size,
            ready: false,
            desc: 0,
            driver: 0,
            device: 0,
            next_avail: 0,
            next_used: 0,
            serve_until: 0,
        }
    }

    /// Back to the state after a device reset.
    pub fn reset(&mut self) {
        *self = Queue::new(self.max_size);
    }

    fn check_size(&self) -> Result<(), QueueError> {
        let n = self.size;
        if n == 0 || !n.is_power_of_two() || n > self.max_size {
            return Err(QueueError::BadSize(n));
        }
        Ok(())
    }

    /// Checks that the rings lie in the address space (each one's whole length, for this
    /// size, below 2^64).
    fn check_rings(&self) -> Result<(), QueueError> {
        let n = u64::from(self.size);
        add(self.desc, 16 * n)?;
        add(self.driver, 6 + 2 * n)?;
        add(self.device, 6 + 8 * n)?;
        Ok(())
    }

    /// A notification: reads the available index, up to which [`Queue::pop`] will serve, and
    /// returns how many chains that makes. An index more than the queue's size ahead is
    /// [`QueueError::TooFarAhead`].
    pub fn begin(&mut self, mem: &GuestMemory) -> Result<u16, QueueError> {
        self.check_size()?;
        self.check_rings()?;
        let avail = mem.read_u16(self.driver + 2)?;
        let ahead = avail.wrapping_sub(self.next_avail);
        if ahead > self.size {
            return Err(QueueError::TooFarAhead {
                avail,
                next: self.next_avail,
            });
        }
        self.serve_until = avail;
        Ok(ahead)
    }

    /// Whether chains made available before the last [`Queue::begin`] are still to be taken.
    pub fn has_more(&self) -> bool {
        self.serve_until != self.next_avail
    }

    /// Takes the next chain the driver made available before the last [`Queue::begin`], if
    /// any.
    pub fn pop(&mut self, mem: &GuestMemory) -> Result<Option<Chain>, QueueError> {
        self.check_size()?;
        self.check_rings()?;
        if self.serve_until == self.next_avail {
            return Ok(None);
        }
        let slot = u64::from(self.next_avail % self.size);
        let head = mem.read_u16(self.driver + 4 + 2 * slot)?;
        self.next_avail = self.next_avail.wrapping_add(1);
        let mut chain = Chain {
            head,
            ..Chain::default()
        };
        let mut index = head;
        for _ in 0..self.size {
            if index >= self.size {
                return Err(QueueError::BadIndex(index));
            }
            let at = self.desc + 16 * u64::from(index);
            let addr = mem.read_u64(at)?;
            let len = mem.read_u32(at + 8)?;
            let flags = mem.read_u16(at + 12)?;
            let next = mem.read_u16(at + 14)?;
            if flags & DESC_F_INDIRECT != 0 {
                return Err(QueueError::Indirect);
            }
            // The buffer's last byte must not lie past 2^64 (its end may be 2^64 itself).
            if len > 0 {
                add(addr, u64::from(len) - 1)?;
            }
            let seg = Segment { addr, len };
            if flags & DESC_F_WRITE != 0 {
                chain.writable.push(seg);
            } else {
                chain.readable.push(seg);
            }
            if flags & DESC_F_NEXT == 0 {
                return Ok(Some(chain));
            }
            index = next;
        }
        Err(QueueError::Loop)
    }

    /// Puts chain `head` on the used ring, with `written` bytes written into its buffers.
    pub fn push_used(
        &mut self,
        mem: &GuestMemory,
        head: u16,
        written: u32,
    ) -> Result<(), QueueError> {
        self.check_size()?;
        self.check_rings()?;
        let slot = u64::from(self.next_used % self.size);
        let elem = self.device + 4 + 8 * slot;
        mem.write_u32(elem, u32::from(head))?;
        mem.write_u32(elem + 4, written)?;
        self.next_used = self.next_used.wrapping_add(1);
        // The element is in place before the index that publishes it.
        std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
        mem.write_u16(self.device + 2, self.next_used)?;
        Ok(())
    }

    /// Whether the driver wants an interrupt for used buffers (it has not set
    /// [`AVAIL_F_NO_INTERRUPT`]).
    pub fn wants_interrupt(&self, mem: &GuestMemory) -> bool {
        mem.read_u16(self.driver)
            .map_or(true, |f| f & AVAIL_F_NO_INTERRUPT == 0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ospite_mmu::{GuestRam, PhysAddr};
    use std::sync::Arc;

    pub const RAM: u64 = 0x8000_0000;
    pub const DESC: u64 = RAM;
    pub const AVAIL: u64 = RAM + 0x1000;
    pub const USED: u64 = RAM + 0x2000;

    pub fn memory() -> GuestMemory {
        GuestMemory::new(PhysAddr(RAM), Arc::new(GuestRam::new(1 << 20).unwrap()))
    }

    /// Writes descriptor `i`.
    pub fn put_desc(mem: &GuestMemory, i: u16, addr: u64, len: u32, flags: u16, next: u16) {
        let at = DESC + 16 * u64::from(i);
        mem.write(at, &addr.to_le_bytes()).unwrap();
        mem.write_u32(at + 8, len).unwrap();
        mem.write_u16(at + 12, flags).unwrap();
        mem.write_u16(at + 14, next).unwrap();
    }

    /// Makes chain `head` available as the ring's entry `n` (0-based) and publishes it.
    pub fn make_available(mem: &GuestMemory, n: u16, head: u16, size: u16) {
        mem.write_u16(AVAIL + 4 + 2 * u64::from(n % size), head)
            .unwrap();
        mem.write_u16(AVAIL + 2, n.wrapping_add(1)).unwrap();
    }

    fn queue() -> Queue {
        Queue {
            size: 8,
            ready: true,
            desc: DESC,
            driver: AVAIL,
            device: USED,
            ..Queue::new(8)
        }
    }

    #[test]
    fn chain_splits_into_readable_then_writable_segments() {
        let mem = memory();
        put_desc(&mem, 3, RAM + 0x4000, 16, DESC_F_NEXT, 5);
        put_desc(&mem, 5, RAM + 0x5000, 512, DESC_F_NEXT | DESC_F_WRITE, 1);
        put_desc(&mem, 1, RAM + 0x6000, 1, DESC_F_WRITE, 0);
        make_available(&mem, 0, 3, 8);
        let mut q = queue();
        assert_eq!(q.begin(&mem), Ok(1));
        let chain = q.pop(&mem).unwrap().unwrap();
        assert_eq!(chain.head, 3);
        assert_eq!(
            chain.readable,
            [Segment {
                addr: RAM + 0x4000,
                len: 16
            }]
        );
        assert_eq!(chain.writable_len(), 513);
        assert_eq!(q.pop(&mem), Ok(None));
    }

    #[test]
    fn writes_span_segments_as_one_run() {
        let mem = memory();
        put_desc(&mem, 0, RAM + 0x4000, 3, DESC_F_NEXT | DESC_F_WRITE, 1);
        put_desc(&mem, 1, RAM + 0x5000, 3, DESC_F_WRITE, 0);
        make_available(&mem, 0, 0, 8);
        let mut q = queue();
        q.begin(&mem).unwrap();
        let chain = q.pop(&mem).unwrap().unwrap();
        assert_eq!(chain.write(&mem, 1, b"abcdefgh").unwrap(), 5);
        let mut got = [0u8; 3];
        mem.read(RAM + 0x5000, &mut got).unwrap();
        assert_eq!(&got, b"cde");
    }

    #[test]
    fn looping_chain_is_refused() {
        let mem = memory();
        put_desc(&mem, 0, RAM + 0x4000, 4, DESC_F_NEXT, 1);
        put_desc(&mem, 1, RAM + 0x4000, 4, DESC_F_NEXT, 0);
        make_available(&mem, 0, 0, 8);
        let mut q = queue();
        q.begin(&mem).unwrap();
        assert_eq!(q.pop(&mem), Err(QueueError::Loop));
    }

    #[test]
    fn used_ring_gets_head_length_and_index() {
        let mem = memory();
        let mut q = queue();
        q.push_used(&mem, 6, 513).unwrap();
        assert_eq!(mem.read_u16(USED + 2), Ok(1));
        assert_eq!(mem.read_u32(USED + 4), Ok(6));
        assert_eq!(mem.read_u32(USED + 8), Ok(513));
    }

    #[test]
    fn size_that_is_not_a_power_of_two_is_refused() {
        let mem = memory();
        let mut q = Queue { size: 6, ..queue() };
        assert_eq!(q.begin(&mem), Err(QueueError::BadSize(6)));
    }

    #[test]
    fn pop_serves_only_up_to_the_index_read_at_begin() {
        let mem = memory();
        put_desc(&mem, 0, RAM + 0x4000, 4, 0, 0);
        make_available(&mem, 0, 0, 8);
        let mut q = queue();
        assert_eq!(q.begin(&mem), Ok(1));
        make_available(&mem, 1, 0, 8);
        assert!(q.pop(&mem).unwrap().is_some());
        assert_eq!(
            q.pop(&mem),
            Ok(None),
            "the second chain waits for a notification"
        );
        assert_eq!(q.begin(&mem), Ok(1));
        assert!(q.pop(&mem).unwrap().is_some());
    }

    #[test]
    fn available_index_more_than_a_queue_ahead_is_refused() {
        let mem = memory();
        mem.write_u16(AVAIL + 2, 9).unwrap();
        assert_eq!(
            queue().begin(&mem),
            Err(QueueError::TooFarAhead { avail: 9, next: 0 })
        );
        mem.write_u16(AVAIL + 2, 8).unwrap();
        assert_eq!(queue().begin(&mem), Ok(8), "a full queue is allowed");
    }

    #[test]
    fn buffer_that_wraps_past_2_pow_64_is_refused() {
        let mem = memory();
        put_desc(&mem, 0, 0xffff_ffff_9040_0000, 0xf000_0001, DESC_F_WRITE, 0);
        make_available(&mem, 0, 0, 8);
        let mut q = queue();
        q.begin(&mem).unwrap();
        assert_eq!(q.pop(&mem), Err(QueueError::Wrap));
    }

    #[test]
    fn buffer_ending_exactly_at_2_pow_64_is_a_chain() {
        let mem = memory();
        put_desc(&mem, 0, 0xffff_ffff_ffff_fff0, 0x10, DESC_F_WRITE, 0);
        make_available(&mem, 0, 0, 8);
        let mut q = queue();
        q.begin(&mem).unwrap();
        assert_eq!(q.pop(&mem).unwrap().unwrap().writable_len(), 0x10);
    }

    #[test]
    fn rings_near_2_pow_64_are_refused_without_overflow() {
        let mem = memory();
        let mut q = Queue {
            driver: u64::MAX - 3,
            ..queue()
        };
        assert_eq!(q.begin(&mem), Err(QueueError::Wrap));
        let mut q = Queue {
            device: u64::MAX - 8,
            ..queue()
        };
        assert_eq!(q.push_used(&mem, 0, 0), Err(QueueError::Wrap));
        let mut q = Queue {
            desc: u64::MAX - 16,
            ..queue()
        };
        assert_eq!(q.begin(&mem), Err(QueueError::Wrap));
    }
}
