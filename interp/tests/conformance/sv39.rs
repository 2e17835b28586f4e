//! The Sv39 S/U-mode environment: one root table of gigapages over RAM.
//!
//! | virtual | physical | flags |
//! | --- | --- | --- |
//! | 0x4000_0000 | RAM | R W X (S) |
//! | 0x8000_0000 | RAM | R W X U |
//! | 0xc000_0000 | RAM | R (S) |
//! | 0x1_0000_0000 | RAM | R W (S) |

use crate::asm::*;
use ospite_interp::{Engine, StopReason};
use ospite_isa::{Csr, Extensions, Op};
use ospite_mmu::{AccessSize, Asid, Bus, PhysAddr, Privilege, Pte, Satp, SatpMode};

const ROOT: u64 = RAM + 0x20000;
const S_RWX: u64 = 0x4000_0000;
const U_RWX: u64 = 0x8000_0000;
const S_R: u64 = 0xc000_0000;
const S_RW: u64 = 0x1_0000_0000;

fn satp() -> u64 {
    Satp::new(SatpMode::Sv39, Asid(1), PhysAddr(ROOT)).0
}

/// A machine whose page tables are set up, with `satp` written, in `mode` at `pc`.
fn paged(progs: &[(u64, &Asm)], mode: Privilege, pc: u64) -> Cpu {
    let mut cpu = machine_with(Extensions::ALL, progs);
    let map = cpu.bus().clone();
    for (va, flags) in [
        (S_RWX, Pte::R | Pte::W | Pte::X),
        (U_RWX, Pte::R | Pte::W | Pte::X | Pte::U),
        (S_R, Pte::R),
        (S_RW, Pte::R | Pte::W),
    ] {
        let pte = Pte::leaf(PhysAddr(RAM), flags | Pte::A | Pte::D);
        map.store(PhysAddr(ROOT + (va >> 30) * 8), AccessSize::B8, pte.0)
            .unwrap();
    }
    let h = cpu.hart_mut();
    assert!(h.poke_csr(Csr::SATP, satp()));
    assert!(h.poke_csr(Csr::STVEC, STVEC - RAM + S_RWX));
    h.set_privilege(mode);
    h.set_pc(pc);
    cpu
}

#[test]
fn s_mode_runs_and_accesses_memory_through_page_tables() {
    let mut p = Asm::new();
    p.li(T0, (S_RW + 0x8000) as i64).li(T1, 42);
    p.s(Op::Sd, T1, T0, 0).i(Op::Ld, A0, T0, 0);
    p.i(Op::Auipc, A1, 0, 0);
    p.ebreak();
    let mut cpu = paged(&[(RAM, &p)], Privilege::Supervisor, S_RWX);
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
    assert_eq!(
        (x(&cpu, A0), x(&cpu, A1), peek(&cpu, DATA, AccessSize::B8)),
        (42, S_RWX + p.here() as u64 - 8, 42)
    );
}

#[test]
fn m_mode_enters_s_mode_with_mret_and_the_mmu_turns_on() {
    let mut m = Asm::new();
    m.li(T0, satp() as i64).csr(Op::Csrrw, ZERO, Csr::SATP, T0);
    m.li(T0, 1 << 11).csr(Op::Csrrw, ZERO, Csr::MSTATUS, T0);
    m.li(T0, (S_RWX + 0x400) as i64)
        .csr(Op::Csrrw, ZERO, Csr::MEPC, T0);
    m.op(Op::Mret);
    let mut s = Asm::new();
    s.i(Op::Auipc, A0, 0, 0).ebreak();
    let mut cpu = paged(&[(RAM, &m), (RAM + 0x400, &s)], Privilege::Machine, RAM);
    cpu.hart_mut().poke_csr(Csr::SATP, 0);
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
    assert_eq!(
        (x(&cpu, A0), cpu.hart().privilege()),
        (S_RWX + 0x400, Privilege::Supervisor)
    );
}

#[test]
fn u_mode_load_from_supervisor_page_is_load_page_fault() {
    let mut p = Asm::new();
    p.li(T0, (S_RW + 0x8000) as i64).i(Op::Ld, A0, T0, 0);
    let at = p.here() as u64 - 4;
    p.ebreak();
    let mut cpu = paged(&[(RAM, &p)], Privilege::User, U_RWX);
    cpu.run(100);
    assert_eq!(mtrap(&cpu), (13, U_RWX + at, S_RW + 0x8000));
}

#[test]
fn s_mode_load_from_user_page_needs_sum() {
    let mut p = Asm::new();
    p.li(T0, (U_RWX + 0x8000) as i64).i(Op::Ld, A0, T0, 0);
    p.ebreak();
    let mut cpu = paged(&[(RAM, &p)], Privilege::Supervisor, S_RWX);
    cpu.run(100);
    assert_eq!(mtrap(&cpu).0, 13);

    let mut cpu = paged(&[(RAM, &p)], Privilege::Supervisor, S_RWX);
    cpu.hart_mut().poke_csr(Csr::SSTATUS, 1 << 18);
    cpu.bus().store(PhysAddr(DATA), AccessSize::B8, 7).unwrap();
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
    assert_eq!((csr(&cpu, Csr::MCAUSE), x(&cpu, A0)), (0, 7));
}

#[test]
fn s_mode_load_from_user_page_faults_once_sum_is_cleared() {
    let mut p = Asm::new();
    p.li(T0, (U_RWX + 0x8000) as i64).i(Op::Ld, A0, T0, 0);
    p.li(T1, 1 << 18).csr(Op::Csrrc, ZERO, Csr::SSTATUS, T1);
    p.i(Op::Ld, A1, T0, 0);
    let at = p.here() as u64 - 4;
    p.ebreak();
    let mut cpu = paged(&[(RAM, &p)], Privilege::Supervisor, S_RWX);
    cpu.hart_mut().poke_csr(Csr::SSTATUS, 1 << 18);
    cpu.bus().store(PhysAddr(DATA), AccessSize::B8, 7).unwrap();
    cpu.run(100);
    assert_eq!(
        (mtrap(&cpu), x(&cpu, A0)),
        ((13, S_RWX + at, U_RWX + 0x8000), 7)
    );
}

#[test]
fn store_to_read_only_page_is_store_page_fault() {
    let mut p = Asm::new();
    p.li(T0, (S_R + 0x8000) as i64).s(Op::Sw, T0, T0, 0);
    p.ebreak();
    let mut cpu = paged(&[(RAM, &p)], Privilege::Supervisor, S_RWX);
    cpu.run(100);
    assert_eq!((mtrap(&cpu).0, mtrap(&cpu).2), (15, S_R + 0x8000));
}

#[test]
fn fetch_from_non_executable_page_is_instruction_page_fault() {
    let mut p = Asm::new();
    p.ebreak();
    let mut cpu = paged(&[(RAM, &p)], Privilege::Supervisor, S_RW);
    cpu.run(100);
    assert_eq!(mtrap(&cpu), (12, S_RW, S_RW));
}

#[test]
fn s_mode_fetch_from_user_page_faults_even_with_sum() {
    let mut p = Asm::new();
    p.ebreak();
    let mut cpu = paged(&[(RAM, &p)], Privilege::Supervisor, U_RWX);
    cpu.hart_mut().poke_csr(Csr::SSTATUS, 1 << 18);
    cpu.run(100);
    assert_eq!(mtrap(&cpu).0, 12);
}

#[test]
fn delegated_page_fault_goes_to_s_mode_with_stval() {
    let mut p = Asm::new();
    p.li(T0, (S_RW + 0x9000) as i64).i(Op::Ld, A0, T0, 8);
    let at = p.here() as u64 - 4;
    p.ebreak();
    let mut cpu = paged(&[(RAM, &p)], Privilege::User, U_RWX);
    cpu.hart_mut().poke_csr(Csr::MEDELEG, 1 << 13);
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
    assert_eq!(strap(&cpu), (13, U_RWX + at, S_RW + 0x9008));
    assert_eq!(cpu.hart().pc(), STVEC - RAM + S_RWX);
}

#[test]
fn non_canonical_address_is_a_page_fault() {
    let mut p = Asm::new();
    p.li(T0, 0x40_0000_0000).i(Op::Lb, A0, T0, 0);
    p.ebreak();
    let mut cpu = paged(&[(RAM, &p)], Privilege::Supervisor, S_RWX);
    cpu.run(100);
    assert_eq!((mtrap(&cpu).0, mtrap(&cpu).2), (13, 0x40_0000_0000));
}

#[test]
fn mprv_makes_m_mode_loads_use_mpp_translation() {
    let mut p = Asm::new();
    p.li(T0, (1 << 17) | (1 << 11))
        .csr(Op::Csrrs, ZERO, Csr::MSTATUS, T0);
    p.li(T1, (S_RW + 0x8000) as i64).i(Op::Ld, A0, T1, 0);
    p.ebreak();
    let mut cpu = paged(&[(RAM, &p)], Privilege::Machine, RAM);
    cpu.bus().store(PhysAddr(DATA), AccessSize::B8, 99).unwrap();
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
    assert_eq!(x(&cpu, A0), 99);
}

#[test]
fn u_mode_ecall_round_trip_through_s_mode_handler_and_sret() {
    // U: ecall; S handler: a0 += 1, sepc += 4, sret; U: ebreak.
    let mut u = Asm::new();
    u.op(Op::Ecall).ebreak();
    let mut h = Asm::new();
    h.i(Op::Addi, A0, A0, 1);
    h.csr(Op::Csrrs, T0, Csr::SEPC, ZERO).i(Op::Addi, T0, T0, 4);
    h.csr(Op::Csrrw, ZERO, Csr::SEPC, T0).op(Op::Sret);
    let mut cpu = paged(&[(RAM, &u), (RAM + 0x3000, &h)], Privilege::User, U_RWX);
    cpu.hart_mut().poke_csr(Csr::MEDELEG, 1 << 8);
    cpu.hart_mut().poke_csr(Csr::STVEC, S_RWX + 0x3000);
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
    assert_eq!(
        (x(&cpu, A0), cpu.hart().privilege(), cpu.hart().pc()),
        (1, Privilege::User, U_RWX + 4)
    );
}
