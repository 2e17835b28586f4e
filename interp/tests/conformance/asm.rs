//! A tiny assembler over `ospite_isa::Inst::encode`, and the test machine (run by the engine
//! that `crate::cpu` names).

use std::sync::Arc;

use ospite_interp::{Engine, Hart, HartConfig, StopReason};
use ospite_isa::{Csr, Extensions, Fmt, Inst, Op, Reg, Rm, XReg};
use ospite_mmu::{AccessSize, Bus, GuestRam, MemoryMap, PhysAddr};

pub use crate::cpu::{debug_breakpoints, new_cpu, Cpu};

pub const RAM: u64 = 0x8000_0000;
pub const RAM_SIZE: u64 = 1 << 20;
/// Where the M-mode trap handler (a lone `ebreak`) lives.
pub const MTVEC: u64 = RAM + 0x1000;
/// Where the S-mode trap handler (a lone `ebreak`) lives.
pub const STVEC: u64 = RAM + 0x1800;
/// A data area.
pub const DATA: u64 = RAM + 0x8000;

pub const ZERO: u8 = 0;
pub const RA: u8 = 1;
pub const T0: u8 = 5;
pub const T1: u8 = 6;
pub const T2: u8 = 7;
pub const A0: u8 = 10;
pub const A1: u8 = 11;
pub const A2: u8 = 12;
pub const A3: u8 = 13;
pub const A4: u8 = 14;
pub const A5: u8 = 15;

#[derive(Default)]
pub struct Asm {
    pub bytes: Vec<u8>,
}

fn inst(op: Op, rd: u8, rs1: u8, rs2: u8, imm: i32) -> Inst {
    let mut i = Inst::new(op);
    i.rd = Reg::new(rd);
    i.rs1 = Reg::new(rs1);
    i.rs2 = Reg::new(rs2);
    i.imm = imm;
    i
}

impl Asm {
    pub fn new() -> Asm {
        Asm::default()
    }
    pub fn emit(&mut self, i: Inst) -> &mut Self {
        let w = i.encode().unwrap_or_else(|e| panic!("{i:?}: {e}"));
        if i.is_compressed() {
            self.bytes.extend_from_slice(&(w as u16).to_le_bytes());
        } else {
            self.bytes.extend_from_slice(&w.to_le_bytes());
        }
        self
    }
    pub fn word(&mut self, w: u32) -> &mut Self {
        self.bytes.extend_from_slice(&w.to_le_bytes());
        self
    }
    pub fn half(&mut self, h: u16) -> &mut Self {
        self.bytes.extend_from_slice(&h.to_le_bytes());
        self
    }
    /// Offset of the next instruction from the start.
    pub fn here(&self) -> i32 {
        self.bytes.len() as i32
    }
    /// R-type (and unary ops with rs2 ignored).
    pub fn r(&mut self, op: Op, rd: u8, rs1: u8, rs2: u8) -> &mut Self {
        self.emit(inst(op, rd, rs1, rs2, 0))
    }
    /// I-type, shifts, loads, jalr, lui/auipc (imm is the value added).
    pub fn i(&mut self, op: Op, rd: u8, rs1: u8, imm: i32) -> &mut Self {
        self.emit(inst(op, rd, rs1, 0, imm))
    }
    /// Stores: `op rs2, imm(rs1)`.
    pub fn s(&mut self, op: Op, rs2: u8, rs1: u8, imm: i32) -> &mut Self {
        self.emit(inst(op, 0, rs1, rs2, imm))
    }
    /// Branches, with a byte offset.
    pub fn b(&mut self, op: Op, rs1: u8, rs2: u8, off: i32) -> &mut Self {
        self.emit(inst(op, 0, rs1, rs2, off))
    }
    /// AMOs and LR/SC: `op rd, rs2, (rs1)`.
    pub fn amo(&mut self, op: Op, rd: u8, rs2: u8, rs1: u8) -> &mut Self {
        self.emit(inst(op, rd, rs1, rs2, 0))
    }
    /// CSR register forms: `op rd, csr, rs1`; immediate forms take the uimm in `rs1`.
    pub fn csr(&mut self, op: Op, rd: u8, csr: Csr, rs1: u8) -> &mut Self {
        let mut i = match op {
            Op::Csrrwi | Op::Csrrsi | Op::Csrrci => inst(op, rd, 0, 0, i32::from(rs1)),
            _ => inst(op, rd, rs1, 0, 0),
        };
        i.csr = csr;
        self.emit(i)
    }
    /// A floating-point instruction with all its operands and rounding mode (`rs3` is used by
    /// the fused multiply-adds only).
    pub fn fp(&mut self, op: Op, rd: u8, rs1: u8, rs2: u8, rs3: u8, rm: Rm) -> &mut Self {
        // Operands the format does not have must encode as zero.
        let fmt = op.info().fmt;
        let rs2 = if matches!(fmt, Fmt::R4 | Fmt::FR | Fmt::FRm | Fmt::FCmp) {
            rs2
        } else {
            0
        };
        let mut i = inst(op, rd, rs1, rs2, 0);
        i.rs3 = Reg::new(if fmt == Fmt::R4 { rs3 } else { 0 });
        i.rm = rm;
        self.emit(i)
    }
    /// Turns `mstatus.FS` on (Initial); clobbers `t0`.
    pub fn fs_on(&mut self) -> &mut Self {
        self.li(T0, 1 << 13);
        self.csr(Op::Csrrs, ZERO, Csr::MSTATUS, T0)
    }
    pub fn op(&mut self, op: Op) -> &mut Self {
        self.emit(Inst::new(op))
    }
    pub fn ebreak(&mut self) -> &mut Self {
        self.op(Op::Ebreak)
    }
    /// Loads any 64-bit constant.
    pub fn li(&mut self, rd: u8, v: i64) -> &mut Self {
        if v == i64::from(v as i32) {
            let lo = (v << 52) >> 52;
            let hi = v - lo;
            if hi != 0 {
                self.i(Op::Lui, rd, 0, hi as i32);
                if lo != 0 {
                    self.i(Op::Addiw, rd, rd, lo as i32);
                }
            } else {
                self.i(Op::Addi, rd, 0, lo as i32);
            }
            return self;
        }
        let lo = (v << 52) >> 52;
        let hi = (v - lo) >> 12;
        let shift = hi.trailing_zeros().min(40);
        self.li(rd, hi >> shift);
        self.i(Op::Slli, rd, rd, 12 + shift as i32);
        if lo != 0 {
            self.i(Op::Addi, rd, rd, lo as i32);
        }
        self
    }
}

/// A machine with 1 MiB of RAM at `RAM`, the programs loaded at their addresses, `mtvec` and
/// `stvec` pointing at lone `ebreak`s, debug breakpoints on, pc at `RAM`.
pub fn machine_with(ext: Extensions, progs: &[(u64, &Asm)]) -> Cpu {
    machine_with_config(
        HartConfig {
            extensions: ext,
            ..HartConfig::default()
        },
        progs,
    )
}

/// [`machine_with`], with a whole hart configuration (a time source, say).
pub fn machine_with_config(config: HartConfig, progs: &[(u64, &Asm)]) -> Cpu {
    let ram = Arc::new(GuestRam::new(RAM_SIZE).unwrap());
    let map = Arc::new(
        MemoryMap::builder()
            .ram("ram", PhysAddr(RAM), ram)
            .build()
            .unwrap(),
    );
    let mut handler = Asm::new();
    handler.ebreak();
    map.write_bytes(PhysAddr(MTVEC), &handler.bytes).unwrap();
    map.write_bytes(PhysAddr(STVEC), &handler.bytes).unwrap();
    for (at, p) in progs {
        map.write_bytes(PhysAddr(*at), &p.bytes).unwrap();
    }
    let mut hart = Hart::new(config);
    hart.set_pc(RAM);
    assert!(hart.poke_csr(Csr::MTVEC, MTVEC));
    assert!(hart.poke_csr(Csr::STVEC, STVEC));
    new_cpu(hart, map)
}

pub fn machine(p: &Asm) -> Cpu {
    machine_with(Extensions::ALL, &[(RAM, p)])
}

/// Runs `p` in M-mode to its `ebreak` (or a trap handler's).
pub fn run(p: &Asm) -> Cpu {
    let mut cpu = machine(p);
    assert_eq!(cpu.run(100_000), StopReason::Breakpoint);
    cpu
}

pub fn x(cpu: &Cpu, r: u8) -> u64 {
    cpu.hart().x(XReg::new(r))
}

pub fn csr(cpu: &Cpu, c: Csr) -> u64 {
    cpu.hart().peek_csr(c).unwrap()
}

pub fn peek(cpu: &Cpu, addr: u64, size: AccessSize) -> u64 {
    cpu.bus().load(PhysAddr(addr), size).unwrap()
}

/// (mcause, mepc, mtval) after a trap into M-mode.
pub fn mtrap(cpu: &Cpu) -> (u64, u64, u64) {
    (
        csr(cpu, Csr::MCAUSE),
        csr(cpu, Csr::MEPC),
        csr(cpu, Csr::MTVAL),
    )
}

/// (scause, sepc, stval) after a trap into S-mode.
pub fn strap(cpu: &Cpu) -> (u64, u64, u64) {
    (
        csr(cpu, Csr::SCAUSE),
        csr(cpu, Csr::SEPC),
        csr(cpu, Csr::STVAL),
    )
}

/// The NaN-boxing of a single-precision value in a 64-bit f register.
pub const BOX: u64 = 0xffff_ffff_0000_0000;

/// `bits`, a single-precision value, NaN-boxed.
pub const fn s(bits: u32) -> u64 {
    BOX | bits as u64
}

/// Runs `op` once in M-mode with `mstatus.FS` Initial, `frm` = `frm` and `fflags` clear. The
/// sources are `f1`, `f2`, `f3` = `a`, `b`, `c` (raw 64-bit register contents), or `x6` = `a`
/// when the source is an integer register. Returns the result (the x register `a0`, or the raw
/// 64 bits of `f4`) and `fflags`; panics if the instruction trapped.
pub fn fp_run(op: Op, rm: Rm, frm: u8, [a, b, c]: [u64; 3]) -> (u64, u64) {
    let fmt = op.info().fmt;
    let x_src = matches!(fmt, Fmt::XToF | Fmt::XToFRm | Fmt::XToFRmExact);
    let x_dst = matches!(fmt, Fmt::FToX | Fmt::FToXRm | Fmt::FCmp);
    let mut p = Asm::new();
    p.fs_on();
    for (f, v) in [(1, a), (2, b), (3, c)] {
        p.li(T1, v as i64).r(Op::FmvDX, f, T1, 0);
    }
    p.li(T1, a as i64);
    p.csr(Op::Csrrwi, ZERO, Csr::FRM, frm);
    p.csr(Op::Csrrwi, ZERO, Csr::FFLAGS, 0);
    let (rd, rs1) = (if x_dst { A0 } else { 4 }, if x_src { T1 } else { 1 });
    p.fp(op, rd, rs1, 2, 3, rm);
    p.ebreak();
    let cpu = run(&p);
    assert_eq!(csr(&cpu, Csr::MCAUSE), 0, "{op:?} trapped");
    let result = if x_dst { x(&cpu, A0) } else { cpu.hart().f(4) };
    (result, csr(&cpu, Csr::FFLAGS))
}

/// `fflags` bits.
pub const NV: u64 = 0x10;
pub const DZ: u64 = 0x08;
pub const OF: u64 = 0x04;
pub const UF: u64 = 0x02;
pub const NX: u64 = 0x01;
