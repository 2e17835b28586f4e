//! `ospite-interp`: the RV64GC hart and its semantics, the oracle for every other engine.
//!
//! * [`Hart`]: the architectural state, `#[repr(C)]` with pinned offsets (`Hart::OFFSET_*`)
//!   for translated code: x and f registers, pc, `minstret`, `mcycle`, `fcsr`, privilege; then
//!   the CSRs, the LR/SC reservation and the hart's [`Mmu`](ospite_mmu::Mmu).
//! * [`execute`]: one decoded instruction: RV64I, M, A (LR/SC and every AMO, atomic across
//!   harts through the MMU's atomic API), F, D, Zba, Zbb, Zbc, Zbs, Zicond, C (expanded by the
//!   decoder), Zicsr, Zifencei and the privileged instructions.
//! * The privileged architecture 1.12 for M, S and U: `mstatus`/`sstatus` as two views of one
//!   register, trap entry with `medeleg`/`mideleg` delegation, direct and vectored `xtvec`,
//!   `mret`/`sret`/`wfi`/`sfence.vma` under TVM, TW and TSR, counters with `mcounteren` and
//!   `scounteren`, `time` from a [`TimeSource`], `pmpcfg`/`pmpaddr` as WARL storage (no PMP
//!   checks), interrupts taken between instructions in the spec's priority from the board's
//!   [`IrqLines`].
//! * [`Engine`]: run a hart for a budget; [`Interpreter`] implements it with a cache of decoded
//!   instructions per physical page (dropped on `fence.i` and on this hart's stores to the page).
//!
//! * An optional instruction trace in Spike's commit-log format ([`Interpreter::set_trace`]).
//!
//! Choices: misaligned loads and stores are performed (also across pages), never trapped;
//! LR/SC and AMOs must be aligned. `ebreak` writes its pc to `tval`; illegal instructions write
//! their bits. Any trap breaks the LR/SC reservation.
//!
//! **F and D are bit-exact with Spike**: every result and every `fflags` bit comes from
//! Berkeley SoftFloat 3 (through `softfloat-wrapper`) built with its RISC-V specialization, the
//! library and configuration Spike uses: the canonical NaN without payload propagation, `fcvt`
//! saturation, tininess after rounding, and one rounding in the fused multiply-adds. The rest is
//! ours and follows the spec: NaN-boxing (an improperly boxed single reads as the canonical
//! NaN; `fmv.x.w` and `fsw` move raw bits), sign injection, `fmin`/`fmax` (minimumNumber and
//! maximumNumber: -0 < +0, NV only for a signalling NaN), `fclass`, all five rounding modes with
//! dynamic `frm` (reserved `rm`, or dynamic with `frm` of 5 to 7, is illegal, also for the
//! exact conversions as on Spike and QEMU), and `mstatus.FS` (Off makes every FP instruction and
//! `fflags`/`frm`/`fcsr` illegal; a write of an f register, or of `fflags` including accrued
//! flags, sets it Dirty, and SD with it). Host floating point is never used. Checked by the
//! conformance suite (expected values from the IEEE and RISC-V specs) and against QEMU.
//!
//! **Sstc**: `stimecmp` exists; with `menvcfg.STCE` set, STIP is `time >= stimecmp` (never
//! without a [`TimeSource`]) and read-only in `mip`; S-mode reaches `stimecmp` only with both
//! `menvcfg.STCE` and `mcounteren.TM`. PMP checks are not implemented.
//!
//! # Example
//!
//! A guest that computes `6 * 7` in M-mode and stops at `ebreak`:
//!
//! ```
//! use std::sync::Arc;
//! use ospite_interp::{Engine, Hart, HartConfig, Interpreter, StopReason};
//! use ospite_isa::{Inst, Op, Reg, XReg};
//! use ospite_mmu::{GuestRam, MemoryMap, PhysAddr};
//!
//! let i = |op, rd: u8, rs1: u8, rs2: u8, imm: i32| {
//!     let mut inst = Inst::new(op);
//!     (inst.rd, inst.rs1, inst.rs2, inst.imm) = (Reg::new(rd), Reg::new(rs1), Reg::new(rs2), imm);
//!     inst.encode().unwrap()
//! };
//! let program = [
//!     i(Op::Addi, 10, 0, 0, 6),  // a0 = 6
//!     i(Op::Addi, 11, 0, 0, 7),  // a1 = 7
//!     i(Op::Mul, 10, 10, 11, 0), // a0 = a0 * a1
//!     i(Op::Ebreak, 0, 0, 0, 0),
//! ];
//!
//! let ram = Arc::new(GuestRam::new(1 << 16)?);
//! let map = MemoryMap::builder().ram("ram", PhysAddr(0x8000_0000), ram).build()?;
//! let bytes: Vec<u8> = program.iter().flat_map(|w| w.to_le_bytes()).collect();
//! map.write_bytes(PhysAddr(0x8000_0000), &bytes).unwrap();
//!
//! let mut hart = Hart::new(HartConfig::default());
//! hart.set_pc(0x8000_0000);
//! let mut cpu = Interpreter::new(hart, map);
//! cpu.set_debug_breakpoints(true);
//! assert_eq!(cpu.run(100), StopReason::Breakpoint);
//! assert_eq!(cpu.hart().x(XReg::A0), 42);
//! assert_eq!(cpu.hart().instret(), 3);
//! # Ok::<(), ospite_mmu::Error>(())
//! ```
#![forbid(unsafe_code)]

mod cache;
pub mod csr;
mod engine;
mod exec;
mod hart;
mod jump_cache;
mod trace;
mod trap;

pub use cache::{CacheStats, DecodeCacheLimit};
pub use engine::{Engine, Interpreter, StopHandle, StopReason};
pub use exec::{alu, execute, execute_unretired, Flow};
pub use hart::{Hart, HartConfig, IrqLines, TimeSource};
pub use trap::{Exception, ExceptionCause, Interrupt, TrapCounts, CAUSE_INTERRUPT};
