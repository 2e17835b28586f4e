//! `ospite disasm`: an objdump-style listing (`objdump -d -M no-aliases`) of the executable
//! sections of a RISC-V ELF file: a header at each symbol, then `address: hex  instruction`
//! lines, with what does not decode shown as `.2byte`/`.4byte`.

use std::fmt::Write as _;
use std::path::Path;

use object::elf::SHF_EXECINSTR;
use object::{Object, ObjectSection, ObjectSymbol, SectionFlags, SymbolKind};
use ospite_isa::{decode_bytes, Extensions};

use crate::error::{Error, Result};
use crate::loader;

/// The listing of the ELF file at `path`.
pub fn listing(path: &Path) -> Result<String> {
    let data = loader::read_file(path)?;
    let bad = |why: String| Error::BadImage {
        path: path.to_owned(),
        why,
    };
    if !loader::looks_like_elf(&data) {
        return Err(bad("not an ELF file".into()));
    }
    // The loader's checks give the same one-line reasons as `ospite run`.
    loader::parse_elf(path, &data)?;
    let file = object::File::parse(&*data).map_err(|e| bad(format!("malformed ELF file: {e}")))?;
    let mut out = format!(
        "\n{}:     file format elf64-littleriscv\n\n",
        path.display()
    );
    for section in file.sections() {
        let SectionFlags::Elf { sh_flags } = section.flags() else {
            continue;
        };
        if sh_flags & u64::from(SHF_EXECINSTR) == 0 || section.size() == 0 {
            continue;
        }
        let name = section.name().unwrap_or("?");
        let bytes = section
            .data()
            .map_err(|e| bad(format!("section {name}: {e}")))?;
        let base = section.address();
        let mut symbols: Vec<(u64, String)> = file
            .symbols()
            .filter(|s| {
                s.section_index() == Some(section.index())
                    && matches!(
                        s.kind(),
                        SymbolKind::Text | SymbolKind::Label | SymbolKind::Unknown
                    )
            })
            .filter_map(|s| {
                let n = s.name().ok()?;
                (!n.is_empty() && !n.starts_with("$")).then(|| (s.address(), n.to_owned()))
            })
            .collect();
        symbols.sort();
        symbols.dedup_by_key(|s| s.0);
        let _ = write!(out, "\nDisassembly of section {name}:\n");
        let mut off = 0usize;
        let mut next_sym = 0;
        while off < bytes.len() {
            let pc = base + off as u64;
            while next_sym < symbols.len() && symbols[next_sym].0 <= pc {
                if symbols[next_sym].0 == pc {
                    let _ = write!(out, "\n{pc:016x} <{}>:\n", symbols[next_sym].1);
                }
                next_sym += 1;
            }
            let rest = &bytes[off..];
            let (len, text) = match decode_bytes(rest, Extensions::ALL) {
                Ok(inst) => {
                    let len = if inst.compressed.is_some() { 2 } else { 4 };
                    (len, inst.display(pc).to_string())
                }
                Err(_) if rest.len() >= 4 && rest[0] & 3 == 3 => {
                    let w = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
                    (4, format!(".4byte\t0x{w:x}"))
                }
                Err(_) if rest.len() >= 2 => (
                    2,
                    format!(".2byte\t0x{:x}", u16::from_le_bytes([rest[0], rest[1]])),
                ),
                Err(_) => (1, format!(".byte\t0x{:02x}", rest[0])),
            };
            let hex = match len {
                4 => format!(
                    "{:08x}",
                    u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]])
                ),
                2 => format!("{:04x}", u16::from_le_bytes([rest[0], rest[1]])),
                _ => format!("{:02x}", rest[0]),
            };
            let _ = writeln!(out, "{pc:8x}:\t{hex:<20}\t{text}");
            off += len;
        }
    }
    Ok(out)
}
