//! Encoding: [`Inst`] back to its exact bits, through the same tables that decode it.

use core::fmt;

use crate::decode::decode;
use crate::ext::Extensions;
use crate::inst::Inst;

/// Why an [`Inst`] cannot be encoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EncodeError {
    /// An immediate does not fit its field, or breaks its alignment.
    ImmediateOutOfRange {
        /// The immediate.
        imm: i64,
    },
    /// The operands do not fit the compressed form the instruction names.
    NotCompressible,
    /// The bits would decode as a different instruction (say `c.lui` to `sp`, which is
    /// `c.addi16sp`, or an operand the format has no field for).
    NotCanonical {
        /// The bits the fields produced.
        bits: u32,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::ImmediateOutOfRange { imm } => {
                write!(f, "immediate {imm} does not fit its field")
            }
            EncodeError::NotCompressible => f.write_str("operands do not fit the compressed form"),
            EncodeError::NotCanonical { bits } => {
                write!(
                    f,
                    "bits 0x{bits:08x} would decode as a different instruction"
                )
            }
        }
    }
}

impl core::error::Error for EncodeError {}

impl Inst {
    /// The instruction's bits: a 32-bit word, or for a compressed instruction the 16-bit parcel
    /// in the low half. Whenever it succeeds, `decode(i.encode()?)` gives `i` back: fields that
    /// would decode as another instruction are refused with [`EncodeError::NotCanonical`].
    ///
    /// ```
    /// use ospite_isa::{decode, Extensions};
    /// let i = decode(0xfe010113, Extensions::RV64GC).unwrap(); // addi sp,sp,-32
    /// assert_eq!(i.encode(), Ok(0xfe010113));
    /// ```
    pub fn encode(&self) -> Result<u32, EncodeError> {
        let bits = self.encode_fields()?;
        match decode(bits, Extensions::ALL) {
            Ok(back) if back == *self => Ok(bits),
            _ => Err(EncodeError::NotCanonical { bits }),
        }
    }

    /// The bits from the table row and the format, before the canonical check.
    fn encode_fields(&self) -> Result<u32, EncodeError> {
        match self.compressed {
            Some(cop) => {
                let info = cop.info();
                Ok(info.mat as u32 | info.fmt.insert(cop, self)?)
            }
            None => {
                let info = self.op.info();
                Ok(info.mat | info.fmt.insert(self)?)
            }
        }
    }
}
