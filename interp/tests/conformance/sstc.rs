//! Sstc: `stimecmp`, its gating by `menvcfg.STCE` and `mcounteren.TM`, and STIP driven by
//! `time >= stimecmp`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::asm::*;
use ospite_interp::{Engine, HartConfig, StopReason, TimeSource};
use ospite_isa::{Csr, Op};
use ospite_mmu::Privilege;

const STCE: u64 = 1 << 63;
const STIP: u64 = 1 << 5;
const TM: u64 = 1 << 1;

struct Clock(AtomicU64);

impl TimeSource for Clock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A machine whose `time` reads `clock`, running `p` in `mode`.
fn machine_at(p: &Asm, clock: &Arc<Clock>, mode: Privilege) -> Cpu {
    let time: Arc<dyn TimeSource> = clock.clone();
    let config = HartConfig {
        time: Some(time),
        ..HartConfig::default()
    };
    let mut cpu = machine_with_config(config, &[(RAM, p)]);
    cpu.hart_mut().set_privilege(mode);
    cpu
}

fn clock(t: u64) -> Arc<Clock> {
    Arc::new(Clock(AtomicU64::new(t)))
}

#[test]
fn stimecmp_is_read_write_in_m_mode_and_menvcfg_keeps_stce() {
    let mut p = Asm::new();
    p.li(T0, 0x1234_5678_9abc);
    p.csr(Op::Csrrw, ZERO, Csr::STIMECMP, T0);
    p.csr(Op::Csrrs, A0, Csr::STIMECMP, ZERO);
    p.li(T0, -1);
    p.csr(Op::Csrrw, ZERO, Csr::MENVCFG, T0);
    p.csr(Op::Csrrs, A1, Csr::MENVCFG, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!((x(&cpu, A0), x(&cpu, A1) & STCE), (0x1234_5678_9abc, STCE));
}

/// Runs `csrr a0, stimecmp` in S-mode with `menvcfg` and `mcounteren` as given; returns
/// `mcause` (0 when the read worked).
fn s_mode_read(menvcfg: u64, mcounteren: u64) -> u64 {
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr::STIMECMP, ZERO);
    p.ebreak();
    let c = clock(0);
    let mut cpu = machine_at(&p, &c, Privilege::Supervisor);
    assert!(cpu.hart_mut().poke_csr(Csr::MENVCFG, menvcfg));
    assert!(cpu.hart_mut().poke_csr(Csr::MCOUNTEREN, mcounteren));
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
    csr(&cpu, Csr::MCAUSE)
}

#[test]
fn s_mode_needs_both_stce_and_tm_for_stimecmp() {
    assert_eq!(
        [
            s_mode_read(0, 0),
            s_mode_read(STCE, 0),
            s_mode_read(0, TM),
            s_mode_read(STCE, TM),
        ],
        [2, 2, 2, 0]
    );
}

#[test]
fn u_mode_never_reaches_stimecmp() {
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr::STIMECMP, ZERO);
    p.ebreak();
    let c = clock(0);
    let mut cpu = machine_at(&p, &c, Privilege::User);
    assert!(cpu.hart_mut().poke_csr(Csr::MENVCFG, STCE));
    assert!(cpu.hart_mut().poke_csr(Csr::MCOUNTEREN, TM));
    assert!(cpu.hart_mut().poke_csr(Csr::SCOUNTEREN, TM));
    cpu.run(100);
    assert_eq!(mtrap(&cpu).0, 2);
}

#[test]
fn stip_follows_time_against_stimecmp_with_stce() {
    let p = Asm::new();
    let c = clock(50);
    let mut cpu = machine_at(&p, &c, Privilege::Machine);
    let h = cpu.hart_mut();
    assert!(h.poke_csr(Csr::MENVCFG, STCE));
    assert!(h.poke_csr(Csr::STIMECMP, 100));
    let before = h.mip() & STIP;
    c.0.store(100, Ordering::Relaxed);
    let at = h.mip() & STIP;
    // A later stimecmp clears it again.
    assert!(h.poke_csr(Csr::STIMECMP, 101));
    let after = h.mip() & STIP;
    assert_eq!((before, at, after), (0, STIP, 0));
}

#[test]
fn mip_stip_is_read_only_with_stce_and_writable_without() {
    let p = Asm::new();
    let c = clock(0);
    let mut cpu = machine_at(&p, &c, Privilege::Machine);
    let h = cpu.hart_mut();
    assert!(h.poke_csr(Csr::STIMECMP, 1000));
    assert!(h.poke_csr(Csr::MIP, STIP));
    let without = h.peek_csr(Csr::MIP).unwrap() & STIP;
    assert!(h.poke_csr(Csr::MENVCFG, STCE));
    let with = h.peek_csr(Csr::MIP).unwrap() & STIP;
    assert!(h.poke_csr(Csr::MIP, STIP));
    let with_written = h.peek_csr(Csr::MIP).unwrap() & STIP;
    assert_eq!((without, with, with_written), (STIP, 0, 0));
}

#[test]
fn supervisor_timer_interrupt_from_stimecmp_is_taken_in_s_mode() {
    // S-mode sets stimecmp to now + 10 and spins; the delegated STI arrives once the clock
    // passes it, and the S handler (an ebreak at STVEC) runs.
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr::TIME, ZERO);
    p.i(Op::Addi, A0, A0, 10);
    p.csr(Op::Csrrw, ZERO, Csr::STIMECMP, A0);
    let spin = p.here();
    p.i(Op::Addi, A1, A1, 1);
    p.b(Op::Beq, ZERO, ZERO, spin - p.here());
    let c = clock(1000);
    let mut cpu = machine_at(&p, &c, Privilege::Supervisor);
    let h = cpu.hart_mut();
    for (r, v) in [
        (Csr::MENVCFG, STCE),
        (Csr::MCOUNTEREN, TM),
        (Csr::STIMECMP, u64::MAX),
        (Csr::MIDELEG, STIP),
        (Csr::MIE, STIP),
        (Csr::SSTATUS, 1 << 1), // SIE
    ] {
        assert!(h.poke_csr(r, v));
    }
    let first = cpu.run(50);
    c.0.store(1010, Ordering::Relaxed);
    let second = cpu.run(50);
    let (cause, epc, _) = strap(&cpu);
    assert_eq!(
        (first, second, cause, epc - RAM >= spin as u64),
        (
            StopReason::BudgetSpent,
            StopReason::Breakpoint,
            1 << 63 | 5,
            true
        )
    );
}

#[test]
fn engines_see_a_fired_timer_within_a_bounded_number_of_asks_and_at_once_when_polled() {
    let p = Asm::new();
    let c = clock(50);
    let mut cpu = machine_at(&p, &c, Privilege::Machine);
    let h = cpu.hart_mut();
    assert!(h.poke_csr(Csr::MENVCFG, STCE));
    assert!(h.poke_csr(Csr::MIE, STIP));
    assert!(h.poke_csr(Csr::STIMECMP, 100));
    assert_eq!(h.wakeup_pending() & STIP, 0);
    c.0.store(100, Ordering::Relaxed);
    // Engines ask at block boundaries; the host clock is read once per few dozen asks.
    let asks = (1..=1000).find(|_| h.wakeup_pending() & STIP != 0);
    assert!(asks.is_some_and(|n| n <= 65), "{asks:?}");
    // A write of stimecmp is seen at once, and so is the clock after a poll.
    assert!(h.poke_csr(Csr::STIMECMP, 200));
    assert_eq!(h.wakeup_pending() & STIP, 0);
    c.0.store(200, Ordering::Relaxed);
    h.poll_timer_now();
    assert_eq!(h.wakeup_pending() & STIP, STIP);
}
