//! One instruction of a block in the form the block loop runs: its handler resolved, its
//! operands unpacked (register numbers, the sign-extended immediate) and its place in the block.
//!
//! While a block runs, the hart's pc stays at the block's first instruction; an instruction
//! finds its own pc as that plus [`Decoded::pc_off`]. The engine sets the real pc when the
//! block ends or an instruction faults, so straight-line code does not write the pc at every
//! instruction.

use ospite_isa::{Class, Inst, Op};

use super::handlers::{resolve, Handler};
use super::memo::Memo;

/// One instruction of a block.
pub(crate) struct Decoded<B> {
    /// The handler (for a system instruction, one that hands it to the engine).
    pub exec: Handler<B>,
    /// The immediate (sign-extended to 64 bits where used: [`Decoded::imm`]).
    pub imm32: i32,
    /// The byte offset of this instruction from the block's first.
    pub pc_off: u16,
    /// The byte offset of the next instruction from the block's first.
    pub next_off: u16,
    /// `rd`, `rs1`, `rs2` as register numbers.
    pub rd: RegIdx,
    pub rs1: RegIdx,
    pub rs2: RegIdx,
    /// For a store, SC or AMO: the access width in bytes.
    pub width: u8,
    /// The instruction, for the generic handler, system instructions and the store check.
    pub inst: Inst,
    /// For a load or store, the page its last access went to (see [`Memo`]).
    pub memo: Memo,
}

impl<B: ospite_mmu::Bus> Decoded<B> {
    /// `inst`, found `pc_off` bytes after the start of its block, where a branch back to
    /// the start may skip the target's check when `back_ok` (see `handlers::goes_back`).
    pub(crate) fn new(inst: Inst, pc_off: u64, back_ok: bool) -> Decoded<B> {
        let exec = resolve::<B>(&inst, pc_off, back_ok);
        let width = match inst.op.class() {
            Class::Store(w) | Class::FpStore(w) | Class::StoreConditional(w) | Class::Amo(w) => w,
            _ => 1,
        };
        // Offsets inside one 4 KiB page fit 16 bits.
        Decoded {
            exec,
            imm32: inst.imm,
            pc_off: pc_off as u16,
            next_off: (pc_off + inst.size()) as u16,
            rd: RegIdx::of(inst.rd.idx()),
            rs1: RegIdx::of(inst.rs1.idx()),
            rs2: RegIdx::of(inst.rs2.idx()),
            width,
            inst,
            memo: Memo::default(),
        }
    }

    /// The sign-extended immediate.
    #[inline(always)]
    pub(crate) fn imm(&self) -> i64 {
        i64::from(self.imm32)
    }

    /// Whether this is an `ebreak` (which stops the engine when debug breakpoints are on).
    #[inline(always)]
    pub(crate) fn is_ebreak(&self) -> bool {
        self.inst.op == Op::Ebreak
    }
}

/// A register number, 0 to 31, as a type whose values the compiler knows to be below 32: an
/// index into a 32-entry register file needs no bounds check and no mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
#[rustfmt::skip]
pub(crate) enum RegIdx {
    R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R14, R15,
    R16, R17, R18, R19, R20, R21, R22, R23, R24, R25, R26, R27, R28, R29, R30, R31,
}

impl RegIdx {
    /// Register `i % 32`.
    pub(crate) fn of(i: usize) -> RegIdx {
        use RegIdx::*;
        const ALL: [RegIdx; 32] = [
            R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R14, R15, R16, R17, R18,
            R19, R20, R21, R22, R23, R24, R25, R26, R27, R28, R29, R30, R31,
        ];
        ALL[i & 31]
    }

    /// The register number.
    #[inline(always)]
    pub(crate) fn get(self) -> usize {
        self as usize
    }
}

// 64 bytes: blocks are most of the interpreter's memory (some 20 MiB over a Linux boot).
const _: () = assert!(core::mem::size_of::<Decoded<ospite_mmu::MemoryMap>>() == 64);
