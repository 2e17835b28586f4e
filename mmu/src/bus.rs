//! The consumer-side bus trait: what a hart needs from guest-physical memory.

use crate::access::AccessSize;
use crate::addr::PhysAddr;
use crate::amo::AmoOp;
use crate::fault::BusFault;
use crate::ram::GuestRam;

/// A page of guest RAM as the host sees it, for the TLB's host addend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HostPage {
    /// The host address of the first byte of the guest page.
    pub host: usize,
    /// Whether the page is marked in its region's dirty bitmap.
    pub dirty: bool,
    /// Whether the page is marked as holding translated code.
    pub code: bool,
}

/// Guest-physical memory as seen by a hart: loads, stores and atomics at a [`PhysAddr`] with the
/// real access width. Values are zero-extended raw bits. Failures are [`BusFault`] values that
/// the hart turns into access faults; they are never host errors.
///
/// [`crate::MemoryMap`] implements it over RAM and devices; a CPU model may bring its own.
/// Methods take `&self` so that several host threads can run harts on one bus.
pub trait Bus {
    /// Loads `size` bytes at `addr`.
    fn load(&self, addr: PhysAddr, size: AccessSize) -> Result<u64, BusFault>;

    /// Stores the low `size` bytes of `value` at `addr`.
    fn store(&self, addr: PhysAddr, size: AccessSize, value: u64) -> Result<(), BusFault>;

    /// Performs an AMO atomically and returns the old value. Must be naturally aligned.
    fn amo(
        &self,
        addr: PhysAddr,
        size: AccessSize,
        op: AmoOp,
        operand: u64,
    ) -> Result<u64, BusFault>;

    /// Atomically stores `new` if memory holds `current`: `Ok(Ok(old))` when it stored,
    /// `Ok(Err(actual))` when it did not. Must be naturally aligned.
    fn compare_exchange(
        &self,
        addr: PhysAddr,
        size: AccessSize,
        current: u64,
        new: u64,
    ) -> Result<Result<u64, u64>, BusFault>;

    /// The host page behind `addr` when it is RAM that may be accessed through a host pointer,
    /// `None` for devices, holes, or a bus that offers no host pointers (the default). The TLB
    /// caches it as the entry's host addend; pages without one always take the slow path.
    fn host_page(&self, addr: PhysAddr) -> Option<HostPage> {
        let _ = addr;
        None
    }

    /// The RAM holding `addr` and the offset of `addr` in it, when `addr` is RAM that
    /// [`Bus::load`] and [`Bus::store`] would reach there too; `None` by default. For an
    /// engine's fast path: a RAM access through [`GuestRam`] without a call through the bus.
    fn ram_offset(&self, addr: PhysAddr) -> Option<(&GuestRam, u64)> {
        let _ = addr;
        None
    }

    /// Marks (`true`) or unmarks the RAM page holding `addr` as holding translated code, so that
    /// TLB store entries for it take the slow path ([`crate::tlb::TLB_CODE`]). Returns whether the
    /// page is RAM that can be marked; the default marks nothing.
    fn set_code_page(&self, addr: PhysAddr, code: bool) -> bool {
        let _ = (addr, code);
        false
    }

    /// Clears the dirty mark of the RAM page holding `addr` (a translator does this when it
    /// translates the page, to learn later whether anything, a device included, wrote it).
    /// Returns whether the page is RAM; the default does nothing.
    fn clear_dirty_page(&self, addr: PhysAddr) -> bool {
        let _ = addr;
        false
    }

    /// A count that moves whenever something other than a hart's stores writes RAM (device
    /// DMA, loaders: [`crate::GuestRam::bulk_writes`] summed over the regions), or `None` when
    /// the bus cannot tell (the default), in which case any write may have happened.
    fn bulk_writes(&self) -> Option<u64> {
        None
    }
}

/// Forwards every [`Bus`] method through a pointer type, so a shared or borrowed bus is a bus.
macro_rules! forward_bus {
    ($($ptr:ty),*) => {$(
        impl<B: Bus + ?Sized> Bus for $ptr {
            #[inline]
            fn load(&self, addr: PhysAddr, size: AccessSize) -> Result<u64, BusFault> {
                (**self).load(addr, size)
            }

            #[inline]
            fn store(&self, addr: PhysAddr, size: AccessSize, value: u64) -> Result<(), BusFault> {
                (**self).store(addr, size, value)
            }

            #[inline]
            fn amo(
                &self,
                addr: PhysAddr,
                size: AccessSize,
                op: AmoOp,
                operand: u64,
            ) -> Result<u64, BusFault> {
                (**self).amo(addr, size, op, operand)
            }

            #[inline]
            fn compare_exchange(
                &self,
                addr: PhysAddr,
                size: AccessSize,
                current: u64,
                new: u64,
            ) -> Result<Result<u64, u64>, BusFault> {
                (**self).compare_exchange(addr, size, current, new)
            }

            #[inline]
            fn host_page(&self, addr: PhysAddr) -> Option<HostPage> {
                (**self).host_page(addr)
            }

            #[inline]
            fn ram_offset(&self, addr: PhysAddr) -> Option<(&GuestRam, u64)> {
                (**self).ram_offset(addr)
            }

            #[inline]
            fn set_code_page(&self, addr: PhysAddr, code: bool) -> bool {
                (**self).set_code_page(addr, code)
            }

            #[inline]
            fn clear_dirty_page(&self, addr: PhysAddr) -> bool {
                (**self).clear_dirty_page(addr)
            }

            #[inline]
            fn bulk_writes(&self) -> Option<u64> {
                (**self).bulk_writes()
            }
        }
    )*};
}

forward_bus!(&B, std::sync::Arc<B>);
