//! Zicsr semantics, CSR permissions and WARL rules.

use crate::asm::*;
use ospite_interp::Engine;
use ospite_isa::{Csr, Op};
use ospite_mmu::Privilege;

fn in_mode(p: &Asm, mode: Privilege) -> Cpu {
    let mut cpu = machine(p);
    cpu.hart_mut().set_privilege(mode);
    assert_eq!(cpu.run(1000), ospite_interp::StopReason::Breakpoint);
    cpu
}

#[test]
fn csrrw_csrrs_csrrc_and_immediate_forms() {
    let mut p = Asm::new();
    p.li(T0, 0xf0);
    p.csr(Op::Csrrw, A0, Csr::MSCRATCH, T0); // old 0
    p.csr(Op::Csrrsi, A1, Csr::MSCRATCH, 0x0f); // old 0xf0 -> 0xff
    p.csr(Op::Csrrci, A2, Csr::MSCRATCH, 0x03); // old 0xff -> 0xfc
    p.li(T1, 0xf0);
    p.csr(Op::Csrrc, A3, Csr::MSCRATCH, T1); // old 0xfc -> 0x0c
    p.csr(Op::Csrrwi, A4, Csr::MSCRATCH, 1); // old 0x0c -> 1
    p.csr(Op::Csrrs, A5, Csr::MSCRATCH, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [
            x(&cpu, A0),
            x(&cpu, A1),
            x(&cpu, A2),
            x(&cpu, A3),
            x(&cpu, A4),
            x(&cpu, A5)
        ],
        [0, 0xf0, 0xff, 0xfc, 0x0c, 1]
    );
}

#[test]
fn writing_a_read_only_csr_is_illegal_with_the_bits_in_tval() {
    let mut p = Asm::new();
    p.csr(Op::Csrrw, A0, Csr::MHARTID, T0);
    p.ebreak();
    let cpu = run(&p);
    let bits = u64::from(u32::from_le_bytes(p.bytes[0..4].try_into().unwrap()));
    assert_eq!(mtrap(&cpu), (2, RAM, bits));
}

#[test]
fn reading_a_read_only_csr_with_csrrs_x0_is_fine() {
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr::MHARTID, ZERO)
        .csr(Op::Csrrs, A1, Csr::MVENDORID, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!((x(&cpu, A0), csr(&cpu, Csr::MCAUSE)), (0, 0));
}

#[test]
fn m_csr_from_s_mode_is_illegal() {
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr::MSTATUS, ZERO);
    p.ebreak();
    let cpu = in_mode(&p, Privilege::Supervisor);
    assert_eq!(mtrap(&cpu).0, 2);
    assert_eq!(cpu.hart().privilege(), Privilege::Machine);
}

#[test]
fn s_csr_from_u_mode_is_illegal() {
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr::SSTATUS, ZERO);
    p.ebreak();
    let cpu = in_mode(&p, Privilege::User);
    assert_eq!(mtrap(&cpu).0, 2);
}

#[test]
fn unknown_csr_is_illegal() {
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr(0x7ff), ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(mtrap(&cpu).0, 2);
}

#[test]
fn sstatus_is_a_view_of_mstatus() {
    let mut p = Asm::new();
    p.li(T0, (1 << 1) | (1 << 3) | (1 << 18));
    p.csr(Op::Csrrs, ZERO, Csr::SSTATUS, T0); // SIE and SUM; MIE is not in the view
    p.csr(Op::Csrrs, A0, Csr::MSTATUS, ZERO);
    p.csr(Op::Csrrs, A1, Csr::SSTATUS, ZERO);
    p.ebreak();
    let cpu = run(&p);
    let xl = 2u64 << 32 | 2 << 34;
    assert_eq!(
        (x(&cpu, A0), x(&cpu, A1)),
        (xl | 1 << 1 | 1 << 18, 2 << 32 | 1 << 1 | 1 << 18)
    );
}

#[test]
fn mstatus_mpp_reserved_value_keeps_old_and_xl_is_read_only() {
    let mut p = Asm::new();
    p.li(T0, (1 << 11) | (3 << 32));
    p.csr(Op::Csrrw, ZERO, Csr::MSTATUS, T0); // MPP = S, UXL write ignored
    p.li(T0, 2 << 11);
    p.csr(Op::Csrrw, ZERO, Csr::MSTATUS, T0); // MPP = 2: reserved
    p.csr(Op::Csrrs, A0, Csr::MSTATUS, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(x(&cpu, A0), 2 << 32 | 2 << 34 | 1 << 11);
}

#[test]
fn fcsr_is_illegal_while_fs_is_off_and_writing_it_sets_dirty_and_sd() {
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr::FCSR, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(mtrap(&cpu).0, 2);

    let mut q = Asm::new();
    q.li(T0, 1 << 13);
    q.csr(Op::Csrrs, ZERO, Csr::MSTATUS, T0); // FS = Initial
    q.csr(Op::Csrrwi, ZERO, Csr::FFLAGS, 0x1f);
    q.csr(Op::Csrrwi, ZERO, Csr::FRM, 3);
    q.csr(Op::Csrrs, A0, Csr::FCSR, ZERO);
    q.csr(Op::Csrrs, A1, Csr::MSTATUS, ZERO);
    q.ebreak();
    let cpu = run(&q);
    assert_eq!(x(&cpu, A0), 0x7f);
    assert_eq!(x(&cpu, A1) >> 13 & 3, 3);
    assert_eq!(x(&cpu, A1) >> 63, 1);
}

#[test]
fn floating_point_instructions_run_once_fs_is_on() {
    let mut p = Asm::new();
    p.li(T0, 1 << 13);
    p.csr(Op::Csrrs, ZERO, Csr::MSTATUS, T0); // FS = Initial
    p.word(0x02c5_f553); // fadd.d fa0, fa1, fa2 (0 + 0)
    p.csr(Op::Csrrs, A0, Csr::MSTATUS, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!((csr(&cpu, Csr::MCAUSE), x(&cpu, A0) >> 13 & 3), (0, 3));
}

#[test]
fn misa_says_rv64_imafdcsu_and_ignores_writes() {
    let mut p = Asm::new();
    p.csr(Op::Csrrwi, ZERO, Csr::MISA, 0);
    p.csr(Op::Csrrs, A0, Csr::MISA, ZERO);
    p.ebreak();
    let cpu = run(&p);
    let letters = |s: &str| s.bytes().fold(0u64, |m, c| m | 1 << (c - b'a'));
    assert_eq!(x(&cpu, A0), 2 << 62 | letters("acdfimsu"));
}

#[test]
fn delegation_registers_keep_only_legal_bits() {
    let mut p = Asm::new();
    p.li(T0, -1);
    p.csr(Op::Csrrw, ZERO, Csr::MEDELEG, T0)
        .csr(Op::Csrrs, A0, Csr::MEDELEG, ZERO);
    p.csr(Op::Csrrw, ZERO, Csr::MIDELEG, T0)
        .csr(Op::Csrrs, A1, Csr::MIDELEG, ZERO);
    p.csr(Op::Csrrw, ZERO, Csr::MIE, T0)
        .csr(Op::Csrrs, A2, Csr::MIE, ZERO);
    p.csr(Op::Csrrs, A3, Csr::SIE, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [x(&cpu, A0), x(&cpu, A1), x(&cpu, A2), x(&cpu, A3)],
        [0xb3ff, 0x222, 0xaaa, 0x222]
    );
}

#[test]
fn tvec_reserved_mode_is_ignored_and_base_aligned() {
    let mut p = Asm::new();
    p.li(T0, (RAM + 0x101) as i64);
    p.csr(Op::Csrrw, ZERO, Csr::MTVEC, T0)
        .csr(Op::Csrrs, A0, Csr::MTVEC, ZERO);
    p.li(T0, (RAM + 0x202) as i64);
    p.csr(Op::Csrrw, ZERO, Csr::MTVEC, T0)
        .csr(Op::Csrrs, A1, Csr::MTVEC, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!((x(&cpu, A0), x(&cpu, A1)), (RAM + 0x101, RAM + 0x201));
}

#[test]
fn counters_need_mcounteren_in_s_mode() {
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr::CYCLE, ZERO);
    p.ebreak();
    let cpu = in_mode(&p, Privilege::Supervisor);
    assert_eq!(mtrap(&cpu).0, 2);
}

#[test]
fn counters_need_both_enables_in_u_mode() {
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr::INSTRET, ZERO);
    p.ebreak();
    let mut cpu = machine(&p);
    cpu.hart_mut().poke_csr(Csr::MCOUNTEREN, 7);
    cpu.hart_mut().set_privilege(Privilege::User);
    cpu.run(100);
    assert_eq!(mtrap(&cpu).0, 2);

    let mut cpu = machine(&p);
    cpu.hart_mut().poke_csr(Csr::MCOUNTEREN, 7);
    cpu.hart_mut().poke_csr(Csr::SCOUNTEREN, 4);
    cpu.hart_mut().set_privilege(Privilege::User);
    cpu.run(100);
    assert_eq!((mtrap(&cpu).0, x(&cpu, A0)), (0, 0));
}

#[test]
fn minstret_counts_and_a_write_is_seen_by_the_next_instruction() {
    let mut p = Asm::new();
    p.i(Op::Addi, ZERO, ZERO, 0).i(Op::Addi, ZERO, ZERO, 0);
    p.csr(Op::Csrrs, A0, Csr::MINSTRET, ZERO); // 2 retired before it
    p.li(T0, 100);
    p.csr(Op::Csrrw, ZERO, Csr::MINSTRET, T0);
    p.csr(Op::Csrrs, A1, Csr::MINSTRET, ZERO);
    p.csr(Op::Csrrs, A2, Csr::MCYCLE, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!((x(&cpu, A0), x(&cpu, A1), x(&cpu, A2)), (2, 100, 6));
}

#[test]
fn time_reads_the_time_source_or_is_illegal_without_one() {
    struct Fixed;
    impl ospite_interp::TimeSource for Fixed {
        fn now(&self) -> u64 {
            12345
        }
    }
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr::TIME, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(mtrap(&cpu).0, 2);

    let mut hart = ospite_interp::Hart::new(ospite_interp::HartConfig {
        time: Some(std::sync::Arc::new(Fixed)),
        ..Default::default()
    });
    let bus = machine(&p).bus().clone();
    hart.set_pc(RAM);
    let mut cpu = new_cpu(hart, bus);
    cpu.run(10);
    assert_eq!(x(&cpu, A0), 12345);
}

#[test]
fn satp_in_s_mode_with_tvm_is_illegal() {
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr::SATP, ZERO);
    p.ebreak();
    let mut cpu = machine(&p);
    cpu.hart_mut().poke_csr(Csr::MSTATUS, 1 << 20);
    cpu.hart_mut().set_privilege(Privilege::Supervisor);
    cpu.run(100);
    assert_eq!(mtrap(&cpu).0, 2);
}

#[test]
fn satp_write_with_unsupported_mode_has_no_effect() {
    let mut p = Asm::new();
    p.li(T0, (1 << 60) | 0x1234);
    p.csr(Op::Csrrw, ZERO, Csr::SATP, T0)
        .csr(Op::Csrrs, A0, Csr::SATP, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(x(&cpu, A0), 0);
}

#[test]
fn pmp_registers_are_warl_storage_and_odd_pmpcfg_is_illegal() {
    let mut p = Asm::new();
    p.li(T0, -1);
    p.csr(Op::Csrrw, ZERO, Csr(0x3b5), T0)
        .csr(Op::Csrrs, A0, Csr(0x3b5), ZERO);
    p.csr(Op::Csrrw, ZERO, Csr::PMPCFG2, T0)
        .csr(Op::Csrrs, A1, Csr::PMPCFG2, ZERO);
    p.csr(Op::Csrrs, A2, Csr(0x3a1), ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        (x(&cpu, A0), x(&cpu, A1), mtrap(&cpu).0),
        ((1 << 54) - 1, 0x9f9f_9f9f_9f9f_9f9f, 2)
    );
}

/// Linux's `set_satp_mode` probe: write `satp` with a mode, swap it back to zero, and compare.
/// An Sv48 hart keeps `satp` bare on the Sv57 write and takes the Sv48 one.
#[test]
fn satp_probe_as_linux_does_finds_the_widest_mode() {
    let root_ppn = 0x8020_0000u64 >> 12;
    let mut p = Asm::new();
    for (mode, rd) in [(10i64, A0), (9, A1), (8, A2)] {
        p.li(T0, mode << 60 | root_ppn as i64);
        p.csr(Op::Csrrw, ZERO, Csr::SATP, T0);
        p.csr(Op::Csrrw, rd, Csr::SATP, ZERO);
    }
    p.ebreak();
    let config = ospite_interp::HartConfig {
        max_satp_mode: ospite_mmu::SatpMode::Sv48,
        ..ospite_interp::HartConfig::default()
    };
    let mut cpu = machine_with_config(config, &[(RAM, &p)]);
    assert_eq!(cpu.run(1000), ospite_interp::StopReason::Breakpoint);
    assert_eq!(
        [x(&cpu, A0), x(&cpu, A1), x(&cpu, A2)],
        [0, 9 << 60 | root_ppn, 8 << 60 | root_ppn]
    );
}
