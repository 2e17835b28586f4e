//! The engine the interpreter's conformance suite runs on here: the translator, translating
//! every block before its first run.

use std::sync::Arc;

use ospite_dbt::{Dbt, DbtConfig};
use ospite_interp::Hart;
use ospite_mmu::MemoryMap;

/// The engine under test.
pub type Cpu = Dbt<Arc<MemoryMap>>;

/// The translator for `hart` over `bus` (threshold 0), with debug breakpoints on.
pub fn new_cpu(hart: Hart, bus: Arc<MemoryMap>) -> Cpu {
    let config = DbtConfig {
        threshold: 0,
        cache_size: 4 << 20,
        ..DbtConfig::default()
    };
    let mut cpu = Dbt::new(hart, bus, config).expect("a code cache");
    cpu.interpreter_mut().set_debug_breakpoints(true);
    cpu
}

/// Turns debug breakpoints on or off.
pub fn debug_breakpoints(cpu: &mut Cpu, on: bool) {
    cpu.interpreter_mut().set_debug_breakpoints(on);
}
