//! `ospite-dbt`: dynamic binary translation of RISC-V RV64GC guest code to x86-64.
//!
//! [`Dbt`] is an [`Engine`](ospite_interp::Engine) like the interpreter, and gives the same
//! results: it runs a block in the [`Interpreter`](ospite_interp::Interpreter) until the block
//! has run [`DbtConfig::threshold`] times, then translates it. The stages are kept apart:
//!
//! 1. **frontend**: a block is decoded from one physical page, up to a branch or jump, an
//!    instruction the interpreter must run (CSR access, `ecall`, `mret`/`sret`, `wfi`,
//!    `sfence.vma`, `fence.i`, an illegal instruction), the page end or
//!    [`DbtConfig::max_block`] instructions;
//! 2. **IR** ([`ir`]): one node per guest instruction and an explicit terminal (jump, branch,
//!    indirect jump, hand over to the interpreter);
//! 3. **passes**: constant folding (which fuses `lui`+`addi`, `auipc`+`addi` and
//!    `auipc`+`jalr`) and dead register writes;
//! 4. **emission** with iced-x86's `CodeAssembler`: native code for RV64I, M, Zba, Zbb, Zbs,
//!    Zicond and C (which the decoder expands); loads and stores with the TLB hit test inline
//!    (tag compare, host addend) and the interpreter's semantics on a miss; F, D, A and Zbc
//!    through a helper that calls the interpreter's semantics for the one instruction;
//! 5. **runtime**: a W^X code cache (pages are never writable and executable at once), a block
//!    map (hashbrown) keyed by virtual pc, physical pc, privilege and `satp` mode, direct
//!    chaining of blocks in the same page by patched jumps, a jump cache for indirect jumps and
//!    cross-page jumps, and a budget checked at every block entry so `run(n)` stops after
//!    exactly `n` instructions.
//!
//! **Precise state.** Guest registers live in the [`Hart`](ospite_interp::Hart) at all times;
//! an exception in the middle of a block leaves the pc, registers, `instret` and memory as the
//! interpreter would. **Self-modifying code.** Pages that code was cached from are marked in
//! RAM, so stores to them take the TLB's slow path and the MMU notes their addresses. A store
//! to bytes a block was made from ends the block, and the runtime drops the page's blocks whose
//! bytes changed (and the interpreter's decoded copy) before the next block runs; a store to
//! data beside the code (a per-page byte map tells) lets translated code go on.
//! `fence.i` drops pages that devices wrote; `sfence.vma` and `satp` writes empty the jump
//! cache. **Interrupts** are taken between chunks of at most 4,096 instructions, and at once
//! after instructions that can make one pending (the interpreter's, and stores to devices).
//!
//! With the interpreter's trace on ([`Dbt::interpreter_mut`]), everything is interpreted.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use ospite_dbt::{Dbt, DbtConfig};
//! use ospite_interp::{Engine, Hart, HartConfig, StopReason};
//! use ospite_isa::asm::Assembler;
//! use ospite_isa::XReg;
//! use ospite_mmu::{GuestRam, MemoryMap, PhysAddr};
//!
//! // Sum 1..=100 in a loop, then stop at `ebreak`.
//! let mut asm = Assembler::new(0x8000_0000);
//! asm.li(XReg::A0, 0);
//! asm.li(XReg::A1, 100);
//! let top = asm.here();
//! asm.add(XReg::A0, XReg::A0, XReg::A1);
//! asm.addi(XReg::A1, XReg::A1, -1);
//! asm.bnez(XReg::A1, top);
//! asm.ebreak();
//! let code = asm.finish().unwrap().bytes;
//!
//! let ram = Arc::new(GuestRam::new(1 << 16)?);
//! let map = MemoryMap::builder().ram("ram", PhysAddr(0x8000_0000), ram).build()?;
//! map.write_bytes(PhysAddr(0x8000_0000), &code).unwrap();
//! let mut hart = Hart::new(HartConfig::default());
//! hart.set_pc(0x8000_0000);
//! let mut cpu = Dbt::new(hart, map, DbtConfig { threshold: 0, ..DbtConfig::default() }).unwrap();
//! cpu.interpreter_mut().set_debug_breakpoints(true);
//! assert_eq!(cpu.run(10_000), StopReason::Breakpoint);
//! assert_eq!(cpu.hart().x(XReg::A0), 5050);
//! assert!(cpu.stats().blocks_translated > 0);
//! # Ok::<(), ospite_mmu::Error>(())
//! ```

#[cfg(not(target_arch = "x86_64"))]
compile_error!("ospite-dbt translates to x86-64 and builds only for x86-64 hosts");

mod code_cache;
mod code_map;
mod cold_cache;
mod emit;
mod error;
mod frontend;
mod helpers;
pub mod ir;
pub(crate) mod jump_cache;
mod listing;
mod mxcsr;
mod passes;
mod runtime;
mod state;
mod stats;

pub use emit::HostFeatures;
pub use error::Error;
pub use listing::{explain, x86_lines, Explained, EXPLAIN_IP};
pub use runtime::{Dbt, DbtConfig};
pub use stats::DbtStats;
