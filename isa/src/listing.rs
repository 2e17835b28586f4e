//! `objdump -d -M no-aliases` for RISC-V ELF files (with the `elf` feature).
//!
//! Every executable section is listed the way GNU objdump 2.40 lists it: one line per
//! instruction, `address:<TAB>hex<TAB>mnemonic<TAB>operands`, the hex column padded as objdump
//! pads it, what does not decode printed as `.2byte`/`.4byte`, runs of zeros as `...`, a header
//! line at each symbol, objects in code sections dumped as bytes, and `$d` mapping-symbol regions
//! as `.word`/`.short`/`.byte` data. Branch targets are printed as bare addresses (objdump adds
//! `<symbol+offset>` after them, and `# comments` after some instructions; we print neither).
//! CSRs are named by the privileged spec the file's `.riscv.attributes` asks for, as objdump
//! names them. The `objdump_elf` test holds whole listings of Debian's OpenSBI and U-Boot line
//! by line against GNU objdump's.
//!
//! The ELF file is read with the `object` crate; bad input is a [`ListingError`], never a panic.
//!
//! ```
//! use ospite_isa::{listing, Extensions};
//!
//! let text = listing::sample_listing();
//! assert!(text.contains("80000000:\t00000517          \tauipc\ta0,0x0"));
//! assert_eq!(
//!     listing::listing("x", b"MZ", Extensions::ALL).unwrap_err().to_string(),
//!     "not an ELF file"
//! );
//! ```

use core::fmt::{self, Write as _};
use std::format;
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

use object::elf::SHF_EXECINSTR;
use object::{
    Architecture, BinaryFormat, Object, ObjectSection, ObjectSymbol, SectionFlags, SymbolKind,
};

use crate::{decode_bytes, Extensions, PrivSpec};

/// A short loop summing doubles, with compressed, floating-point (explicit rounding modes),
/// atomic and CSR instructions, as the assembler emitted it for address 0x8000_0000.
const SAMPLE: [u8; 36] = [
    0x17, 0x05, 0x00, 0x00, // auipc   a0,0x0
    0xa9, 0x45, //             c.li    a1,10
    0x53, 0x75, 0x20, 0xd2, // fcvt.d.l fa0,zero
    0x2c, 0x21, //             c.fld   fa1,64(a0)
    0x43, 0x85, 0xb5, 0x52, // fmadd.d fa0,fa1,fa1,fa0,rne
    0x21, 0x05, //             c.addi  a0,8
    0xfd, 0x15, //             c.addi  a1,-1
    0xfd, 0xf9, //             c.bnez  a1,8000000a
    0x53, 0x15, 0x25, 0xc2, // fcvt.l.d a0,fa0,rtz
    0x2f, 0x26, 0xb5, 0x06, // amoadd.w.aqrl a2,a1,(a0)
    0xf3, 0x26, 0x30, 0x00, // csrrs   a3,fcsr,zero
    0x82, 0x80, //             c.jr    ra
];

/// Where the sample sits.
const SAMPLE_ADDR: u64 = 0x8000_0000;

/// objdump's `DEFAULT_SKIP_ZEROES`: a run of at least this many zero bytes is printed as `...`.
const SKIP_ZEROES: usize = 8;
/// objdump's `DEFAULT_SKIP_ZEROES_AT_END`: fewer zero bytes than this ending a block, likewise.
const SKIP_ZEROES_AT_END: usize = 3;

/// The listing of a built-in sample: a short loop summing doubles at 0x8000_0000, with
/// compressed, floating-point, atomic and CSR instructions.
pub fn sample_listing() -> String {
    let mut out = String::from("\nbuilt-in sample:     RV64GC code at 0x80000000\n\n");
    out.push_str("\nDisassembly of section .text:\n");
    let code = Code {
        addr: SAMPLE_ADDR,
        data: &SAMPLE,
        symbols: vec![Sym {
            addr: SAMPLE_ADDR,
            name: "sample".into(),
            object: false,
        }],
        maps: Vec::new(),
    };
    let mut state = State::default();
    code.list(".text", Extensions::ALL, &mut state, &mut out);
    out
}

/// The whole `objdump -d` listing of the ELF file `data` (named `name` in the listing's first
/// line), decoding the extensions `ext`, or why it cannot be made.
pub fn listing(name: &str, data: &[u8], ext: Extensions) -> Result<String, ListingError> {
    if !data.starts_with(b"\x7fELF") {
        return Err(ListingError::NotElf);
    }
    let file = object::File::parse(data).map_err(|e| ListingError::Malformed(e.to_string()))?;
    if file.format() != BinaryFormat::Elf {
        return Err(ListingError::NotElf);
    }
    if file.architecture() != Architecture::Riscv64 || !file.is_little_endian() {
        return Err(ListingError::NotRiscv64(format!(
            "{:?}",
            file.architecture()
        )));
    }
    let mut out = format!("\n{name}:     file format elf64-littleriscv\n\n");
    let mut state = State {
        spec: priv_spec(&file),
        ..State::default()
    };
    for section in file.sections() {
        let SectionFlags::Elf { sh_flags } = section.flags() else {
            continue;
        };
        let sname = section.name().unwrap_or("?");
        if sh_flags & u64::from(SHF_EXECINSTR) == 0 || section.size() == 0 {
            continue;
        }
        let bytes = section.data().map_err(|e| ListingError::Section {
            section: sname.to_string(),
            why: e.to_string(),
        })?;
        if (bytes.len() as u64) < section.size() {
            continue; // SHT_NOBITS: nothing to disassemble
        }
        let code = Code::new(&file, &section, bytes);
        out.push_str(&format!("\nDisassembly of section {sname}:\n"));
        code.list(sname, ext, &mut state, &mut out);
    }
    Ok(out)
}

/// Why an ELF file cannot be listed. Each message is one line (without the file's name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListingError {
    /// The data does not start with the ELF magic number.
    NotElf,
    /// The ELF file is truncated or malformed; what the `object` crate said.
    Malformed(String),
    /// An ELF file for another architecture, or a big-endian one; the architecture.
    NotRiscv64(String),
    /// A section's contents cannot be read.
    Section {
        /// The section's name.
        section: String,
        /// What is wrong with it.
        why: String,
    },
}

impl fmt::Display for ListingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListingError::NotElf => f.write_str("not an ELF file"),
            ListingError::Malformed(why) => write!(f, "truncated or malformed ELF: {why}"),
            ListingError::NotRiscv64(arch) => {
                write!(f, "not a 64-bit RISC-V ELF file (architecture {arch})")
            }
            ListingError::Section { section, why } => write!(f, "section {section}: {why}"),
        }
    }
}

impl std::error::Error for ListingError {}

/// A symbol that starts a block of the listing.
struct Sym {
    addr: u64,
    name: String,
    /// An `STT_OBJECT` symbol: objdump dumps its bytes instead of disassembling them.
    object: bool,
}

/// One executable section with its symbols and mapping symbols.
struct Code<'a> {
    addr: u64,
    data: &'a [u8],
    /// Symbols objdump starts a block at, sorted by address, one per address.
    symbols: Vec<Sym>,
    /// Mapping symbols: address and whether it starts data (`$d`) rather than code (`$x`).
    maps: Vec<(u64, bool)>,
}

/// What objdump carries from one line to the next: the chunk size of the last line, which it
/// reuses for dumping objects.
#[derive(Default)]
struct State {
    bytes_per_chunk: usize,
    /// The privileged spec the file's attributes ask for, which names CSRs.
    spec: PrivSpec,
}

/// One line of the listing before its address: the padded hex column, the text, the length.
pub struct Row {
    /// How many bytes the line covers.
    pub len: usize,
    /// The hex column exactly as objdump pads it (without the tab that follows).
    pub hex: String,
    /// Mnemonic and operands, tab-separated.
    pub text: String,
}

impl<'a> Code<'a> {
    fn new(file: &object::File<'a>, section: &object::Section<'a, '_>, data: &'a [u8]) -> Self {
        let mut all: Vec<object::Symbol<'a, '_>> = file.symbols().collect();
        if all.is_empty() {
            all = file.dynamic_symbols().collect();
        }
        let mut symbols: Vec<(u64, bool, bool, String, bool)> = Vec::new();
        let mut maps = Vec::new();
        for s in all {
            if s.section_index() != Some(section.index()) {
                continue;
            }
            let Ok(name) = s.name() else { continue };
            if name.is_empty() || matches!(s.kind(), SymbolKind::Section | SymbolKind::File) {
                continue;
            }
            if name == "$d" || name.starts_with("$d.") {
                maps.push((s.address(), true));
                continue;
            }
            if name == "$x" || name.starts_with("$x") {
                maps.push((s.address(), false));
                continue;
            }
            if name == ".L0 " {
                continue; // the assembler's fake label
            }
            symbols.push((
                s.address(),
                s.kind() != SymbolKind::Text,
                !s.is_global(),
                name.to_string(),
                s.kind() == SymbolKind::Data,
            ));
        }
        // One symbol per address, as objdump picks it: functions first, then globals.
        symbols.sort();
        symbols.dedup_by_key(|s| s.0);
        maps.sort();
        Code {
            addr: section.address(),
            data,
            symbols: symbols
                .into_iter()
                .map(|(addr, _, _, name, object)| Sym {
                    addr,
                    name: caret_controls(&name),
                    object,
                })
                .collect(),
            maps,
        }
    }

    /// Appends the listing of this section to `out`, block by block as objdump cuts it.
    fn list(&self, sname: &str, ext: Extensions, state: &mut State, out: &mut String) {
        let end = self.addr + self.data.len() as u64;
        let skip = skip_addr_chars(end);
        let mut starts: Vec<u64> = vec![self.addr];
        starts.extend(
            self.symbols
                .iter()
                .map(|s| s.addr)
                .filter(|&a| a > self.addr && a < end),
        );
        for (n, &start) in starts.iter().enumerate() {
            let stop = starts.get(n + 1).copied().unwrap_or(end);
            let at = self.symbols.iter().rev().find(|s| s.addr <= start);
            let header = match (at, self.symbols.first()) {
                (Some(s), _) if s.addr == start => format!("<{}>", s.name),
                (Some(s), _) => format!("<{}+0x{:x}>", s.name, start - s.addr),
                (None, Some(s)) => format!("<{}-0x{:x}>", s.name, s.addr - start),
                (None, None) => format!("<{sname}>"),
            };
            let _ = write!(out, "\n{start:016x} {header}:\n");
            let insns = !at.is_some_and(|s| s.addr == start && s.object);
            self.list_block(start, stop, insns, skip, ext, state, out);
        }
    }

    /// Lists `start..stop`: instructions, or a byte dump when `insns` is false.
    #[allow(clippy::too_many_arguments)]
    fn list_block(
        &self,
        start: u64,
        stop: u64,
        insns: bool,
        skip: usize,
        ext: Extensions,
        state: &mut State,
        out: &mut String,
    ) {
        let off_of = |a: u64| (a - self.addr) as usize;
        let (mut off, stop_off) = (off_of(start), off_of(stop));
        while off < stop_off {
            let zeros = self.data[off..stop_off]
                .iter()
                .take_while(|&&b| b == 0)
                .count();
            let z = off + zeros;
            if zeros >= SKIP_ZEROES || (z == stop_off && zeros < SKIP_ZEROES_AT_END) {
                off += if z == stop_off { zeros } else { zeros & !3 };
                out.push_str("\t...\n");
                continue;
            }
            let addr = self.addr + off as u64;
            let row = if insns {
                let row = match self.data_len(addr) {
                    Some(len) => data_row(&self.data[off..off + len]),
                    None => insn_row(addr, &self.data[off..], ext, state.spec),
                };
                state.bytes_per_chunk = chunk_of(&row);
                row
            } else {
                dump_row(
                    &self.data[off..],
                    stop_off - off,
                    state.bytes_per_chunk.max(1),
                )
            };
            let _ = writeln!(
                out,
                "{}:\t{}{}{}",
                format_addr(addr, skip),
                row.hex,
                if insns { "\t" } else { "    " },
                row.text
            );
            // objdump shows eight bytes a line; a longer instruction continues on more lines.
            let chunk = chunk_of(&row);
            let long = if insns { row.len } else { 0 };
            for (n, more) in self.data[off..off + long].chunks(8).enumerate().skip(1) {
                let mut hex = String::new();
                for c in more.chunks(chunk) {
                    c.iter().rev().for_each(|b| {
                        let _ = write!(hex, "{b:02x}");
                    });
                    hex.push(' ');
                }
                let _ = writeln!(out, "{}:\t{hex}", format_addr(addr + 8 * n as u64, skip));
            }
            off += row.len;
        }
    }

    /// In a `$d` region, how many bytes objdump prints as one datum; `None` in code.
    fn data_len(&self, addr: u64) -> Option<usize> {
        let last = self.maps.iter().rev().find(|m| m.0 <= addr)?;
        if !last.1 {
            return None;
        }
        let limit = self
            .maps
            .iter()
            .find(|m| m.0 > addr)
            .map_or(self.addr + self.data.len() as u64, |m| m.0);
        Some(match (limit - addr).min(4) {
            3 => 2,
            n => n as usize,
        })
    }
}

/// A symbol name as objdump prints it: control characters as `^B` and the like (the assembler
/// names local labels `.L1\x021`).
fn caret_controls(name: &str) -> String {
    name.chars()
        .flat_map(|c| match c {
            '\0'..='\x1f' => ['^', char::from(c as u8 + 0x40)].into_iter().take(2),
            _ => [c, c].into_iter().take(1),
        })
        .collect()
}

/// How many leading address characters objdump drops for a section ending at `end`: leading
/// zeros in chunks of four, always leaving one.
fn skip_addr_chars(end: u64) -> usize {
    let zeros = format!("{end:016x}")
        .bytes()
        .take_while(|&b| b == b'0')
        .count();
    if zeros == 16 || zeros == 0 {
        0
    } else {
        (zeros - 1) & !3
    }
}

/// An address as objdump prints it in the first column: leading zeros turned into spaces.
fn format_addr(addr: u64, skip: usize) -> String {
    let full = format!("{addr:016x}");
    let kept = &full[skip..];
    let digits = kept.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    format!("{:>w$}", digits, w = kept.len())
}

/// Instruction length from the first parcel, as binutils' `riscv_insn_length` gives it.
fn insn_length(parcel: u16) -> usize {
    match parcel {
        p if p & 3 != 3 => 2,
        p if p & 0x1f != 0x1f => 4,
        p if p & 0x3f == 0x1f => 6,
        p if p & 0x7f == 0x3f => 8,
        p if p & 0x7f == 0x7f && p & 0x7000 != 0x7000 => 10 + ((p as usize >> 11) & 0xe),
        _ => 2,
    }
}

/// The hex column: `bytes` in little-endian chunks, padded to `per_line` bytes.
fn hex_column(bytes: &[u8], chunk: usize, per_line: usize) -> String {
    let mut s = String::new();
    for c in bytes.chunks(chunk) {
        for b in c.iter().rev() {
            let _ = write!(s, "{b:02x}");
        }
        s.push(' ');
    }
    let mut pb = bytes.len();
    while pb < per_line {
        s.push_str(&"  ".repeat(chunk));
        s.push(' ');
        pb += chunk;
    }
    s
}

/// The chunk size a row was printed with.
fn chunk_of(row: &Row) -> usize {
    row.hex.split(' ').next().map_or(1, |c| c.len() / 2)
}

/// The line objdump prints for the instruction at the start of `bytes`, at address `addr`.
pub fn insn_row(addr: u64, bytes: &[u8], ext: Extensions, spec: PrivSpec) -> Row {
    if bytes.len() < 2 {
        return data_row(bytes);
    }
    let parcel = u16::from_le_bytes([bytes[0], bytes[1]]);
    let len = match insn_length(parcel) {
        n if n > bytes.len() => 2, // cut short by the end of the section
        n => n,
    };
    let raw = &bytes[..len];
    let chunk = if len % 4 == 0 { 4 } else { 2 };
    let value = raw.iter().rev().fold(0u64, |v, &b| (v << 8) | u64::from(b));
    let text = match (len, decode_bytes(raw, ext)) {
        (2 | 4, Ok(inst)) if inst.size() as usize == len => {
            inst.display(addr).priv_spec(spec).to_string()
        }
        // objdump names these two defined-illegal encodings.
        (2, _) if value == 0 => "c.unimp".into(),
        (4, _) if value == 0xc000_1073 => "unimp".into(),
        (2 | 4 | 8, _) => format!(".{len}byte\t0x{value:x}"),
        _ => {
            let list: Vec<String> = raw.iter().map(|b| format!("0x{b:02x}")).collect();
            format!(".byte\t{}", list.join(", "))
        }
    };
    Row {
        len,
        hex: hex_column(&raw[..len.min(8)], chunk, 8),
        text,
    }
}

/// A datum of a `$d` region, 1, 2 or 4 bytes.
fn data_row(raw: &[u8]) -> Row {
    let value = raw.iter().rev().fold(0u64, |v, &b| (v << 8) | u64::from(b));
    let (text, per_line) = match raw.len() {
        1 => (format!(".byte\t0x{value:02x}"), 6),
        2 => (format!(".short\t0x{value:04x}"), 8),
        _ => (format!(".word\t0x{value:08x}"), 8),
    };
    Row {
        len: raw.len(),
        hex: hex_column(raw, raw.len().max(1), per_line),
        text,
    }
}

/// Up to 16 bytes of an object, as objdump dumps it: hex chunks, then the printable characters.
fn dump_row(bytes: &[u8], left: usize, chunk: usize) -> Row {
    let len = left.min(16);
    let shown = &bytes[..(len.div_ceil(chunk) * chunk).min(bytes.len())];
    let mut hex = String::new();
    for c in shown.chunks(chunk) {
        for b in c.iter().rev() {
            let _ = write!(hex, "{b:02x}");
        }
        hex.push(' ');
    }
    let mut pb = len;
    while pb < 16 {
        hex.push_str(&"  ".repeat(chunk));
        hex.push(' ');
        pb += chunk;
    }
    let text = bytes[..len]
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    Row { len, hex, text }
}

/// The privileged spec version named by the file's `.riscv.attributes` section
/// (`Tag_RISCV_priv_spec` 8, `_minor` 10, `_revision` 12), as objdump reads it; 1.12 when the
/// file names none or one objdump does not know.
fn priv_spec(file: &object::File<'_>) -> PrivSpec {
    let Some(data) = file
        .section_by_name(".riscv.attributes")
        .and_then(|s| s.data().ok())
    else {
        return PrivSpec::default();
    };
    let tags = riscv_attributes(data);
    let get = |tag| tags.iter().find(|&&(t, _)| t == tag).map_or(0, |&(_, v)| v);
    match get(8) {
        0 => PrivSpec::default(),
        major => PrivSpec::from_version(major, get(10), get(12)).unwrap_or_default(),
    }
}

/// The integer attributes of the `riscv` vendor subsection: (tag, value) pairs. The format is
/// the ELF build-attributes one: `A`, then subsections (length, vendor name, sub-subsections of
/// tag 1 for the whole file), where even tags carry a ULEB128 and odd tags a string.
fn riscv_attributes(data: &[u8]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let Some(rest) = data.strip_prefix(b"A") else {
        return out;
    };
    let Some(len) = rest
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    else {
        return out;
    };
    let sub = &rest[..(len as usize).min(rest.len())];
    let Some(nul) = sub.get(4..).and_then(|b| b.iter().position(|&c| c == 0)) else {
        return out;
    };
    if &sub[4..4 + nul] != b"riscv" {
        return out;
    }
    // File-scope sub-subsection: tag 1, a 4-byte length, then the attributes.
    let mut at = 4 + nul + 1 + 5;
    let uleb = |at: &mut usize| -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *sub.get(*at)?;
            *at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    };
    while at < sub.len() {
        let Some(tag) = uleb(&mut at) else { break };
        if tag % 2 == 0 {
            let Some(value) = uleb(&mut at) else { break };
            out.push((tag, value));
        } else {
            match sub[at..].iter().position(|&c| c == 0) {
                Some(n) => at += n + 1,
                None => break,
            }
        }
    }
    out
}
