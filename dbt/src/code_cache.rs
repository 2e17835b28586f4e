//! The code cache: host memory that holds translated code, never writable and executable at
//! once (W^X). The memory is mapped twice: code runs from a read-and-execute view and is
//! written through a read-and-write view at another address, so no page is ever both
//! writable and executable, and writing code costs no system call (the way .NET's W^X mode
//! does it; changing protections with `mprotect` on every block was a tenth of a Linux boot).

use std::ptr::NonNull;

use crate::error::Error;

const HOST_PAGE: usize = 4096;

/// A bump-allocated region of executable memory.
pub(crate) struct CodeCache {
    /// Where code runs: readable and executable.
    exec: NonNull<u8>,
    /// The same memory, where code is written: readable and writable.
    write: NonNull<u8>,
    size: usize,
    used: usize,
    /// Where translations start (after the entry trampoline, which survives flushes).
    floor: usize,
}

// SAFETY: the cache owns its mappings; they are only written through `&mut self` or run by
// code that a single owner thread enters.
unsafe impl Send for CodeCache {}

impl CodeCache {
    /// Maps `size` bytes (rounded up to whole pages) twice, executable and writable; pages
    /// take host memory only once written.
    pub(crate) fn new(size: usize) -> Result<CodeCache, Error> {
        let size = size.max(HOST_PAGE).next_multiple_of(HOST_PAGE);
        let fail = |source| Error::CodeCache { size, source };
        // SAFETY: the name is a NUL-terminated string; the result is checked.
        let fd = unsafe { libc::memfd_create(c"ospite-code".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(fail(std::io::Error::last_os_error()));
        }
        // SAFETY: `fd` is the file just made, owned here and closed below in every case;
        // `map` checks each mapping before use.
        let views = unsafe {
            let sized = libc::ftruncate(fd, size as libc::off_t) == 0;
            let views = if sized {
                map(fd, size, libc::PROT_READ | libc::PROT_EXEC).and_then(|exec| {
                    match map(fd, size, libc::PROT_READ | libc::PROT_WRITE) {
                        Ok(write) => Ok((exec, write)),
                        Err(e) => {
                            libc::munmap(exec.as_ptr().cast(), size);
                            Err(e)
                        }
                    }
                })
            } else {
                Err(std::io::Error::last_os_error())
            };
            // The mappings keep the memory; the descriptor is no longer needed.
            libc::close(fd);
            views
        };
        let (exec, write) = views.map_err(fail)?;
        Ok(CodeCache {
            exec,
            write,
            size,
            used: 0,
            floor: 0,
        })
    }

    /// The address the next piece of code will be written at.
    pub(crate) fn cursor(&self) -> u64 {
        self.exec.as_ptr() as u64 + self.used as u64
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
        let offset = (site - self.exec.as_ptr() as u64) as usize;
        assert!(offset + 4 <= self.used, "patch site outside the code cache");
        let rel = target.wrapping_sub(site + 4) as i64;
        let rel = i32::try_from(rel).expect("code cache targets are within 2 GiB");
        self.write(offset, &rel.to_le_bytes());
    }

    /// Copies `bytes` to `offset`, through the writable view.
    fn write(&mut self, offset: usize, bytes: &[u8]) {
        assert!(
            offset + bytes.len() <= self.size,
            "write outside the code cache"
        );
        // SAFETY: `[offset, offset + len)` lies inside the writable view (checked above), a
        // mapping this cache owns; no translated code runs while `&mut self` is held (the
        // runtime enters code only between writes), and x86 keeps instruction fetch coherent
        // with stores to the same physical memory through any mapping.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.write.as_ptr().add(offset),
                bytes.len(),
            );
        }
    }
}

/// Maps `size` bytes of the file `fd` shared, with protection `prot`.
///
/// # Safety
/// `fd` must be an open file of at least `size` bytes.
unsafe fn map(fd: libc::c_int, size: usize, prot: libc::c_int) -> std::io::Result<NonNull<u8>> {
    // SAFETY: a shared mapping of the caller's file at an address of the kernel's choosing;
    // the result is checked.
    let ptr = unsafe { libc::mmap(std::ptr::null_mut(), size, prot, libc::MAP_SHARED, fd, 0) };
    if ptr == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    NonNull::new(ptr.cast::<u8>()).ok_or_else(|| std::io::Error::other("mmap returned null"))
}

impl Drop for CodeCache {
    fn drop(&mut self) {
        // SAFETY: both mappings were made by `new` with this size and nothing refers to them
        // once the cache is dropped (the runtime owns the cache and runs no code after).
        unsafe {
            libc::munmap(self.exec.as_ptr().cast(), self.size);
            libc::munmap(self.write.as_ptr().cast(), self.size);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The protections of the mapping holding `addr`, from `/proc/self/maps` (e.g. `r-xs`).
    fn protection_at(addr: u64) -> String {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines()
            .find_map(|line| {
                let (range, rest) = line.split_once(' ')?;
                let (lo, hi) = range.split_once('-')?;
                let (lo, hi) = (
                    u64::from_str_radix(lo, 16).ok()?,
                    u64::from_str_radix(hi, 16).ok()?,
                );
                (lo..hi).contains(&addr).then(|| rest[..4].to_owned())
            })
            .unwrap()
    }

    #[test]
    fn code_runs_from_a_view_never_writable_and_is_written_through_one_never_executable() {
        let mut cache = CodeCache::new(1 << 16).unwrap();
        // mov eax, 42; ret
        let at = cache.append(&[0xb8, 42, 0, 0, 0, 0xc3]);
        // SAFETY: `at` holds the function just written, in executable memory that lives as
        // long as `cache`.
        let f: extern "sysv64" fn() -> u32 = unsafe { std::mem::transmute(at as usize) };
        assert_eq!(f(), 42);
        assert_eq!(protection_at(at), "r-xs");
        assert_eq!(protection_at(cache.write.as_ptr() as u64), "rw-s");
    }

    #[test]
    fn a_patched_jump_lands_on_its_new_target() {
        let mut cache = CodeCache::new(1 << 16).unwrap();
        // jmp rel32 (to the next instruction); mov eax, 1; ret; then mov eax, 2; ret
        let at = cache.append(&[0xe9, 0, 0, 0, 0, 0xb8, 1, 0, 0, 0, 0xc3]);
        let other = cache.append(&[0xb8, 2, 0, 0, 0, 0xc3]);
        // SAFETY: as above.
        let f: extern "sysv64" fn() -> u32 = unsafe { std::mem::transmute(at as usize) };
        assert_eq!(f(), 1);
        cache.patch_jump(at + 1, other);
        assert_eq!(f(), 2);
    }
}
