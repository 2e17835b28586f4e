//! LR/SC reservation rules and every AMO, including atomicity across harts.

use std::sync::Arc;
use std::thread;

use crate::asm::*;
use ospite_interp::{Engine, Hart, HartConfig, StopReason};
use ospite_isa::{Csr, Op};
use ospite_mmu::{AccessSize, Bus, PhysAddr};

#[test]
fn lr_then_sc_succeeds_and_stores() {
    let mut p = Asm::new();
    p.li(T0, DATA as i64).li(T1, 5).li(A1, 9);
    p.s(Op::Sd, T1, T0, 0);
    p.amo(Op::LrD, A0, ZERO, T0).amo(Op::ScD, A2, A1, T0);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        (x(&cpu, A0), x(&cpu, A2), peek(&cpu, DATA, AccessSize::B8)),
        (5, 0, 9)
    );
}

#[test]
fn sc_without_reservation_fails_and_does_not_store() {
    let mut p = Asm::new();
    p.li(T0, DATA as i64).li(A1, 9);
    p.amo(Op::ScW, A2, A1, T0);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!((x(&cpu, A2), peek(&cpu, DATA, AccessSize::B4)), (1, 0));
}

#[test]
fn second_sc_fails_because_the_first_consumed_the_reservation() {
    let mut p = Asm::new();
    p.li(T0, DATA as i64).li(A1, 9);
    p.amo(Op::LrW, A0, ZERO, T0);
    p.amo(Op::ScW, A2, A1, T0).amo(Op::ScW, A3, A1, T0);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!((x(&cpu, A2), x(&cpu, A3)), (0, 1));
}

#[test]
fn sc_fails_after_another_hart_changes_the_value() {
    let mut p = Asm::new();
    p.li(T0, DATA as i64).li(A1, 9);
    p.amo(Op::LrW, A0, ZERO, T0);
    p.ebreak();
    p.amo(Op::ScW, A2, A1, T0);
    p.ebreak();
    let mut cpu = machine(&p);
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
    cpu.bus().store(PhysAddr(DATA), AccessSize::B4, 77).unwrap();
    let pc = cpu.hart().pc();
    cpu.hart_mut().set_pc(pc + 4);
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
    assert_eq!((x(&cpu, A2), peek(&cpu, DATA, AccessSize::B4)), (1, 77));
}

#[test]
fn sc_to_another_address_fails() {
    let mut p = Asm::new();
    p.li(T0, DATA as i64).li(A1, 9);
    p.amo(Op::LrD, A0, ZERO, T0);
    p.i(Op::Addi, T1, T0, 8).amo(Op::ScD, A2, A1, T1);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(x(&cpu, A2), 1);
}

#[test]
fn amo_word_ops_return_sign_extended_old_value() {
    let mut p = Asm::new();
    p.li(T0, DATA as i64).li(T1, -8);
    p.s(Op::Sw, T1, T0, 0);
    p.li(A1, 3);
    p.amo(Op::AmoaddW, A0, A1, T0); // mem = -5
    p.amo(Op::AmominuW, A2, A1, T0); // old -5 (as u32 big): mem = 3
    p.li(A3, -1);
    p.amo(Op::AmomaxW, A4, A3, T0); // old 3, max(3,-1) = 3
    p.amo(Op::AmoswapW, A5, A3, T0); // old 3, mem = -1
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [
            x(&cpu, A0),
            x(&cpu, A2),
            x(&cpu, A4),
            x(&cpu, A5),
            peek(&cpu, DATA, AccessSize::B8)
        ],
        [(-8i64) as u64, (-5i64) as u64, 3, 3, 0xffff_ffff]
    );
}

#[test]
fn amo_double_ops_and_logic() {
    let mut p = Asm::new();
    p.li(T0, DATA as i64).li(T1, 0b1100);
    p.s(Op::Sd, T1, T0, 0);
    p.li(A1, 0b1010);
    p.amo(Op::AmoandD, A0, A1, T0); // mem 0b1000
    p.amo(Op::AmoorD, A2, A1, T0); // mem 0b1010
    p.amo(Op::AmoxorD, A3, A1, T0); // mem 0
    p.li(A4, -1);
    p.amo(Op::AmominD, A5, A4, T0); // mem -1
    p.amo(Op::AmomaxuD, T2, A1, T0); // old -1, mem stays -1
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [
            x(&cpu, A0),
            x(&cpu, A2),
            x(&cpu, A3),
            x(&cpu, A5),
            x(&cpu, T2),
            peek(&cpu, DATA, AccessSize::B8)
        ],
        [0b1100, 0b1000, 0b1010, 0, u64::MAX, u64::MAX]
    );
}

#[test]
fn misaligned_amo_raises_store_address_misaligned() {
    let mut p = Asm::new();
    p.li(T0, (DATA + 2) as i64);
    let at = p.here() as u64;
    p.amo(Op::AmoaddW, A0, A1, T0);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(mtrap(&cpu), (6, RAM + at, DATA + 2));
}

#[test]
fn misaligned_lr_raises_load_address_misaligned() {
    let mut p = Asm::new();
    p.li(T0, (DATA + 4) as i64);
    let at = p.here() as u64;
    p.amo(Op::LrD, A0, ZERO, T0);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(mtrap(&cpu), (4, RAM + at, DATA + 4));
}

#[test]
fn a_trap_breaks_the_reservation() {
    let mut p = Asm::new();
    p.li(T0, DATA as i64).li(A1, 9);
    p.amo(Op::LrW, A0, ZERO, T0);
    p.op(Op::Ecall); // to a handler that returns past the ecall
    p.amo(Op::ScW, A2, A1, T0);
    p.ebreak();
    let mut h = Asm::new();
    h.csr(Op::Csrrs, T1, Csr::MEPC, ZERO);
    h.i(Op::Addi, T1, T1, 4);
    h.csr(Op::Csrrw, ZERO, Csr::MEPC, T1);
    h.op(Op::Mret);
    let mut cpu = machine_with(
        ospite_isa::Extensions::ALL,
        &[(RAM, &p), (RAM + 0x2000, &h)],
    );
    cpu.hart_mut().poke_csr(Csr::MTVEC, RAM + 0x2000);
    assert_eq!(cpu.run(1000), StopReason::Breakpoint);
    assert_eq!(x(&cpu, A2), 1);
}

#[test]
fn amoadd_from_two_harts_on_two_threads_loses_no_update() {
    // Each hart adds 1 to DATA 2000 times in a loop.
    let mut p = Asm::new();
    p.li(T0, DATA as i64).li(T1, 2000).li(A1, 1);
    let top = p.here();
    p.amo(Op::AmoaddD, ZERO, A1, T0);
    p.i(Op::Addi, T1, T1, -1);
    let here = p.here();
    p.b(Op::Bne, T1, ZERO, top - here);
    p.ebreak();
    let cpu0 = machine(&p);
    let bus = Arc::clone(cpu0.bus());
    let mut harts = vec![cpu0];
    let mut h1 = Hart::new(HartConfig {
        hartid: 1,
        ..HartConfig::default()
    });
    h1.set_pc(RAM);
    harts.push(new_cpu(h1, Arc::clone(&bus)));
    let results: Vec<StopReason> = harts
        .into_iter()
        .map(|mut c| thread::spawn(move || c.run(1_000_000)))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    assert_eq!(results, [StopReason::Breakpoint, StopReason::Breakpoint]);
    assert_eq!(bus.load(PhysAddr(DATA), AccessSize::B8), Ok(4000));
}
