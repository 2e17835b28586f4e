//! The small IR between the frontend and the emitter: one node per guest instruction (so a
//! node's index is the instruction's place in the block, which exits need for exact `instret`),
//! and an explicit terminal.

use ospite_isa::{Inst, Op};

/// One guest instruction of a block and what the emitter makes of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    /// The guest instruction's address.
    pub pc: u64,
    /// The instruction as decoded.
    pub inst: Inst,
    /// How it is translated.
    pub kind: NodeKind,
}

/// How a node is translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// Native x86 code for the instruction itself.
    Native,
    /// A load, store or AMO with the TLB hit test inline; the interpreter's semantics on a
    /// miss.
    Memory,
    /// A call into the interpreter's semantics (floating point, LR/SC, rare integer ops).
    Helper,
    /// Floating point in SSE2/FMA3 code, or an FP load or store with the TLB hit test inline;
    /// the interpreter's semantics whenever the host result might differ (see `emit::fp`).
    Float,
    /// `rd = value`: the instruction's result is known at translation time (a folded
    /// constant, or the link of a `jal`).
    Const {
        /// The register written.
        rd: u8,
        /// Its value.
        value: u64,
    },
    /// A conditional branch forward, in the middle of the block: when it is taken the block
    /// leaves for `target` (a side exit); otherwise the block goes on with the next instruction.
    SideExit {
        /// The comparison (of the instruction's `rs1` and `rs2`).
        cond: Cond,
        /// Where the branch goes when taken.
        target: u64,
    },
    /// Nothing to do: the instruction writes `x0`, is a `fence`, or its write is dead.
    Nop,
    /// The block's control-flow instruction, carried out by the terminal.
    Terminal,
}

/// A conditional branch's comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    /// `beq`.
    Eq,
    /// `bne`.
    Ne,
    /// `blt`.
    Lt,
    /// `bge`.
    Ge,
    /// `bltu`.
    Ltu,
    /// `bgeu`.
    Geu,
}

impl Cond {
    /// The comparison of a branch opcode.
    pub fn of(op: Op) -> Option<Cond> {
        Some(match op {
            Op::Beq => Cond::Eq,
            Op::Bne => Cond::Ne,
            Op::Blt => Cond::Lt,
            Op::Bge => Cond::Ge,
            Op::Bltu => Cond::Ltu,
            Op::Bgeu => Cond::Geu,
            _ => return None,
        })
    }

    /// The condition code of the x86 `jcc` that jumps when the comparison holds after
    /// `cmp rs1, rs2` (`0x0f 0x80 | code` is its `rel32` form).
    pub(crate) fn x86_code(self) -> u8 {
        match self {
            Cond::Eq => 0x4,
            Cond::Ne => 0x5,
            Cond::Lt => 0xc,
            Cond::Ge => 0xd,
            Cond::Ltu => 0x2,
            Cond::Geu => 0x3,
        }
    }

    /// Evaluates the comparison.
    pub fn holds(self, a: u64, b: u64) -> bool {
        match self {
            Cond::Eq => a == b,
            Cond::Ne => a != b,
            Cond::Lt => (a as i64) < (b as i64),
            Cond::Ge => (a as i64) >= (b as i64),
            Cond::Ltu => a < b,
            Cond::Geu => a >= b,
        }
    }
}

/// How a block ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Terminal {
    /// Continue at a known address (after a `jal`, a folded branch, or when the block was cut
    /// at its length limit or the page end).
    Jump {
        /// The next pc.
        target: u64,
    },
    /// A conditional branch.
    Branch {
        /// The comparison.
        cond: Cond,
        /// First operand register.
        rs1: u8,
        /// Second operand register.
        rs2: u8,
        /// Where it goes when the comparison holds.
        taken: u64,
        /// Where it goes otherwise.
        fallthrough: u64,
    },
    /// `jalr`: to `(x[rs1] + imm) & !1`, writing the link to `rd` after reading `rs1`.
    Indirect {
        /// The base register.
        rs1: u8,
        /// The offset.
        imm: i32,
        /// The link register (0 for none).
        rd: u8,
        /// The link value (the address after the `jalr`).
        link: u64,
    },
    /// The interpreter runs the instruction at `pc` (a CSR access, `ecall`, `mret`, `wfi`,
    /// `fence.i`, an illegal instruction, one that crosses the page end...).
    Interpret {
        /// Its address.
        pc: u64,
    },
}

/// A guest block ready for emission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The guest virtual address of the first instruction.
    pub pc: u64,
    /// One node per guest instruction that the block's code runs (not the instruction of an
    /// [`Terminal::Interpret`]).
    pub nodes: Vec<Node>,
    /// How the block ends.
    pub terminal: Terminal,
}

impl Block {
    /// The instructions the block's code accounts for (its budget cost).
    pub fn len(&self) -> u64 {
        self.nodes.len() as u64
    }

    /// Whether the block runs no instruction of its own (it only hands one to the interpreter).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The address after node `k`.
    pub fn next_pc(&self, k: usize) -> u64 {
        let n = &self.nodes[k];
        n.pc.wrapping_add(n.inst.size())
    }
}
