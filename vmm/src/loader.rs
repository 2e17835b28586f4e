//! Loading firmware, kernels, initrds and test programs into guest RAM: ELF files by their
//! program headers (at the physical addresses `p_paddr`, zero-filling up to `p_memsz`, as QEMU's
//! `load_elf` does), anything else as a raw image at an address the board chooses.
//!
//! Every image is checked before a byte is copied: it must fit in RAM, and it must not overlap
//! an image loaded before it. Failures are [`Error`]s naming the file and the problem.

use std::path::{Path, PathBuf};

use object::elf::{FileHeader64, PT_LOAD};
use object::read::elf::{FileHeader, ProgramHeader};
use object::{Endianness, Object, ObjectSymbol};

use crate::error::{Error, Result};

/// One contiguous piece of an image: bytes at a guest address, then zeros up to `size`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The guest-physical address of the first byte.
    pub addr: u64,
    /// The bytes to copy.
    pub data: Vec<u8>,
    /// The size in memory (at least `data.len()`; the rest is zeroed).
    pub size: u64,
}

/// An image ready to be copied into RAM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// What the user called it (the path, or a name for built-in images).
    pub name: String,
    /// Its pieces.
    pub segments: Vec<Segment>,
    /// Where execution starts (the ELF entry, or the load address of a raw image).
    pub entry: u64,
    /// Whether it came from an ELF file.
    pub is_elf: bool,
    /// `tohost`, if an ELF file defines it.
    pub tohost: Option<u64>,
    /// `fromhost`, if an ELF file defines it.
    pub fromhost: Option<u64>,
}

impl Image {
    /// The lowest and the end (exclusive) address the image touches.
    pub fn span(&self) -> (u64, u64) {
        let lo = self.segments.iter().map(|s| s.addr).min().unwrap_or(0);
        let hi = self
            .segments
            .iter()
            .map(|s| s.addr.saturating_add(s.size))
            .max()
            .unwrap_or(0);
        (lo, hi)
    }
}

/// Reads `path`; an empty file is an error.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let data = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    if data.is_empty() {
        return Err(Error::BadImage {
            path: path.to_owned(),
            why: "the file is empty".into(),
        });
    }
    Ok(data)
}

/// Whether `data` starts like an ELF file (it may still be malformed).
pub fn looks_like_elf(data: &[u8]) -> bool {
    data.starts_with(b"\x7fELF")
}

/// An image from the file at `path`: its ELF segments if it is an ELF file, otherwise the raw
/// bytes at `raw_addr`.
pub fn image_from_file(path: &Path, raw_addr: u64) -> Result<Image> {
    let data = read_file(path)?;
    image_from_bytes(path, &data, raw_addr)
}

/// Like [`image_from_file`], over bytes already read.
pub fn image_from_bytes(path: &Path, data: &[u8], raw_addr: u64) -> Result<Image> {
    if looks_like_elf(data) {
        parse_elf(path, data)
    } else {
        Ok(raw_image(path, data, raw_addr))
    }
}

/// The raw bytes of `data` at `addr`.
pub fn raw_image(path: &Path, data: &[u8], addr: u64) -> Image {
    Image {
        name: path.display().to_string(),
        segments: vec![Segment {
            addr,
            data: data.to_vec(),
            size: data.len() as u64,
        }],
        entry: addr,
        is_elf: false,
        tohost: None,
        fromhost: None,
    }
}

fn bad(path: &Path, why: impl Into<String>) -> Error {
    Error::BadImage {
        path: PathBuf::from(path),
        why: why.into(),
    }
}

/// Parses a 64-bit little-endian RISC-V ELF executable.
pub fn parse_elf(path: &Path, data: &[u8]) -> Result<Image> {
    if data.len() < 5 || data[4] != 2 {
        return Err(bad(path, "not a 64-bit ELF file (ospite runs RV64 code)"));
    }
    let header = FileHeader64::<Endianness>::parse(data)
        .map_err(|e| bad(path, format!("truncated or malformed ELF header: {e}")))?;
    let endian = header
        .endian()
        .map_err(|e| bad(path, format!("malformed ELF header: {e}")))?;
    if endian != Endianness::Little {
        return Err(bad(path, "a big-endian ELF file (RISC-V is little-endian)"));
    }
    if header.e_machine(endian) != object::elf::EM_RISCV {
        return Err(bad(
            path,
            format!(
                "not a RISC-V ELF file (e_machine {})",
                header.e_machine(endian)
            ),
        ));
    }
    let phdrs = header
        .program_headers(endian, data)
        .map_err(|e| bad(path, format!("truncated or malformed program headers: {e}")))?;
    let mut segments = Vec::new();
    for (i, ph) in phdrs.iter().enumerate() {
        if ph.p_type(endian) != PT_LOAD || ph.p_memsz(endian) == 0 {
            continue;
        }
        let bytes = ph.data(endian, data).map_err(|_| {
            bad(
                path,
                format!("segment {i} lies outside the file (truncated?)"),
            )
        })?;
        let (addr, size) = (ph.p_paddr(endian), ph.p_memsz(endian));
        if (bytes.len() as u64) > size {
            return Err(bad(
                path,
                format!("segment {i}: file size is larger than memory size"),
            ));
        }
        if addr.checked_add(size).is_none() {
            return Err(bad(
                path,
                format!("segment {i} at {addr:#x} runs past the end of the address space"),
            ));
        }
        segments.push(Segment {
            addr,
            data: bytes.to_vec(),
            size,
        });
    }
    if segments.is_empty() {
        return Err(bad(path, "the ELF file has no loadable segment"));
    }
    let (mut tohost, mut fromhost) = (None, None);
    if let Ok(file) = object::File::parse(data) {
        for sym in file.symbols() {
            match sym.name() {
                Ok("tohost") => tohost = Some(sym.address()),
                Ok("fromhost") => fromhost = Some(sym.address()),
                _ => {}
            }
        }
    }
    Ok(Image {
        name: path.display().to_string(),
        segments,
        entry: header.e_entry(endian),
        is_elf: true,
        tohost,
        fromhost,
    })
}

/// Checks images against RAM and each other before anything is copied.
#[derive(Debug)]
pub struct Placement {
    ram_base: u64,
    ram_end: u64,
    placed: Vec<(String, u64, u64)>,
}

impl Placement {
    /// Placement in RAM `[ram_base, ram_base + ram_size)`.
    pub fn new(ram_base: u64, ram_size: u64) -> Placement {
        Placement {
            ram_base,
            ram_end: ram_base + ram_size,
            placed: Vec::new(),
        }
    }

    /// Reserves every segment of `image`, or says why it cannot go there.
    pub fn place(&mut self, image: &Image) -> Result<()> {
        for s in &image.segments {
            let end = s.addr.saturating_add(s.size);
            if s.addr < self.ram_base || end > self.ram_end {
                return Err(Error::DoesNotFit {
                    path: PathBuf::from(&image.name),
                    why: format!(
                        "{:#x} bytes at {:#x} do not fit in guest RAM [{:#x}, {:#x}) (see -m)",
                        s.size, s.addr, self.ram_base, self.ram_end
                    ),
                });
            }
        }
        for s in &image.segments {
            let end = s.addr + s.size;
            for (name, a, b) in &self.placed {
                if s.addr < *b && *a < end {
                    return Err(Error::Overlap {
                        first: name.clone(),
                        first_start: *a,
                        first_end: *b,
                        second: image.name.clone(),
                        second_start: s.addr,
                        second_end: end,
                    });
                }
            }
        }
        for s in &image.segments {
            self.placed
                .push((image.name.clone(), s.addr, s.addr + s.size));
        }
        Ok(())
    }

    /// The end of the highest image placed so far.
    pub fn highest_end(&self) -> u64 {
        self.placed
            .iter()
            .map(|p| p.2)
            .max()
            .unwrap_or(self.ram_base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_image_outside_ram_does_not_fit() {
        let img = raw_image(Path::new("big.bin"), &[0; 16], 0x9000_0000);
        let err = Placement::new(0x8000_0000, 0x100_0000)
            .place(&img)
            .unwrap_err();
        assert!(err
            .to_string()
            .starts_with("big.bin: 0x10 bytes at 0x90000000 do not fit"));
    }

    #[test]
    fn overlapping_images_are_refused_by_name() {
        let a = raw_image(Path::new("a.bin"), &[0; 0x100], 0x8000_0000);
        let b = raw_image(Path::new("b.bin"), &[0; 0x100], 0x8000_0080);
        let mut p = Placement::new(0x8000_0000, 0x100_0000);
        p.place(&a).unwrap();
        let err = p.place(&b).unwrap_err().to_string();
        assert!(
            err.starts_with("a.bin [0x80000000, 0x80000100) overlaps b.bin"),
            "{err}"
        );
    }

    #[test]
    fn truncated_elf_header_is_a_bad_image() {
        let err = parse_elf(Path::new("t.elf"), b"\x7fELF\x02\x01\x01").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("t.elf: truncated or malformed ELF header"),
            "{err}"
        );
    }

    #[test]
    fn thirty_two_bit_elf_is_refused() {
        let err = parse_elf(Path::new("t.elf"), b"\x7fELF\x01\x01\x01\0\0\0").unwrap_err();
        assert!(err.to_string().contains("not a 64-bit ELF file"), "{err}");
    }
}
