//! The engine: budgets, stop requests, single steps, and code that rewrites itself.

use crate::asm::*;
use ospite_interp::{Engine, StopReason};
use ospite_isa::{Extensions, Inst, Op, Reg};

#[test]
fn budget_is_counted_in_instructions() {
    let mut p = Asm::new();
    p.i(Op::Addi, A0, A0, 1).i(Op::Jal, ZERO, 0, -4);
    let mut cpu = machine(&p);
    assert_eq!(cpu.run(11), StopReason::BudgetSpent);
    assert_eq!((x(&cpu, A0), cpu.hart().instret()), (6, 11));
}

#[test]
fn step_runs_exactly_one_instruction() {
    let mut p = Asm::new();
    p.i(Op::Addi, A0, A0, 1).i(Op::Addi, A0, A0, 1);
    let mut cpu = machine(&p);
    assert_eq!(cpu.step(), StopReason::BudgetSpent);
    assert_eq!((x(&cpu, A0), cpu.hart().pc()), (1, RAM + 4));
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "unoptimised, handlers call each other for real (one block at a time)"
)]
fn handlers_go_on_without_growing_the_stack() {
    // Each handler runs the next one's as its last act, which the optimiser must make a jump:
    // were it a call, a run (8,192 instructions between looks at interrupts) would nest a
    // frame per instruction, 128 KiB and more for these unfused ones, in a 32 KiB stack.
    let mut p = Asm::new();
    for _ in 0..64 {
        p.r(Op::Sltu, A1, A0, A2);
    }
    p.i(Op::Jal, ZERO, 0, -256);
    let mut cpu = machine(&p);
    let retired = std::thread::Builder::new()
        .stack_size(32 << 10)
        .spawn(move || {
            assert_eq!(cpu.run(100_000), StopReason::BudgetSpent);
            cpu.hart().instret()
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(retired, 100_000);
}

#[test]
fn stop_request_is_honoured_once() {
    let mut p = Asm::new();
    p.i(Op::Jal, ZERO, 0, 0);
    let mut cpu = machine(&p);
    cpu.stop_handle().stop();
    assert_eq!(cpu.run(10), StopReason::StopRequested);
    assert_eq!(cpu.run(10), StopReason::BudgetSpent);
}

/// Runs `addi a0, zero, 1` at L, overwrites it with `addi a0, zero, 2` (then `fence.i` if
/// `fence`), runs it again: `a1` ends as 3.
pub fn patch_program(fence: bool) -> Asm {
    patching(fence, false)
}

/// [`patch_program`], with (`data_beside`) a store to a data word of L's page just before the
/// patch.
fn patching(fence: bool, data_beside: bool) -> Asm {
    let mut new = Inst::new(Op::Addi);
    new.rd = Reg::new(A0);
    new.imm = 2;
    let word = new.encode().unwrap();
    let mut p = Asm::new();
    p.li(T1, i64::from(word as i32));
    p.i(Op::Auipc, T0, 0, 0);
    let auipc = p.here() - 4;
    let l_off = p.here() + 4 * 5 + 4 * i32::from(fence) + 4 * i32::from(data_beside);
    p.i(Op::Addi, T0, T0, l_off - auipc); // t0 = &L
    p.i(Op::Jal, RA, 0, l_off - p.here()); // call L
    if data_beside {
        p.s(Op::Sw, ZERO, T0, 12); // the data word after L's three instructions
    }
    p.s(Op::Sw, T1, T0, 0);
    if fence {
        p.op(Op::FenceI);
    }
    p.i(Op::Jal, RA, 0, l_off - p.here()); // call L again
    p.ebreak();
    assert_eq!(p.here(), l_off);
    p.i(Op::Addi, A0, ZERO, 1)
        .r(Op::Add, A1, A1, A0)
        .i(Op::Jalr, ZERO, RA, 0);
    if data_beside {
        p.word(0);
    }
    p
}

#[test]
fn own_store_to_cached_code_is_seen_without_fence_i() {
    let cpu = run(&patch_program(false));
    assert_eq!(x(&cpu, A1), 3);
}

#[test]
fn store_to_code_then_fence_i_runs_the_new_code() {
    let cpu = run(&patch_program(true));
    assert_eq!(x(&cpu, A1), 3);
}

#[test]
fn own_store_to_cached_code_is_seen_after_a_store_to_data_beside_it() {
    // That store finds no code under it, which must not excuse the next store's check.
    let cpu = run(&patching(false, true));
    assert_eq!(x(&cpu, A1), 3);
}

#[test]
fn own_store_to_cached_code_is_seen_after_the_harts_mmu_is_replaced() {
    // The new TLB does not watch the cached page until the engine has it do so; the store to
    // data beside the code then fills its store entry, and the patch would hit it unseen.
    let p = patching(false, true);
    // The program ends with the two stores, `jal`, `ebreak`, then L's three instructions and
    // the data word: run to the first store, L's first run included.
    let first_store = p.here() - 32;
    let mut cpu = machine(&p);
    assert_eq!(cpu.run(first_store as u64 / 4 + 3), StopReason::BudgetSpent);
    assert_eq!(cpu.hart().pc(), RAM + first_store as u64);
    *cpu.hart_mut().mmu_mut() = ospite_mmu::Mmu::new();
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
    assert_eq!(x(&cpu, A1), 3);
}

#[test]
fn store_remembered_before_its_page_held_code_still_sees_the_code() {
    // The store in S first writes data in P's page, before P runs: its page memo (see
    // `exec::memo`) then says the page holds no code. Once P runs and S patches it, the store
    // must be seen, or P's old instruction runs again.
    const S: u64 = RAM + 0x2000;
    const P: u64 = RAM + 0x4000;
    let mut patch = Inst::new(Op::Addi);
    patch.rd = Reg::new(A0);
    patch.imm = 2;
    let mut main = Asm::new();
    main.li(T2, S as i64).li(T0, (P + 8) as i64).li(T1, 0);
    // S: data beside the code, twice (the first store fills the TLB, the second the memo).
    main.i(Op::Jalr, RA, T2, 0).i(Op::Jalr, RA, T2, 0);
    main.li(T0, P as i64).i(Op::Jalr, RA, T0, 0); // P: a0 = 1
    main.li(T1, i64::from(patch.encode().unwrap() as i32));
    main.i(Op::Jalr, RA, T2, 0); // S: the patch
    main.i(Op::Jalr, RA, T0, 0); // P: a0 = 2
    main.ebreak();
    let mut s = Asm::new();
    s.s(Op::Sw, T1, T0, 0).i(Op::Jalr, ZERO, RA, 0);
    let mut p = Asm::new();
    p.i(Op::Addi, A0, ZERO, 1).i(Op::Jalr, ZERO, RA, 0).word(0);
    let mut cpu = machine_with(Extensions::ALL, &[(RAM, &main), (S, &s), (P, &p)]);
    assert_eq!(cpu.run(1000), StopReason::Breakpoint);
    assert_eq!(x(&cpu, A0), 2);
}

#[test]
fn fused_pair_faulting_in_its_second_half_keeps_its_first() {
    let mut p = Asm::new();
    p.i(Op::Addi, A0, A0, 1).i(Op::Lw, A1, ZERO, 16);
    let cpu = run(&p);
    assert_eq!(
        (mtrap(&cpu), x(&cpu, A0), cpu.hart().instret()),
        ((5, RAM + 4, 16), 1, 1)
    );
}

#[test]
fn fused_pair_faulting_in_its_first_half_runs_nothing_of_its_second() {
    let mut p = Asm::new();
    p.s(Op::Sw, A0, ZERO, 16).i(Op::Addi, A0, A0, 1);
    let cpu = run(&p);
    assert_eq!(
        (mtrap(&cpu), x(&cpu, A0), cpu.hart().instret()),
        ((7, RAM, 16), 0, 0)
    );
}

#[test]
fn fused_triple_faulting_in_its_second_instruction_keeps_its_first_and_skips_its_branch() {
    let mut p = Asm::new();
    p.i(Op::Addi, A0, A0, 1)
        .s(Op::Sw, A0, ZERO, 16)
        .b(Op::Bne, A0, ZERO, 8)
        .i(Op::Addi, A0, A0, 1);
    let cpu = run(&p);
    assert_eq!(
        (mtrap(&cpu), x(&cpu, A0), cpu.hart().instret()),
        ((7, RAM + 4, 16), 1, 1)
    );
}

#[test]
fn budget_ending_inside_a_fused_triple_stops_before_its_branch() {
    let mut p = Asm::new();
    p.i(Op::Addi, A0, A0, 1)
        .i(Op::Addi, A1, A1, 1)
        .b(Op::Bne, A0, ZERO, -8);
    let mut cpu = machine(&p);
    // The first run builds the whole block (a block is never longer than its run's budget).
    assert_eq!(cpu.run(3), StopReason::BudgetSpent);
    assert_eq!(cpu.run(2), StopReason::BudgetSpent);
    let stopped = (cpu.hart().pc(), cpu.hart().instret());
    assert_eq!(cpu.run(1), StopReason::BudgetSpent);
    assert_eq!(cpu.run(4), StopReason::BudgetSpent);
    assert_eq!(
        (
            stopped,
            x(&cpu, A0),
            x(&cpu, A1),
            cpu.hart().pc(),
            cpu.hart().instret()
        ),
        ((RAM + 8, 5), 4, 3, RAM + 4, 10)
    );
}

#[test]
fn budget_ending_inside_a_fused_pair_stops_after_its_first_half() {
    let mut p = Asm::new();
    p.i(Op::Addi, A0, A0, 1)
        .i(Op::Addi, A1, A1, 1)
        .i(Op::Jal, ZERO, 0, -8);
    let mut cpu = machine(&p);
    assert_eq!(cpu.run(3), StopReason::BudgetSpent);
    assert_eq!(cpu.run(1), StopReason::BudgetSpent);
    assert_eq!(
        (
            x(&cpu, A0),
            x(&cpu, A1),
            cpu.hart().pc(),
            cpu.hart().instret()
        ),
        (2, 1, RAM + 4, 4)
    );
}
