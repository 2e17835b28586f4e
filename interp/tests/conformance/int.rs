//! RV64I, M, Zba, Zbb, Zbc, Zbs, Zicond and C results and corner cases, in M-mode.

use crate::asm::*;
use ospite_interp::Engine;
use ospite_isa::{decode, Ext, Extensions, Op, XReg};

#[test]
fn add_sub_wrap_around() {
    let mut p = Asm::new();
    p.li(A0, -1).li(A1, 1);
    p.r(Op::Add, A2, A0, A1).r(Op::Sub, A3, ZERO, A1);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!((x(&cpu, A2), x(&cpu, A3)), (0, u64::MAX));
}

#[test]
fn li_builds_64_bit_constants() {
    let mut p = Asm::new();
    p.li(A0, 0x1234_5678_9abc_def0)
        .li(A1, i64::MIN)
        .li(A2, -2048);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [x(&cpu, A0), x(&cpu, A1), x(&cpu, A2)],
        [0x1234_5678_9abc_def0, 1 << 63, (-2048i64) as u64]
    );
}

#[test]
fn set_less_than_signed_and_unsigned_differ() {
    let mut p = Asm::new();
    p.li(A0, -1).li(A1, 1);
    p.r(Op::Slt, A2, A0, A1).r(Op::Sltu, A3, A0, A1);
    p.i(Op::Slti, A4, A0, 0).i(Op::Sltiu, A5, A1, -1);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [x(&cpu, A2), x(&cpu, A3), x(&cpu, A4), x(&cpu, A5)],
        [1, 0, 1, 1]
    );
}

#[test]
fn shifts_by_63_and_register_amounts_masked_to_six_bits() {
    let mut p = Asm::new();
    p.li(A0, i64::MIN).li(T0, 63 + 64);
    p.i(Op::Srai, A1, A0, 63).i(Op::Srli, A2, A0, 63);
    p.r(Op::Sll, A3, A2, T0).r(Op::Sra, A4, A0, T0);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [x(&cpu, A1), x(&cpu, A2), x(&cpu, A3), x(&cpu, A4)],
        [u64::MAX, 1, 1 << 63, u64::MAX]
    );
}

#[test]
fn w_forms_sign_extend_32_bit_results() {
    let mut p = Asm::new();
    p.li(A0, 0x7fff_ffff).li(T0, 31);
    p.i(Op::Addiw, A1, A0, 1);
    p.i(Op::Slliw, A2, A0, 31);
    p.r(Op::Sraw, A3, A1, T0);
    p.r(Op::Srlw, A4, A1, T0);
    p.li(T1, 0x1_0000_0005);
    p.r(Op::Addw, A5, T1, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [
            x(&cpu, A1),
            x(&cpu, A2),
            x(&cpu, A3),
            x(&cpu, A4),
            x(&cpu, A5)
        ],
        [0xffff_ffff_8000_0000, 0xffff_ffff_8000_0000, u64::MAX, 1, 5]
    );
}

#[test]
fn lui_sign_extends_and_auipc_adds_pc() {
    let mut p = Asm::new();
    p.i(Op::Lui, A0, 0, 0x8000_0000u32 as i32);
    p.i(Op::Auipc, A1, 0, 0x1000);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        (x(&cpu, A0), x(&cpu, A1)),
        (0xffff_ffff_8000_0000, RAM + 4 + 0x1000)
    );
}

#[test]
fn x0_ignores_writes() {
    let mut p = Asm::new();
    p.i(Op::Addi, ZERO, ZERO, 5).r(Op::Add, A0, ZERO, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(x(&cpu, A0), 0);
}

#[test]
fn division_by_zero_and_overflow_follow_the_spec() {
    let mut p = Asm::new();
    p.li(A0, i64::MIN).li(A1, -1).li(T0, 7);
    p.r(Op::Div, A2, T0, ZERO).r(Op::Rem, A3, T0, ZERO);
    p.r(Op::Div, A4, A0, A1).r(Op::Rem, A5, A0, A1);
    p.r(Op::Divuw, T1, T0, ZERO).r(Op::Remuw, T2, A1, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [
            x(&cpu, A2),
            x(&cpu, A3),
            x(&cpu, A4),
            x(&cpu, A5),
            x(&cpu, T1),
            x(&cpu, T2)
        ],
        [u64::MAX, 7, 1 << 63, 0, u64::MAX, u64::MAX]
    );
}

#[test]
fn multiply_high_variants() {
    let mut p = Asm::new();
    p.li(A0, -2).li(A1, 3);
    p.r(Op::Mulh, A2, A0, A1)
        .r(Op::Mulhu, A3, A0, A1)
        .r(Op::Mulhsu, A4, A0, A1);
    p.r(Op::Mulw, A5, A0, A1);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [x(&cpu, A2), x(&cpu, A3), x(&cpu, A4), x(&cpu, A5)],
        [u64::MAX, 2, u64::MAX, (-6i64) as u64]
    );
}

#[test]
fn zba_shift_and_add_with_unsigned_words() {
    let mut p = Asm::new();
    p.li(A0, -1).li(A1, 1);
    p.r(Op::Sh2add, A2, A1, A1);
    p.r(Op::AddUw, A3, A0, A1);
    p.r(Op::Sh3addUw, A4, A0, ZERO);
    p.i(Op::SlliUw, A5, A0, 4);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [x(&cpu, A2), x(&cpu, A3), x(&cpu, A4), x(&cpu, A5)],
        [5, 0x1_0000_0000, 0x7_ffff_fff8, 0xf_ffff_fff0]
    );
}

#[test]
fn zbb_counts_extends_and_rotates() {
    let mut p = Asm::new();
    p.li(A0, 0x0000_00f0_0000_0080);
    p.r(Op::Clz, A1, A0, 0)
        .r(Op::Ctz, A2, A0, 0)
        .r(Op::Cpop, A3, A0, 0);
    p.r(Op::SextB, A4, A0, 0).r(Op::OrcB, A5, A0, 0);
    p.i(Op::Rori, T0, A0, 4)
        .r(Op::Rev8, T1, A0, 0)
        .r(Op::Clzw, T2, ZERO, 0);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [
            x(&cpu, A1),
            x(&cpu, A2),
            x(&cpu, A3),
            x(&cpu, A4),
            x(&cpu, A5),
            x(&cpu, T0),
            x(&cpu, T1),
            x(&cpu, T2)
        ],
        [
            24,
            7,
            5,
            0xffff_ffff_ffff_ff80,
            0x0000_00ff_0000_00ff,
            0x0000_000f_0000_0008,
            0x8000_0000_f000_0000,
            32
        ]
    );
}

#[test]
fn zbb_min_max_and_logic_with_negate() {
    let mut p = Asm::new();
    p.li(A0, -1).li(A1, 1);
    p.r(Op::Min, A2, A0, A1).r(Op::Maxu, A3, A0, A1);
    p.r(Op::Andn, A4, A0, A1).r(Op::Xnor, A5, A1, A1);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [x(&cpu, A2), x(&cpu, A3), x(&cpu, A4), x(&cpu, A5)],
        [u64::MAX, u64::MAX, u64::MAX - 1, u64::MAX]
    );
}

#[test]
fn zbc_and_zbs_and_zicond() {
    let mut p = Asm::new();
    p.li(A0, 0b1011).li(A1, 0b11);
    p.r(Op::Clmul, A2, A0, A1);
    p.i(Op::Bseti, A3, ZERO, 63).i(Op::Bexti, A4, A0, 3);
    p.r(Op::CzeroEqz, A5, A0, ZERO)
        .r(Op::CzeroNez, T0, A0, ZERO);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        [
            x(&cpu, A2),
            x(&cpu, A3),
            x(&cpu, A4),
            x(&cpu, A5),
            x(&cpu, T0)
        ],
        [0b11101, 1 << 63, 1, 0, 0b1011]
    );
}

#[test]
fn branches_compare_signed_and_unsigned() {
    // a2 counts the taken branches; each taken branch skips one `addi a3, a3, 1`.
    let mut p = Asm::new();
    p.li(A0, -1).li(A1, 1);
    for op in [Op::Blt, Op::Bltu, Op::Bge, Op::Bgeu, Op::Beq, Op::Bne] {
        p.b(op, A0, A1, 8).i(Op::Addi, A3, A3, 1);
    }
    p.ebreak();
    let cpu = run(&p);
    // not taken: bltu (-1 <u 1 false), bge (-1 >= 1 false), beq
    assert_eq!(x(&cpu, A3), 3);
}

#[test]
fn jal_and_jalr_link_and_jalr_clears_bit_zero() {
    let mut p = Asm::new();
    p.i(Op::Jal, RA, 0, 8); // 0: to 8
    p.ebreak(); // 4
    p.i(Op::Auipc, T0, 0, 0); // 8: t0 = RAM + 8
    p.i(Op::Jalr, A0, T0, 13); // 12: to RAM + 21 & !1 = RAM + 20
    p.ebreak(); // 16
    p.ebreak(); // 20
    let cpu = run(&p);
    assert_eq!(
        (x(&cpu, RA), x(&cpu, A0), cpu.hart().pc()),
        (RAM + 4, RAM + 16, RAM + 20)
    );
}

#[test]
fn compressed_instructions_run_and_advance_by_two() {
    let mut p = Asm::new();
    p.half(0x4515); // c.li a0, 5
    p.half(0x0505); // c.addi a0, 1
    p.half(0x85aa); // c.mv a1, a0
    p.half(0x9002); // c.ebreak
    let cpu = run(&p);
    assert_eq!(
        (
            x(&cpu, A0),
            x(&cpu, A1),
            cpu.hart().pc(),
            cpu.hart().instret()
        ),
        (6, 6, RAM + 6, 3)
    );
    assert_eq!(decode(0x85aa, Extensions::ALL).map(|i| i.op), Ok(Op::Add));
}

#[test]
fn jump_to_half_word_without_c_is_misaligned() {
    let mut p = Asm::new();
    p.i(Op::Jal, RA, 0, 6);
    p.ebreak();
    let mut cpu = machine_with(Extensions::ALL.without(Ext::C), &[(RAM, &p)]);
    assert_eq!(cpu.run(100), ospite_interp::StopReason::Breakpoint);
    assert_eq!(mtrap(&cpu), (0, RAM, RAM + 6));
    assert_eq!(x(&cpu, RA), 0);
}

#[test]
fn taken_branch_back_to_a_half_word_block_start_without_c_is_misaligned() {
    // A block may start on a half word without C (a trap handler stepping over a 2-byte
    // parcel, a debugger): a branch back to that start jumps to a misaligned address, alone
    // or fused with the instruction before it.
    let mut alone = Asm::new();
    alone.b(Op::Bne, A0, ZERO, 0);
    let mut fused = Asm::new();
    fused.i(Op::Addi, A1, A1, 1).b(Op::Bne, A0, ZERO, -4);
    let start = RAM + 2;
    let trapped = [alone, fused].map(|p| {
        let mut cpu = machine_with(Extensions::ALL.without(Ext::C), &[(start, &p)]);
        let h = cpu.hart_mut();
        h.set_x(XReg::new(A0), 1);
        h.set_pc(start);
        assert_eq!(cpu.run(100), ospite_interp::StopReason::Breakpoint);
        (mtrap(&cpu), x(&cpu, A1))
    });
    assert_eq!(
        trapped,
        [((0, start, start), 0), ((0, start + 4, start), 1)]
    );
}

#[test]
fn taken_branch_to_half_word_without_c_is_misaligned_but_untaken_is_not() {
    let mut p = Asm::new();
    p.b(Op::Bne, ZERO, ZERO, 6); // not taken
    p.b(Op::Beq, ZERO, ZERO, 6); // taken, misaligned
    p.ebreak();
    let mut cpu = machine_with(Extensions::ALL.without(Ext::C), &[(RAM, &p)]);
    assert_eq!(cpu.run(100), ospite_interp::StopReason::Breakpoint);
    assert_eq!(mtrap(&cpu), (0, RAM + 4, RAM + 10));
}
