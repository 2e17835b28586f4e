//! Exceptions, delegation, and the xRET/WFI/SFENCE.VMA privilege rules.

use crate::asm::*;
use ospite_interp::{Engine, Interrupt, StopReason, TrapCounts};
use ospite_isa::{Csr, Op};
use ospite_mmu::Privilege;

fn ecall_in(mode: Privilege) -> Cpu {
    let mut p = Asm::new();
    p.op(Op::Ecall);
    let mut cpu = machine(&p);
    cpu.hart_mut().set_privilege(mode);
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
    cpu
}

#[test]
fn ecall_cause_depends_on_privilege() {
    let causes =
        [Privilege::User, Privilege::Supervisor, Privilege::Machine].map(|m| mtrap(&ecall_in(m)));
    assert_eq!(causes, [(8, RAM, 0), (9, RAM, 0), (11, RAM, 0)]);
}

#[test]
fn trap_into_m_saves_privilege_and_interrupt_enable() {
    let mut p = Asm::new();
    p.op(Op::Ecall);
    let mut cpu = machine(&p);
    cpu.hart_mut().poke_csr(Csr::MSTATUS, 1 << 3); // MIE
    cpu.hart_mut().set_privilege(Privilege::Supervisor);
    cpu.run(100);
    let ms = csr(&cpu, Csr::MSTATUS);
    assert_eq!(
        (
            ms >> 11 & 3,
            ms >> 7 & 1,
            ms >> 3 & 1,
            cpu.hart().privilege()
        ),
        (1, 1, 0, Privilege::Machine)
    );
    assert_eq!(cpu.hart().pc(), MTVEC);
}

#[test]
fn delegated_ecall_from_u_goes_to_s() {
    let mut p = Asm::new();
    p.op(Op::Ecall);
    let mut cpu = machine(&p);
    cpu.hart_mut().poke_csr(Csr::MEDELEG, 1 << 8);
    cpu.hart_mut().poke_csr(Csr::SSTATUS, 1 << 1); // SIE
    cpu.hart_mut().set_privilege(Privilege::User);
    cpu.run(100);
    let ss = csr(&cpu, Csr::SSTATUS);
    assert_eq!(strap(&cpu), (8, RAM, 0));
    assert_eq!(
        (
            ss >> 8 & 1,
            ss >> 5 & 1,
            ss >> 1 & 1,
            cpu.hart().privilege()
        ),
        (0, 1, 0, Privilege::Supervisor)
    );
    assert_eq!((cpu.hart().pc(), csr(&cpu, Csr::MCAUSE)), (STVEC, 0));
}

#[test]
fn delegation_does_not_apply_to_traps_taken_in_m_mode() {
    let mut p = Asm::new();
    p.op(Op::Ebreak);
    let mut cpu = machine(&p);
    debug_breakpoints(&mut cpu, false);
    cpu.hart_mut().poke_csr(Csr::MEDELEG, 1 << 3);
    cpu.hart_mut().poke_csr(Csr::MTVEC, RAM + 0x2000); // a loop of ebreaks would recurse: step
    cpu.step();
    assert_eq!((mtrap(&cpu), csr(&cpu, Csr::SCAUSE)), ((3, RAM, RAM), 0));
}

#[test]
fn illegal_instruction_reports_its_bits() {
    let mut p = Asm::new();
    p.word(0xffff_ffff);
    let cpu = run(&p);
    assert_eq!(mtrap(&cpu), (2, RAM, 0xffff_ffff));
}

#[test]
fn ebreak_without_debug_flag_is_a_breakpoint_exception() {
    let mut p = Asm::new();
    p.i(Op::Addi, A0, ZERO, 1).ebreak();
    let mut cpu = machine(&p);
    debug_breakpoints(&mut cpu, false);
    cpu.run(2);
    assert_eq!(
        (mtrap(&cpu), cpu.hart().pc()),
        ((3, RAM + 4, RAM + 4), MTVEC)
    );
}

#[test]
fn mret_returns_to_mpp_and_restores_mie() {
    let mut p = Asm::new();
    p.li(T0, (1 << 11) | (1 << 7) | (1 << 17)); // MPP = S, MPIE, MPRV
    p.csr(Op::Csrrw, ZERO, Csr::MSTATUS, T0);
    p.li(T1, (RAM + 0x100) as i64);
    p.csr(Op::Csrrw, ZERO, Csr::MEPC, T1);
    p.op(Op::Mret);
    let mut s = Asm::new();
    s.ebreak();
    let mut cpu = machine_with(ospite_isa::Extensions::ALL, &[(RAM, &p), (RAM + 0x100, &s)]);
    cpu.run(100);
    let ms = csr(&cpu, Csr::MSTATUS);
    assert_eq!(
        (
            cpu.hart().privilege(),
            cpu.hart().pc(),
            ms >> 3 & 1,
            ms >> 7 & 1,
            ms >> 11 & 3,
            ms >> 17 & 1
        ),
        (Privilege::Supervisor, RAM + 0x100, 1, 1, 0, 0)
    );
}

#[test]
fn sret_returns_to_spp_and_restores_sie() {
    let mut p = Asm::new();
    p.li(T0, (1 << 8) | (1 << 5)); // SPP = S, SPIE
    p.csr(Op::Csrrw, ZERO, Csr::SSTATUS, T0);
    p.li(T1, (RAM + 0x100) as i64);
    p.csr(Op::Csrrw, ZERO, Csr::SEPC, T1);
    p.op(Op::Sret);
    let mut s = Asm::new();
    s.ebreak();
    let mut cpu = machine_with(ospite_isa::Extensions::ALL, &[(RAM, &p), (RAM + 0x100, &s)]);
    cpu.hart_mut().set_privilege(Privilege::Supervisor);
    cpu.run(100);
    let ss = csr(&cpu, Csr::SSTATUS);
    assert_eq!(
        (
            cpu.hart().privilege(),
            cpu.hart().pc(),
            ss >> 1 & 1,
            ss >> 5 & 1,
            ss >> 8 & 1
        ),
        (Privilege::Supervisor, RAM + 0x100, 1, 1, 0)
    );
}

fn one_op_in(op: Op, mode: Privilege, mstatus: u64) -> u64 {
    let mut p = Asm::new();
    p.op(op);
    p.ebreak();
    let mut cpu = machine(&p);
    cpu.hart_mut().poke_csr(Csr::MSTATUS, mstatus);
    cpu.hart_mut().set_privilege(mode);
    cpu.run(100);
    csr(&cpu, Csr::MCAUSE)
}

#[test]
fn privileged_instruction_rules() {
    let s = Privilege::Supervisor;
    let u = Privilege::User;
    let tsr = 1 << 22;
    let tw = 1 << 21;
    let tvm = 1 << 20;
    assert_eq!(
        [
            one_op_in(Op::Mret, s, 0),
            one_op_in(Op::Sret, u, 0),
            one_op_in(Op::Sret, s, tsr),
            one_op_in(Op::Wfi, u, 0),
            one_op_in(Op::Wfi, s, tw),
            one_op_in(Op::SfenceVma, u, 0),
            one_op_in(Op::SfenceVma, s, tvm),
            one_op_in(Op::Dret, Privilege::Machine, 0),
        ],
        [2; 8]
    );
}

#[test]
fn allowed_privileged_instructions_do_not_trap() {
    let s = Privilege::Supervisor;
    assert_eq!(
        [
            one_op_in(Op::SfenceVma, s, 0),
            one_op_in(Op::Wfi, Privilege::Machine, 1 << 21),
        ],
        [0, 0]
    );
}

#[test]
fn wfi_with_nothing_pending_stops_the_engine_after_the_wfi() {
    let mut p = Asm::new();
    p.op(Op::Wfi).ebreak();
    let mut cpu = machine(&p);
    assert_eq!(cpu.run(100), StopReason::Wfi);
    assert_eq!(cpu.hart().pc(), RAM + 4);
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
}

#[test]
fn trap_counts_count_exceptions_and_interrupts_taken() {
    // ecall (delegated to S), then an illegal instruction (in M), then a timer interrupt, with
    // handlers that return past the trapping instruction.
    let mut p = Asm::new();
    p.op(Op::Ecall); // to STVEC: sepc += 4, sret
    p.word(0xffff_ffff); // to MTVEC: mepc += 4, mret
    p.i(Op::Addi, A0, A0, 1).i(Op::Jal, ZERO, 0, -4);
    let mut m = Asm::new();
    m.csr(Op::Csrrs, T0, Csr::MEPC, ZERO)
        .i(Op::Addi, T0, T0, 4)
        .csr(Op::Csrrw, ZERO, Csr::MEPC, T0)
        .op(Op::Mret);
    let mut s = Asm::new();
    s.csr(Op::Csrrs, T0, Csr::SEPC, ZERO)
        .i(Op::Addi, T0, T0, 4)
        .csr(Op::Csrrw, ZERO, Csr::SEPC, T0)
        .op(Op::Sret);
    let mut cpu = machine_with(
        ospite_isa::Extensions::ALL,
        &[(RAM, &p), (MTVEC, &m), (STVEC, &s)],
    );
    cpu.hart_mut().poke_csr(Csr::MEDELEG, 1 << 8);
    cpu.hart_mut().set_privilege(Privilege::User);
    let before = cpu.hart().trap_counts();
    cpu.run(20);
    let after_exceptions = cpu.hart().trap_counts();
    cpu.hart_mut().poke_csr(Csr::MIE, 1 << 7);
    cpu.hart().irq_lines().set(Interrupt::MachineTimer, true);
    cpu.step();
    assert_eq!(
        (before, after_exceptions, cpu.hart().trap_counts()),
        (
            TrapCounts::default(),
            TrapCounts {
                exceptions: 2,
                interrupts: 0
            },
            TrapCounts {
                exceptions: 2,
                interrupts: 1
            }
        )
    );
}
