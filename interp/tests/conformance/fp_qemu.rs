//! Every F and D computational instruction on random and special operands in all five rounding
//! modes, against `qemu-riscv64` running a static C program that executes the same instruction
//! (inline assembly, `frm` set per case) and prints the raw result register and `fflags`.
//!
//! The C program is generated from the same op table, built with `riscv64-linux-gnu-gcc
//! -static`, and fed the cases on stdin. `OSPITE_FP_CASES` sets the cases per instruction and
//! rounding mode (default 200: about 60,000 cases, a few seconds).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::asm::*;
use ospite_interp::{Engine, StopReason};
use ospite_isa::{Class, Csr, Fmt, Inst, Op, Reg, Rm, XReg};

/// How an instruction's operands look, for the C side and for ours.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    /// `op ft3, ft0, ft1, ft2`
    F4,
    /// `op ft3, ft0, ft1`
    F3,
    /// `op ft3, ft0`
    F2,
    /// `op x, ft0`
    X2,
    /// `op x, ft0, ft1`
    X3,
    /// `op ft3, x`
    FromX,
}

struct Case {
    shape: Shape,
    /// Whether the instruction takes a rounding mode that can matter (written as `dyn`).
    rm: bool,
    double_src: bool,
}

fn case_of(op: Op) -> Case {
    let info = op.info();
    let (shape, rm) = match info.fmt {
        Fmt::R4 => (Shape::F4, true),
        Fmt::FRm => (Shape::F3, true),
        Fmt::FR => (Shape::F3, false),
        Fmt::F1Rm => (Shape::F2, true),
        Fmt::F1RmExact => (Shape::F2, false),
        Fmt::FToXRm => (Shape::X2, true),
        Fmt::FToX => (Shape::X2, false),
        Fmt::FCmp => (Shape::X3, false),
        Fmt::XToFRm => (Shape::FromX, true),
        Fmt::XToFRmExact | Fmt::XToF => (Shape::FromX, false),
        other => panic!("{op:?}: unexpected format {other:?}"),
    };
    // The source precision: the suffix after the last dot names it (fcvt.s.d reads a double).
    let double_src = info.name.ends_with(".d");
    Case {
        shape,
        rm,
        double_src,
    }
}

fn fp_ops() -> Vec<Op> {
    Op::ALL
        .iter()
        .copied()
        .filter(|op| op.class() == Class::Fp)
        .collect()
}

/// The C program: a switch over the op index, one inline-assembly case per instruction.
fn c_source(ops: &[Op]) -> String {
    let mut cases = String::new();
    for (i, &op) in ops.iter().enumerate() {
        let c = case_of(op);
        let name = op.info().name;
        let rm = if c.rm { ", dyn" } else { "" };
        let (body, to_x) = match c.shape {
            Shape::F4 => (format!("{name} ft3, ft0, ft1, ft2{rm}"), false),
            Shape::F3 => (format!("{name} ft3, ft0, ft1{rm}"), false),
            Shape::F2 => (format!("{name} ft3, ft0{rm}"), false),
            Shape::X2 => (format!("{name} %0, ft0{rm}"), true),
            Shape::X3 => (format!("{name} %0, ft0, ft1"), true),
            Shape::FromX => (format!("{name} ft3, %2{rm}"), false),
        };
        let tail = if to_x { "" } else { "\\n fmv.x.d %0, ft3" };
        cases.push_str(&format!(
            "    case {i}: asm volatile(\"fmv.d.x ft0, %2\\n fmv.d.x ft1, %3\\n fmv.d.x ft2, %4\\n \
             fsrm %5\\n fsflags x0\\n {body}{tail}\\n frflags %1\" : \"=&r\"(r), \"=&r\"(fl) : \
             \"r\"(a), \"r\"(b), \"r\"(c), \"r\"(rm) : \"ft0\", \"ft1\", \"ft2\", \"ft3\"); \
             break;\n"
        ));
    }
    format!(
        "#include <stdint.h>\n#include <stdio.h>\n\
         struct rec {{ uint64_t op, rm, a, b, c; }};\n\
         int main(void) {{\n  struct rec q;\n\
         while (fread(&q, sizeof q, 1, stdin) == 1) {{\n\
         uint64_t r = 0, fl = 0, a = q.a, b = q.b, c = q.c, rm = q.rm;\n\
         switch (q.op) {{\n{cases}    default: return 1;\n  }}\n\
         uint64_t out[2] = {{ r, fl }};\n  fwrite(out, sizeof out, 1, stdout);\n  }}\n\
         return 0;\n}}\n"
    )
}

/// xorshift64*: deterministic operands.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[(self.next() % v.len() as u64) as usize]
    }
}

const SPECIAL_S: [u32; 20] = [
    0x0000_0000,
    0x8000_0000,
    0x3f80_0000,
    0xbf80_0000,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0x7f80_0001,
    0xffc1_2345,
    0x0000_0001,
    0x807f_ffff,
    0x0080_0000,
    0x7f7f_ffff,
    0x4f00_0000,
    0xcf00_0000,
    0x5f00_0000,
    0x3f00_0000,
    0x4b80_0001,
    0x3fc0_0000,
    0xc020_0000,
];
const SPECIAL_D: [u64; 20] = [
    0,
    1 << 63,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0x7ff0_0000_0000_0001,
    0xfff8_0000_dead_beef,
    1,
    0x800f_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x7fef_ffff_ffff_ffff,
    0x41e0_0000_0000_0000,
    0xc3e0_0000_0000_0000,
    0x43f0_0000_0000_0000,
    0x41df_ffff_ffe0_0000,
    0x3fe0_0000_0000_0000,
    0x3ff8_0000_0000_0000,
    0x36a0_0000_0000_0000,
];
const SPECIAL_X: [u64; 10] = [
    0,
    1,
    u64::MAX,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    i64::MAX as u64,
    i64::MIN as u64,
    (1 << 53) + 1,
    (1 << 24) + 1,
];

/// A source operand: register bits for an FP source, or an x value.
fn operand(r: &mut Rng, shape: Shape, double: bool) -> u64 {
    if shape == Shape::FromX {
        return match r.next() % 3 {
            0 => r.pick(&SPECIAL_X),
            1 => r.next() >> (r.next() % 64),
            _ => r.next(),
        };
    }
    let special = r.next() % 2 == 0;
    // Random values near 1 make additions and conversions land on interesting roundings.
    let v = match (double, special) {
        (true, true) => r.pick(&SPECIAL_D),
        (true, false) if r.next() % 2 == 0 => 0x3fe0_0000_0000_0000 + (r.next() >> 20),
        (true, false) => r.next(),
        (false, true) => s(r.pick(&SPECIAL_S)),
        (false, false) if r.next() % 2 == 0 => s(0x3f00_0000 + (r.next() >> 40) as u32),
        (false, false) => s(r.next() as u32),
    };
    // Now and then a single that is not properly NaN-boxed.
    if !double && r.next() % 16 == 0 {
        v & 0xffff_ffff
    } else {
        v
    }
}

/// Runs one instruction on our interpreter: (result, fflags).
fn ours(cpu: &mut Cpu, inst: &Inst, rm: u64, [a, b, c]: [u64; 3]) -> (u64, u64) {
    let h = cpu.hart_mut();
    h.set_f(0, a);
    h.set_f(1, b);
    h.set_f(2, c);
    h.set_x(XReg::new(A0), a);
    h.set_pc(RAM);
    assert!(h.poke_csr(Csr::FCSR, rm << 5));
    assert_eq!(cpu.run(10), StopReason::Breakpoint);
    assert_eq!(cpu.hart().pc(), RAM + 4, "{inst:?} trapped");
    let result = match case_of(inst.op).shape {
        Shape::X2 | Shape::X3 => cpu.hart().x(XReg::new(A1)),
        _ => cpu.hart().f(3),
    };
    (result, csr(cpu, Csr::FFLAGS))
}

#[test]
fn every_fp_instruction_matches_qemu_on_random_operands() {
    let per = std::env::var("OSPITE_FP_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200u64);
    let ops = fp_ops();
    let dir = std::env::temp_dir().join(format!("ospite-fp-qemu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (src, exe) = (dir.join("fp.c"), dir.join("fp"));
    std::fs::write(&src, c_source(&ops)).unwrap();
    let built = Command::new("riscv64-linux-gnu-gcc")
        .args(["-static", "-O1", "-march=rv64gc", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .expect("riscv64-linux-gnu-gcc (Debian: gcc-riscv64-linux-gnu) must be installed");
    assert!(built.success());

    // The cases: (op index, rm, a, b, c).
    let mut rng = Rng(0x5eed_f00d_cafe_f00d);
    let mut cases = Vec::new();
    for (i, &op) in ops.iter().enumerate() {
        let c = case_of(op);
        for rm in 0..5u64 {
            for _ in 0..per {
                let v = [(); 3].map(|_| operand(&mut rng, c.shape, c.double_src));
                cases.push((i, rm, v));
            }
        }
    }
    let input: Vec<u8> = cases
        .iter()
        .flat_map(|&(i, rm, [a, b, c])| [i as u64, rm, a, b, c])
        .flat_map(u64::to_le_bytes)
        .collect();
    let mut child = Command::new("qemu-riscv64")
        .arg(&exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("qemu-riscv64 (Debian: qemu-user) must be installed");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success());
    let qemu: Vec<(u64, u64)> = out
        .stdout
        .chunks_exact(16)
        .map(|w| {
            let r = u64::from_le_bytes(w[..8].try_into().unwrap());
            (r, u64::from_le_bytes(w[8..].try_into().unwrap()))
        })
        .collect();
    assert_eq!(qemu.len(), cases.len());

    // Ours: one machine per op, the instruction then an ebreak.
    let mut mismatches = Vec::new();
    for (i, &op) in ops.iter().enumerate() {
        let c = case_of(op);
        let mut inst = Inst::new(op);
        let x_dst = matches!(c.shape, Shape::X2 | Shape::X3);
        inst.rd = Reg::new(if x_dst { A1 } else { 3 });
        inst.rs1 = Reg::new(if c.shape == Shape::FromX { A0 } else { 0 });
        inst.rs2 = Reg::new(if matches!(c.shape, Shape::F3 | Shape::F4 | Shape::X3) {
            1
        } else {
            0
        });
        inst.rs3 = Reg::new(if c.shape == Shape::F4 { 2 } else { 0 });
        // GNU as writes rne for the exact conversions.
        let exact = matches!(op.info().fmt, Fmt::F1RmExact | Fmt::XToFRmExact);
        inst.rm = if exact { Rm::Rne } else { Rm::Dyn };
        let mut p = Asm::new();
        p.emit(inst);
        p.ebreak();
        let mut cpu = machine(&p);
        assert!(cpu.hart_mut().poke_csr(Csr::MSTATUS, 1 << 13));
        for (k, &(_, rm, v)) in cases.iter().enumerate().filter(|(_, c)| c.0 == i) {
            let got = ours(&mut cpu, &inst, rm, v);
            if got != qemu[k] {
                mismatches.push(format!(
                    "{} rm={rm} a={:#x} b={:#x} c={:#x}: ours {:#x}/{:#x}, qemu {:#x}/{:#x}",
                    op.info().name,
                    v[0],
                    v[1],
                    v[2],
                    got.0,
                    got.1,
                    qemu[k].0,
                    qemu[k].1
                ));
            }
        }
    }
    eprintln!(
        "fp_qemu: {} instructions, {} cases, {} mismatches",
        ops.len(),
        cases.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches, the first:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(30)].join("\n")
    );
}
