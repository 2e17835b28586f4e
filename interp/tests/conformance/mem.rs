//! Loads and stores: widths, extension, misaligned accesses (performed), access faults.

use crate::asm::*;
use ospite_isa::Op;
use ospite_mmu::AccessSize;

#[test]
fn loads_sign_or_zero_extend_each_width() {
    let mut p = Asm::new();
    p.li(T0, DATA as i64).li(T1, -1);
    p.s(Op::Sd, T1, T0, 0);
    p.i(Op::Lb, A0, T0, 0).i(Op::Lbu, A1, T0, 0);
    p.i(Op::Lh, A2, T0, 0).i(Op::Lhu, A3, T0, 0);
    p.i(Op::Lw, A4, T0, 0).i(Op::Lwu, A5, T0, 0);
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
        [u64::MAX, 0xff, u64::MAX, 0xffff, u64::MAX, 0xffff_ffff]
    );
}

#[test]
fn stores_write_only_their_width() {
    let mut p = Asm::new();
    p.li(T0, DATA as i64).li(T1, 0x1122_3344_5566_7788);
    p.s(Op::Sd, ZERO, T0, 0);
    p.s(Op::Sb, T1, T0, 0)
        .s(Op::Sh, T1, T0, 2)
        .s(Op::Sw, T1, T0, 4);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(peek(&cpu, DATA, AccessSize::B8), 0x5566_7788_7788_0088);
}

#[test]
fn misaligned_load_and_store_are_performed() {
    let mut p = Asm::new();
    p.li(T0, DATA as i64).li(T1, 0x0102_0304_0506_0708);
    p.s(Op::Sd, T1, T0, 3);
    p.i(Op::Ld, A0, T0, 3).i(Op::Lw, A1, T0, 5);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(
        (
            x(&cpu, A0),
            x(&cpu, A1),
            peek(&cpu, DATA + 3, AccessSize::B1)
        ),
        (0x0102_0304_0506_0708, 0x0304_0506, 0x08)
    );
}

#[test]
fn misaligned_load_across_a_page_is_performed() {
    let page_end = DATA + 0x1000 - 2;
    let mut p = Asm::new();
    p.li(T0, page_end as i64).li(T1, 0x7766_5544_3322_1100);
    p.s(Op::Sd, T1, T0, 0).i(Op::Ld, A0, T0, 0);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(x(&cpu, A0), 0x7766_5544_3322_1100);
}

#[test]
fn load_from_unmapped_address_is_access_fault() {
    let mut p = Asm::new();
    p.li(T0, 0x1000).i(Op::Ld, A0, T0, 8);
    p.ebreak();
    let cpu = run(&p);
    let at = (p.here() - 8) as u64;
    assert_eq!(mtrap(&cpu), (5, RAM + at, 0x1008));
}

#[test]
fn store_to_unmapped_address_is_store_access_fault() {
    let mut p = Asm::new();
    p.s(Op::Sw, ZERO, ZERO, 16);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(mtrap(&cpu), (7, RAM, 16));
}

#[test]
fn fetch_from_unmapped_address_is_instruction_access_fault() {
    let mut p = Asm::new();
    p.li(T0, 0x2000).i(Op::Jalr, ZERO, T0, 0);
    let cpu = run(&p);
    assert_eq!(mtrap(&cpu).0, 1);
    assert_eq!(mtrap(&cpu).1, 0x2000);
}
