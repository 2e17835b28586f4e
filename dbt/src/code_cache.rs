//! The code cache: one host mapping that holds translated code, never writable and executable
//! at once (W^X). Code is written by making the pages it touches writable (and not
//! executable), copying, and making them executable (and not writable) again.

use std::ptr::NonNull;

use crate::error::Error;

const HOST_PAGE: usize = 4096;

/// A bump-allocated region of executable memory.
pub(crate) struct CodeCache {
    base: NonNull<u8>,
    size: usize,
    used: usize,
    /// Where translations start (after the entry trampoline, which survives flushes).
    floor: usize,
}

// SAFETY: the cache owns its mapping; it is only touched through `&mut self` (writes) or by
// running code that a single owner thread enters.
unsafe impl Send for CodeCache {}

impl CodeCache {
    /// Maps `size` bytes (rounded up to whole pages), inaccessible until written.
    pub(crate) fn new(size: usize) -> Result<CodeCache, Error> {
        let size = size.max(HOST_PAGE).next_multiple_of(HOST_PAGE);
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing; the
        // result is checked before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Error::CodeCache {
                size,
                source: std::io::Error::last_os_error(),
            });
        }
        let base = NonNull::new(ptr.cast::<u8>()).ok_or_else(|| Error::CodeCache {
            size,
            source: std::io::Error::other("mmap returned a null pointer"),
        })?;
        Ok(CodeCache {
            base,
            size,
            used: 0,
            floor: 0,
        })
    }

    /// The address the next piece of code will be written at.
    pub(crate) fn cursor(&self) -> u64 {
        self.base.as_ptr() as u64 + self.used as u64
    }

    /// Bytes of translated code held (not counting the trampoline).
    pub(crate) fn used(&self) -> usize {
        self.used - self.floor
    }

    /// Whether `len` more bytes fit.
    pub(crate) fn fits(&self, len: usize) -> bool {
        self.used + len <= self.size
    }

    /// Appends `code`, which was assembled to run at [`CodeCache::cursor`]; returns its address.
    /// The caller has checked [`CodeCache::fits`].
    pub(crate) fn append(&mut self, code: &[u8]) -> u64 {
        assert!(self.fits(code.len()), "code cache overflow");
        let at = self.cursor();
        self.write(self.used, code);
        // Keep blocks 16-byte aligned, as the host's fetch prefers.
        self.used = (self.used + code.len()).next_multiple_of(16).min(self.size);
        at
    }

    /// Makes everything appended so far permanent: later [`CodeCache::flush`]es keep it.
    pub(crate) fn seal_floor(&mut self) {
        self.floor = self.used;
    }

    /// Drops every translation (the trampoline stays).
    pub(crate) fn flush(&mut self) {
        self.used = self.floor;
    }

    /// Rewrites the 32-bit displacement of a `jmp rel32` whose displacement field is at `site`
    /// so that it jumps to `target`.
    pub(crate) fn patch_jump(&mut self, site: u64, target: u64) {
        let offset = (site - self.base.as_ptr() as u64) as usize;
        assert!(offset + 4 <= self.used, "patch site outside the code cache");
        let rel = target.wrapping_sub(site + 4) as i64;
        let rel = i32::try_from(rel).expect("code cache targets are within 2 GiB");
        self.write(offset, &rel.to_le_bytes());
    }

    /// Copies `bytes` to `offset`, with the pages touched writable only during the copy.
    fn write(&mut self, offset: usize, bytes: &[u8]) {
        let first = offset / HOST_PAGE * HOST_PAGE;
        let end = (offset + bytes.len()).next_multiple_of(HOST_PAGE);
        // SAFETY: `[first, end)` lies inside the mapping (offset + len <= size, checked by the
        // callers); no translated code runs while `&mut self` is held (the runtime only enters
        // code through a shared borrow between writes), so making these pages non-executable
        // for the copy cannot fault a running block.
        unsafe {
            let page = self.base.as_ptr().add(first).cast::<libc::c_void>();
            protect(page, end - first, libc::PROT_READ | libc::PROT_WRITE);
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.base.as_ptr().add(offset),
                bytes.len(),
            );
            protect(page, end - first, libc::PROT_READ | libc::PROT_EXEC);
        }
    }
}

/// `mprotect`, which cannot fail on a range of our own mapping with these protections.
///
/// # Safety
/// `[addr, addr + len)` must be part of a mapping owned by the caller.
unsafe fn protect(addr: *mut libc::c_void, len: usize, prot: libc::c_int) {
    // SAFETY: the caller guarantees the range is its own mapping.
    let rc = unsafe { libc::mprotect(addr, len, prot) };
    assert_eq!(
        rc,
        0,
        "mprotect of the code cache failed: {}",
        std::io::Error::last_os_error()
    );
}

impl Drop for CodeCache {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `new` with this size and nothing refers to it once
        // the cache is dropped (the runtime owns the cache and runs no code after).
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.size);
        }
    }
}

impl std::fmt::Debug for CodeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeCache")
            .field("size", &self.size)
            .field("used", &self.used)
            .finish()
    }
}
