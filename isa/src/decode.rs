//! Decoding: bits to [`Inst`], through the dispatch tables built from the pattern tables.

use core::fmt;

use crate::compressed::{COp, COPS, CPATTERNS};
use crate::dispatch::{self, Dispatch};
use crate::ext::{Ext, Extensions};
use crate::inst::Inst;
use crate::op::{Op, OPS, PATTERNS};

/// Why some bits are not an instruction this decoder accepts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DecodeError {
    /// No instruction has this encoding (including the all-zero parcel, defined illegal).
    Illegal {
        /// The bits (a 16-bit parcel in the low half, or a 32-bit word).
        bits: u32,
    },
    /// A reserved encoding, such as `c.addi4spn` with a zero immediate or `c.lwsp` to `x0`.
    Reserved {
        /// The 16-bit parcel.
        bits: u32,
        /// The form it would have been.
        form: &'static str,
    },
    /// An instruction of an extension the decoder was told to leave out.
    ExtensionDisabled {
        /// The bits.
        bits: u32,
        /// The missing extension.
        ext: Ext,
    },
    /// The low bits announce an instruction longer than 32 bits, which RV64GC does not have.
    TooLong {
        /// The first 16-bit parcel.
        bits: u32,
    },
    /// Fewer bytes than the instruction's length.
    Truncated,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DecodeError::Illegal { bits } => write!(f, "illegal instruction 0x{bits:08x}"),
            DecodeError::Reserved { bits, form } => {
                write!(f, "reserved encoding 0x{bits:04x} of {form}")
            }
            DecodeError::ExtensionDisabled { bits, ext } => write!(
                f,
                "instruction 0x{bits:08x} needs extension {ext}, which is not enabled"
            ),
            DecodeError::TooLong { bits } => {
                write!(
                    f,
                    "parcel 0x{bits:04x} starts an instruction longer than 32 bits"
                )
            }
            DecodeError::Truncated => f.write_str("instruction bytes cut short"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// Key bits of a 32-bit word: the major opcode (bits 6:2) and `funct3` (bits 14:12).
const KEY32: u32 = 0x707c;
/// Key bits of a 16-bit parcel: the quadrant (bits 1:0) and `funct3` (bits 15:13).
const KEY16: u32 = 0xe003;

/// `gather(w, KEY32)`, written out: bits 6:2 to key bits 4:0, bits 14:12 to key bits 7:5.
#[inline(always)]
const fn key32(w: u32) -> usize {
    (((w >> 2) & 0x1f) | ((w >> 7) & 0xe0)) as usize
}

/// `gather(p, KEY16)`, written out: bits 1:0 to key bits 1:0, bits 15:13 to key bits 4:2.
#[inline(always)]
fn key16(p: u32) -> usize {
    ((p & 3) | ((p >> 11) & 0x1c)) as usize
}

const SLOTS32: usize = dispatch::slot_count(&PATTERNS, KEY32);
static DISPATCH32: Dispatch<256, SLOTS32> = dispatch::build(&PATTERNS, KEY32);
const SLOTS16: usize = dispatch::slot_count(&CPATTERNS, KEY16);
static DISPATCH16: Dispatch<32, SLOTS16> = dispatch::build(&CPATTERNS, KEY16);

/// No row matches.
const NO_ROW: u8 = u8::MAX;

/// Bits of a 32-bit word that pick its likely row in one load: the major opcode (6:2),
/// `funct3` (14:12) and `funct7` (31:25).
const WIDE32: u32 = 0xfe00_707c;

/// `gather(w, WIDE32)`, written out.
#[inline(always)]
const fn wide_key32(w: u32) -> usize {
    (((w >> 2) & 0x1f) | ((w >> 7) & 0xe0) | ((w >> 17) & 0x7f00)) as usize
}

/// For each [`WIDE32`] key, the most specific row those bits allow (or [`NO_ROW`]). Most words
/// match it, and decoding them is one load and one compare; the others (instructions told
/// apart by other fields, such as `ecall`/`ebreak` or the `fcvt` family) fall back to the scan.
static WORD_ROWS: [u8; 1 << 15] = {
    let mut rows = [NO_ROW; 1 << 15];
    let mut k = 0;
    while k < 1 << 15 {
        // The key's bits put back in their places of a word with the low bits `11`.
        let w =
            3 | ((k as u32 & 0x1f) << 2) | ((k as u32 & 0xe0) << 7) | ((k as u32 & 0x7f00) << 17);
        let cands = &DISPATCH32;
        let bucket = key32(w);
        let start = cands.start[bucket] as usize;
        let mut i = start;
        while i < start + cands.len[bucket] as usize {
            let (mat, mask) = PATTERNS[cands.slots[i] as usize];
            if (w ^ mat) & mask & WIDE32 == 0 {
                rows[k] = cands.slots[i] as u8;
                break;
            }
            i += 1;
        }
        k += 1;
    }
    rows
};

/// Decodes one instruction from `bits`: a 32-bit word, or, when its low two bits are not `11`,
/// the compressed parcel in its low 16 bits (the upper half is then ignored). Never panics.
///
/// ```
/// use ospite_isa::{decode, Extensions, Op};
/// let i = decode(0x00b50533, Extensions::RV64GC).unwrap(); // add a0,a0,a1
/// assert_eq!(i.op, Op::Add);
/// assert_eq!(i.to_string(), "add\ta0,a0,a1");
/// ```
#[inline]
pub fn decode(bits: u32, ext: Extensions) -> Result<Inst, DecodeError> {
    if bits & 3 != 3 {
        return decode_compressed(bits as u16, ext);
    }
    if bits & 0x1c == 0x1c {
        return Err(DecodeError::TooLong {
            bits: bits & 0xffff,
        });
    }
    let row = WORD_ROWS[wide_key32(bits)];
    if row != NO_ROW {
        let info = &OPS[row as usize];
        if bits & info.mask == info.mat && ext.has(info.ext) {
            let mut inst = Inst::new(Op::ALL[row as usize]);
            info.fmt.extract(bits, &mut inst);
            return Ok(inst);
        }
    }
    decode_by_scan(bits, ext)
}

/// The general path: every candidate row of the word's opcode and `funct3`, most specific
/// first.
#[cold]
fn decode_by_scan(bits: u32, ext: Extensions) -> Result<Inst, DecodeError> {
    let mut disabled = None;
    for &row in DISPATCH32.candidates(key32(bits)) {
        let info = &OPS[row as usize];
        if bits & info.mask != info.mat {
            continue;
        }
        if !ext.has(info.ext) {
            disabled.get_or_insert(info.ext);
            continue;
        }
        let mut inst = Inst::new(Op::ALL[row as usize]);
        info.fmt.extract(bits, &mut inst);
        return Ok(inst);
    }
    Err(match disabled {
        Some(ext) => DecodeError::ExtensionDisabled { bits, ext },
        None => DecodeError::Illegal { bits },
    })
}

/// Decodes a 16-bit compressed parcel to the [`Inst`] of its 32-bit twin, remembering the form.
/// A parcel whose low bits are `11` is the start of a 32-bit instruction: an error here.
///
/// ```
/// use ospite_isa::{decode_compressed, Extensions, Op};
/// let i = decode_compressed(0x0505, Extensions::RV64GC).unwrap(); // c.addi a0,1
/// assert_eq!(i.op, Op::Addi);
/// assert_eq!(i.size(), 2);
/// assert_eq!(i.to_string(), "c.addi\ta0,1");
/// ```
#[inline]
pub fn decode_compressed(parcel: u16, ext: Extensions) -> Result<Inst, DecodeError> {
    let p = parcel as u32;
    if p & 3 == 3 {
        return Err(DecodeError::Truncated);
    }
    if parcel == 0 {
        return Err(DecodeError::Illegal { bits: 0 });
    }
    for &row in DISPATCH16.candidates(key16(p)) {
        let info = &COPS[row as usize];
        if p & info.mask as u32 != info.mat as u32 {
            continue;
        }
        if !ext.has(Ext::C) {
            return Err(DecodeError::ExtensionDisabled {
                bits: p,
                ext: Ext::C,
            });
        }
        if !ext.has(info.ext) {
            return Err(DecodeError::ExtensionDisabled {
                bits: p,
                ext: info.ext,
            });
        }
        let cop = COp::ALL[row as usize];
        let mut inst = Inst::new(info.op);
        inst.compressed = Some(cop);
        info.fmt.extract(p, info.op, &mut inst);
        if info.nonzero.is_broken_by(&inst) {
            return Err(DecodeError::Reserved {
                bits: p,
                form: info.name,
            });
        }
        return Ok(inst);
    }
    Err(DecodeError::Illegal { bits: p })
}

/// Decodes the instruction at the start of `bytes` (little-endian), 2 or 4 bytes long.
pub fn decode_bytes(bytes: &[u8], ext: Extensions) -> Result<Inst, DecodeError> {
    match bytes {
        [a, b, ..] if a & 3 != 3 => decode_compressed(u16::from_le_bytes([*a, *b]), ext),
        [a, b, c, d, ..] => decode(u32::from_le_bytes([*a, *b, *c, *d]), ext),
        [a, _] if a & 0x1c == 0x1c => Err(DecodeError::TooLong { bits: *a as u32 }),
        _ => Err(DecodeError::Truncated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::gather;

    #[test]
    fn written_out_keys_equal_the_gathered_ones() {
        for w in (0..=0xffffu32).map(|v| v.wrapping_mul(0x9e37_79b9) ^ v) {
            assert_eq!(key32(w), gather(w, KEY32));
            assert_eq!(key16(w & 0xffff), gather(w & 0xffff, KEY16));
            assert_eq!(wide_key32(w), gather(w, WIDE32));
        }
    }
}
