//! Passes over a block's IR, each keeping the guest state at every possible exit exactly as the
//! interpreter would leave it.
//!
//! * [`fold_constants`]: registers with values known at translation time (from `lui`, `auipc`,
//!   `jal` links and earlier folds) make integer operations on them constants, and turn a
//!   branch with known operands into a jump (or, for a side exit never taken, nothing) and a
//!   `jalr` with a known base into a direct jump.
//!   This is what fuses the common pairs: `lui`+`addi` and `auipc`+`addi` become one constant,
//!   `auipc`+`jalr` a direct call.
//! * [`drop_dead_writes`]: a register write that a later instruction overwrites, with no read
//!   and no possible exit in between, is dropped (the instruction still counts as retired).

use ospite_isa::{Fmt, Inst};

use crate::ir::{Block, NodeKind, Terminal};

/// Runs every pass.
pub(crate) fn optimize(block: &mut Block) {
    fold_constants(block);
    drop_dead_writes(block);
}

/// The second operand of an integer operation: the immediate or `rs2`, as the interpreter picks.
fn uses_imm(inst: &Inst) -> bool {
    matches!(inst.op.info().fmt, Fmt::I | Fmt::Sh6 | Fmt::Sh5)
}

/// Folds constants forward through the block (see the module documentation).
pub(crate) fn fold_constants(block: &mut Block) {
    let mut known: [Option<u64>; 32] = [None; 32];
    known[0] = Some(0);
    for k in 0..block.nodes.len() {
        let node = &mut block.nodes[k];
        let inst = node.inst;
        let rd = inst.rd.idx();
        match node.kind {
            NodeKind::Const { rd, value } => known[rd as usize] = Some(value),
            NodeKind::Native => {
                let a = known[inst.rs1.idx()];
                let b = if uses_imm(&inst) {
                    Some(inst.imm as i64 as u64)
                } else {
                    known[inst.rs2.idx()]
                };
                let folded = match (a, b) {
                    (Some(a), Some(b)) => ospite_interp::alu(inst.op, a, b),
                    _ => None,
                };
                match folded {
                    Some(value) => {
                        node.kind = NodeKind::Const {
                            rd: rd as u8,
                            value,
                        };
                        known[rd] = Some(value);
                    }
                    None => known[rd] = None,
                }
            }
            // Loads and helpers may write `rd` (helpers an f register, which clearing `rd`
            // covers conservatively); stores write no register.
            NodeKind::Memory | NodeKind::Helper | NodeKind::Float => known[rd] = None,
            NodeKind::SideExit { cond, target } => {
                if let (Some(a), Some(b)) = (known[inst.rs1.idx()], known[inst.rs2.idx()]) {
                    node.kind = NodeKind::Nop;
                    if cond.holds(a, b) {
                        // Always taken: the block ends here.
                        block.nodes.truncate(k + 1);
                        block.terminal = Terminal::Jump { target };
                        return;
                    }
                }
            }
            NodeKind::Nop | NodeKind::Terminal => {}
        }
        known[0] = Some(0);
    }
    let Some(last) = block.nodes.last_mut() else {
        return;
    };
    match block.terminal {
        Terminal::Branch {
            cond,
            rs1,
            rs2,
            taken,
            fallthrough,
        } => {
            if let (Some(a), Some(b)) = (known[rs1 as usize], known[rs2 as usize]) {
                let target = if cond.holds(a, b) { taken } else { fallthrough };
                last.kind = NodeKind::Nop;
                block.terminal = Terminal::Jump { target };
            }
        }
        Terminal::Indirect { rs1, imm, rd, link } => {
            if let Some(base) = known[rs1 as usize] {
                let target = base.wrapping_add(imm as i64 as u64) & !1;
                last.kind = if rd == 0 {
                    NodeKind::Nop
                } else {
                    NodeKind::Const { rd, value: link }
                };
                block.terminal = Terminal::Jump { target };
            }
        }
        Terminal::Jump { .. } | Terminal::Interpret { .. } => {}
    }
}

/// The register a node writes without being able to exit, if any.
fn pure_write(kind: NodeKind, inst: &Inst) -> Option<u8> {
    match kind {
        NodeKind::Const { rd, .. } => Some(rd),
        NodeKind::Native => Some(inst.rd.num()),
        _ => None,
    }
}

/// Drops register writes that are overwritten before being read or observed (see the module
/// documentation).
pub(crate) fn drop_dead_writes(block: &mut Block) {
    for i in 0..block.nodes.len() {
        let Some(r) = pure_write(block.nodes[i].kind, &block.nodes[i].inst) else {
            continue;
        };
        if r == 0 {
            continue;
        }
        for later in &block.nodes[i + 1..] {
            let inst = &later.inst;
            let reads = match later.kind {
                NodeKind::Nop | NodeKind::Const { .. } => false,
                NodeKind::Native => inst.rs1.num() == r || (!uses_imm(inst) && inst.rs2.num() == r),
                // These may exit, where the register is observed.
                NodeKind::Memory
                | NodeKind::Helper
                | NodeKind::Float
                | NodeKind::Terminal
                | NodeKind::SideExit { .. } => true,
            };
            if reads {
                break;
            }
            if pure_write(later.kind, inst) == Some(r) {
                block.nodes[i].kind = NodeKind::Nop;
                break;
            }
        }
    }
}
