//! The interpreter's decode cache: decoded once, dropped on this hart's stores to cached code
//! and on `fence.i` (interpreter internals: the translator's suite leaves this module out).

use crate::asm::*;
use crate::engine::patch_program;
use ospite_isa::Op;

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
    assert_eq!((stats.misses, stats.hits), (4, 198));
}

#[test]
fn own_store_to_cached_code_drops_the_page() {
    let cpu = run(&patch_program(false));
    assert!(cpu.cache_stats().page_invalidations >= 1);
}

#[test]
fn fence_i_flushes_the_cache() {
    let cpu = run(&patch_program(true));
    assert_eq!((x(&cpu, A1), cpu.cache_stats().flushes), (3, 1));
}
