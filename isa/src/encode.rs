//! Encoding: [`Inst`] back to its exact bits, through the same tables that decode it.

use core::fmt;

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
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::ImmediateOutOfRange { imm } => {
                write!(f, "immediate {imm} does not fit its field")
            }
            EncodeError::NotCompressible => f.write_str("operands do not fit the compressed form"),
        }
    }
}

impl core::error::Error for EncodeError {}

impl Inst {
    /// The instruction's bits: a 32-bit word, or for a compressed instruction the 16-bit parcel
    /// in the low half. `decode(i.encode()?)` gives `i` back.
    ///
    /// ```
    /// use ospite_isa::{decode, Extensions};
    /// let i = decode(0xfe010113, Extensions::RV64GC).unwrap(); // addi sp,sp,-32
    /// assert_eq!(i.encode(), Ok(0xfe010113));
    /// ```
    pub fn encode(&self) -> Result<u32, EncodeError> {
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
