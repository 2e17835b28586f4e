//! Block discovery: decode guest instructions from one physical page, up to a branch, a jump,
//! an instruction the interpreter must run, the page end or the length limit.

use ospite_isa::{decode, Class, Ext, Extensions, Op};
use ospite_mmu::{AccessSize, Bus, PhysAddr, PAGE_SIZE};

use crate::emit::HostFeatures;
use crate::ir::{Block, Cond, Node, NodeKind, Terminal};

/// Discovers the block at guest virtual address `pc`, whose first byte is at physical address
/// `pa` (RAM).
pub(crate) fn discover<B: Bus + ?Sized>(
    bus: &B,
    pc: u64,
    pa: u64,
    ext: Extensions,
    features: HostFeatures,
    max_len: usize,
) -> Block {
    let compressed = ext.has(Ext::C);
    let mut nodes = Vec::new();
    let mut off = 0u64;
    let page_left = PAGE_SIZE - (pa & (PAGE_SIZE - 1));
    let terminal = loop {
        let at = pc.wrapping_add(off);
        if off >= page_left || nodes.len() >= max_len {
            break Terminal::Jump { target: at };
        }
        let Some(inst) = fetch(bus, pa + off, off + 4 > page_left, ext) else {
            break Terminal::Interpret { pc: at };
        };
        let next = at.wrapping_add(inst.size());
        let rd = inst.rd.num();
        let node = |kind| Node { pc: at, inst, kind };
        // Without C, a jump to an address that is not a multiple of 4 traps: the interpreter
        // decides.
        let aligned = |target: u64| compressed || target & 3 == 0;
        match inst.op.class() {
            Class::Alu if rd == 0 => nodes.push(node(NodeKind::Nop)),
            Class::Alu if crate::emit::alu::is_native(inst.op, features) => {
                nodes.push(node(NodeKind::Native));
            }
            Class::Alu => nodes.push(node(NodeKind::Helper)),
            Class::Upper if rd == 0 => nodes.push(node(NodeKind::Nop)),
            Class::Upper => {
                let imm = inst.imm as i64 as u64;
                let value = if inst.op == Op::Auipc {
                    at.wrapping_add(imm)
                } else {
                    imm
                };
                nodes.push(node(NodeKind::Const { rd, value }));
            }
            Class::Load(..) | Class::Store(_) | Class::Amo(_) => {
                nodes.push(node(NodeKind::Memory));
            }
            Class::FpLoad(_) | Class::FpStore(_) | Class::Fp
                if crate::emit::fp::is_native(&inst, features) =>
            {
                nodes.push(node(NodeKind::Float));
            }
            Class::FpLoad(_)
            | Class::FpStore(_)
            | Class::Fp
            | Class::LoadReserved(_)
            | Class::StoreConditional(_) => nodes.push(node(NodeKind::Helper)),
            Class::Fence => nodes.push(node(NodeKind::Nop)),
            Class::Branch => {
                let taken = at.wrapping_add(inst.imm as i64 as u64);
                let cond = Cond::of(inst.op).expect("a branch has a condition");
                if !aligned(taken) {
                    break Terminal::Interpret { pc: at };
                }
                if taken > at && nodes.len() + 1 < max_len {
                    // Forward (an `if` or a loop's exit): the block goes on along the
                    // fall-through, so that a loop body with such branches stays one block.
                    // A backward branch (a loop's back edge) ends it.
                    nodes.push(node(NodeKind::SideExit {
                        cond,
                        target: taken,
                    }));
                    off += inst.size();
                    continue;
                }
                nodes.push(node(NodeKind::Terminal));
                break Terminal::Branch {
                    cond,
                    rs1: inst.rs1.num(),
                    rs2: inst.rs2.num(),
                    taken,
                    fallthrough: next,
                };
            }
            Class::Jal => {
                let target = at.wrapping_add(inst.imm as i64 as u64);
                if !aligned(target) {
                    break Terminal::Interpret { pc: at };
                }
                let kind = if rd == 0 {
                    NodeKind::Nop
                } else {
                    NodeKind::Const { rd, value: next }
                };
                nodes.push(node(kind));
                break Terminal::Jump { target };
            }
            Class::Jalr if compressed => {
                nodes.push(node(NodeKind::Terminal));
                break Terminal::Indirect {
                    rs1: inst.rs1.num(),
                    imm: inst.imm,
                    rd,
                    link: next,
                };
            }
            Class::Jalr
            | Class::FenceI
            | Class::Trap
            | Class::Return
            | Class::Wfi
            | Class::SfenceVma
            | Class::Csr => break Terminal::Interpret { pc: at },
        }
        off += inst.size();
    };
    Block {
        pc,
        nodes,
        terminal,
    }
}

/// Decodes the instruction at physical address `pa`; `None` if it cannot be read, is not a
/// valid instruction, or (`near_end`) a 32-bit instruction would cross the page end.
fn fetch<B: Bus + ?Sized>(
    bus: &B,
    pa: u64,
    near_end: bool,
    ext: Extensions,
) -> Option<ospite_isa::Inst> {
    let low = bus.load(PhysAddr(pa), AccessSize::B2).ok()?;
    let bits = if low & 3 != 3 {
        low
    } else if near_end {
        return None;
    } else {
        bus.load(PhysAddr(pa), AccessSize::B4).ok()?
    };
    decode(bits as u32, ext).ok()
}
