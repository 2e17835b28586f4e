//! One instruction of a block in the form the block loop runs: its handler resolved, its
//! operands unpacked (register numbers, the sign-extended immediate) and its place in the block.
//!
//! While a block runs, the hart's pc stays at the block's first instruction; an instruction
//! finds its own pc as that plus [`Decoded::pc_off`]. The engine sets the real pc when the
//! block ends or an instruction faults, so straight-line code does not write the pc at every
//! instruction.

use ospite_isa::{Class, Inst, Op};

use super::handlers::{resolve, Handler};

/// One instruction of a block.
pub(crate) struct Decoded<B> {
    /// The handler (for a system instruction, one that hands it to the engine).
    pub exec: Handler<B>,
    /// The sign-extended immediate.
    pub imm: i64,
    /// The byte offset of this instruction from the block's first.
    pub pc_off: u16,
    /// The byte offset of the next instruction from the block's first.
    pub next_off: u16,
    /// `rd`, `rs1`, `rs2` as register numbers (0..32).
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    /// For a store, SC or AMO: the access width in bytes.
    pub width: u8,
    /// For a store: the offset from `rs1` of the first byte written.
    pub offset: i32,
    /// The instruction, for the generic handler, system instructions and the store check.
    pub inst: Inst,
}

impl<B: ospite_mmu::Bus> Decoded<B> {
    /// `inst`, found `pc_off` bytes after the start of its block.
    pub(crate) fn new(inst: Inst, pc_off: u64) -> Decoded<B> {
        let exec = resolve::<B>(&inst, pc_off);
        let (width, offset) = match inst.op.class() {
            Class::Store(w) | Class::FpStore(w) => (w, inst.imm),
            Class::StoreConditional(w) | Class::Amo(w) => (w, 0),
            _ => (1, 0),
        };
        // Offsets inside one 4 KiB page fit 16 bits.
        Decoded {
            exec,
            imm: i64::from(inst.imm),
            pc_off: pc_off as u16,
            next_off: (pc_off + inst.size()) as u16,
            rd: inst.rd.idx() as u8 & 31,
            rs1: inst.rs1.idx() as u8 & 31,
            rs2: inst.rs2.idx() as u8 & 31,
            width,
            offset,
            inst,
        }
    }

    /// Whether this is an `ebreak` (which stops the engine when debug breakpoints are on).
    #[inline(always)]
    pub(crate) fn is_ebreak(&self) -> bool {
        self.inst.op == Op::Ebreak
    }
}
