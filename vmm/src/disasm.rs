//! `ospite disasm`: the `objdump -d -M no-aliases` listing of a RISC-V ELF file, as
//! [`ospite_isa::listing`] prints it (line-identical to GNU objdump's, which `ospite-isa`'s
//! `objdump_elf` test checks on Debian's OpenSBI and U-Boot).

use std::path::Path;

use ospite_isa::{listing as isa_listing, Extensions};

use crate::error::{Error, Result};
use crate::loader;

/// The listing of the ELF file at `path` (named as given in the listing's first line), with
/// every extension `ospite-isa` knows; the same text as `ospite-isa`'s `objdump` example.
pub fn listing(path: &Path) -> Result<String> {
    let data = loader::read_file(path)?;
    isa_listing::listing(&path.display().to_string(), &data, Extensions::ALL).map_err(|e| {
        Error::BadImage {
            path: path.to_owned(),
            why: e.to_string(),
        }
    })
}
