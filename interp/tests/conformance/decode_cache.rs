//! The interpreter's decode cache: decoded once, dropped on this hart's stores to cached code
//! and on `fence.i` (interpreter internals: the translator's suite leaves this module out).

use crate::asm::*;
use crate::engine::patch_program;
use ospite_interp::{Engine, StopReason};
use ospite_isa::Op;
use ospite_mmu::PhysAddr;

#[test]
fn hot_loop_is_decoded_once() {
    let mut p = Asm::new();
    p.li(T0, 100);
    let top = p.here();
    p.i(Op::Addi, T0, T0, -1);
    let here = p.here();
    p.b(Op::Bne, T0, ZERO, top - here);
    p.ebreak();
    let cpu = run(&p);
    let stats = cpu.cache_stats();
    // Four decodes. Hits: the block at the loop's head, built from cached slots, runs on past
    // the branch to the `ebreak` (3), then runs 98 more times to the taken branch (2 each).
    assert_eq!((stats.misses, stats.hits), (4, 199));
}

#[test]
fn own_store_to_cached_code_drops_the_page() {
    let cpu = run(&patch_program(false));
    assert!(cpu.cache_stats().page_invalidations >= 1);
}

#[test]
fn fence_i_after_a_loader_write_drops_the_loaded_page() {
    // The program was loaded with bulk writes, so the first `fence.i` drops its page.
    let cpu = run(&patch_program(true));
    let stats = cpu.cache_stats();
    assert_eq!((x(&cpu, A1), stats.fences), (3, 1));
    assert!(stats.page_invalidations >= 1, "{stats:?}");
}

#[test]
fn fence_i_without_writes_by_others_keeps_the_cache() {
    // Ten `fence.i`s in a loop: only the first, after the load, drops the (loaded) page; the
    // loop's instructions are decoded at most twice.
    let mut p = Asm::new();
    p.li(T0, 10);
    let top = p.here();
    p.op(Op::FenceI);
    p.i(Op::Addi, T0, T0, -1);
    let here = p.here();
    p.b(Op::Bne, T0, ZERO, top - here);
    p.ebreak();
    let cpu = run(&p);
    let stats = cpu.cache_stats();
    assert_eq!(
        (stats.fences, stats.flushes, stats.page_invalidations),
        (10, 0, 1)
    );
    assert!(stats.misses <= 8, "{stats:?}");
}

#[test]
fn fence_i_after_a_device_write_runs_the_new_code() {
    // The loop runs `addi a1, a1, 1` until the host (as a device would, by DMA) rewrites it
    // into `addi a1, a1, 100`; the `fence.i` after the write must drop the decoded copy.
    let mut p = Asm::new();
    let top = p.here();
    p.i(Op::Addi, A1, A1, 1);
    p.ebreak();
    p.op(Op::FenceI);
    let here = p.here();
    p.b(Op::Beq, ZERO, ZERO, top - here);
    let mut cpu = machine(&p);
    assert_eq!(cpu.run(1000), StopReason::Breakpoint);
    let mut new = Asm::new();
    new.i(Op::Addi, A1, A1, 100);
    cpu.bus().write_bytes(PhysAddr(RAM), &new.bytes).unwrap();
    cpu.hart_mut().set_pc(RAM + 8);
    assert_eq!(cpu.run(1000), StopReason::Breakpoint);
    assert_eq!(x(&cpu, A1), 101);
}

#[test]
fn a_full_cache_is_emptied_and_refilled_with_the_same_results() {
    // A loop of two blocks (the branch splits it) against a bound of one instruction: every
    // block built finds the cache full.
    let mut p = Asm::new();
    p.li(T0, 50);
    p.li(A1, 0);
    let top = p.here();
    p.i(Op::Addi, A1, A1, 3);
    p.b(Op::Beq, ZERO, ZERO, 4);
    p.i(Op::Addi, T0, T0, -1);
    let back = p.here();
    p.b(Op::Bne, T0, ZERO, top - back);
    p.ebreak();
    let mut cpu = machine(&p);
    cpu.set_decode_cache_limit(ospite_interp::DecodeCacheLimit { insts: 1, pages: 8 });
    assert_eq!(
        ospite_interp::Engine::run(&mut cpu, 100_000),
        ospite_interp::StopReason::Breakpoint
    );
    let stats = cpu.cache_stats();
    assert_eq!(x(&cpu, A1), 150);
    assert!(stats.capacity_flushes > 50, "{stats:?}");
    assert_eq!(stats.flushes, 0, "capacity flushes are not fence.i");
}

#[test]
fn fence_i_after_a_device_write_elsewhere_keeps_the_code() {
    // The host writes a data page (as a device would by DMA) before the third run of a loop
    // with a `fence.i`: the first fence drops the loaded page, the third finds only the data
    // page written, and nothing is decoded again.
    let mut p = Asm::new();
    p.op(Op::FenceI);
    p.li(T0, 5);
    let top = p.here();
    p.i(Op::Addi, T0, T0, -1);
    let here = p.here();
    p.b(Op::Bne, T0, ZERO, top - here);
    p.ebreak();
    let mut cpu = machine(&p);
    assert_eq!(cpu.run(1000), StopReason::Breakpoint);
    cpu.hart_mut().set_pc(RAM);
    assert_eq!(cpu.run(1000), StopReason::Breakpoint);
    let misses = cpu.cache_stats().misses;
    cpu.bus().write_bytes(PhysAddr(DATA), &[1, 2, 3]).unwrap();
    cpu.hart_mut().set_pc(RAM);
    assert_eq!(cpu.run(1000), StopReason::Breakpoint);
    let stats = cpu.cache_stats();
    assert_eq!((stats.fences, stats.misses), (3, misses), "{stats:?}");
}
