//! `ospite-isa`: the RISC-V RV64GC instruction set as data.
//!
//! One table of bit patterns ([`OPS`] for 32-bit words, [`COPS`] for compressed parcels)
//! drives [`decode`], [`Inst::encode`] and disassembly ([`Inst::display`]), so the three cannot
//! disagree. Covered: RV64I, M, A, F, D, C, Zicsr, Zifencei, Zba, Zbb, Zbc, Zbs, Zicond and the
//! privileged instructions. Disassembly prints exactly what GNU objdump prints with
//! `-M no-aliases`. The crate is `no_std`, has no `unsafe`, and decoding never allocates.
//! With the `alloc` feature (on by default), [`asm::Assembler`] builds guest code for tests:
//! labels, forward branches and the usual pseudo-instructions, encoded through the same table.
//! With the `elf` feature (which brings in `std` and the `object` crate), [`listing`] prints
//! `objdump -d`'s listing of a RISC-V ELF file, line for line.
//!
//! ```
//! use ospite_isa::{decode, Extensions, Op};
//!
//! // ld a0,8(sp), then its compressed twin c.ldsp a0,8(sp)
//! let wide = decode(0x00813503, Extensions::RV64GC).unwrap();
//! let narrow = decode(0x6522, Extensions::RV64GC).unwrap();
//! assert_eq!((wide.op, narrow.op), (Op::Ld, Op::Ld));
//! assert_eq!((wide.rd, wide.rs1, wide.imm), (narrow.rd, narrow.rs1, narrow.imm));
//! assert_eq!(narrow.to_string(), "c.ldsp\ta0,8(sp)");
//! assert_eq!(narrow.encode(), Ok(0x6522));
//!
//! // An RV64IMAC core has no floating point.
//! assert!(decode(0x02c5f553, Extensions::RV64IMAC).is_err()); // fadd.d
//! ```
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "elf")]
extern crate std;

#[cfg(feature = "alloc")]
pub mod asm;
mod compressed;
mod csr;
mod decode;
mod disasm;
mod dispatch;
mod encode;
mod ext;
mod facts;
mod format;
mod inst;
#[cfg(feature = "elf")]
pub mod listing;
mod op;
mod reg;

pub use compressed::{CFmt, COp, COpInfo, NonZero, COPS};
pub use csr::{Csr, CsrName, PrivSpec};
pub use decode::{decode, decode_bytes, decode_compressed, DecodeError};
pub use disasm::Disasm;
pub use encode::EncodeError;
pub use ext::{Ext, Extensions};
pub use facts::{MemAccess, MemKind, RegSet};
pub use format::{Fmt, Operands, RegFile};
pub use inst::{Inst, Rm};
pub use op::{Class, Op, OpInfo, Width, OPS};
pub use reg::{FReg, Reg, XReg};
