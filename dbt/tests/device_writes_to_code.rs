//! Code that a device (DMA) or a loader rewrites, rather than the hart's own stores: the new
//! bytes must run after the next `fence.i`, even when another block of the same page was
//! translated in between (which clears the page's dirty mark).

mod support;

use ospite_interp::{Engine, StopReason};
use ospite_isa::asm::Assembler;
use ospite_isa::XReg;
use ospite_mmu::PhysAddr;
use support::{dbt, Cpu, Setup, CODE, RAM_SIZE};

const A3: XReg = XReg::new(13);
const A4: XReg = XReg::new(14);

#[test]
fn dma_into_translated_code_runs_after_fence_i_despite_a_translation_between() {
    // f: `addi a3,a3,1; ret`; main calls f, stops, then (after the host rewrote f's `addi` to
    // add 100) calls g, a new block in f's page, runs `fence.i` and calls f again.
    let patched: u32 = (100 << 20) | (13 << 15) | (13 << 7) | 0x13;
    let mut a = Assembler::new(CODE);
    a.set_compress(false);
    let (main, f, g) = (a.new_label(), a.new_label(), a.new_label());
    a.j(main);
    a.bind(f);
    a.addi(A3, A3, 1);
    a.ret();
    a.bind(g);
    a.addi(A4, A4, 1);
    a.ret();
    a.bind(main);
    a.call(f);
    a.ebreak();
    a.call(g);
    a.fence_i();
    a.call(f);
    a.ebreak();
    let program = a.finish().expect("assembles");
    let (f_at, main_at) = (program.address(f), program.address(main));
    let mut s = Setup::new(RAM_SIZE);
    s.images.push((CODE, program.bytes));
    s.debug_breakpoints = true;
    let mut cpu = Cpu::new(&s, dbt(0));
    assert_eq!(cpu.run(1000), StopReason::Breakpoint);
    assert_eq!(cpu.hart().x(A3), 1);
    cpu.bus()
        .write_bytes(PhysAddr(f_at), &patched.to_le_bytes())
        .unwrap();
    let Cpu::Dbt(engine) = &mut cpu else {
        unreachable!()
    };
    // The `ebreak` after the first call: on past it.
    let resume = main_at + 12;
    engine.hart_mut().set_pc(resume);
    assert_eq!(cpu.run(1000), StopReason::Breakpoint);
    assert_eq!((cpu.hart().x(A4), cpu.hart().x(A3)), (1, 101));
}
