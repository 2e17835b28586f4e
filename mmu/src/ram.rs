//! Guest RAM: one anonymous, lazily backed host mapping per region.
//!
//! This is the only module of the crate with `unsafe` code. Every access to guest RAM made
//! through [`GuestRam`] is an atomic access of the host (relaxed for plain loads and stores,
//! sequentially consistent for AMOs and compare-and-swap), so several host threads running harts
//! on the same RAM never make a data race in Rust's sense, and an aligned access is never torn.
//! A misaligned access is performed byte by byte: RISC-V does not require it to be atomic.
//! Guest `FENCE` instructions map to a host fence in the hart, not here.
//!
//! Values are little-endian, as RISC-V is; the host is x86-64, also little-endian, but the code
//! converts explicitly so that it states what it means.

use core::ptr::NonNull;
use core::sync::atomic::{
    AtomicI32, AtomicI64, AtomicU16, AtomicU32, AtomicU64, AtomicU8, Ordering,
};

use crate::access::AccessSize;
use crate::addr::{PAGE_SHIFT, PAGE_SIZE};
use crate::amo::AmoOp;
use crate::bitmap::PageBitmap;
use crate::error::{Error, Result};
use crate::fault::BusFault;
use crate::ram_slices::RamSlices;

/// Guest RAM of one region: a private anonymous mapping of the host, reserved but not backed,
/// so that the host gives it memory only for the pages the guest touches.
///
/// Offsets are relative to the start of the region; the [`crate::MemoryMap`] places the region at
/// a physical address. Every write made through this API marks its pages in
/// [`GuestRam::dirty_pages`]. Writes made by translated code through a host pointer do not: the
/// translator learns of the first write to a clean page from the TLB's `NOTDIRTY` bit and marks
/// it then (see [`crate::tlb`]).
#[derive(Debug)]
pub struct GuestRam {
    base: NonNull<u8>,
    len: u64,
    dirty: PageBitmap,
    code: PageBitmap,
    /// Bulk writes so far ([`GuestRam::bulk_writes`]).
    bulk_writes: AtomicU64,
}

// SAFETY: `GuestRam` owns its mapping; the raw pointer is not tied to a thread, and all access to
// the mapped bytes through `&GuestRam` goes through host atomics, so sharing between threads is
// free of data races.
unsafe impl Send for GuestRam {}
// SAFETY: as above: `&GuestRam` only allows atomic access to the mapping.
unsafe impl Sync for GuestRam {}

/// The host atomic types guest RAM is accessed through. All have the size and alignment of the
/// integer they wrap, which is what `GuestRam::atomic_at` relies on.
trait HostAtomic {}
impl HostAtomic for AtomicU8 {}
impl HostAtomic for AtomicU16 {}
impl HostAtomic for AtomicU32 {}
impl HostAtomic for AtomicU64 {}
impl HostAtomic for AtomicI32 {}
impl HostAtomic for AtomicI64 {}

impl GuestRam {
    /// Maps `size` bytes of zeroed guest RAM. Host memory is committed only when a page is first
    /// touched (`MAP_NORESERVE`), 4 KiB at a time: the mapping is advised against transparent
    /// huge pages, so that a large, mostly idle guest costs only the pages it touched even on a
    /// host whose huge-page policy is `always`.
    ///
    /// `size` must be a non-zero multiple of 4 KiB.
    pub fn new(size: u64) -> Result<GuestRam> {
        Self::map(size, libc::MADV_NOHUGEPAGE)
    }

    /// Like [`GuestRam::new`], but asks the host for transparent huge pages: fewer host TLB
    /// misses for a guest that uses most of its memory, at the price of committing memory
    /// 2 MiB at a time.
    pub fn new_with_huge_pages(size: u64) -> Result<GuestRam> {
        Self::map(size, libc::MADV_HUGEPAGE)
    }

    fn map(size: u64, advice: libc::c_int) -> Result<GuestRam> {
        if size == 0 || size % PAGE_SIZE != 0 || usize::try_from(size).is_err() {
            return Err(Error::RamSize { size });
        }
        // SAFETY: a fresh anonymous private mapping with no address hint cannot alias any Rust
        // object; the arguments are valid and the result is checked against MAP_FAILED.
        let ptr = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                size as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Error::Mmap {
                size,
                source: std::io::Error::last_os_error(),
            });
        }
        // SAFETY: `ptr` and `size` describe the mapping just made; advice changes no contents.
        // A host without transparent huge pages refuses the advice, which is harmless.
        let _ = unsafe { libc::madvise(ptr, size as usize, advice) };
        let base = NonNull::new(ptr.cast::<u8>()).ok_or_else(|| Error::Mmap {
            size,
            source: std::io::Error::other("mmap returned a null pointer"),
        })?;
        let pages = size >> PAGE_SHIFT;
        Ok(GuestRam {
            base,
            len: size,
            dirty: PageBitmap::new(pages),
            code: PageBitmap::new(pages),
            bulk_writes: AtomicU64::new(0),
        })
    }

    /// How many [`GuestRam::write_bytes`] calls (device DMA, loaders) have written the region.
    /// An engine that caches decoded code and sees every store of its own hart to it needs to
    /// look at the dirty pages at `fence.i` only when this count moved since the last one.
    pub fn bulk_writes(&self) -> u64 {
        self.bulk_writes.load(Ordering::Acquire)
    }

    /// The size of the region in bytes.
    #[inline]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Always `false`: guest RAM is never empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The host address of the first byte of the region, for translated code. The mapping lives
    /// as long as this `GuestRam`. Accesses through it must be atomic or otherwise free of data
    /// races with other harts, as the accesses of this type are.
    #[inline]
    pub fn as_ptr(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// The host address of the byte at `offset`, or `None` past the end of the region.
    #[inline]
    pub fn host_addr(&self, offset: u64) -> Option<usize> {
        (offset < self.len).then(|| self.base.as_ptr() as usize + offset as usize)
    }

    /// The pages written since the bitmap was last cleared.
    #[inline]
    pub fn dirty_pages(&self) -> &PageBitmap {
        &self.dirty
    }

    /// The pages that the translator has marked as holding translated code.
    #[inline]
    pub fn code_pages(&self) -> &PageBitmap {
        &self.code
    }

    /// Checks that `[offset, offset + len)` lies inside the region.
    #[inline]
    fn check(&self, offset: u64, len: u64) -> core::result::Result<(), BusFault> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(BusFault::Unmapped),
        }
    }

    /// The host atomic of type `A` at `offset`.
    ///
    /// Callers must have checked that `[offset, offset + size_of::<A>())` lies inside the region
    /// (with [`GuestRam::check`]) and that `offset` is a multiple of `size_of::<A>()`.
    #[inline]
    fn atomic_at<A: HostAtomic>(&self, offset: u64) -> &A {
        debug_assert!(offset + core::mem::size_of::<A>() as u64 <= self.len);
        debug_assert!(offset % core::mem::align_of::<A>() as u64 == 0);
        let ptr = self.base.as_ptr().wrapping_add(offset as usize).cast::<A>();
        // SAFETY: `ptr` is aligned (page-aligned base, offset a multiple of the atomic's size)
        // and inside the mapping, which lives as long as `&self`; every access to it is atomic,
        // and any bit pattern is a valid integer.
        unsafe { &*ptr }
    }

    #[inline]
    fn mark_dirty(&self, offset: u64, len: u64) {
        let first = offset >> PAGE_SHIFT;
        let last = (offset + len - 1) >> PAGE_SHIFT;
        self.dirty.set(first);
        if last != first {
            self.dirty.set(last);
        }
    }

    /// The region as slices of host atomics, one per access width, for an engine's fast path
    /// (see [`RamSlices`]).
    pub fn slices(&self) -> RamSlices<'_> {
        let len = self.len as usize;
        // SAFETY: the mapping is `len` bytes, page-aligned (so aligned for every width), and
        // lives as long as `&self`; every access to it is atomic, and any bit pattern is a
        // valid integer, as for `atomic_at`.
        unsafe {
            let base = self.base.as_ptr();
            RamSlices {
                b1: core::slice::from_raw_parts(base.cast::<AtomicU8>(), len),
                b2: core::slice::from_raw_parts(base.cast::<AtomicU16>(), len / 2),
                b4: core::slice::from_raw_parts(base.cast::<AtomicU32>(), len / 4),
                b8: core::slice::from_raw_parts(base.cast::<AtomicU64>(), len / 8),
            }
        }
    }

    /// Loads `size` bytes at `offset` as a little-endian value, zero-extended. Misaligned
    /// accesses are allowed.
    #[inline]
    pub fn load(&self, offset: u64, size: AccessSize) -> core::result::Result<u64, BusFault> {
        self.check(offset, size.bytes())?;
        if !size.is_aligned(offset) {
            return Ok(self.load_bytewise(offset, size));
        }
        let r = Ordering::Relaxed;
        Ok(match size {
            AccessSize::B1 => u64::from(self.atomic_at::<AtomicU8>(offset).load(r)),
            AccessSize::B2 => u64::from(u16::from_le(self.atomic_at::<AtomicU16>(offset).load(r))),
            AccessSize::B4 => u64::from(u32::from_le(self.atomic_at::<AtomicU32>(offset).load(r))),
            AccessSize::B8 => u64::from_le(self.atomic_at::<AtomicU64>(offset).load(r)),
        })
    }

    fn load_bytewise(&self, offset: u64, size: AccessSize) -> u64 {
        (0..size.bytes()).fold(0, |acc, i| {
            let b = self
                .atomic_at::<AtomicU8>(offset + i)
                .load(Ordering::Relaxed);
            acc | u64::from(b) << (8 * i)
        })
    }

    /// Stores the low `size` bytes of `value` at `offset`, little-endian, and marks the page
    /// dirty. Misaligned accesses are allowed.
    #[inline]
    pub fn store(
        &self,
        offset: u64,
        size: AccessSize,
        value: u64,
    ) -> core::result::Result<(), BusFault> {
        self.check(offset, size.bytes())?;
        self.mark_dirty(offset, size.bytes());
        if !size.is_aligned(offset) {
            for i in 0..size.bytes() {
                let b = (value >> (8 * i)) as u8;
                self.atomic_at::<AtomicU8>(offset + i)
                    .store(b, Ordering::Relaxed);
            }
            return Ok(());
        }
        let r = Ordering::Relaxed;
        match size {
            AccessSize::B1 => self.atomic_at::<AtomicU8>(offset).store(value as u8, r),
            AccessSize::B2 => self
                .atomic_at::<AtomicU16>(offset)
                .store((value as u16).to_le(), r),
            AccessSize::B4 => self
                .atomic_at::<AtomicU32>(offset)
                .store((value as u32).to_le(), r),
            AccessSize::B8 => self.atomic_at::<AtomicU64>(offset).store(value.to_le(), r),
        }
        Ok(())
    }

    /// Copies `buf.len()` bytes from guest RAM at `offset` into `buf`.
    pub fn read_bytes(&self, offset: u64, buf: &mut [u8]) -> core::result::Result<(), BusFault> {
        self.check(offset, buf.len() as u64)?;
        let mut i = 0usize;
        while i < buf.len() {
            let at = offset + i as u64;
            if at % 8 == 0 && buf.len() - i >= 8 {
                let w = self.atomic_at::<AtomicU64>(at).load(Ordering::Relaxed);
                buf[i..i + 8].copy_from_slice(&w.to_ne_bytes());
                i += 8;
            } else {
                buf[i] = self.atomic_at::<AtomicU8>(at).load(Ordering::Relaxed);
                i += 1;
            }
        }
        Ok(())
    }

    /// Copies `buf` into guest RAM at `offset` and marks the pages dirty. This is how devices
    /// (DMA) and loaders write, never a hart's own stores; each call counts in
    /// [`GuestRam::bulk_writes`].
    pub fn write_bytes(&self, offset: u64, buf: &[u8]) -> core::result::Result<(), BusFault> {
        self.check(offset, buf.len() as u64)?;
        if buf.is_empty() {
            return Ok(());
        }
        self.bulk_writes.fetch_add(1, Ordering::Release);
        for page in (offset >> PAGE_SHIFT)..=((offset + buf.len() as u64 - 1) >> PAGE_SHIFT) {
            self.dirty.set(page);
        }
        let mut i = 0usize;
        while i < buf.len() {
            let at = offset + i as u64;
            if at % 8 == 0 && buf.len() - i >= 8 {
                let mut w = [0u8; 8];
                w.copy_from_slice(&buf[i..i + 8]);
                self.atomic_at::<AtomicU64>(at)
                    .store(u64::from_ne_bytes(w), Ordering::Relaxed);
                i += 8;
            } else {
                self.atomic_at::<AtomicU8>(at)
                    .store(buf[i], Ordering::Relaxed);
                i += 1;
            }
        }
        Ok(())
    }

    /// Reads a plain-data value (for example a little-endian integer or a `#[repr(C)]` struct of
    /// them) at `offset`, byte for byte.
    pub fn read_pod<T: bytemuck::Pod>(&self, offset: u64) -> core::result::Result<T, BusFault> {
        let mut v = T::zeroed();
        self.read_bytes(offset, bytemuck::bytes_of_mut(&mut v))?;
        Ok(v)
    }

    /// Writes a plain-data value at `offset`, byte for byte, and marks the pages dirty.
    pub fn write_pod<T: bytemuck::NoUninit>(
        &self,
        offset: u64,
        value: &T,
    ) -> core::result::Result<(), BusFault> {
        self.write_bytes(offset, bytemuck::bytes_of(value))
    }

    /// Checks an atomic access: inside the region and naturally aligned.
    #[inline]
    fn check_atomic(&self, offset: u64, size: AccessSize) -> core::result::Result<(), BusFault> {
        self.check(offset, size.bytes())?;
        if size.is_aligned(offset) {
            Ok(())
        } else {
            Err(BusFault::Misaligned)
        }
    }

    /// Performs an AMO atomically (sequentially consistent, which covers any `aq`/`rl`) and
    /// returns the old value, zero-extended. The access must be naturally aligned.
    pub fn amo(
        &self,
        offset: u64,
        size: AccessSize,
        op: AmoOp,
        operand: u64,
    ) -> core::result::Result<u64, BusFault> {
        self.check_atomic(offset, size)?;
        self.mark_dirty(offset, size.bytes());
        let o = Ordering::SeqCst;
        let old = match size {
            AccessSize::B4 => {
                let v = operand as u32;
                let a = self.atomic_at::<AtomicU32>(offset);
                u64::from(match op {
                    AmoOp::Swap => a.swap(v, o),
                    AmoOp::Add => a.fetch_add(v, o),
                    AmoOp::And => a.fetch_and(v, o),
                    AmoOp::Or => a.fetch_or(v, o),
                    AmoOp::Xor => a.fetch_xor(v, o),
                    AmoOp::MinU => a.fetch_min(v, o),
                    AmoOp::MaxU => a.fetch_max(v, o),
                    AmoOp::Min => self.atomic_at::<AtomicI32>(offset).fetch_min(v as i32, o) as u32,
                    AmoOp::Max => self.atomic_at::<AtomicI32>(offset).fetch_max(v as i32, o) as u32,
                })
            }
            AccessSize::B8 => {
                let a = self.atomic_at::<AtomicU64>(offset);
                match op {
                    AmoOp::Swap => a.swap(operand, o),
                    AmoOp::Add => a.fetch_add(operand, o),
                    AmoOp::And => a.fetch_and(operand, o),
                    AmoOp::Or => a.fetch_or(operand, o),
                    AmoOp::Xor => a.fetch_xor(operand, o),
                    AmoOp::MinU => a.fetch_min(operand, o),
                    AmoOp::MaxU => a.fetch_max(operand, o),
                    AmoOp::Min => self
                        .atomic_at::<AtomicI64>(offset)
                        .fetch_min(operand as i64, o) as u64,
                    AmoOp::Max => self
                        .atomic_at::<AtomicI64>(offset)
                        .fetch_max(operand as i64, o) as u64,
                }
            }
            AccessSize::B1 | AccessSize::B2 => self.amo_by_cas(offset, size, op, operand),
        };
        Ok(old)
    }

    /// AMOs on bytes and half words (Zabha) as a compare-and-swap loop.
    fn amo_by_cas(&self, offset: u64, size: AccessSize, op: AmoOp, operand: u64) -> u64 {
        let mut old = self.load_aligned_seqcst(offset, size);
        loop {
            let new = op.apply(size, old, operand);
            match self.cas_aligned(offset, size, old, new) {
                Ok(v) => return v,
                Err(v) => old = v,
            }
        }
    }

    fn load_aligned_seqcst(&self, offset: u64, size: AccessSize) -> u64 {
        let o = Ordering::SeqCst;
        match size {
            AccessSize::B1 => u64::from(self.atomic_at::<AtomicU8>(offset).load(o)),
            AccessSize::B2 => u64::from(self.atomic_at::<AtomicU16>(offset).load(o)),
            AccessSize::B4 => u64::from(self.atomic_at::<AtomicU32>(offset).load(o)),
            AccessSize::B8 => self.atomic_at::<AtomicU64>(offset).load(o),
        }
    }

    fn cas_aligned(
        &self,
        offset: u64,
        size: AccessSize,
        current: u64,
        new: u64,
    ) -> core::result::Result<u64, u64> {
        let (s, f) = (Ordering::SeqCst, Ordering::SeqCst);
        match size {
            AccessSize::B1 => self
                .atomic_at::<AtomicU8>(offset)
                .compare_exchange(current as u8, new as u8, s, f)
                .map(u64::from)
                .map_err(u64::from),
            AccessSize::B2 => self
                .atomic_at::<AtomicU16>(offset)
                .compare_exchange(current as u16, new as u16, s, f)
                .map(u64::from)
                .map_err(u64::from),
            AccessSize::B4 => self
                .atomic_at::<AtomicU32>(offset)
                .compare_exchange(current as u32, new as u32, s, f)
                .map(u64::from)
                .map_err(u64::from),
            AccessSize::B8 => self
                .atomic_at::<AtomicU64>(offset)
                .compare_exchange(current, new, s, f),
        }
    }

    /// Atomically replaces the value at `offset` with `new` if it equals `current` (both
    /// zero-extended raw bits of `size` bytes). Returns `Ok(Ok(old))` when it stored and
    /// `Ok(Err(actual))` when memory held another value. The access must be naturally aligned.
    ///
    /// This is Zacas' `amocas.w`/`amocas.d`, the PTE update of the page walker, and the SC of an
    /// LR/SC pair (see [`crate::Reservation`]).
    pub fn compare_exchange(
        &self,
        offset: u64,
        size: AccessSize,
        current: u64,
        new: u64,
    ) -> core::result::Result<core::result::Result<u64, u64>, BusFault> {
        self.check_atomic(offset, size)?;
        let r = self.cas_aligned(offset, size, current, new);
        if r.is_ok() {
            self.mark_dirty(offset, size.bytes());
        }
        Ok(r)
    }
}

impl Drop for GuestRam {
    fn drop(&mut self) {
        // SAFETY: `base` and `len` describe the mapping made in `new`, which nothing else unmaps;
        // no reference into it outlives `self`.
        let rc = unsafe { libc::munmap(self.base.as_ptr().cast(), self.len as usize) };
        debug_assert_eq!(rc, 0, "munmap of guest RAM failed");
    }
}

/// `len` zeroed atomic words, allocated so that the host backs them lazily (a large zeroed
/// allocation is served by fresh, untouched pages).
pub(crate) fn zeroed_atomic_words(len: usize) -> Box<[AtomicU64]> {
    // `vec![0; n]` allocates with `alloc_zeroed`, which the host serves with untouched pages.
    let words: Box<[u64]> = vec![0u64; len].into_boxed_slice();
    const _: () = assert!(core::mem::align_of::<AtomicU64>() == core::mem::align_of::<u64>());
    // SAFETY: `AtomicU64` has the same size and bit validity as `u64`, and (asserted above) the
    // same alignment, so the allocation is a valid `[AtomicU64]` of the same layout, which the
    // returned box frees with the same layout.
    unsafe { Box::from_raw(Box::into_raw(words) as *mut [AtomicU64]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ram() -> GuestRam {
        GuestRam::new(4 * PAGE_SIZE).expect("map RAM")
    }

    #[test]
    fn zero_size_is_refused() {
        assert!(matches!(GuestRam::new(0), Err(Error::RamSize { size: 0 })));
    }

    #[test]
    fn unaligned_size_is_refused() {
        assert!(matches!(
            GuestRam::new(100),
            Err(Error::RamSize { size: 100 })
        ));
    }

    #[test]
    fn store_then_load_is_little_endian() {
        let r = ram();
        r.store(8, AccessSize::B8, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(
            (r.load(8, AccessSize::B1), r.load(12, AccessSize::B4)),
            (Ok(0x88), Ok(0x1122_3344))
        );
    }

    #[test]
    fn misaligned_access_crosses_a_page() {
        let r = ram();
        r.store(PAGE_SIZE - 3, AccessSize::B8, 0x0102_0304_0506_0708)
            .unwrap();
        assert_eq!(
            r.load(PAGE_SIZE - 3, AccessSize::B8),
            Ok(0x0102_0304_0506_0708)
        );
    }

    #[test]
    fn access_past_the_end_is_unmapped() {
        let r = ram();
        assert_eq!(
            r.load(4 * PAGE_SIZE - 4, AccessSize::B8),
            Err(BusFault::Unmapped)
        );
    }

    #[test]
    fn stores_mark_pages_dirty() {
        let r = ram();
        r.store(PAGE_SIZE - 1, AccessSize::B2, 0xffff).unwrap();
        r.write_bytes(3 * PAGE_SIZE, &[1, 2, 3]).unwrap();
        assert_eq!(
            r.dirty_pages().iter_set().collect::<Vec<_>>(),
            vec![0, 1, 3]
        );
    }

    #[test]
    fn slices_see_the_region_at_every_width() {
        let r = ram();
        let s = r.slices();
        let end = 4 * PAGE_SIZE;
        assert!(s.store_to_dirty(end - 8, AccessSize::B8, 0x1122_3344_5566_7788));
        assert!(s.store_to_dirty(6, AccessSize::B2, 0xbeef));
        assert_eq!(
            [
                s.load(end - 8, AccessSize::B8),
                s.load(end - 4, AccessSize::B4),
                s.load(7, AccessSize::B1),
                s.load(6, AccessSize::B2),
                s.load(4, AccessSize::B4),
                s.load(end, AccessSize::B1),
                s.load(end, AccessSize::B8),
                RamSlices::EMPTY.load(0, AccessSize::B1),
            ],
            [
                Some(0x1122_3344_5566_7788),
                Some(0x1122_3344),
                Some(0xbe),
                Some(0xbeef),
                Some(0xbeef_0000),
                None,
                None,
                None,
            ]
        );
        assert!(!s.store_to_dirty(end, AccessSize::B1, 0));
        assert!(!RamSlices::EMPTY.store_to_dirty(0, AccessSize::B8, 0));
        // The caller vouches for the dirty mark: none is made.
        assert_eq!(r.dirty_pages().iter_set().count(), 0);
        assert_eq!(r.load(0, AccessSize::B8), Ok(0xbeef_0000_0000_0000));
    }

    #[test]
    fn bytes_round_trip_at_odd_offsets() {
        let r = ram();
        let data: Vec<u8> = (0..100).collect();
        r.write_bytes(5, &data).unwrap();
        let mut back = vec![0; 100];
        r.read_bytes(5, &mut back).unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn pod_round_trip() {
        let r = ram();
        r.write_pod(16, &[0x1234u16, 0x5678]).unwrap();
        assert_eq!(r.read_pod::<u32>(16), Ok(0x5678_1234));
    }

    #[test]
    fn amo_returns_old_value_and_stores_result() {
        let r = ram();
        r.store(0, AccessSize::B4, 5).unwrap();
        let old = r.amo(0, AccessSize::B4, AmoOp::Min, (-3i32) as u32 as u64);
        assert_eq!((old, r.load(0, AccessSize::B4)), (Ok(5), Ok(0xffff_fffd)));
    }

    #[test]
    fn byte_amo_uses_cas_loop() {
        let r = ram();
        r.store(1, AccessSize::B1, 0xf0).unwrap();
        let old = r.amo(1, AccessSize::B1, AmoOp::Add, 0x20);
        assert_eq!((old, r.load(1, AccessSize::B1)), (Ok(0xf0), Ok(0x10)));
    }

    #[test]
    fn misaligned_amo_is_refused() {
        let r = ram();
        assert_eq!(
            r.amo(2, AccessSize::B4, AmoOp::Add, 1),
            Err(BusFault::Misaligned)
        );
    }

    #[test]
    fn cas_fails_with_actual_value() {
        let r = ram();
        r.store(0, AccessSize::B8, 7).unwrap();
        assert_eq!(r.compare_exchange(0, AccessSize::B8, 6, 9), Ok(Err(7)));
    }

    #[test]
    fn amo_add_is_atomic_across_threads() {
        let r = std::sync::Arc::new(ram());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let r = r.clone();
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        r.amo(64, AccessSize::B8, AmoOp::Add, 1).unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(r.load(64, AccessSize::B8), Ok(40_000));
    }

    #[test]
    fn cas_increment_is_atomic_across_threads() {
        let r = std::sync::Arc::new(ram());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let r = r.clone();
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        let mut old = r.load(128, AccessSize::B4).unwrap();
                        while let Err(v) = r
                            .compare_exchange(128, AccessSize::B4, old, old + 1)
                            .unwrap()
                        {
                            old = v;
                        }
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(r.load(128, AccessSize::B4), Ok(40_000));
    }
}
