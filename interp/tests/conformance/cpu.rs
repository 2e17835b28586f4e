//! The engine the suite runs on: the interpreter. The translator's tests (`dbt/tests/
//! conformance`) run the same modules with a `cpu.rs` of their own.

use std::sync::Arc;

use ospite_interp::{Hart, Interpreter};
use ospite_mmu::MemoryMap;

/// The engine under test.
pub type Cpu = Interpreter<Arc<MemoryMap>>;

/// The engine for `hart` over `bus`, with debug breakpoints on (`ebreak` stops it).
pub fn new_cpu(hart: Hart, bus: Arc<MemoryMap>) -> Cpu {
    let mut cpu = Interpreter::new(hart, bus);
    cpu.set_debug_breakpoints(true);
    cpu
}

/// Turns debug breakpoints on or off.
pub fn debug_breakpoints(cpu: &mut Cpu, on: bool) {
    cpu.set_debug_breakpoints(on);
}
