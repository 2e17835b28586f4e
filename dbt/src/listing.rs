//! Listings of translated blocks: each guest instruction, then the x86 code, for people who
//! debug the translator (`Dbt::set_block_log`) and for the golden tests ([`explain`]).

use std::fmt::Write;

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use ospite_isa::Extensions;
use ospite_mmu::Bus;

use crate::emit::{emit_block, Env, HostFeatures};
use crate::ir::{Block, NodeKind, Terminal};
use crate::{frontend, passes};

/// The x86 instructions of `code`, assembled at `ip`, one per line (Intel syntax).
pub fn x86_lines(code: &[u8], ip: u64) -> Vec<String> {
    let mut decoder = Decoder::with_ip(64, code, ip, DecoderOptions::NONE);
    let mut formatter = IntelFormatter::new();
    formatter.options_mut().set_first_operand_char_index(8);
    let mut lines = Vec::new();
    let mut text = String::new();
    for inst in &mut decoder {
        text.clear();
        formatter.format(&inst, &mut text);
        lines.push(format!("{:#x}  {text}", inst.ip()));
    }
    lines
}

/// One line per guest instruction: its pc, objdump's text, and how it was translated.
pub fn guest_lines(block: &Block) -> Vec<String> {
    block
        .nodes
        .iter()
        .map(|n| {
            let how = match n.kind {
                NodeKind::Native => "native".to_string(),
                NodeKind::Memory => "memory".to_string(),
                NodeKind::Helper => "helper".to_string(),
                NodeKind::Float => "float".to_string(),
                NodeKind::Const { rd, value } => format!("x{rd} = {value:#x}"),
                NodeKind::SideExit { target, .. } => format!("side exit to {target:#x}"),
                NodeKind::Nop => "nothing".to_string(),
                NodeKind::Terminal => "terminal".to_string(),
            };
            format!(
                "{:#x}  {:<32} ; {how}",
                n.pc,
                n.inst.display(n.pc).to_string()
            )
        })
        .collect()
}

/// A terminal in words: `jump 0x...`, `branch if x11 Lt x12 to 0x..., else 0x...`,
/// `indirect to x11 + 8, x1 = 0x...`, `interpret 0x...`.
fn terminal_text(t: &Terminal) -> String {
    match *t {
        Terminal::Jump { target } => format!("jump {target:#x}"),
        Terminal::Branch {
            cond,
            rs1,
            rs2,
            taken,
            fallthrough,
        } => format!("branch if x{rs1} {cond:?} x{rs2} to {taken:#x}, else {fallthrough:#x}"),
        Terminal::Indirect { rs1, imm, rd, link } => {
            let link = if rd == 0 {
                String::new()
            } else {
                format!(", x{rd} = {link:#x}")
            };
            format!("indirect to x{rs1} + {imm}{link}")
        }
        Terminal::Interpret { pc } => format!("interpret {pc:#x}"),
    }
}

/// The listing of a translated block.
pub(crate) fn block_listing(block: &Block, code: &[u8], ip: u64) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "block {:#x}: {} guest instructions, then {}",
        block.pc,
        block.len(),
        terminal_text(&block.terminal)
    );
    for l in guest_lines(block) {
        let _ = writeln!(s, "  {l}");
    }
    for l in x86_lines(code, ip) {
        let _ = writeln!(s, "    {l}");
    }
    s
}

/// A block as the translator sees it: the guest instructions and the x86 code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explained {
    /// The guest instructions with how each was translated.
    pub guest: Vec<String>,
    /// How the block ends (the terminal after the passes, addresses in hex).
    pub terminal: String,
    /// The x86 code, one instruction per line.
    pub host: Vec<String>,
    /// Host instructions emitted.
    pub host_insts: usize,
    /// Bytes of x86 code.
    pub code_bytes: usize,
}

/// Where [`explain`] pretends the code lives and what it calls, so its output is the same on
/// every run: code at 0x1000_0000, the epilogue at 0x0fff_0000, the helper exit at 0x0fff_0100,
/// the helper at
/// 0x7777_0000_0000 and the instruction array at 0x6666_0000_0000.
pub const EXPLAIN_IP: u64 = 0x1000_0000;

/// Translates the block at guest address `pc` (physical address `pa` on `bus`) as the
/// translator would, with every pass, and lists it at fixed addresses (see [`EXPLAIN_IP`]).
/// Uses every host feature, so the listing does not depend on the machine.
pub fn explain<B: Bus + ?Sized>(
    bus: &B,
    pc: u64,
    pa: u64,
    ext: Extensions,
    max_block: usize,
) -> Explained {
    let features = HostFeatures {
        lzcnt: true,
        bmi1: true,
        popcnt: true,
        fma: true,
    };
    let mut block = frontend::discover(bus, pc, pa, ext, features, max_block);
    passes::optimize(&mut block);
    let env = Env {
        epilogue: 0x0fff_0000,
        helper: 0x7777_0000_0000,
        helper_exit: 0x0fff_0100,
        insts: 0x6666_0000_0000,
    };
    let emitted = emit_block(&block, env, EXPLAIN_IP).expect("blocks always assemble");
    Explained {
        guest: guest_lines(&block),
        terminal: terminal_text(&block.terminal),
        host: x86_lines(&emitted.code, EXPLAIN_IP),
        host_insts: emitted.host_insts,
        code_bytes: emitted.code.len(),
    }
}
