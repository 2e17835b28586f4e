//! Golden listings of the translator's code per guest instruction (as FEX's
//! `InstructionCountCI`): for each case, a block of the instruction followed by `ebreak` (an
//! interpreted terminal) is translated by [`ospite_dbt::explain`], and its guest lines, x86
//! lines and host instruction count must equal `dbt/tests/golden/<case>.txt`. A change in code
//! quality shows in review as a diff of these files.
//!
//! `OSPITE_BLESS=1 cargo test -p ospite-dbt --release --test golden` rewrites the files (and
//! deletes those of cases that no longer exist).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ospite_dbt::explain;
use ospite_isa::{Class, Csr, Extensions, Fmt, Inst, Op, Reg};
use ospite_mmu::{GuestRam, MemoryMap, PhysAddr};

/// Where the guest code is.
const PC: u64 = 0x8000_0000;

const A0: u8 = 10;
const A1: u8 = 11;
const A2: u8 = 12;
const A3: u8 = 13;
const A4: u8 = 14;
const RA: u8 = 1;
const T0: u8 = 5;
const S1: u8 = 9;
const S2: u8 = 18;

fn inst(op: Op, rd: u8, rs1: u8, rs2: u8, imm: i32) -> Inst {
    let mut i = Inst::new(op);
    (i.rd, i.rs1, i.rs2, i.imm) = (Reg::new(rd), Reg::new(rs1), Reg::new(rs2), imm);
    i
}

/// The instruction of `op` with the usual operands: `a0` from `a1` and `a2`, or `a1` and an
/// immediate (5, or 3 for shifts and bit numbers).
fn alu(op: Op) -> Inst {
    match op.info().fmt {
        Fmt::R => inst(op, A0, A1, A2, 0),
        Fmt::R1 => inst(op, A0, A1, 0, 0),
        Fmt::I => inst(op, A0, A1, 0, 5),
        _ => inst(op, A0, A1, 0, 3),
    }
}

/// Every case: its file name and its instructions (`ebreak` is appended).
fn cases() -> Vec<(String, Vec<Inst>)> {
    let mut v = Vec::new();
    let mut add = |name: &str, insts: Vec<Inst>| v.push((name.replace('.', "_"), insts));
    for &op in Op::ALL.iter() {
        match op.class() {
            Class::Alu => add(op.name(), vec![alu(op)]),
            Class::Load(..) => add(op.name(), vec![inst(op, A0, A1, 0, 8)]),
            Class::Store(_) => add(op.name(), vec![inst(op, 0, A1, A2, 8)]),
            Class::Branch => add(op.name(), vec![inst(op, 0, A1, A2, 16)]),
            _ => {}
        }
    }
    add("lui", vec![inst(Op::Lui, A0, 0, 0, 0x12345 << 12)]);
    add("auipc", vec![inst(Op::Auipc, A0, 0, 0, 0x12345 << 12)]);
    add("jal", vec![inst(Op::Jal, RA, 0, 0, 16)]);
    add("jal_other_page", vec![inst(Op::Jal, RA, 0, 0, 0x1000)]);
    add("jalr", vec![inst(Op::Jalr, RA, A1, 0, 8)]);
    add("ret", vec![inst(Op::Jalr, 0, RA, 0, 0)]);
    let mut fadd = inst(Op::FaddD, 1, 2, 3, 0);
    fadd.rm = ospite_isa::Rm::Dyn;
    add("fadd_d", vec![fadd]);
    add("fld", vec![inst(Op::Fld, 1, A1, 0, 8)]);
    // Floating point in host code (`emit/fp.rs`); f1-f4 as operands.
    let fp = |op: Op, rm: ospite_isa::Rm| {
        let mut i = inst(op, 1, 2, 3, 0);
        if op.info().fmt == Fmt::R4 {
            i.rs3 = Reg::new(4);
        }
        if op.info().fmt == Fmt::F1Rm {
            i.rs2 = Reg::new(0);
        }
        i.rm = rm;
        i
    };
    use ospite_isa::Rm::{Dyn, Rne, Rtz};
    for op in [
        Op::FsubD,
        Op::FmulD,
        Op::FdivD,
        Op::FsqrtD,
        Op::FmaddD,
        Op::FnmaddD,
        Op::FaddS,
        Op::FmsubS,
    ] {
        add(op.name(), vec![fp(op, Dyn)]);
    }
    add("fadd_d_rne", vec![fp(Op::FaddD, Rne)]);
    add("fcvt_s_d", vec![inst(Op::FcvtSD, 1, 2, 0, 0)]);
    add("feq_d", vec![inst(Op::FeqD, A0, 2, 3, 0)]);
    add("flt_s", vec![inst(Op::FltS, T0 + 1, 2, 3, 0)]);
    add("fcvt_d_w", vec![inst(Op::FcvtDW, 1, A0, 0, 0)]);
    add("fcvt_s_lu", vec![inst(Op::FcvtSLu, 1, T0 + 1, 0, 0)]);
    let mut fcvt_w_d = inst(Op::FcvtWD, A0, 2, 0, 0);
    fcvt_w_d.rm = Rtz;
    add("fcvt_w_d_rtz", vec![fcvt_w_d]);
    add("fcvt_lu_s", vec![inst(Op::FcvtLuS, T0 + 1, 2, 0, 0)]);
    // Other static rounding modes go to the helper.
    add("fadd_d_rtz", vec![fp(Op::FaddD, Rtz)]);
    for op in [
        Op::FsgnjD,
        Op::FsgnjnD,
        Op::FsgnjxD,
        Op::FsgnjS,
        Op::FsgnjnS,
    ] {
        add(op.name(), vec![fp(op, Dyn)]);
    }
    add("fmv_d", vec![inst(Op::FsgnjD, 1, 2, 2, 0)]);
    add("fneg_d", vec![inst(Op::FsgnjnD, 1, 2, 2, 0)]);
    add("fabs_s", vec![inst(Op::FsgnjxS, 1, 2, 2, 0)]);
    add("fmv_x_d", vec![inst(Op::FmvXD, A0, 2, 0, 0)]);
    add("fmv_x_w", vec![inst(Op::FmvXW, T0 + 1, 2, 0, 0)]);
    add("fmv_d_x", vec![inst(Op::FmvDX, 1, A0, 0, 0)]);
    add("fmv_w_x", vec![inst(Op::FmvWX, 1, T0 + 1, 0, 0)]);
    add("flw", vec![inst(Op::Flw, 1, A1, 0, 8)]);
    add("fsd", vec![inst(Op::Fsd, 0, A1, 2, 8)]);
    add("fsw", vec![inst(Op::Fsw, 0, A1, 2, 8)]);
    // An integer load may call a helper (on a TLB miss), which clobbers xmm registers: the
    // fadd reads ft1 from the hart, not from the xmm register the fld left it in.
    add(
        "fld_ld_fadd",
        vec![
            inst(Op::Fld, 1, A1, 0, 8),
            inst(Op::Ld, A0, A1, 0, 16),
            inst(Op::FaddD, 1, 1, 3, 0),
        ],
    );
    // FS is tested once per block and set Dirty once; MXCSR is reset once; the fadd reads
    // ft1 from the xmm register the fmul left it in, and the fsd stores it from there; the
    // hart gets ft1 once, at the block's end.
    add(
        "fld_fmul_fadd_fsd",
        vec![
            inst(Op::Fld, 1, A1, 0, 8),
            fp(Op::FmulD, Dyn),
            inst(Op::FaddD, 1, 1, 3, 0),
            inst(Op::Fsd, 0, A1, 1, 8),
        ],
    );
    // Double results stay in xmm registers (dirty) until something reads the hart: the
    // fsgnjn and the block's end store them.
    add(
        "fmul_fsgnjn_dirty",
        vec![
            inst(Op::FmulD, 1, 4, 5, 0),
            inst(Op::FaddD, 6, 1, 1, 0),
            inst(Op::FsgnjnD, 2, 1, 3, 0),
        ],
    );
    // A double difference may be x86's NaN: made canonical before the fsd stores it, and
    // before the block's end stores it in the hart (the fix out of line).
    add(
        "fsub_d_fsd_canonical",
        vec![inst(Op::FsubD, 3, 1, 2, 0), inst(Op::Fsd, 0, A1, 3, 8)],
    );
    // AMOs run inline on a store-table hit: one locked instruction, or a cmpxchg loop.
    add("amoadd_w", vec![inst(Op::AmoaddW, A0, A1, A2, 0)]);
    add("amoor_d", vec![inst(Op::AmoorD, A0, A1, A2, 0)]);
    add("amoswap_d", vec![inst(Op::AmoswapD, A0, A1, A2, 0)]);
    add("amominu_w", vec![inst(Op::AmominuW, A0, A1, A2, 0)]);
    // The old value unwanted: `lock or` without the loop.
    add("amoor_w_x0", vec![inst(Op::AmoorW, 0, A1, A2, 0)]);
    add("lr_d", vec![inst(Op::LrD, A0, A1, 0, 0)]);
    add("sc_d", vec![inst(Op::ScD, A0, A1, A2, 0)]);
    let mut csrr = inst(Op::Csrrs, A0, 0, 0, 0);
    csrr.csr = Csr::MSCRATCH;
    add("csrr_mscratch", vec![csrr]);
    add("fence", vec![inst(Op::Fence, 0, 0, 0, 0xff)]);
    add("ecall", vec![Inst::new(Op::Ecall)]);
    // Writes of x0 do nothing.
    add("addi_x0", vec![inst(Op::Addi, 0, A1, 0, 5)]);
    add("ld_x0", vec![inst(Op::Ld, 0, A1, 0, 8)]);
    // Compressed forms translate as their 32-bit twins.
    let mut c_addi = inst(Op::Addi, A0, A0, 0, 1);
    c_addi.compressed = Some(ospite_isa::COp::CAddi);
    add("c_addi", vec![c_addi]);
    // Pairs that constant folding fuses, and what it leaves.
    add(
        "fused_lui_addi",
        vec![
            inst(Op::Lui, A0, 0, 0, 0x12345 << 12),
            inst(Op::Addi, A0, A0, 0, 0x678),
        ],
    );
    add(
        "fused_lui_addiw",
        vec![
            inst(Op::Lui, A0, 0, 0, -0x80000 << 12),
            inst(Op::Addiw, A0, A0, 0, -1),
        ],
    );
    add(
        "fused_auipc_addi",
        vec![
            inst(Op::Auipc, A0, 0, 0, 0x1000),
            inst(Op::Addi, A0, A0, 0, -16),
        ],
    );
    add(
        "fused_auipc_jalr",
        vec![inst(Op::Auipc, RA, 0, 0, 0), inst(Op::Jalr, RA, RA, 0, 16)],
    );
    add(
        "folded_branch",
        vec![
            inst(Op::Addi, A0, 0, 0, 3),
            inst(Op::Addi, A1, 0, 0, 3),
            inst(Op::Beq, 0, A0, A1, 16),
        ],
    );
    add(
        "dead_write",
        vec![inst(Op::Add, A0, A1, A2, 0), inst(Op::Sub, A0, A2, A3, 0)],
    );
    add(
        "loop",
        vec![
            inst(Op::Addi, T0, T0, 0, -1),
            inst(Op::Add, A0, A0, T0, 0),
            inst(Op::Bne, 0, T0, 0, -8),
        ],
    );
    // A forward branch inside a loop is a side exit: the loop stays one block, and the side
    // exit gives back the budget of the instructions after it and puts the static map back.
    add(
        "loop_with_side_exit",
        vec![
            inst(Op::Addi, S2, S2, 0, -1),
            inst(Op::Beq, 0, A0, S2, 12),
            inst(Op::Add, A0, A0, S2, 0),
            inst(Op::Bne, 0, S2, 0, -12),
        ],
    );
    // A backward branch that does not loop to the block's start ends the block: both sides
    // chain (the taken one through a patchable jcc).
    add(
        "backward_branch",
        vec![
            inst(Op::Addi, A0, A0, 0, 1),
            inst(Op::Addi, A1, A1, 0, 1),
            inst(Op::Bltu, 0, A0, A1, -4),
        ],
    );
    // s1 and s2 live in the hart between blocks: the loop moves them into host registers for
    // its iterations (and back when it leaves, or when the load's miss path calls out). The
    // load tests its page memo, refilled from the TLB out of line.
    add(
        "loop_with_unmapped_registers",
        vec![
            inst(Op::Ld, A0, S2, 0, 0),
            inst(Op::Addi, S2, S2, 0, 8),
            inst(Op::Add, S1, S1, A0, 0),
            inst(Op::Bne, 0, S2, A1, -12),
        ],
    );
    // t0 and s2 live in the hart between blocks: t0, written, gets rdx for the block (loaded
    // at entry, stored at the exit); operations whose result is s2 and its first operand (or,
    // when the order does not matter, its second) work on the hart's copy in place.
    add(
        "unmapped_in_place",
        vec![
            inst(Op::Addi, T0, T0, 0, 4),
            inst(Op::Add, T0, T0, A0, 0),
            inst(Op::Xor, S2, A1, S2, 0),
            inst(Op::Sub, S2, S2, T0, 0),
            inst(Op::Slli, T0, T0, 0, 3),
            inst(Op::Sub, T0, A0, T0, 0),
        ],
    );
    // A loop stepping its pointer by a register it does not write: a bound memo, whose
    // entry and refill set a bound only while the step is in range.
    add(
        "loop_register_stride",
        vec![
            inst(Op::Sb, 0, A3, A1, 0),
            inst(Op::Add, A3, A3, A4, 0),
            inst(Op::Bge, 0, A2, A3, -8),
        ],
    );
    // Ten registers in a loop without wide multiplies or divides: the tenth lives in rdx.
    add(
        "loop_with_ten_registers",
        vec![
            inst(Op::Add, A0, A0, T0, 0),
            inst(Op::Add, A1, A1, 6, 0),
            inst(Op::Add, A2, A2, 7, 0),
            inst(Op::Add, A3, A3, S2, 0),
            inst(Op::Add, 14, 14, 19, 0),
            inst(Op::Addi, T0, T0, 0, -1),
            inst(Op::Bne, 0, T0, 0, -24),
        ],
    );
    // W results left with their upper half pending: a 32-bit chain (shifts, `or`, `addw`)
    // writes the sign extensions once, at the block's end.
    add(
        "word_chain",
        vec![
            inst(Op::Slliw, A1, A3, 0, 26),
            inst(Op::Srliw, A2, A3, 0, 6),
            inst(Op::Or, A1, A1, A2, 0),
            inst(Op::Addw, A0, A0, A1, 0),
            inst(Op::Addiw, A2, A2, 0, 0),
        ],
    );
    v
}

/// The golden text of a case.
fn listing(insts: &[Inst]) -> String {
    let ram = Arc::new(GuestRam::new(1 << 16).unwrap());
    let map = MemoryMap::builder()
        .ram("ram", PhysAddr(PC), ram)
        .build()
        .unwrap();
    let mut bytes = Vec::new();
    for i in insts.iter().chain(&[Inst::new(Op::Ebreak)]) {
        let w = i.encode().unwrap_or_else(|e| panic!("{i:?}: {e}"));
        bytes.extend_from_slice(&w.to_le_bytes()[..i.size() as usize]);
    }
    map.write_bytes(PhysAddr(PC), &bytes).unwrap();
    let e = explain(&map, PC, PC, Extensions::ALL, 64);
    let mut s = String::new();
    let mut pc = PC;
    let source: Vec<String> = insts
        .iter()
        .chain(&[Inst::new(Op::Ebreak)])
        .map(|i| {
            let text = format!("{}", i.display(pc)).replace('\t', " ");
            pc += i.size();
            text
        })
        .collect();
    let _ = writeln!(s, "# {}", source.join("; "));
    let _ = writeln!(s, "guest:");
    for l in &e.guest {
        let _ = writeln!(s, "  {}", l.replace('\t', " "));
    }
    let _ = writeln!(s, "then: {}", e.terminal);
    let _ = writeln!(
        s,
        "host: {} instructions, {} bytes",
        e.host_insts, e.code_bytes
    );
    for l in &e.host {
        let _ = writeln!(s, "  {l}");
    }
    s
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn every_instruction_translates_as_its_golden_listing() {
    let bless = std::env::var_os("OSPITE_BLESS").is_some_and(|v| v == "1");
    let cases: BTreeMap<String, Vec<Inst>> = cases().into_iter().collect();
    let dir = dir();
    if bless {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.extension().is_some_and(|e| e == "txt") && !cases.contains_key(&name) {
                std::fs::remove_file(&path).unwrap();
            }
        }
    }
    let mut failures = Vec::new();
    for (name, insts) in &cases {
        let path = dir.join(format!("{name}.txt"));
        let got = listing(insts);
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!(
                "{}: differs\n--- expected\n{want}+++ got\n{got}",
                path.display()
            )),
            Err(_) => failures.push(format!("{}: missing", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden listings differ (OSPITE_BLESS=1 rewrites them; review the diff):\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_golden_file_has_a_case() {
    if std::env::var_os("OSPITE_BLESS").is_some() {
        // Blessing deletes them.
        return;
    }
    let cases: BTreeMap<String, Vec<Inst>> = cases().into_iter().collect();
    let stale: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|n| !cases.contains_key(n))
        .collect();
    assert!(stale.is_empty(), "golden files without a case: {stale:?}");
}
