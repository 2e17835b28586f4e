//! Floating-point state: `mstatus.FS` (Off traps, writes set Dirty and SD), reserved and
//! invalid dynamic rounding modes, `fflags` accrual, and `misa`.

use crate::asm::*;
use ospite_interp::Engine;
use ospite_isa::{Csr, Ext, Extensions, Op, Rm};

const FS_SHIFT: u32 = 13;
const SD: u64 = 1 << 63;

fn word(p: &Asm, at: usize) -> u64 {
    u64::from(u32::from_le_bytes(p.bytes[at..at + 4].try_into().unwrap()))
}

#[test]
fn fp_instructions_with_fs_off_are_illegal() {
    let ops = [
        Op::FaddS,
        Op::FmvXW,
        Op::FmvDX,
        Op::Fld,
        Op::Fsw,
        Op::FclassD,
    ];
    let got: Vec<_> = ops
        .iter()
        .map(|&op| {
            let mut p = Asm::new();
            p.li(A0, DATA as i64);
            let at = p.bytes.len();
            match op {
                Op::Fld => p.i(op, 1, A0, 0),
                Op::Fsw => p.s(op, 1, A0, 0),
                _ => p.fp(op, 1, 2, 3, 0, Rm::Dyn),
            };
            p.ebreak();
            let cpu = run(&p);
            let (cause, epc, tval) = mtrap(&cpu);
            (cause, epc - RAM == at as u64, tval == word(&p, at))
        })
        .collect();
    assert_eq!(got, vec![(2, true, true); ops.len()]);
}

#[test]
fn fflags_frm_fcsr_with_fs_off_are_illegal() {
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr::FRM, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(mtrap(&cpu).0, 2);
}

#[test]
fn fp_register_write_sets_fs_dirty_and_sd() {
    let mut p = Asm::new();
    p.fs_on();
    p.csr(Op::Csrrs, A0, Csr::MSTATUS, ZERO);
    p.r(Op::FmvDX, 1, ZERO, 0);
    p.csr(Op::Csrrs, A1, Csr::MSTATUS, ZERO);
    p.csr(Op::Csrrs, A2, Csr::SSTATUS, ZERO);
    p.ebreak();
    let cpu = run(&p);
    let fs = |v: u64| (v >> FS_SHIFT) & 3;
    assert_eq!(
        [
            fs(x(&cpu, A0)),
            fs(x(&cpu, A1)),
            x(&cpu, A1) & SD,
            x(&cpu, A2) & SD
        ],
        [1, 3, SD, SD]
    );
}

#[test]
fn fp_load_sets_fs_dirty() {
    let mut p = Asm::new();
    p.fs_on();
    p.li(A0, DATA as i64);
    p.i(Op::Flw, 1, A0, 0);
    p.csr(Op::Csrrs, A1, Csr::MSTATUS, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!((x(&cpu, A1) >> FS_SHIFT) & 3, 3);
}

#[test]
fn accrued_flags_alone_set_fs_dirty() {
    // feq.s on a signalling NaN writes only x registers and NV: FS Clean becomes Dirty.
    let mut p = Asm::new();
    p.li(T0, 2 << FS_SHIFT)
        .csr(Op::Csrrs, ZERO, Csr::MSTATUS, T0); // Clean
    p.li(T1, 0x7f80_0001).r(Op::FmvWX, 1, T1, 0);
    p.li(T0, 1 << FS_SHIFT)
        .csr(Op::Csrrc, ZERO, Csr::MSTATUS, T0); // back to Clean
    p.csr(Op::Csrrs, A0, Csr::MSTATUS, ZERO);
    p.fp(Op::FeqS, A1, 1, 1, 0, Rm::Dyn);
    p.csr(Op::Csrrs, A2, Csr::MSTATUS, ZERO);
    p.csr(Op::Csrrs, A3, Csr::FFLAGS, ZERO);
    p.ebreak();
    let cpu = run(&p);
    let fs = |v: u64| (v >> FS_SHIFT) & 3;
    assert_eq!(
        [fs(x(&cpu, A0)), x(&cpu, A1), fs(x(&cpu, A2)), x(&cpu, A3)],
        [2, 0, 3, NV]
    );
}

#[test]
fn reserved_static_rounding_modes_are_illegal() {
    let got: Vec<_> = [5u32, 6]
        .iter()
        .map(|&rm| {
            let mut p = Asm::new();
            p.fs_on();
            let at = p.bytes.len();
            // fadd.s f4, f1, f2 with rm = 5 or 6.
            p.word(0x0000_0053 | 4 << 7 | rm << 12 | 1 << 15 | 2 << 20);
            p.ebreak();
            let cpu = run(&p);
            (mtrap(&cpu), word(&p, at))
        })
        .map(|((cause, epc, tval), bits)| (cause, epc, tval == bits))
        .collect();
    assert_eq!(got, [(2, RAM + 8, true), (2, RAM + 8, true)]);
}

#[test]
fn dynamic_rounding_with_invalid_frm_is_illegal_but_not_for_ops_without_rm() {
    let got: Vec<_> = [5u8, 6, 7]
        .iter()
        .map(|&frm| {
            let mut p = Asm::new();
            p.fs_on();
            p.csr(Op::Csrrwi, ZERO, Csr::FRM, frm);
            // fsgnj.s has no rounding mode: fine whatever frm holds.
            p.fp(Op::FsgnjS, 5, 1, 2, 0, Rm::Dyn);
            p.fp(Op::FmulD, 4, 1, 2, 0, Rm::Dyn);
            p.ebreak();
            let cpu = run(&p);
            let (cause, epc, _) = mtrap(&cpu);
            (cause, epc - RAM)
        })
        .collect();
    // fs_on is li + csrrs (2 instructions), csrrwi, fsgnj.s: the fmul.d is at 16.
    assert_eq!(got, [(2, 16), (2, 16), (2, 16)]);
}

#[test]
fn exact_conversions_still_check_the_rounding_mode() {
    // fcvt.d.s cannot round, but like Spike and QEMU we reject a reserved rm.
    let mut p = Asm::new();
    p.fs_on();
    p.csr(Op::Csrrwi, ZERO, Csr::FRM, 7);
    p.fp(Op::FcvtDS, 4, 1, 0, 0, Rm::Dyn);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(mtrap(&cpu).0, 2);
}

#[test]
fn fflags_accrue_and_fcsr_holds_frm_and_fflags() {
    let mut p = Asm::new();
    p.fs_on();
    p.csr(Op::Csrrwi, ZERO, Csr::FRM, 3);
    p.li(T1, 0x3f80_0000).r(Op::FmvWX, 1, T1, 0); // 1.0
    p.r(Op::FmvWX, 2, ZERO, 0); // 0.0
    p.fp(Op::FdivS, 3, 1, 2, 0, Rm::Dyn); // DZ
    p.csr(Op::Csrrs, A0, Csr::FFLAGS, ZERO);
    p.fp(Op::FdivS, 3, 2, 2, 0, Rm::Dyn); // NV
    p.csr(Op::Csrrs, A1, Csr::FFLAGS, ZERO);
    p.fp(Op::FaddS, 3, 1, 1, 0, Rm::Dyn); // exact: no new flag
    p.csr(Op::Csrrs, A2, Csr::FCSR, ZERO);
    p.csr(Op::Csrrw, A3, Csr::FFLAGS, ZERO); // clear, reading the old value
    p.csr(Op::Csrrs, A4, Csr::FCSR, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [
            x(&cpu, A0),
            x(&cpu, A1),
            x(&cpu, A2),
            x(&cpu, A3),
            x(&cpu, A4)
        ],
        [DZ, DZ | NV, 3 << 5 | DZ | NV, DZ | NV, 3 << 5]
    );
}

#[test]
fn misa_advertises_f_and_d_only_when_configured() {
    let mut p = Asm::new();
    p.csr(Op::Csrrs, A0, Csr::MISA, ZERO);
    p.ebreak();
    let mut with = machine(&p);
    let ext = Extensions::ALL.without(Ext::F).without(Ext::D);
    let mut without = machine_with(ext, &[(RAM, &p)]);
    with.run(10);
    without.run(10);
    let fd = 1 << 3 | 1 << 5;
    assert_eq!((x(&with, A0) & fd, x(&without, A0) & fd), (fd, 0));
}

#[test]
fn fp_instruction_without_the_extension_is_illegal() {
    let mut p = Asm::new();
    p.fs_on();
    p.fp(Op::FaddD, 4, 1, 2, 0, Rm::Rne);
    p.ebreak();
    let ext = Extensions::ALL.without(Ext::D);
    let mut cpu = machine_with(ext, &[(RAM, &p)]);
    cpu.run(100);
    assert_eq!(mtrap(&cpu).0, 2);
}
