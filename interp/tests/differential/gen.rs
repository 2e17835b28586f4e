//! Random instruction sequences, written as GNU assembly so that one ELF runs under QEMU and
//! under our interpreter.
//!
//! A program holds several sequences. Each one sets every x register (and, with FP, every f
//! register, `frm` and `fflags`) from its seed, runs its random instructions, then stores the
//! registers and prints them, and the 256-byte data region, as hex lines on the UART. Rules that
//! keep the result defined by the ISA alone:
//!
//! * `x8` (`s0`) holds the data region's address and is never written, so every load, store,
//!   AMO and LR/SC lands in the region, naturally aligned (QEMU traps misaligned accesses; we
//!   perform them: a documented difference, not a bug).
//! * Control flow only goes forward inside the sequence: branches, `jal`, `c.j`, `c.beqz`,
//!   `c.bnez` over one to three instructions, and `jalr` through an `auipc` base (with bit 0 of
//!   the target set, which `jalr` must clear).
//! * LR and SC come as an adjacent pair on the same address, which must succeed on both.
//! * No CSR but `fflags`/`frm`, no counters, no `fence.i`, no Zicond (QEMU 7.2 lacks it), no
//!   `ctzw` (QEMU 7.2 gets it wrong when the low word is zero; see `int_unary`).

use std::fmt::Write as _;

/// splitmix64: small, fast and good enough to pick instructions.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The register that holds the data region's address.
const BASE: u8 = 8;
/// Bytes in the data region.
pub const DATA_BYTES: usize = 256;

/// One random sequence: its seed and its instructions as written in the program.
pub struct Sequence {
    pub seed: u64,
    pub lines: Vec<String>,
    /// Instructions in the body (a pseudo-free count: every line is one instruction).
    pub insts: usize,
}

/// A whole program: assembly text and its sequences, in order.
pub struct Program {
    pub asm: String,
    pub seqs: Vec<Sequence>,
}

/// Dwords each sequence prints: x1..x31, then with FP f0..f31 and `fflags`, then the data.
pub fn dump_words(fp: bool) -> usize {
    31 + if fp { 33 } else { 0 } + DATA_BYTES / 8
}

/// A destination register other than `x8`; `x0` now and then.
fn rd(r: &mut Rng) -> u8 {
    loop {
        let v = if r.chance(3) { 0 } else { r.range(1, 31) as u8 };
        if v != BASE {
            return v;
        }
    }
}

/// Any source register.
fn rs(r: &mut Rng) -> u8 {
    r.range(0, 31) as u8
}

/// A compressed destination (`x9`..`x15`: `x8` is the base).
fn crd(r: &mut Rng) -> u8 {
    r.range(9, 15) as u8
}

/// A compressed source (`x8`..`x15`).
fn crs(r: &mut Rng) -> u8 {
    r.range(8, 15) as u8
}

/// A value for an x register: corner cases often, random bits otherwise.
fn xvalue(r: &mut Rng) -> i64 {
    match r.below(10) {
        0 => r.pick(&[
            0,
            1,
            -1,
            2,
            i64::MIN,
            i64::MAX,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            -0x8000_0000,
            0x1_0000_0000,
            63,
            64,
            31,
            32,
        ]),
        1 => r.range(-16, 16),
        2 => (r.next() as i32) as i64,
        3 => r.next() as u32 as i64,
        4 => (r.next() & 0xff) as i64,
        5 => 1i64 << r.below(64),
        _ => r.next() as i64,
    }
}

/// A value for an f register: special doubles, NaN-boxed singles, random bits.
fn fvalue(r: &mut Rng) -> u64 {
    const D: [u64; 18] = [
        0,
        0x8000_0000_0000_0000,
        0x3ff0_0000_0000_0000,
        0xbff0_0000_0000_0000,
        0x7ff0_0000_0000_0000,
        0xfff0_0000_0000_0000,
        0x7ff8_0000_0000_0000,
        0x7ff0_0000_0000_0001,
        0xfff8_0000_0000_0001,
        1,
        0x000f_ffff_ffff_ffff,
        0x7fef_ffff_ffff_ffff,
        0x3fe0_0000_0000_0000,
        0x43e0_0000_0000_0000,
        0xc3e0_0000_0000_0000,
        0x43f0_0000_0000_0000,
        0x41e0_0000_0000_0000,
        0xc1e0_0000_0020_0000,
    ];
    const S: [u32; 16] = [
        0,
        0x8000_0000,
        0x3f80_0000,
        0xbf80_0000,
        0x7f80_0000,
        0xff80_0000,
        0x7fc0_0000,
        0x7f80_0001,
        0xffc0_0001,
        1,
        0x007f_ffff,
        0x7f7f_ffff,
        0x4f00_0000,
        0xcf00_0000,
        0x5f00_0000,
        0x5f80_0000,
    ];
    let boxed = |s: u32| 0xffff_ffff_0000_0000 | u64::from(s);
    match r.below(10) {
        0 | 1 => r.pick(&D),
        2 | 3 => boxed(r.pick(&S)),
        // A double of modest exponent, so that arithmetic gives ordinary results.
        4 | 5 => {
            let exp = (0x3ff + r.range(-70, 70)) as u64;
            (r.next() & 0x800f_ffff_ffff_ffff) | exp << 52
        }
        // The same for a single, NaN-boxed.
        6 | 7 => {
            let exp = (127 + r.range(-30, 30)) as u32;
            boxed((r.next() as u32 & 0x807f_ffff) | exp << 23)
        }
        // Not NaN-boxed: single-precision reads see the canonical NaN.
        8 => r.next() & 0x0000_ffff_ffff_ffff | 0x4000_0000_0000_0000,
        _ => r.next(),
    }
}

struct Gen<'a> {
    r: &'a mut Rng,
    fp: bool,
    label: &'a mut u32,
}

const RM: [&str; 6] = ["rne", "rtz", "rdn", "rup", "rmm", "dyn"];

impl Gen<'_> {
    fn label(&mut self) -> String {
        *self.label += 1;
        format!(".Lf{}", self.label)
    }

    /// One straight-line instruction (no control flow).
    fn straight(&mut self) -> Vec<String> {
        if self.fp && self.r.chance(35) {
            return vec![self.fp_inst()];
        }
        match self.r.below(100) {
            0..=29 => vec![self.int_r()],
            30..=49 => vec![self.int_i()],
            50..=54 => vec![self.int_unary()],
            55..=57 => vec![self.upper()],
            58..=69 => vec![self.mem()],
            70..=75 => self.atomic(),
            _ => vec![self.compressed()],
        }
    }

    fn int_r(&mut self) -> String {
        const OPS: [&str; 48] = [
            "add",
            "sub",
            "sll",
            "slt",
            "sltu",
            "xor",
            "srl",
            "sra",
            "or",
            "and",
            "addw",
            "subw",
            "sllw",
            "srlw",
            "sraw",
            "mul",
            "mulh",
            "mulhsu",
            "mulhu",
            "div",
            "divu",
            "rem",
            "remu",
            "mulw",
            "divw",
            "divuw",
            "remw",
            "remuw",
            "sh1add",
            "sh2add",
            "sh3add",
            "add.uw",
            "sh1add.uw",
            "sh2add.uw",
            "sh3add.uw",
            "andn",
            "orn",
            "xnor",
            "max",
            "maxu",
            "min",
            "minu",
            "rol",
            "ror",
            "rolw",
            "rorw",
            "clmul",
            "clmulh",
        ];
        const MORE: [&str; 5] = ["clmulr", "bclr", "bext", "binv", "bset"];
        let op = if self.r.chance(10) {
            self.r.pick(&MORE)
        } else {
            self.r.pick(&OPS)
        };
        let (d, a, b) = (rd(self.r), rs(self.r), rs(self.r));
        format!("{op} x{d}, x{a}, x{b}")
    }

    fn int_i(&mut self) -> String {
        const IMM12: [&str; 7] = ["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"];
        const SH6: [&str; 9] = [
            "slli", "srli", "srai", "rori", "bclri", "bexti", "binvi", "bseti", "slli.uw",
        ];
        const SH5: [&str; 4] = ["slliw", "srliw", "sraiw", "roriw"];
        let (d, a) = (rd(self.r), rs(self.r));
        match self.r.below(3) {
            0 => {
                let op = self.r.pick(&IMM12);
                let imm = if self.r.chance(30) {
                    self.r.pick(&[0, -1, 1, 2047, -2048])
                } else {
                    self.r.range(-2048, 2047)
                };
                format!("{op} x{d}, x{a}, {imm}")
            }
            1 => {
                let op = self.r.pick(&SH6);
                let sh = if self.r.chance(30) {
                    self.r.pick(&[0, 1, 31, 32, 63])
                } else {
                    self.r.range(0, 63)
                };
                format!("{op} x{d}, x{a}, {sh}")
            }
            _ => {
                let op = self.r.pick(&SH5);
                let sh = self.r.range(0, 31);
                format!("{op} x{d}, x{a}, {sh}")
            }
        }
    }

    fn int_unary(&mut self) -> String {
        // No `ctzw`: QEMU 7.2 returns the 64-bit count when the low word is zero (`ctzw` of
        // 1 << 60 gives 60, not 32), a QEMU defect our conformance suite covers instead.
        const OPS: [&str; 10] = [
            "clz", "ctz", "cpop", "clzw", "cpopw", "sext.b", "sext.h", "zext.h", "rev8", "orc.b",
        ];
        let op = self.r.pick(&OPS);
        let (d, a) = (rd(self.r), rs(self.r));
        format!("{op} x{d}, x{a}")
    }

    fn upper(&mut self) -> String {
        let op = self.r.pick(&["lui", "auipc"]);
        let imm = if self.r.chance(30) {
            self.r.pick(&[0, 0x80000, 0xfffff, 0x7ffff, 1])
        } else {
            self.r.range(0, 0xfffff)
        };
        format!("{op} x{}, {imm:#x}", rd(self.r))
    }

    /// An aligned offset into the data region for an access of `width` bytes.
    fn offset(&mut self, width: i64) -> i64 {
        self.r.range(0, DATA_BYTES as i64 / width - 1) * width
    }

    fn mem(&mut self) -> String {
        const LOADS: [(&str, i64); 7] = [
            ("lb", 1),
            ("lh", 2),
            ("lw", 4),
            ("ld", 8),
            ("lbu", 1),
            ("lhu", 2),
            ("lwu", 4),
        ];
        const STORES: [(&str, i64); 4] = [("sb", 1), ("sh", 2), ("sw", 4), ("sd", 8)];
        if self.r.chance(50) {
            let (op, w) = self.r.pick(&LOADS);
            let off = self.offset(w);
            format!("{op} x{}, {off}(x{BASE})", rd(self.r))
        } else {
            let (op, w) = self.r.pick(&STORES);
            let off = self.offset(w);
            format!("{op} x{}, {off}(x{BASE})", rs(self.r))
        }
    }

    fn atomic(&mut self) -> Vec<String> {
        const AMOS: [&str; 9] = [
            "amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu",
            "amomaxu",
        ];
        let size = self.r.pick(&["w", "d"]);
        let order = self.r.pick(&["", ".aq", ".rl", ".aqrl"]);
        if self.r.chance(25) {
            let (d1, d2, v) = (rd(self.r), rd(self.r), rs(self.r));
            return vec![
                format!("lr.{size}{order} x{d1}, (x{BASE})"),
                format!("sc.{size}{order} x{d2}, x{v}, (x{BASE})"),
            ];
        }
        let op = self.r.pick(&AMOS);
        let (d, v) = (rd(self.r), rs(self.r));
        vec![format!("{op}.{size}{order} x{d}, x{v}, (x{BASE})")]
    }

    fn compressed(&mut self) -> String {
        let r = &mut *self.r;
        let nz6 = |r: &mut Rng| loop {
            let v = r.range(-32, 31);
            if v != 0 {
                return v;
            }
        };
        let body = match r.below(16) {
            0 => format!("c.addi x{}, {}", rd(r).max(1), nz6(r)),
            1 => format!("c.addiw x{}, {}", rd(r).max(1), r.range(-32, 31)),
            2 => format!("c.li x{}, {}", rd(r).max(1), r.range(-32, 31)),
            3 => {
                let d = loop {
                    let d = rd(r);
                    if d != 0 && d != 2 {
                        break d;
                    }
                };
                let imm = if r.chance(50) {
                    r.range(1, 31)
                } else {
                    r.range(0xfffe0, 0xfffff)
                };
                format!("c.lui x{d}, {imm:#x}")
            }
            4 => format!("c.slli x{}, {}", rd(r).max(1), r.range(1, 63)),
            5 => format!("c.srli x{}, {}", crd(r), r.range(1, 63)),
            6 => format!("c.srai x{}, {}", crd(r), r.range(1, 63)),
            7 => format!("c.andi x{}, {}", crd(r), r.range(-32, 31)),
            8 => format!("c.mv x{}, x{}", rd(r).max(1), r.range(1, 31)),
            9 => format!("c.add x{}, x{}", rd(r).max(1), r.range(1, 31)),
            10 => {
                let op = r.pick(&["c.sub", "c.xor", "c.or", "c.and", "c.subw", "c.addw"]);
                format!("{op} x{}, x{}", crd(r), crs(r))
            }
            11 => format!("c.ld x{}, {}(x{BASE})", crd(r), r.range(0, 31) * 8),
            12 => format!("c.lw x{}, {}(x{BASE})", crd(r), r.range(0, 31) * 4),
            13 => format!("c.sd x{}, {}(x{BASE})", crs(r), r.range(0, 31) * 8),
            14 => format!("c.sw x{}, {}(x{BASE})", crs(r), r.range(0, 31) * 4),
            _ => "c.nop".to_string(),
        };
        format!(".option rvc; {body}; .option norvc")
    }

    fn fp_inst(&mut self) -> String {
        let r = &mut *self.r;
        let f = |r: &mut Rng| r.range(0, 31);
        let p = r.pick(&["s", "d"]);
        let rm = r.pick(&RM);
        match r.below(20) {
            0..=3 => {
                let op = r.pick(&["fadd", "fsub", "fmul", "fdiv"]);
                format!("{op}.{p} f{}, f{}, f{}, {rm}", f(r), f(r), f(r))
            }
            4 => format!("fsqrt.{p} f{}, f{}, {rm}", f(r), f(r)),
            5 | 6 => {
                let op = r.pick(&["fmin", "fmax", "fsgnj", "fsgnjn", "fsgnjx"]);
                format!("{op}.{p} f{}, f{}, f{}", f(r), f(r), f(r))
            }
            7 | 8 => {
                let op = r.pick(&["fmadd", "fmsub", "fnmadd", "fnmsub"]);
                format!("{op}.{p} f{}, f{}, f{}, f{}, {rm}", f(r), f(r), f(r), f(r))
            }
            9 => {
                let op = r.pick(&["feq", "flt", "fle"]);
                format!("{op}.{p} x{}, f{}, f{}", rd(r), f(r), f(r))
            }
            10 => format!("fclass.{p} x{}, f{}", rd(r), f(r)),
            11 => {
                let to = r.pick(&["w", "wu", "l", "lu"]);
                format!("fcvt.{to}.{p} x{}, f{}, {rm}", rd(r), f(r))
            }
            12 => {
                let from = r.pick(&["w", "wu", "l", "lu"]);
                if p == "d" && from.starts_with('w') {
                    format!("fcvt.d.{from} f{}, x{}", f(r), rs(r))
                } else {
                    format!("fcvt.{p}.{from} f{}, x{}, {rm}", f(r), rs(r))
                }
            }
            13 => {
                if r.chance(50) {
                    format!("fcvt.s.d f{}, f{}, {rm}", f(r), f(r))
                } else {
                    format!("fcvt.d.s f{}, f{}", f(r), f(r))
                }
            }
            14 => {
                let w = if p == "s" { "w" } else { "d" };
                if r.chance(50) {
                    format!("fmv.x.{w} x{}, f{}", rd(r), f(r))
                } else {
                    format!("fmv.{w}.x f{}, x{}", f(r), rs(r))
                }
            }
            15 | 16 => {
                let (op, w) = r.pick(&[("flw", 4), ("fld", 8)]);
                format!("{op} f{}, {}(x{BASE})", f(r), r.range(0, 256 / w - 1) * w)
            }
            17 | 18 => {
                let (op, w) = r.pick(&[("fsw", 4), ("fsd", 8)]);
                format!("{op} f{}, {}(x{BASE})", f(r), r.range(0, 256 / w - 1) * w)
            }
            _ => {
                let op = r.pick(&["c.fld", "c.fsd"]);
                let body = format!("{op} f{}, {}(x{BASE})", r.range(8, 15), r.range(0, 31) * 8);
                format!(".option rvc; {body}; .option norvc")
            }
        }
    }

    /// One item: a straight instruction, or a forward jump over one to three of them.
    fn item(&mut self, out: &mut Vec<String>) {
        if !self.r.chance(12) {
            out.extend(self.straight());
            return;
        }
        let target = self.label();
        let kind = self.r.below(6);
        match kind {
            0..=2 => {
                let op = self.r.pick(&["beq", "bne", "blt", "bge", "bltu", "bgeu"]);
                let (a, b) = (rs(self.r), rs(self.r));
                out.push(format!("{op} x{a}, x{b}, {target}"));
            }
            3 => out.push(format!("jal x{}, {target}", rd(self.r))),
            4 => {
                let body = match self.r.below(3) {
                    0 => format!("c.beqz x{}, {target}", crs(self.r)),
                    1 => format!("c.bnez x{}, {target}", crs(self.r)),
                    _ => format!("c.j {target}"),
                };
                out.push(format!(".option rvc; {body}; .option norvc"));
            }
            _ => {
                // auipc t, 0 / jalr d, 13(t): jumps over the one 4-byte instruction after it.
                let t = loop {
                    let t = rd(self.r);
                    if t != 0 {
                        break t;
                    }
                };
                out.push(format!("auipc x{t}, 0"));
                out.push(format!("jalr x{}, 13(x{t})", rd(self.r)));
                out.push(self.int_r());
                out.push(format!("{target}:"));
                return;
            }
        }
        for _ in 0..self.r.range(1, 3) {
            out.extend(self.straight());
        }
        out.push(format!("{target}:"));
    }
}

/// Builds a program of one sequence per seed, each of about `len` instructions.
pub fn program(seeds: &[u64], fp: bool, len: usize) -> Program {
    let mut asm = String::new();
    let mut label = 0u32;
    let mut seqs = Vec::new();
    asm.push_str(
        "\t.option norvc\n\t.section .text.init\n\t.globl _start\n_start:\n\
         \tla t0, trap\n\tcsrw mtvec, t0\n",
    );
    if fp {
        asm.push_str("\tli t0, 0x2000\n\tcsrs mstatus, t0\n");
    }
    for &seed in seeds {
        let mut r = Rng::new(seed);
        let _ = writeln!(asm, "# sequence, seed {seed:#x}");
        if fp {
            for i in 0..32 {
                let _ = writeln!(
                    asm,
                    "\tli t0, {}\n\tfmv.d.x f{i}, t0",
                    fvalue(&mut r) as i64
                );
            }
            let _ = writeln!(asm, "\tfsflags x0\n\tfsrmi {}", r.range(0, 4));
        }
        // Every sequence starts from its own data, so a difference stays with its cause.
        let _ = writeln!(asm, "\tla x{BASE}, data");
        for off in (0..DATA_BYTES).step_by(8) {
            let _ = writeln!(asm, "\tli t0, {}\n\tsd t0, {off}(x{BASE})", r.next() as i64);
        }
        for i in (1..32).filter(|&i| i != BASE) {
            let _ = writeln!(asm, "\tli x{i}, {}", xvalue(&mut r));
        }
        let mut lines = Vec::new();
        let mut g = Gen {
            r: &mut r,
            fp,
            label: &mut label,
        };
        while lines.iter().filter(|l: &&String| !l.ends_with(':')).count() < len {
            g.item(&mut lines);
        }
        for l in &lines {
            let _ = writeln!(asm, "\t{l}");
        }
        // Store x1..x31 (x1 through mscratch), then f0..f31 and fflags, and print them all
        // with the data region.
        asm.push_str("\tcsrw mscratch, x1\n\tla x1, regsave\n");
        for i in 2..32 {
            let _ = writeln!(asm, "\tsd x{i}, {}(x1)", 8 * i);
        }
        asm.push_str("\tcsrr x2, mscratch\n\tsd x2, 8(x1)\n");
        if fp {
            for i in 0..32 {
                let _ = writeln!(asm, "\tfsd f{i}, {}(x1)", 256 + 8 * i);
            }
            asm.push_str("\tfrflags x2\n\tsd x2, 512(x1)\n");
        }
        let words = 31 + if fp { 33 } else { 0 };
        let _ = writeln!(
            asm,
            "\taddi a0, x1, 8\n\tli a1, {words}\n\tcall print_dwords\n\
             \tla a0, data\n\tli a1, {}\n\tcall print_dwords",
            DATA_BYTES / 8
        );
        let insts = lines.iter().filter(|l| !l.ends_with(':')).count();
        seqs.push(Sequence { seed, lines, insts });
    }
    asm.push_str(
        "\tli t0, 0x100000\n\tli t1, 0x5555\n\tsw t1, 0(t0)\n1:\tj 1b\n\
         # A trap is a failure: print TRAP, mcause, mepc, mtval and exit with code 1.\n\
         \t.balign 4\ntrap:\n\tli a0, 'T'\n\tcall putc\n\tli a0, 'R'\n\tcall putc\n\
         \tli a0, 'A'\n\tcall putc\n\tli a0, 'P'\n\tcall putc\n\tli a0, 10\n\tcall putc\n\
         \tla a0, regsave\n\tcsrr t0, mcause\n\tsd t0, 0(a0)\n\tcsrr t0, mepc\n\tsd t0, 8(a0)\n\
         \tcsrr t0, mtval\n\tsd t0, 16(a0)\n\tli a1, 3\n\tcall print_dwords\n\
         \tli t0, 0x100000\n\tli t1, 0x13333\n\tsw t1, 0(t0)\n2:\tj 2b\n\
         # putc(a0): waits for THRE, then writes the byte.\n\
         putc:\n\tli t0, 0x10000000\n3:\tlbu t1, 5(t0)\n\tandi t1, t1, 0x20\n\tbeqz t1, 3b\n\
         \tsb a0, 0(t0)\n\tret\n\
         # print_dwords(a0 = address, a1 = count): each dword as 16 hex digits and a newline.\n\
         print_dwords:\n\tmv t6, ra\n\tmv t4, a0\n\tmv t5, a1\n\
         4:\tbeqz t5, 9f\n\tld t3, 0(t4)\n\tli t2, 60\n\
         5:\tsrl a0, t3, t2\n\tandi a0, a0, 15\n\tli a2, 10\n\tblt a0, a2, 6f\n\taddi a0, a0, 39\n\
         6:\taddi a0, a0, 48\n\tcall putc\n\taddi t2, t2, -4\n\tbgez t2, 5b\n\
         \tli a0, 10\n\tcall putc\n\taddi t4, t4, 8\n\taddi t5, t5, -1\n\tj 4b\n\
         9:\tmv ra, t6\n\tret\n",
    );
    let _ = writeln!(
        asm,
        "\t.data\n\t.balign 256\ndata:\n\t.space {DATA_BYTES}\n\t.balign 8\nregsave:\n\t.space 528"
    );
    Program { asm, seqs }
}
