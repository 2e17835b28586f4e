//! Interrupts: enables, delegation, priority, vectored mode, and WFI wake-up.

use crate::asm::*;
use ospite_interp::{Engine, Interrupt, StopReason, CAUSE_INTERRUPT};
use ospite_isa::{Csr, Op};
use ospite_mmu::Privilege;

fn spin() -> Asm {
    let mut p = Asm::new();
    p.i(Op::Addi, A0, A0, 1).i(Op::Jal, ZERO, 0, -4);
    p
}

#[test]
fn machine_timer_is_taken_when_enabled() {
    let mut cpu = machine(&spin());
    cpu.hart_mut().poke_csr(Csr::MIE, 1 << 7);
    cpu.hart_mut().poke_csr(Csr::MSTATUS, 1 << 3);
    assert_eq!(cpu.run(3), StopReason::BudgetSpent);
    cpu.hart().irq_lines().set(Interrupt::MachineTimer, true);
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
    assert_eq!(mtrap(&cpu), (CAUSE_INTERRUPT | 7, RAM + 4, 0));
    let ms = csr(&cpu, Csr::MSTATUS);
    assert_eq!((ms >> 3 & 1, ms >> 7 & 1), (0, 1));
}

#[test]
fn machine_interrupt_is_not_taken_in_m_mode_with_mie_clear() {
    let mut cpu = machine(&spin());
    cpu.hart_mut().poke_csr(Csr::MIE, 1 << 7);
    cpu.hart().irq_lines().set(Interrupt::MachineTimer, true);
    assert_eq!(cpu.run(50), StopReason::BudgetSpent);
    assert_eq!(csr(&cpu, Csr::MCAUSE), 0);
}

#[test]
fn machine_interrupt_is_taken_below_m_mode_whatever_mie_says() {
    let mut cpu = machine(&spin());
    cpu.hart_mut().poke_csr(Csr::MIE, 1 << 3);
    cpu.hart_mut().set_privilege(Privilege::User);
    cpu.hart().irq_lines().set(Interrupt::MachineSoftware, true);
    assert_eq!(cpu.run(50), StopReason::Breakpoint);
    assert_eq!(mtrap(&cpu).0, CAUSE_INTERRUPT | 3);
}

#[test]
fn priority_is_mei_msi_mti_sei_ssi_sti() {
    let mut order = vec![];
    let all = [
        Interrupt::SupervisorTimer,
        Interrupt::SupervisorSoftware,
        Interrupt::SupervisorExternal,
        Interrupt::MachineTimer,
        Interrupt::MachineSoftware,
        Interrupt::MachineExternal,
    ];
    for n in 0..all.len() {
        let mut cpu = machine(&spin());
        cpu.hart_mut().poke_csr(Csr::MIE, 0xaaa);
        cpu.hart_mut().set_privilege(Privilege::User);
        for irq in &all[..all.len() - n] {
            cpu.hart().irq_lines().set(*irq, true);
        }
        cpu.run(10);
        order.push(mtrap(&cpu).0 & !CAUSE_INTERRUPT);
    }
    assert_eq!(order, [11, 3, 7, 9, 1, 5]);
}

#[test]
fn delegated_supervisor_timer_goes_to_s_mode_when_sie_allows() {
    let mut cpu = machine(&spin());
    cpu.hart_mut().poke_csr(Csr::MIDELEG, 1 << 5);
    cpu.hart_mut().poke_csr(Csr::MIE, 1 << 5);
    cpu.hart_mut().poke_csr(Csr::MSTATUS, 1 << 1);
    cpu.hart_mut().set_privilege(Privilege::Supervisor);
    cpu.hart().irq_lines().set(Interrupt::SupervisorTimer, true);
    assert_eq!(cpu.run(10), StopReason::Breakpoint);
    assert_eq!(
        (
            strap(&cpu).0,
            cpu.hart().privilege(),
            csr(&cpu, Csr::MCAUSE)
        ),
        (CAUSE_INTERRUPT | 5, Privilege::Supervisor, 0)
    );
}

#[test]
fn delegated_interrupt_waits_in_s_mode_with_sie_clear_and_in_m_mode() {
    for mode in [Privilege::Supervisor, Privilege::Machine] {
        let mut cpu = machine(&spin());
        cpu.hart_mut().poke_csr(Csr::MIDELEG, 1 << 9);
        cpu.hart_mut().poke_csr(Csr::MIE, 1 << 9);
        cpu.hart_mut().poke_csr(Csr::MSTATUS, 1 << 3);
        cpu.hart_mut().set_privilege(mode);
        cpu.hart()
            .irq_lines()
            .set(Interrupt::SupervisorExternal, true);
        assert_eq!(cpu.run(20), StopReason::BudgetSpent);
    }
}

#[test]
fn software_set_ssip_is_pending_in_sip() {
    let mut p = Asm::new();
    p.csr(Op::Csrrsi, ZERO, Csr::MIP, 2);
    p.csr(Op::Csrrs, A0, Csr::SIP, ZERO);
    p.csr(Op::Csrrs, A1, Csr::MIP, ZERO);
    p.ebreak();
    let mut cpu = machine(&p);
    cpu.hart_mut().poke_csr(Csr::MIDELEG, 2);
    cpu.run(10);
    assert_eq!((x(&cpu, A0), x(&cpu, A1)), (2, 2));
}

#[test]
fn mip_lines_from_the_board_are_read_only_to_software() {
    let mut p = Asm::new();
    p.li(T0, 1 << 11);
    p.csr(Op::Csrrc, ZERO, Csr::MIP, T0);
    p.csr(Op::Csrrs, A0, Csr::MIP, ZERO);
    p.ebreak();
    let mut cpu = machine(&p);
    cpu.hart().irq_lines().set(Interrupt::MachineExternal, true);
    cpu.run(10);
    assert_eq!(x(&cpu, A0), 1 << 11);
}

#[test]
fn vectored_mtvec_jumps_to_base_plus_four_times_cause() {
    let mut cpu = machine(&spin());
    let base = RAM + 0x2000;
    cpu.hart_mut().poke_csr(Csr::MTVEC, base | 1);
    cpu.hart_mut().poke_csr(Csr::MIE, 1 << 7);
    cpu.hart_mut().set_privilege(Privilege::User);
    cpu.hart().irq_lines().set(Interrupt::MachineTimer, true);
    assert!(cpu.hart_mut().check_interrupts());
    assert_eq!(cpu.hart().pc(), base + 4 * 7);
}

#[test]
fn vectored_mtvec_sends_exceptions_to_base() {
    let mut p = Asm::new();
    p.op(Op::Ecall);
    let mut cpu = machine(&p);
    cpu.hart_mut().poke_csr(Csr::MTVEC, MTVEC | 1);
    assert_eq!(cpu.run(10), StopReason::Breakpoint);
    assert_eq!(cpu.hart().pc(), MTVEC);
}

#[test]
fn wfi_does_not_stop_when_an_interrupt_is_pending_but_globally_disabled() {
    let mut p = Asm::new();
    p.op(Op::Wfi).i(Op::Addi, A0, ZERO, 1).ebreak();
    let mut cpu = machine(&p);
    cpu.hart_mut().poke_csr(Csr::MIE, 1 << 7);
    cpu.hart().irq_lines().set(Interrupt::MachineTimer, true);
    assert_eq!(cpu.run(10), StopReason::Breakpoint);
    assert_eq!((x(&cpu, A0), csr(&cpu, Csr::MCAUSE)), (1, 0));
}

#[test]
fn lowering_a_line_withdraws_the_interrupt() {
    let mut cpu = machine(&spin());
    cpu.hart_mut().poke_csr(Csr::MIE, 1 << 11);
    cpu.hart_mut().set_privilege(Privilege::User);
    cpu.hart().irq_lines().set(Interrupt::MachineExternal, true);
    cpu.hart()
        .irq_lines()
        .set(Interrupt::MachineExternal, false);
    assert_eq!(cpu.run(10), StopReason::BudgetSpent);
}
