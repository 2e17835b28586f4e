//! Encode and decode against each other: random valid instructions survive encode → decode,
//! and every bit pattern that decodes re-encodes to exactly its bits.
//!
//! Where the spec leaves bits don't-care, the decoder still keeps them in the `Inst`, so
//! re-encoding is exact there too, and these tests assert exact equality:
//! - `fence`: `rd`, `rs1` and the unused `fm` values are reserved for future use and ignored by
//!   hardware; `fence.tso` keeps `rd` and `rs1` the same way.
//! - `fence.i`: `rd`, `rs1` and the 12-bit immediate are reserved and ignored.
//! - HINTs: `c.addi`/`c.li`/`c.lui`/`c.slli`/`c.mv`/`c.add` to `x0`, `c.addi` by zero, and the
//!   32-bit ALU instructions writing `x0` execute as no-ops, yet keep all their operand bits.
//! - The reserved rounding modes 5 and 6 decode (executing them is what is illegal).

use std::fmt::Write;

use ospite_isa::{
    decode, decode_compressed, CFmt, COp, Csr, Extensions, Fmt, Inst, NonZero, Op, Reg, Rm, COPS,
    OPS,
};
use proptest::prelude::*;

const ALL: Extensions = Extensions::ALL;
const SP: Reg = Reg::new(2);
const RA: Reg = Reg::new(1);
const ZERO: Reg = Reg::new(0);

/// Raw random material for one instruction; each format takes what it needs.
#[derive(Clone, Copy, Debug)]
struct Material {
    regs: [u8; 4],
    imm: u32,
    rm: u8,
    aq: bool,
    rl: bool,
}

fn material() -> impl Strategy<Value = Material> {
    (
        any::<[u8; 4]>(),
        any::<u32>(),
        0u8..8,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(regs, imm, rm, aq, rl)| Material {
            regs,
            imm,
            rm,
            aq,
            rl,
        })
}

/// `raw` reduced to a signed value of `bits` bits, a multiple of `align`.
fn signed(raw: u32, bits: u32, align: i32) -> i32 {
    let v = ((raw << (32 - bits)) as i32) >> (32 - bits);
    v - v.rem_euclid(align)
}

/// `raw` reduced to an unsigned value below `2^bits`, a multiple of `align`.
fn unsigned(raw: u32, bits: u32, align: i32) -> i32 {
    let v = (raw & ((1 << bits) - 1)) as i32;
    v - v % align
}

/// A valid 32-bit instruction of table row `row`, its operands drawn from `m` in the ranges its
/// format allows.
fn wide_inst(row: usize, m: Material) -> Inst {
    let op = Op::ALL[row];
    let fmt = OPS[row].fmt;
    let [rd, rs1, rs2, rs3] = m.regs.map(Reg::new);
    let mut i = Inst::new(op);
    let used = fmt.operands();
    let present = |file| file != ospite_isa::RegFile::Unused;
    if present(used.rd) {
        i.rd = rd;
    }
    if present(used.rs1) {
        i.rs1 = rs1;
    }
    if present(used.rs2) {
        i.rs2 = rs2;
    }
    if present(used.rs3) {
        i.rs3 = rs3;
    }
    if fmt.has_rm() {
        i.rm = Rm::from_bits(m.rm as u32);
    }
    match fmt {
        Fmt::I | Fmt::Load | Fmt::FLoad | Fmt::Jalr | Fmt::Store | Fmt::FStore => {
            i.imm = signed(m.imm, 12, 1)
        }
        Fmt::FenceI => {
            // Reserved fields, kept: see the module doc.
            i.rd = rd;
            i.rs1 = rs1;
            i.imm = signed(m.imm, 12, 1);
        }
        Fmt::Sh6 => i.imm = unsigned(m.imm, 6, 1),
        Fmt::Sh5 => i.imm = unsigned(m.imm, 5, 1),
        Fmt::B => i.imm = signed(m.imm, 13, 2),
        Fmt::J => i.imm = signed(m.imm, 21, 2),
        Fmt::U => i.imm = (m.imm & 0xffff_f000) as i32,
        Fmt::Csr => i.csr = Csr((m.imm & 0xfff) as u16),
        Fmt::CsrI => {
            i.csr = Csr((m.imm & 0xfff) as u16);
            i.imm = ((m.imm >> 12) & 31) as i32;
        }
        Fmt::Amo | Fmt::Lr => {
            i.aq = m.aq;
            i.rl = m.rl;
        }
        Fmt::Fence => {
            i.rd = rd;
            i.rs1 = rs1;
            // fm=1000 with pred=succ=rw is the encoding of fence.tso, a row of its own.
            i.imm = match unsigned(m.imm, 12, 1) {
                0x833 => 0x033,
                v => v,
            };
        }
        Fmt::FenceTso => {
            i.rd = rd;
            i.rs1 = rs1;
        }
        _ => {}
    }
    i
}

/// A register `x8`..`x15`, the ones a 3-bit compressed field names.
fn creg(raw: u8) -> Reg {
    Reg::new(8 + (raw & 7))
}

/// A register other than `x0`.
fn nonzero(raw: u8) -> Reg {
    Reg::new((raw % 31) + 1)
}

/// A valid compressed instruction of form `cop`, its operands drawn from `m`.
fn compressed_inst(cop: COp, m: Material) -> Inst {
    let info = cop.info();
    let [a, b, c, _] = m.regs;
    let mut i = Inst::new(info.op);
    i.compressed = Some(cop);
    let any_reg = Reg::new(a);
    match info.fmt {
        CFmt::Ciw => {
            i.rd = creg(a);
            i.rs1 = SP;
            i.imm = unsigned(m.imm, 10, 4).max(4);
        }
        CFmt::ClW | CFmt::ClD => {
            i.rd = creg(a);
            i.rs1 = creg(b);
            i.imm = mem_offset(info.fmt, m.imm);
        }
        CFmt::CsW | CFmt::CsD => {
            i.rs2 = creg(a);
            i.rs1 = creg(b);
            i.imm = mem_offset(info.fmt, m.imm);
        }
        CFmt::CiAddi => {
            i.rd = any_reg;
            i.rs1 = any_reg;
            i.imm = signed(m.imm, 6, 1);
        }
        CFmt::CiLi => {
            i.rd = any_reg;
            i.imm = signed(m.imm, 6, 1);
        }
        CFmt::CiAddi16sp => {
            i.rd = SP;
            i.rs1 = SP;
            i.imm = signed(m.imm, 10, 16);
        }
        CFmt::CiLui => {
            // rd = sp is the c.addi16sp encoding.
            i.rd = if a & 31 == 2 { ZERO } else { any_reg };
            i.imm = signed(m.imm, 6, 1) << 12;
        }
        CFmt::CbShift => {
            i.rd = creg(a);
            i.rs1 = i.rd;
            // A shift by zero is the `c.srli64`/`c.srai64` form.
            i.imm = unsigned(m.imm, 6, 1).max(1);
        }
        CFmt::CbShift64 => {
            i.rd = creg(a);
            i.rs1 = i.rd;
        }
        CFmt::CbAndi => {
            i.rd = creg(a);
            i.rs1 = i.rd;
            i.imm = signed(m.imm, 6, 1);
        }
        CFmt::Ca => {
            i.rd = creg(a);
            i.rs1 = i.rd;
            i.rs2 = creg(b);
        }
        CFmt::Cj => i.imm = signed(m.imm, 12, 2),
        CFmt::Cb => {
            i.rs1 = creg(a);
            i.imm = signed(m.imm, 9, 2);
        }
        CFmt::CiSlli => {
            i.rd = any_reg;
            i.rs1 = any_reg;
            // A shift by zero is the `c.slli64` form.
            i.imm = unsigned(m.imm, 6, 1).max(1);
        }
        CFmt::CiSlli64 => {
            i.rd = any_reg;
            i.rs1 = any_reg;
        }
        CFmt::CiLwsp | CFmt::CiLdsp => {
            i.rd = any_reg;
            i.rs1 = SP;
            i.imm = mem_offset(info.fmt, m.imm);
        }
        CFmt::CssW | CFmt::CssD => {
            i.rs2 = any_reg;
            i.rs1 = SP;
            i.imm = mem_offset(info.fmt, m.imm);
        }
        CFmt::CrJr => {
            i.rd = if cop == COp::CJalr { RA } else { ZERO };
            i.rs1 = nonzero(a);
        }
        CFmt::CrMv => {
            i.rd = any_reg;
            i.rs2 = nonzero(c);
        }
        CFmt::CrAdd => {
            i.rd = any_reg;
            i.rs1 = any_reg;
            i.rs2 = nonzero(c);
        }
        CFmt::CNone => {}
    }
    match info.nonzero {
        NonZero::Rd if i.rd == ZERO => {
            i.rd = nonzero(a);
            if i.rs1 == ZERO && info.fmt == CFmt::CiAddi {
                i.rs1 = i.rd;
            }
        }
        NonZero::Imm if i.imm == 0 => i.imm = if info.fmt == CFmt::CiLui { 1 << 12 } else { 16 },
        _ => {}
    }
    i
}

/// A load or store offset in range for the form: scaled by the access size, zero-extended.
fn mem_offset(fmt: CFmt, raw: u32) -> i32 {
    match fmt {
        CFmt::ClW | CFmt::CsW => unsigned(raw, 7, 4),
        CFmt::ClD | CFmt::CsD => unsigned(raw, 8, 8),
        CFmt::CiLwsp | CFmt::CssW => unsigned(raw, 8, 4),
        _ => unsigned(raw, 9, 8),
    }
}

/// Checks that `i` encodes and decodes back to itself.
fn assert_round_trip(i: Inst) -> Result<(), TestCaseError> {
    let bits = i
        .encode()
        .map_err(|e| TestCaseError::fail(format!("{i:?}: {e}")))?;
    prop_assert_eq!(bits & 3 != 3, i.is_compressed(), "size of {:?}", i);
    prop_assert_eq!(decode(bits, ALL), Ok(i), "bits {:#010x}", bits);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 100_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_valid_instructions_survive_encode_and_decode(
        row in 0..OPS.len(),
        m in material(),
    ) {
        assert_round_trip(wide_inst(row, m))?;
    }

    #[test]
    fn random_valid_compressed_instructions_survive_encode_and_decode(
        form in 0..COPS.len(),
        m in material(),
    ) {
        assert_round_trip(compressed_inst(COp::ALL[form], m))?;
    }
}

/// Every row of both tables, with every register and a spread of immediates, deterministically:
/// the corners proptest may not draw.
#[test]
fn every_row_survives_encode_and_decode_at_its_corners() {
    let corners = [
        0,
        1,
        0x7ff,
        0x800,
        0xfff,
        0x1000,
        0x7fff_ffff,
        0x8000_0000,
        u32::MAX,
    ];
    let mut checked = 0;
    for reg in 0..32u8 {
        for &imm in &corners {
            let m = Material {
                regs: [reg, 31 - reg, reg ^ 5, reg.wrapping_mul(7)],
                imm,
                rm: reg % 8,
                aq: reg & 1 != 0,
                rl: reg & 2 != 0,
            };
            for row in 0..OPS.len() {
                assert_round_trip(wide_inst(row, m)).unwrap();
                checked += 1;
            }
            for &cop in &COp::ALL {
                assert_round_trip(compressed_inst(cop, m)).unwrap();
                checked += 1;
            }
        }
    }
    println!("{checked} corner instructions round-tripped");
}

/// Decodes `bits`, checks that an `Ok` re-encodes to the same bits and prints; returns whether
/// it decoded. `text` is reused to keep allocation out of the loop.
fn check_bits(bits: u32, ext: Extensions, text: &mut String) -> bool {
    let Ok(inst) = decode(bits, ext) else {
        return false;
    };
    let expected = if inst.is_compressed() {
        bits & 0xffff
    } else {
        bits
    };
    assert_eq!(
        inst.encode(),
        Ok(expected),
        "{bits:#010x} decoded as {inst:?}"
    );
    text.clear();
    write!(text, "{}", inst.display(0x8000_0000)).unwrap();
    assert!(!text.is_empty());
    true
}

#[test]
fn every_16_bit_parcel_decodes_without_panic_and_re_encodes_exactly() {
    let mut text = String::new();
    for (name, ext, at_least) in [
        ("all", Extensions::ALL, 40_000),
        ("rv64imac", Extensions::RV64IMAC, 30_000),
        ("rv64i", Extensions::RV64I, 0),
    ] {
        let mut decoded = 0;
        for parcel in 0..=u16::MAX {
            let via_parcel = decode_compressed(parcel, ext);
            if parcel & 3 != 3 {
                assert_eq!(decode(parcel as u32, ext), via_parcel, "{parcel:#06x}");
                decoded += check_bits(parcel as u32, ext, &mut text) as u32;
            }
        }
        println!("{name}: {decoded} of 49152 compressed parcels decoded");
        assert!(decoded >= at_least, "{name}: {decoded}");
    }
}

/// splitmix64: a deterministic generator, so a failure reproduces.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[test]
fn four_million_random_words_decode_without_panic_and_re_encode_exactly() {
    let mut rng = SplitMix(0x05b1_7e5e_ed00_0001);
    let mut text = String::new();
    let mut decoded = 0u32;
    const WORDS: u32 = 4_194_304;
    for _ in 0..WORDS / 2 {
        let r = rng.next();
        // Three in four raw words are compressed parcels (the upper half ignored): force the
        // second of each pair to be a 32-bit word.
        for word in [r as u32, (r >> 32) as u32 | 3] {
            decoded += check_bits(word, ALL, &mut text) as u32;
        }
    }
    println!("{decoded} of {WORDS} random words decoded");
    assert!(decoded > WORDS / 4);
}

/// Random words are mostly illegal; these fill the free bits of each table row instead, so
/// every row's operand fields see millions of values in all.
#[test]
fn random_operand_bits_of_every_row_decode_and_re_encode_exactly() {
    let mut rng = SplitMix(0x0b5e_55ed_c0de_0002);
    let mut text = String::new();
    let per_row = 10_000;
    for info in OPS.iter() {
        let mut decoded = 0;
        for _ in 0..per_row {
            let word = info.mat | (rng.next() as u32 & !info.mask);
            decoded += check_bits(word, ALL, &mut text) as u32;
        }
        // A row may lose words to an earlier, more specific row (fence to fence.tso), never all.
        assert!(decoded > per_row * 9 / 10, "{}: {decoded}", info.name);
    }
}
