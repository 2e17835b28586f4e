//! Data sharing a page with translated code (as in programs whose linker script packs `.data`
//! after `.text`): stores to it must neither leave translated code nor drop translations,
//! while a store to the code itself still does.

mod support;

use ospite_interp::StopReason;
use ospite_isa::asm::Assembler;
use ospite_isa::XReg;
use support::{dbt, Cpu, Kind, Setup, CODE, RAM_SIZE};

const A0: XReg = XReg::new(10);
const A1: XReg = XReg::new(11);
const A2: XReg = XReg::new(12);
const A3: XReg = XReg::new(13);

/// A loop that counts `a0` down from `n`, storing it each time into the doubleword right after
/// the loop's own code (same page), then stops at `ebreak`.
fn loop_storing_beside_itself(n: i64) -> (Setup, u64) {
    let mut a = Assembler::new(CODE);
    let data = a.new_label();
    let top = a.new_label();
    a.li(A0, n);
    a.la(A1, data);
    a.bind(top);
    a.sd(A0, 0, A1);
    a.addi(A0, A0, -1);
    a.bnez(A0, top);
    a.ebreak();
    a.align(8);
    a.bind(data);
    a.dword(u64::MAX);
    let program = a.finish().expect("assembles");
    let data_at = CODE + program.bytes.len() as u64 - 8;
    let mut s = Setup::new(RAM_SIZE);
    s.images.push((CODE, program.bytes));
    s.debug_breakpoints = true;
    (s, data_at)
}

#[test]
fn stores_to_data_beside_translated_code_stay_in_translated_code() {
    let (s, data_at) = loop_storing_beside_itself(10_000);
    let mut cpu = Cpu::new(&s, dbt(0));
    assert_eq!(cpu.run(1_000_000), StopReason::Breakpoint);
    let Cpu::Dbt(engine) = &cpu else {
        unreachable!()
    };
    let stats = engine.stats();
    assert_eq!(stats.invalidations, 0, "{stats:?}");
    assert_eq!(stats.sync_exits, 0, "{stats:?}");
    assert!(stats.translated_run >= 29_000, "{stats:?}");
    let mut last = [0; 8];
    cpu.bus()
        .read_bytes(ospite_mmu::PhysAddr(data_at), &mut last)
        .unwrap();
    assert_eq!(u64::from_le_bytes(last), 1);
}

#[test]
fn a_store_into_the_loop_itself_still_drops_its_translation() {
    // Each pass stores `addi a3,a3,100` over the loop's own `addi a3,a3,1`, after which it
    // runs: only the first pass may add 1... except that it is rewritten before it runs, so
    // every pass adds 100, on the interpreter and on the translator alike.
    let patched = (100 << 20) | (13 << 15) | (13 << 7) | 0x13;
    let mut a = Assembler::new(CODE);
    a.set_compress(false);
    let (top, slot) = (a.new_label(), a.new_label());
    a.li(A0, 50);
    a.li(A2, patched);
    a.la(A1, slot);
    a.bind(top);
    a.sw(A2, 0, A1);
    a.bind(slot);
    a.addi(A3, A3, 1);
    a.addi(A0, A0, -1);
    a.bnez(A0, top);
    a.ebreak();
    let mut s = Setup::new(RAM_SIZE);
    s.images.push((CODE, a.finish().expect("assembles").bytes));
    s.debug_breakpoints = true;
    let mut oracle = Cpu::new(&s, Kind::Interp);
    let mut cpu = Cpu::new(&s, dbt(0));
    assert_eq!(oracle.run(10_000), StopReason::Breakpoint);
    assert_eq!(cpu.run(10_000), StopReason::Breakpoint);
    assert_eq!(oracle.hart().x(A3), 5000);
    assert_eq!(cpu.hart().x(A3), 5000);
    let Cpu::Dbt(engine) = &cpu else {
        unreachable!()
    };
    assert!(engine.stats().invalidations >= 1, "{:?}", engine.stats());
}
