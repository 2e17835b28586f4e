//! The interpreter's conformance suite (`interp/tests/conformance`) run on the translator: the
//! same modules, included by path, with `cpu.rs` making the engine a [`Dbt`](ospite_dbt::Dbt)
//! that translates every block before its first run. Left out: `decode_cache`, which checks
//! the interpreter's decode-cache counters.

#[path = "../../../interp/tests/conformance/asm.rs"]
mod asm;
#[path = "../../../interp/tests/conformance/atomics.rs"]
mod atomics;
mod cpu;
#[path = "../../../interp/tests/conformance/csrs.rs"]
mod csrs;
#[path = "../../../interp/tests/conformance/engine.rs"]
mod engine;
#[path = "../../../interp/tests/conformance/fp_arith.rs"]
mod fp_arith;
#[path = "../../../interp/tests/conformance/fp_compare.rs"]
mod fp_compare;
#[path = "../../../interp/tests/conformance/fp_convert.rs"]
mod fp_convert;
#[path = "../../../interp/tests/conformance/fp_qemu.rs"]
mod fp_qemu;
#[path = "../../../interp/tests/conformance/fp_state.rs"]
mod fp_state;
#[path = "../../../interp/tests/conformance/int.rs"]
mod int;
#[path = "../../../interp/tests/conformance/interrupts.rs"]
mod interrupts;
#[path = "../../../interp/tests/conformance/mem.rs"]
mod mem;
#[path = "../../../interp/tests/conformance/sstc.rs"]
mod sstc;
#[path = "../../../interp/tests/conformance/sv39.rs"]
mod sv39;
#[path = "../../../interp/tests/conformance/traps.rs"]
mod traps;
