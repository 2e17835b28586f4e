//! The translator against its oracle: random guest programs run by the interpreter and by the
//! translator (every block translated at once, and translated after one to three runs so that
//! both engines share the run) from the same state must stop for the same reason and leave the
//! same registers, pc, privilege, `instret`, CSRs, reservation, trap counts and RAM, after
//! every budget of a random list (budgets end in the middle of blocks: they must be exact).
//!
//! A program is a list of [`Item`]s: integer, M, Zba/Zbb/Zbc/Zbs/Zicond and floating-point
//! instructions on registers that hold awkward values; loads and stores of every width into a
//! data region that straddles a page boundary (misaligned and page-crossing included) and at
//! absolute addresses outside RAM or across its ends; AMOs and LR/SC (misaligned ones trap);
//! CSR reads and writes (`minstret` and `mcycle` included, so `instret` must be exact wherever
//! a CSR is read); `ecall`, `ebreak`, illegal instructions and a software interrupt, which a
//! trap handler counts and skips; `wfi`, `fence`, `fence.i`, `sfence.vma`; forward branches,
//! loops with counters (backward branches), jumps over dead code (`jal`, `c.j`, `jalr`, `c.jr`),
//! calls to subroutines (`jal` and the fused `auipc`+`jalr`); compressed forms; and
//! self-modifying code (a store that rewrites an instruction ahead in the same block or one
//! that ran before in a loop, with and without `fence.i`, and stores into data that shares a
//! page with code). The same programs also run in S-mode under Sv39 page tables with 4 KiB
//! pages of every kind (read-only, invalid, A/D clear, an alias), where translated loads and
//! stores take the TLB fast path.

mod support;

use ospite_dbt::DbtConfig;
use ospite_interp::StopReason;
use ospite_isa::asm::{Assembler, Label, MemOrder};
use ospite_isa::{COp, Class, Csr, Ext, Extensions, Fmt, Inst, Op, Reg, RegFile, Rm, XReg};
use proptest::prelude::*;
use proptest::sample::select;

use support::*;

const ZERO: u8 = 0;
const RA: u8 = 1;
/// The data region's address; never written by the program.
const S0: u8 = 8;
/// Loop counters by nesting depth.
const COUNTERS: [u8; 2] = [9, 18];
/// Scratch for the items' own sequences.
const S10: u8 = 26;
const T3: u8 = 28;
const T4: u8 = 29;
/// The trap handler's registers (`s11`, `t5`, `t6`) are `support`'s.
/// Registers random instructions may write.
const FREE: [u8; 21] = [
    2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23, 24, 25,
];

/// Values that make arithmetic interesting.
const SPECIAL: [i64; 30] = [
    0,
    1,
    -1,
    2,
    i64::MIN,
    i64::MAX,
    i32::MIN as i64,
    i32::MAX as i64,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    -0x8000_0000,
    31,
    32,
    63,
    64,
    0x7ff,
    -0x800,
    0x80,
    0xff,
    0x8000,
    0xffff,
    i64::MIN + 1,
    0x5555_5555_5555_5555,
    // The edges of exact integer conversion to double and to single.
    (1 << 53) + 1,
    -(1 << 53) - 1,
    1 << 53,
    (1 << 24) + 1,
    -(1 << 24) - 1,
    1 << 24,
];

fn x(r: u8) -> XReg {
    XReg::new(r)
}

/// Where a load or store goes.
#[derive(Clone, Debug)]
enum Base {
    /// `off(s0)`, in the data region.
    Data(i32),
    /// `0(t3)` with `t3` loaded with this address (outside RAM, across its ends, or in pages
    /// of a particular kind under Sv39).
    Abs(u64),
}

/// Where an [`Item::AmoAt`] goes.
#[derive(Clone, Copy, Debug)]
enum AmoPlace {
    /// `li t3, addr`.
    Abs(u64),
    /// `la t3, slot; addi t3, t3, off` (in the data region when not beside the code).
    CodeData(i32),
}

/// A jump over dead code.
#[derive(Clone, Copy, Debug)]
enum Skip {
    Jal,
    CJ,
    /// `la t3`; `jalr` with or without a link, with bit 0 of the target set or not.
    Jalr {
        link: bool,
        odd: bool,
    },
    /// `la t3`; `c.jr t3` or `c.jalr t3`.
    CJr {
        link: bool,
    },
}

/// A way to raise an exception.
#[derive(Clone, Copy, Debug)]
enum Trap {
    Ecall,
    Ebreak,
    CEbreak,
    Illegal32(u32),
    Illegal16(u16),
}

/// An instruction, shown as objdump prints it.
#[derive(Clone, Copy)]
struct I(Inst);

impl std::fmt::Debug for I {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0.display(0).to_string())
    }
}

/// One piece of a random program.
#[derive(Clone, Debug)]
enum Item {
    /// Use compressed forms where they exist from here on (or stop).
    Compress(bool),
    /// An integer or floating-point instruction.
    Inst(I),
    /// Items in a row (a run of floating-point instructions, which share a block).
    Seq(Vec<Item>),
    /// `li`.
    Li(u8, i64),
    /// `li t3, a; li t4, b; inst` with `inst` reading `t3` and `t4` (folded at translation).
    Folded(I, i64, i64),
    Load {
        op: Op,
        rd: u8,
        base: Base,
    },
    Store {
        op: Op,
        rs2: u8,
        base: Base,
    },
    /// `flw`/`fld`/`fsw`/`fsd` on `f[reg]` at `off(s0)`.
    FpMem {
        op: Op,
        reg: u8,
        off: i32,
    },
    /// `addi t3, s0, off; amo`.
    Amo(I, i32),
    /// `amo` with `t3` elsewhere: at an address of [`Env::addresses`] (outside RAM, across
    /// its ends, a device, or a page of a particular kind under Sv39), or at `off` into the
    /// data beside the code (a page the translator must see written).
    AmoAt(I, AmoPlace),
    /// `addi t3, s0, off; lr rd, (t3); mid; sc rd2, rs2, (t3)` (no `lr` when `lr` is false).
    LrSc {
        d: bool,
        lr: bool,
        rd: u8,
        rd2: u8,
        rs2: u8,
        off: i32,
        mid: Option<Box<Item>>,
    },
    CsrRead(u8, Csr),
    /// `li t3, value; op rd, csr, t3` (or the immediate form with `value & 31`).
    CsrWrite {
        op: Op,
        rd: u8,
        csr: Csr,
        value: i64,
    },
    /// A supervisor software interrupt, taken at once, which the handler clears.
    Irq,
    Trap(Trap),
    Fence,
    FenceI,
    SfenceVma,
    Wfi,
    /// A loop of its own walking a pointer from `start`: `t3 = start; li t4, n; top: addi t3,
    /// t3, -lead; op reg, off(t3); addi t3, t3, stride + lead; addi t4, t4, -1; bnez t4, top`
    /// (no first `addi` when `lead` is 0). The access moves from page to page (pages of
    /// different kinds under Sv39; misaligned too) while the loop iterates. A `crowd`ed loop
    /// also quadruples eleven registers in each iteration, so that `t3` gets no host register.
    /// `by_reg` adds `stride + lead` from `s10` in one `add t3, t3, s10` instead (before the
    /// access when `lead` is not 0).
    Walk {
        op: Op,
        reg: u8,
        start: Base,
        stride: i32,
        n: u8,
        off: i32,
        lead: i32,
        crowd: bool,
        by_reg: bool,
    },
    /// A store into the data that follows the program, in a page with code.
    StoreCodeData {
        op: Op,
        rs2: u8,
        off: i32,
    },
    /// A forward branch over `body` (`c.beqz`/`c.bnez` when `c` and the operands allow).
    If {
        cond: Op,
        rs1: u8,
        rs2: u8,
        c: bool,
        body: Vec<Item>,
    },
    /// `body` run `n` times with a counter (the body once when nested too deep).
    Loop {
        n: u8,
        back: u8,
        body: Vec<Item>,
    },
    /// A jump over `body`, which never runs.
    Skip(Skip, Vec<Item>),
    /// A call of subroutine `sub` (`far`: the `auipc`+`jalr` pair, else `jal`).
    Call {
        sub: usize,
        far: bool,
    },
    /// A store that rewrites `addi rd, rd, 1` after `gap` into `addi rd, rd, imm`.
    SmcAhead {
        fence: bool,
        rd: u8,
        imm: i16,
        gap: Vec<Item>,
    },
    /// A loop whose first instruction `addi rd, rd, k` is rewritten on each iteration with
    /// `k` the counter.
    SmcLoop {
        n: u8,
        rd: u8,
        fence: bool,
    },
}

/// What differs between the M-mode physical and the S-mode Sv39 environments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Env {
    Machine,
    Sv39,
}

impl Env {
    /// Addresses for [`Base::Abs`].
    fn addresses(self) -> Vec<u64> {
        match self {
            Env::Machine => vec![
                0,
                0x1000,
                RAM - 8,
                RAM - 2,
                RAM + RAM_SIZE - 8,
                RAM + RAM_SIZE - 4,
                RAM + RAM_SIZE - 1,
                RAM + RAM_SIZE,
                DATA_MID - 3,
                DATA + 0x1fff,
                0xffff_ffff_ffff_fffc,
                0x1000_0000,
            ],
            Env::Sv39 => vec![
                // Read-only, invalid, A/D clear, an alias of the second data page.
                VBASE + 0x12000,
                VBASE + 0x12ffc,
                VBASE + 0x13000,
                VBASE + 0x14000,
                VBASE + 0x14ffd,
                VBASE + 0x15008,
                // Across data and read-only pages, and from read-only into invalid.
                VBASE + 0x11ffc,
                VBASE + 0x12ffe,
                // Not mapped at all, and not canonical.
                0x8000_0000,
                0x40_0000_0000,
            ],
        }
    }

    /// The CSRs a program reads.
    fn readable(self) -> Vec<Csr> {
        let mut v = vec![
            Csr::INSTRET,
            Csr::CYCLE,
            Csr::FCSR,
            Csr::FFLAGS,
            Csr::FRM,
            Csr(0x7ff),
            Csr::TIME,
        ];
        v.extend(match self {
            Env::Machine => [
                Csr::MSCRATCH,
                Csr::MINSTRET,
                Csr::MCYCLE,
                Csr::MSTATUS,
                Csr::MISA,
                Csr::MHARTID,
                Csr::MCAUSE,
                Csr::MEPC,
                Csr::MTVAL,
                Csr::MIP,
            ],
            Env::Sv39 => [
                Csr::SSCRATCH,
                Csr::SSTATUS,
                Csr::SATP,
                Csr::SEPC,
                Csr::SCAUSE,
                Csr::STVAL,
                Csr::SIP,
                Csr::SIE,
                Csr::MSCRATCH,
                Csr::MINSTRET,
            ],
        });
        v
    }

    /// The CSRs a program writes, each with values worth writing.
    fn writable(self) -> Vec<(Csr, Vec<i64>)> {
        let fp = vec![
            (Csr::FCSR, vec![0, 0x1f, 0x20, 0x80, 0xe0, 0xff]),
            (Csr::FRM, vec![0, 1, 2, 3, 4, 5]),
            (Csr::FFLAGS, vec![0, 1, 0x10, 0x1f]),
        ];
        let own = match self {
            Env::Machine => vec![
                (Csr::MSCRATCH, vec![0, -1, 0x1234_5678_9abc]),
                (Csr::MINSTRET, vec![0, 5, -1, -2]),
                (Csr::MCYCLE, vec![0, 7, -1]),
                (Csr::MCOUNTINHIBIT, vec![0, 1, 4, 5]),
                (Csr::MSTATUS, vec![0x6000, 0x2000, 1 << 17]),
            ],
            Env::Sv39 => vec![
                (Csr::SSCRATCH, vec![0, -1, 0x1234_5678_9abc]),
                (Csr::SSTATUS, vec![0x6000, 0x2000, 1 << 18, 1 << 19]),
                // The same tables under another ASID, and back.
                (Csr::SATP, vec![satp() as i64, (satp() | 2 << 44) as i64]),
            ],
        };
        fp.into_iter().chain(own).collect()
    }
}

// ----- strategies -----

fn value() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => select(&SPECIAL[..]),
        2 => any::<i64>(),
        1 => -2048i64..2048,
        1 => any::<i32>().prop_map(i64::from),
    ]
}

fn dst() -> impl Strategy<Value = u8> {
    prop_oneof![12 => select(&FREE[..]), 1 => Just(ZERO)]
}

fn src() -> impl Strategy<Value = u8> {
    prop_oneof![4 => select(&FREE[..]), 1 => 0u8..32]
}

/// The instruction of `op` with these operands, where its format has them; `None` if it
/// does not encode.
fn make(op: Op, rd: u8, rs: [u8; 3], imm: i32, rm: Rm) -> Option<Inst> {
    let fmt = op.info().fmt;
    let ops = fmt.operands();
    let pick = |file: RegFile, x: u8, f: u8| match file {
        RegFile::Unused => 0,
        RegFile::X => x,
        RegFile::F => f,
    };
    let mut i = Inst::new(op);
    i.rd = Reg::new(pick(ops.rd, rd, rs[2] ^ rd & 31));
    i.rs1 = Reg::new(pick(ops.rs1, rs[0], rs[0]));
    i.rs2 = Reg::new(pick(ops.rs2, rs[1], rs[1]));
    i.rs3 = Reg::new(pick(ops.rs3, 0, rs[2]));
    i.imm = match fmt {
        Fmt::I => imm % 2048,
        Fmt::Sh6 => imm & 63,
        Fmt::Sh5 => imm & 31,
        _ => 0,
    };
    if matches!(
        fmt,
        Fmt::FRm
            | Fmt::R4
            | Fmt::F1Rm
            | Fmt::F1RmExact
            | Fmt::FToXRm
            | Fmt::XToFRm
            | Fmt::XToFRmExact
    ) {
        i.rm = rm;
    }
    i.encode().ok().map(|_| i)
}

fn ops(pred: impl Fn(Class) -> bool) -> Vec<Op> {
    Op::ALL
        .iter()
        .copied()
        .filter(|o| pred(o.class()))
        .collect()
}

fn rm() -> impl Strategy<Value = Rm> {
    prop_oneof![8 => (0u32..5).prop_map(Rm::from_bits), 4 => Just(Rm::Dyn), 1 => Just(Rm::Reserved5)]
}

fn alu() -> impl Strategy<Value = Item> {
    (
        select(ops(|c| c == Class::Alu)),
        dst(),
        src(),
        src(),
        any::<i32>(),
    )
        .prop_filter_map("encodes", |(op, rd, a, b, imm)| {
            make(op, rd, [a, b, 0], imm, Rm::Dyn).map(|i| Item::Inst(I(i)))
        })
}

fn folded() -> impl Strategy<Value = Item> {
    (
        select(ops(|c| c == Class::Alu)),
        select(&FREE[..]),
        any::<i32>(),
        value(),
        value(),
    )
        .prop_filter_map("encodes", |(op, rd, imm, a, b)| {
            make(op, rd, [T3, T4, 0], imm, Rm::Dyn).map(|i| Item::Folded(I(i), a, b))
        })
}

fn fp() -> impl Strategy<Value = Item> {
    (
        select(ops(|c| c == Class::Fp)),
        dst(),
        src(),
        (0u8..32, 0u8..32, 0u8..32, 0u8..32),
        rm(),
    )
        .prop_filter_map("encodes", |(op, rd, xs, (f1, f2, f3, fd), rm)| {
            let ops = op.info().fmt.operands();
            let rs1 = if ops.rs1 == RegFile::X { xs } else { f1 };
            // `make` takes an f destination as `rs[2] ^ rd`.
            let rd = if ops.rd == RegFile::X { rd } else { f3 ^ fd };
            make(op, rd, [rs1, f2, f3], 0, rm).map(|i| Item::Inst(I(i)))
        })
}

/// f registers, mostly a few so that results feed later instructions.
fn freg() -> impl Strategy<Value = u8> {
    prop_oneof![3 => 0u8..6, 1 => 0u8..32]
}

/// The F/D operations the translator has host code for (`dbt/src/emit/fp.rs`), mostly with
/// the rounding modes it runs natively (dynamic and `rne`).
fn hot_fp() -> impl Strategy<Value = Item> {
    let hot = vec![
        Op::FaddD,
        Op::FsubD,
        Op::FmulD,
        Op::FdivD,
        Op::FsqrtD,
        Op::FmaddD,
        Op::FmsubD,
        Op::FnmsubD,
        Op::FnmaddD,
        Op::FaddS,
        Op::FsubS,
        Op::FmulS,
        Op::FdivS,
        Op::FsqrtS,
        Op::FmaddS,
        Op::FmsubS,
        Op::FnmsubS,
        Op::FnmaddS,
        Op::FsgnjD,
        Op::FsgnjnD,
        Op::FsgnjxD,
        Op::FsgnjS,
        Op::FsgnjnS,
        Op::FsgnjxS,
        Op::FmvXD,
        Op::FmvDX,
        Op::FmvXW,
        Op::FmvWX,
        Op::FcvtSD,
        Op::FcvtDS,
        Op::FeqD,
        Op::FltD,
        Op::FleD,
        Op::FeqS,
        Op::FltS,
        Op::FleS,
        Op::FcvtWD,
        Op::FcvtWuD,
        Op::FcvtLD,
        Op::FcvtLuD,
        Op::FcvtWS,
        Op::FcvtWuS,
        Op::FcvtLS,
        Op::FcvtLuS,
        Op::FcvtDW,
        Op::FcvtDWu,
        Op::FcvtDL,
        Op::FcvtDLu,
        Op::FcvtSW,
        Op::FcvtSWu,
        Op::FcvtSL,
        Op::FcvtSLu,
    ];
    (
        select(hot),
        dst(),
        src(),
        (freg(), freg(), freg(), freg()),
        prop_oneof![4 => Just(Rm::Dyn), 2 => Just(Rm::Rne), 2 => Just(Rm::Rtz), 1 => rm()],
    )
        .prop_filter_map("encodes", |(op, rd, xs, (f1, f2, f3, fd), rm)| {
            let ops = op.info().fmt.operands();
            let rs1 = if ops.rs1 == RegFile::X { xs } else { f1 };
            // `make` takes an f destination as `rs[2] ^ rd`.
            let rd = if ops.rd == RegFile::X { rd } else { f3 ^ fd };
            // Sometimes the same register twice (`fmv`, `fneg`, `fabs`, squares).
            let f2 = if f2 == 5 { rs1 } else { f2 };
            make(op, rd, [rs1, f2, f3], 0, rm).map(|i| Item::Inst(I(i)))
        })
}

/// f register values that make floating point interesting: signed zeros, exact small values,
/// the extremes of both precisions (overflow, underflow, subnormals), infinities, quiet and
/// signalling NaNs, boxed singles and improperly boxed ones.
const F_SPECIAL: [u64; 54] = [
    0,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000, // 1.0
    0xbff0_0000_0000_0000, // -1.0
    0x4000_0000_0000_0000, // 2.0
    0x3fe0_0000_0000_0000, // 0.5
    0x4008_0000_0000_0000, // 3.0
    0x3fb9_9999_9999_999a, // 0.1
    0x7fef_ffff_ffff_ffff, // the largest double
    0x0010_0000_0000_0000, // the smallest normal
    0x8010_0000_0000_0000,
    0x000f_ffff_ffff_ffff, // the largest subnormal
    0x0000_0000_0000_0001, // the smallest subnormal
    0x7ff0_0000_0000_0000, // infinity
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000, // the canonical NaN
    0x7ff8_0000_0000_0123, // a quiet NaN with a payload
    0x7ff0_0000_0000_0001, // signalling NaNs
    0xfff4_0000_0000_0000,
    0x7e37_e43c_8800_759c, // 1e300
    0x01a5_6e1f_c2f8_f359, // 1e-300
    0x2000_0000_0000_0000, // 2^-511: its square is tiny
    0xffff_ffff_0000_0000, // boxed singles: +0
    0xffff_ffff_8000_0000, // -0
    0xffff_ffff_3f80_0000, // 1.0
    0xffff_ffff_bf80_0000, // -1.0
    0xffff_ffff_4040_0000, // 3.0
    0xffff_ffff_3dcc_cccd, // 0.1
    0xffff_ffff_7f7f_ffff, // the largest single
    0xffff_ffff_0080_0000, // the smallest normal single
    0xffff_ffff_007f_ffff, // the largest subnormal single
    0xffff_ffff_0000_0001, // the smallest subnormal single
    0xffff_ffff_7f80_0000, // infinity
    0xffff_ffff_ff80_0000,
    0xffff_ffff_7fc0_0000, // the canonical NaN
    0xffff_ffff_7f80_0001, // a signalling NaN
    0xffff_ffff_7149_f2ca, // 1e30
    0xffff_ffff_0da2_4260, // 1e-30
    // The edges of conversion to integers (ties, ranges of w, wu, l, lu).
    0x4004_0000_0000_0000, // 2.5
    0xbff8_0000_0000_0000, // -1.5
    0xbfe0_0000_0000_0000, // -0.5
    0x41e0_0000_0000_0000, // 2^31
    0xc1e0_0000_0020_0000, // -2^31 - 1
    0x41ef_ffff_ffe0_0000, // 2^32 - 1
    0x41f0_0000_0008_0000, // 2^32 + 0.5
    0x43e0_0000_0000_0000, // 2^63
    0xc3e0_0000_0000_0000, // -2^63
    0x43f0_0000_0000_0000, // 2^64
    0xffff_ffff_4020_0000, // 2.5
    0xffff_ffff_bf00_0000, // -0.5
    0xffff_ffff_4f80_0000, // 2^32
    0xffff_ffff_cf00_0000, // -2^31
    0x0000_0000_3f80_0000, // improperly boxed 1.0
    0x7fff_ffff_3f80_0000,
];

fn fp_mem() -> impl Strategy<Value = Item> {
    (
        select(vec![Op::Flw, Op::Fld, Op::Fsw, Op::Fsd]),
        prop_oneof![3 => 0u8..6, 1 => 0u8..32],
        data_off(),
    )
        .prop_map(|(op, reg, off)| Item::FpMem { op, reg, off })
}

fn data_off() -> impl Strategy<Value = i32> {
    prop_oneof![2 => -12i32..12, 1 => -2048i32..2048, 1 => (-256i32..256).prop_map(|k| k * 8)]
}

fn walk(env: Env) -> impl Strategy<Value = Item> {
    let ops = ops(|c| {
        matches!(
            c,
            Class::Load(..) | Class::Store(_) | Class::FpLoad(_) | Class::FpStore(_)
        )
    });
    let near = |a: u64| a.wrapping_sub(16);
    let start = prop_oneof![
        3 => (-40i32..40).prop_map(Base::Data),
        1 => select(env.addresses()).prop_map(move |a| Base::Abs(near(a))),
    ];
    let shape = prop_oneof![
        3 => Just((0, 0, false, false)),
        1 => (-16i32..=16, 0i32..=12, any::<bool>(), any::<bool>())
    ];
    (select(ops), src(), start, -12i32..=12, 2u8..12, shape).prop_map(
        |(op, reg, start, stride, n, (off, lead, crowd, by_reg))| Item::Walk {
            op,
            reg,
            start,
            stride,
            n,
            off,
            lead,
            crowd,
            by_reg,
        },
    )
}

fn base(env: Env) -> impl Strategy<Value = Base> {
    prop_oneof![
        6 => data_off().prop_map(Base::Data),
        1 => select(env.addresses()).prop_map(Base::Abs),
    ]
}

fn memory(env: Env) -> impl Strategy<Value = Item> {
    let loads = ops(|c| matches!(c, Class::Load(..)));
    let stores = ops(|c| matches!(c, Class::Store(_)));
    prop_oneof![
        (select(loads), dst(), base(env)).prop_map(|(op, rd, base)| Item::Load { op, rd, base }),
        (select(stores), src(), base(env)).prop_map(|(op, rs2, base)| Item::Store {
            op,
            rs2,
            base
        }),
        fp_mem(),
    ]
}

fn atomic(env: Env) -> impl Strategy<Value = Item> {
    let amo_off = prop_oneof![4 => (-8i32..8).prop_map(|k| k * 8), 1 => (-16i32..16).prop_map(|k| k * 4), 1 => -9i32..9];
    let amos = ops(|c| matches!(c, Class::Amo(_)));
    let place = prop_oneof![
        select(env.addresses()).prop_map(AmoPlace::Abs),
        (0i32..14).prop_map(|k| AmoPlace::CodeData(k * 4)),
    ];
    let amo_at = (select(amos.clone()), dst(), src(), place)
        .prop_map(|(op, rd, rs2, place)| Item::AmoAt(I(inst(op, rd, T3, rs2, 0)), place));
    prop_oneof![
        1 => amo_at,
        4 => (
            select(amos),
            dst(),
            src(),
            any::<(bool, bool)>(),
            amo_off.clone()
        )
            .prop_map(|(op, rd, rs2, (aq, rl), off)| {
                let mut i = Inst::new(op);
                (i.rd, i.rs1, i.rs2, i.aq, i.rl) =
                    (Reg::new(rd), Reg::new(T3), Reg::new(rs2), aq, rl);
                Item::Amo(I(i), off)
            }),
        4 => (
            any::<bool>(),
            prop::bool::weighted(0.85),
            dst(),
            dst(),
            src(),
            amo_off,
            prop::option::weighted(0.3, simple_leaf(Env::Machine))
        )
            .prop_map(|(d, lr, rd, rd2, rs2, off, mid)| Item::LrSc {
                d,
                lr,
                rd,
                rd2,
                rs2,
                off,
                mid: mid.map(Box::new),
            }),
    ]
}

fn csr(env: Env) -> impl Strategy<Value = Item> {
    let writes = env.writable();
    prop_oneof![
        (dst(), select(env.readable())).prop_map(|(rd, c)| Item::CsrRead(rd, c)),
        (
            select(vec![
                Op::Csrrw,
                Op::Csrrs,
                Op::Csrrc,
                Op::Csrrwi,
                Op::Csrrsi,
                Op::Csrrci
            ]),
            dst(),
            (0..writes.len()).prop_flat_map(move |k| {
                let (c, vals) = writes[k].clone();
                (Just(c), select(vals))
            })
        )
            .prop_map(|(op, rd, (csr, value))| Item::CsrWrite { op, rd, csr, value }),
    ]
}

fn trap() -> impl Strategy<Value = Item> {
    prop_oneof![
        Just(Trap::Ecall),
        Just(Trap::Ebreak),
        Just(Trap::CEbreak),
        select(vec![
            0u32,
            0xffff_ffff,
            0x0000_707f,
            0xfe00_007f,
            0x3020_0073 ^ 0x100
        ])
        .prop_map(Trap::Illegal32),
        select(vec![0u16, 0x8000, 0x9c41]).prop_map(Trap::Illegal16),
    ]
    .prop_map(Item::Trap)
}

/// Straight-line items that cannot jump: LR/SC's middle, subroutine bodies, gaps.
fn simple_leaf(env: Env) -> impl Strategy<Value = Item> {
    prop_oneof![
        4 => alu(),
        1 => folded(),
        3 => memory(env),
        1 => fp(),
        2 => hot_fp(),
        // Runs that share a block, with FP loads and stores among them (results feeding
        // later instructions through the translator's xmm cache).
        1 => prop::collection::vec(prop_oneof![4 => hot_fp(), 1 => fp_mem()], 2..8).prop_map(Item::Seq),
        1 => (select(&FREE[..]), value()).prop_map(|(r, v)| Item::Li(r, v)),
    ]
}

fn leaf(env: Env) -> impl Strategy<Value = Item> {
    let stores = ops(|c| matches!(c, Class::Store(_)));
    prop_oneof![
        30 => simple_leaf(env),
        3 => atomic(env),
        4 => csr(env),
        3 => trap(),
        2 => any::<bool>().prop_map(Item::Compress),
        1 => Just(Item::Irq),
        1 => Just(Item::Fence),
        1 => Just(Item::FenceI),
        1 => Just(Item::SfenceVma),
        1 => Just(Item::Wfi),
        1 => (select(stores), src(), 0i32..56).prop_map(|(op, rs2, off)| Item::StoreCodeData { op, rs2, off }),
        2 => walk(env),
        2 => (0usize..3, any::<bool>()).prop_map(|(sub, far)| Item::Call { sub, far }),
        1 => (1u8..5, select(&FREE[..]), any::<bool>()).prop_map(|(n, rd, fence)| Item::SmcLoop { n, rd, fence }),
    ]
}

fn item(env: Env) -> impl Strategy<Value = Item> {
    leaf(env).prop_recursive(3, 48, 6, move |inner| {
        let branches = ops(|c| c == Class::Branch);
        let skips = prop_oneof![
            Just(Skip::Jal),
            Just(Skip::CJ),
            any::<(bool, bool)>().prop_map(|(link, odd)| Skip::Jalr { link, odd }),
            any::<bool>().prop_map(|link| Skip::CJr { link }),
        ];
        prop_oneof![
            3 => (select(branches), src(), src(), any::<bool>(), prop::collection::vec(inner.clone(), 0..5))
                .prop_map(|(cond, rs1, rs2, c, body)| Item::If { cond, rs1, rs2, c, body }),
            3 => (1u8..5, 0u8..4, prop::collection::vec(inner.clone(), 1..6))
                .prop_map(|(n, back, body)| Item::Loop { n, back, body }),
            1 => (skips, prop::collection::vec(inner, 0..3)).prop_map(|(s, body)| Item::Skip(s, body)),
            2 => (any::<bool>(), select(&FREE[..]), any::<i16>(), prop::collection::vec(simple_leaf(env), 0..3))
                .prop_map(|(fence, rd, imm, gap)| Item::SmcAhead { fence, rd, imm: imm >> 4, gap }),
        ]
    })
}

/// A random program and how to run it.
#[derive(Clone)]
struct Case {
    items: Vec<Item>,
    subs: Vec<Vec<Item>>,
    /// Bytes before the page boundary where the program starts (0: at the page start).
    start: u64,
    regs: [i64; 32],
    fregs: [u64; 32],
    data_seed: u64,
    fcsr: u64,
    fs_on: bool,
    budgets: Vec<u64>,
    threshold: u32,
    max_block: usize,
    small_cache: bool,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hex = |v: &[u64]| {
            v.iter()
                .map(|r| format!("{r:#x}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let regs: Vec<u64> = self.regs.iter().map(|&r| r as u64).collect();
        writeln!(f, "Case {{")?;
        writeln!(f, "  items: {:#?}", self.items)?;
        writeln!(f, "  subs: {:?}", self.subs)?;
        writeln!(
            f,
            "  start: {:#x}, data_seed: {:#x}, fcsr: {:#x}, fs_on: {}",
            self.start, self.data_seed, self.fcsr, self.fs_on
        )?;
        writeln!(f, "  regs: {}", hex(&regs))?;
        writeln!(f, "  fregs: {}", hex(&self.fregs))?;
        writeln!(
            f,
            "  budgets: {:?}, threshold: {}, max_block: {}, small_cache: {}\n}}",
            self.budgets, self.threshold, self.max_block, self.small_cache
        )
    }
}

fn case(env: Env, len: usize) -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(item(env), 1..len),
        prop::collection::vec(prop::collection::vec(simple_leaf(env), 0..4), 3),
        prop_oneof![Just(0u64), (1u64..0x100).prop_map(|k| k * 2)],
        prop::array::uniform32(value()),
        prop::array::uniform32(prop_oneof![
            2 => any::<u64>(),
            2 => (any::<u32>()).prop_map(|v| 0xffff_ffff_0000_0000 | u64::from(v)),
            3 => select(&F_SPECIAL[..]),
        ]),
        any::<u64>(),
        // Mostly `frm` = 0 (round to nearest even), as compiled code runs.
        (
            prop_oneof![2 => 0u64..0x20, 1 => 0u64..0x100],
            prop::bool::weighted(0.9),
        ),
        prop::collection::vec(prop_oneof![3 => 1u64..40, 1 => 1u64..400], 0..6),
        (
            1u32..4,
            prop_oneof![6 => Just(64usize), 1 => 1usize..6],
            prop::bool::weighted(0.15),
        ),
    )
        .prop_map(
            |(
                items,
                subs,
                start,
                regs,
                fregs,
                data_seed,
                (fcsr, fs_on),
                budgets,
                (threshold, max_block, small_cache),
            )| Case {
                items,
                subs,
                start,
                regs,
                fregs,
                data_seed,
                fcsr,
                fs_on,
                budgets,
                threshold,
                max_block,
                small_cache,
            },
        )
}

// ----- assembly -----

/// The compressed form of `inst`, if it has one.
fn compressed(inst: &Inst) -> Option<Inst> {
    COp::ALL
        .iter()
        .filter(|c| c.info().op == inst.op)
        .map(|&c| Inst {
            compressed: Some(c),
            ..*inst
        })
        .find(|c| c.encode().is_ok())
}

fn inst(op: Op, rd: u8, rs1: u8, rs2: u8, imm: i32) -> Inst {
    let mut i = Inst::new(op);
    (i.rd, i.rs1, i.rs2, i.imm) = (Reg::new(rd), Reg::new(rs1), Reg::new(rs2), imm);
    i
}

struct Gen {
    a: Assembler,
    /// Whether [`Item::StoreCodeData`] stores next to the code (else in the data region).
    code_data: bool,
    env: Env,
    c_ext: bool,
    compress: bool,
    /// Whether `If` and loops may use `c.beqz`/`c.bnez` (off when one was out of range).
    c_branches: bool,
    depth: usize,
    subs: Vec<Label>,
    slot: Label,
}

impl Gen {
    fn set_compress(&mut self, on: bool) {
        self.compress = on && self.c_ext;
        self.a.set_compress(self.compress);
    }

    /// Emits `i`, compressed when compression is on and it has a compressed form.
    fn put(&mut self, i: Inst) {
        let i = if self.compress {
            compressed(&i).unwrap_or(i)
        } else {
            i
        };
        self.a.emit(i);
    }

    fn li(&mut self, r: u8, v: i64) {
        self.a.li(x(r), v);
    }

    fn mem_base(&mut self, base: &Base) -> (u8, i32) {
        match *base {
            Base::Data(off) => (S0, off),
            Base::Abs(addr) => {
                self.li(T3, addr as i64);
                (T3, 0)
            }
        }
    }

    fn branch(&mut self, op: Op, rs1: u8, rs2: u8, to: Label) {
        let (r1, r2) = (x(rs1), x(rs2));
        match op {
            Op::Beq => self.a.beq(r1, r2, to),
            Op::Bne => self.a.bne(r1, r2, to),
            Op::Blt => self.a.blt(r1, r2, to),
            Op::Bge => self.a.bge(r1, r2, to),
            Op::Bltu => self.a.bltu(r1, r2, to),
            _ => self.a.bgeu(r1, r2, to),
        }
    }

    fn items(&mut self, items: &[Item]) {
        for it in items {
            self.item(it);
        }
    }

    fn item(&mut self, it: &Item) {
        match it {
            Item::Compress(on) => self.set_compress(*on),
            Item::Inst(i) => self.put(i.0),
            Item::Seq(items) => self.items(items),
            Item::Li(r, v) => self.li(*r, *v),
            Item::Folded(i, a, b) => {
                self.li(T3, *a);
                self.li(T4, *b);
                self.put(i.0);
            }
            Item::Load { op, rd, base } => {
                let (b, off) = self.mem_base(base);
                self.put(inst(*op, *rd, b, 0, off));
            }
            Item::Store { op, rs2, base } => {
                let (b, off) = self.mem_base(base);
                self.put(inst(*op, 0, b, *rs2, off));
            }
            Item::FpMem { op, reg, off } => {
                let i = if matches!(op, Op::Flw | Op::Fld) {
                    inst(*op, *reg, S0, 0, *off)
                } else {
                    inst(*op, 0, S0, *reg, *off)
                };
                self.put(i);
            }
            Item::Amo(i, off) => {
                self.a.addi(x(T3), x(S0), *off);
                self.put(i.0);
            }
            Item::AmoAt(i, AmoPlace::Abs(addr)) => {
                self.li(T3, *addr as i64);
                self.put(i.0);
            }
            Item::AmoAt(i, AmoPlace::CodeData(off)) => {
                if self.code_data {
                    let slot = self.slot;
                    self.a.la(x(T3), slot);
                    self.a.addi(x(T3), x(T3), *off);
                } else {
                    self.a.addi(x(T3), x(S0), *off);
                }
                self.put(i.0);
            }
            Item::LrSc {
                d,
                lr,
                rd,
                rd2,
                rs2,
                off,
                mid,
            } => {
                self.a.addi(x(T3), x(S0), *off);
                if *lr {
                    if *d {
                        self.a.lr_d(x(*rd), x(T3), MemOrder::Relaxed);
                    } else {
                        self.a.lr_w(x(*rd), x(T3), MemOrder::Relaxed);
                    }
                }
                if let Some(m) = mid {
                    self.item(m);
                }
                if *d {
                    self.a.sc_d(x(*rd2), x(*rs2), x(T3), MemOrder::Relaxed);
                } else {
                    self.a.sc_w(x(*rd2), x(*rs2), x(T3), MemOrder::Relaxed);
                }
            }
            Item::CsrRead(rd, c) => self.a.csrrs(x(*rd), *c, x(ZERO)),
            Item::CsrWrite { op, rd, csr, value } => {
                // Only whole values for `satp`: the others would turn translation off.
                let op = if *csr == Csr::SATP { &Op::Csrrw } else { op };
                let mut i = Inst::new(*op);
                i.rd = Reg::new(*rd);
                i.csr = *csr;
                if matches!(op, Op::Csrrwi | Op::Csrrsi | Op::Csrrci) {
                    i.imm = (*value & 31) as i32;
                } else {
                    self.li(T3, *value);
                    i.rs1 = Reg::new(T3);
                }
                self.a.emit(i);
            }
            Item::Irq => {
                let (ie, ip, status) = match self.env {
                    Env::Machine => (Csr::MIE, Csr::MIP, Csr::MSTATUS),
                    Env::Sv39 => (Csr::SIE, Csr::SIP, Csr::SSTATUS),
                };
                self.a.csrrsi(x(ZERO), ie, 2);
                self.a.csrrsi(x(ZERO), ip, 2);
                self.a.csrrsi(x(ZERO), status, 2 | 8);
            }
            Item::Trap(t) => match *t {
                Trap::Ecall => self.a.ecall(),
                Trap::Ebreak => self.a.ebreak(),
                Trap::CEbreak if self.c_ext => self.a.half(0x9002),
                Trap::CEbreak => self.a.ebreak(),
                Trap::Illegal32(w) => self.a.word(w),
                Trap::Illegal16(h) if self.c_ext => self.a.half(h),
                Trap::Illegal16(_) => self.a.word(0),
            },
            Item::Fence => self.a.fence(0xf, 0xf),
            Item::FenceI => self.a.fence_i(),
            Item::SfenceVma => self.a.sfence_vma(x(ZERO), x(ZERO)),
            Item::Wfi => self.a.wfi(),
            Item::StoreCodeData { op, rs2, off } if !self.code_data => {
                self.put(inst(*op, 0, S0, *rs2, *off));
            }
            Item::Walk {
                op,
                reg,
                start,
                stride,
                n,
                off,
                lead,
                crowd,
                by_reg,
            } => {
                let (b, base_off) = self.mem_base(start);
                self.a.addi(x(T3), x(b), base_off);
                self.li(T4, i64::from(*n));
                self.li(S10, i64::from(stride + lead));
                let top = self.a.here();
                match (*lead, *by_reg) {
                    (0, _) => {}
                    (_, true) => self.a.add(x(T3), x(T3), x(S10)),
                    (lead, false) => self.a.addi(x(T3), x(T3), -lead),
                }
                let off = *off;
                match op.class() {
                    Class::Store(_) | Class::FpStore(_) => self.put(inst(*op, 0, T3, *reg, off)),
                    // Any f register.
                    Class::FpLoad(_) => self.put(inst(*op, *reg, T3, 0, off)),
                    // Only a register random instructions may write takes the value.
                    _ if !FREE.contains(reg) => self.put(inst(*op, 0, T3, 0, off)),
                    _ => self.put(inst(*op, *reg, T3, 0, off)),
                }
                match (*lead, *by_reg) {
                    (0, true) => self.a.add(x(T3), x(T3), x(S10)),
                    (_, true) => {}
                    _ => self.a.addi(x(T3), x(T3), stride + lead),
                }
                if *crowd {
                    // Named more often than t3 (six times each).
                    for r in FREE[6..17].iter().chain(&FREE[6..17]).copied() {
                        self.put(inst(Op::Add, r, r, r, 0));
                    }
                }
                self.a.addi(x(T4), x(T4), -1);
                self.a.bnez(x(T4), top);
            }
            Item::StoreCodeData { op, rs2, off } => {
                let slot = self.slot;
                self.a.la(x(T3), slot);
                self.put(inst(*op, 0, T3, *rs2, *off));
            }
            Item::If {
                cond,
                rs1,
                rs2,
                c,
                body,
            } => {
                let over = self.a.new_label();
                let small = body.len() <= 3
                    && body.iter().all(|b| {
                        !matches!(b, Item::If { .. } | Item::Loop { .. } | Item::Skip(..))
                    });
                let creg = XReg::new(*rs1).is_compressible();
                if *c
                    && self.c_ext
                    && self.c_branches
                    && small
                    && creg
                    && matches!(cond, Op::Beq | Op::Bne)
                {
                    if *cond == Op::Beq {
                        self.a.c().beqz(x(*rs1), over);
                    } else {
                        self.a.c().bnez(x(*rs1), over);
                    }
                } else {
                    self.branch(*cond, *rs1, *rs2, over);
                }
                self.items(body);
                self.a.bind(over);
            }
            Item::Loop { n, back, body } => {
                if self.depth >= COUNTERS.len() {
                    self.items(body);
                    return;
                }
                let cnt = COUNTERS[self.depth];
                self.li(cnt, i64::from(*n));
                let top = self.a.here();
                self.depth += 1;
                self.items(body);
                self.depth -= 1;
                self.a.addi(x(cnt), x(cnt), -1);
                self.back_branch(*back, cnt, top);
            }
            Item::Skip(how, body) => {
                let over = self.a.new_label();
                match *how {
                    Skip::CJ if self.c_ext && self.c_branches => self.a.c().j(over),
                    Skip::Jal | Skip::CJ => self.a.j(over),
                    Skip::Jalr { link, odd } => {
                        self.a.la(x(T3), over);
                        self.a
                            .jalr(x(if link { RA } else { ZERO }), i32::from(odd), x(T3));
                    }
                    Skip::CJr { link } => {
                        self.a.la(x(T3), over);
                        let op = if link { COp::CJalr } else { COp::CJr };
                        let mut i = inst(Op::Jalr, if link { RA } else { ZERO }, T3, 0, 0);
                        if self.c_ext {
                            i.compressed = Some(op);
                        }
                        self.a.emit(i);
                    }
                }
                self.items(body);
                self.a.bind(over);
            }
            Item::Call { sub, far } => {
                let l = self.subs[*sub];
                if *far {
                    self.a.call(l);
                } else {
                    self.a.jal(x(RA), l);
                }
            }
            Item::SmcAhead {
                fence,
                rd,
                imm,
                gap,
            } => {
                let target = self.a.new_label();
                let word = inst(Op::Addi, *rd, *rd, 0, i32::from(*imm))
                    .encode()
                    .unwrap();
                self.a.la(x(T3), target);
                self.li(T4, i64::from(word as i32));
                self.a.sw(x(T4), 0, x(T3));
                if *fence {
                    self.a.fence_i();
                }
                self.items(gap);
                self.a.bind(target);
                self.a.emit(inst(Op::Addi, *rd, *rd, 0, 1));
            }
            Item::SmcLoop { n, rd, fence } => {
                if self.depth >= COUNTERS.len() {
                    return;
                }
                let cnt = COUNTERS[self.depth];
                let word = inst(Op::Addi, *rd, *rd, 0, 0).encode().unwrap();
                self.li(cnt, i64::from(*n));
                self.li(S10, i64::from(word));
                let top = self.a.new_label();
                self.a.la(x(T3), top);
                self.a.bind(top);
                self.a.emit(inst(Op::Addi, *rd, *rd, 0, 0));
                self.a.slli(x(T4), x(cnt), 20);
                self.a.or(x(T4), x(T4), x(S10));
                self.a.sw(x(T4), 0, x(T3));
                if *fence {
                    self.a.fence_i();
                }
                self.a.addi(x(cnt), x(cnt), -1);
                self.back_branch(0, cnt, top);
            }
        }
    }

    fn back_branch(&mut self, how: u8, cnt: u8, top: Label) {
        match how {
            1 => self.a.blt(x(ZERO), x(cnt), top),
            2 => self.a.bltu(x(ZERO), x(cnt), top),
            3 if self.c_ext && self.c_branches && XReg::new(cnt).is_compressible() => {
                self.a.c().bnez(x(cnt), top)
            }
            _ => self.a.bnez(x(cnt), top),
        }
    }
}

/// Assembles the program at `base` (`None` if it does not assemble, e.g. a branch too far).
fn assemble(case: &Case, env: Env, base: u64, c_ext: bool, c_branches: bool) -> Option<Vec<u8>> {
    let mut a = Assembler::new(base);
    let subs = (0..case.subs.len()).map(|_| a.new_label()).collect();
    let slot = a.new_label();
    let mut g = Gen {
        a,
        code_data: true,
        env,
        c_ext,
        compress: false,
        c_branches,
        depth: 0,
        subs,
        slot,
    };
    g.items(&case.items);
    // The end: `wfi` in a loop.
    g.set_compress(false);
    let end = g.a.here();
    g.a.wfi();
    g.a.j(end);
    for (k, body) in case.subs.iter().enumerate() {
        let l = g.subs[k];
        g.a.bind(l);
        g.items(body);
        g.a.ret();
    }
    g.a.align(8);
    g.a.bind(slot);
    g.a.bytes(&[0; 64]);
    g.a.finish().ok().map(|p| p.bytes)
}

/// The machine of `case`, or `None` when the program does not assemble or fit.
fn setup(case: &Case, env: Env, ext: Extensions) -> Option<Setup> {
    let c_ext = ext.has(Ext::C);
    let start = if case.start == 0 || !c_ext {
        case.start & !3
    } else {
        case.start
    };
    let phys = CODE + 0x1000 - start;
    let pc = virt(phys, env == Env::Sv39);
    let code =
        assemble(case, env, pc, c_ext, true).or_else(|| assemble(case, env, pc, c_ext, false))?;
    if phys + code.len() as u64 > HANDLER {
        return None;
    }
    let mut s = Setup::new(RAM_SIZE);
    s.ext = ext;
    s.images.push((phys, code));
    s.images.push((DATA, bytes(case.data_seed, 0x5000)));
    for (i, &v) in case.regs.iter().enumerate() {
        s.x[i] = v as u64;
    }
    s.f = case.fregs;
    s.pc = pc;
    let fs = if case.fs_on { 1 << 13 } else { 0 };
    s.csrs = vec![(Csr::MSTATUS, fs)];
    if case.fs_on {
        s.csrs.push((Csr::FCSR, case.fcsr));
    }
    install_env(&mut s, env == Env::Sv39);
    s.x[S0 as usize] = virt(DATA_MID, env == Env::Sv39);
    Some(s)
}

fn engines(case: &Case) -> Vec<Kind> {
    let later = Kind::Dbt(DbtConfig {
        threshold: case.threshold,
        max_block: case.max_block,
        cache_size: if case.small_cache { 8192 } else { 1 << 20 },
    });
    vec![dbt(0), later]
}

/// Runs the case on every engine; the last budget lets every program finish.
fn check(case: &Case, env: Env, ext: Extensions) -> Result<(), TestCaseError> {
    let Some(s) = setup(case, env, ext) else {
        return Err(TestCaseError::reject("does not assemble"));
    };
    let mut budgets = case.budgets.clone();
    budgets.push(20_000);
    let reasons = lockstep(&s, &engines(case), &budgets)
        .map_err(|e| TestCaseError::fail(format!("{e}program:\n{}", listing(&s))))?;
    prop_assert!(!reasons.contains(&StopReason::StopRequested));
    Ok(())
}

/// `cases` cases, or as many as `PROPTEST_CASES` says (for longer hunts).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn m_mode_programs_run_the_same_on_both_engines(case in case(Env::Machine, 24)) {
        check(&case, Env::Machine, Extensions::ALL)?;
    }
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn programs_without_c_run_the_same_on_both_engines(case in case(Env::Machine, 16)) {
        check(&case, Env::Machine, Extensions::ALL.without(Ext::C))?;
    }

    #[test]
    fn sv39_s_mode_programs_run_the_same_on_both_engines(case in case(Env::Sv39, 20)) {
        check(&case, Env::Sv39, Extensions::ALL)?;
    }
}

proptest! {
    #![proptest_config(config(800))]

    /// Short straight-line programs, many budgets: exact budgets and instret.
    #[test]
    fn straight_line_programs_stop_exactly_at_every_budget(
        items in prop::collection::vec(simple_leaf(Env::Machine), 1..12),
        case in case(Env::Machine, 2),
    ) {
        let case = Case { items, budgets: vec![1, 1, 2, 3, 5, 8], ..case };
        check(&case, Env::Machine, Extensions::ALL)?;
    }
}

// ----- directed cases, for the record -----

fn run_items(items: Vec<Item>, env: Env) {
    run_items_with(items, env, &[1, 2, 3, 4, 5, 6, 7, 20_000]);
}

fn directed_case() -> Case {
    Case {
        items: vec![],
        subs: vec![vec![], vec![], vec![]],
        start: 0,
        regs: [7; 32],
        fregs: [0; 32],
        data_seed: 1,
        fcsr: 0,
        fs_on: true,
        budgets: vec![1, 2, 3, 4, 5, 6, 7],
        threshold: 1,
        max_block: 64,
        small_cache: false,
    }
}

fn run_items_with(items: Vec<Item>, env: Env, budgets: &[u64]) {
    let case = Case {
        items,
        ..directed_case()
    };
    let s = setup(&case, env, Extensions::ALL).expect("assembles");
    if let Err(e) = lockstep(&s, &engines(&case), budgets) {
        panic!("{e}program:\n{}", listing(&s));
    }
}

/// Products that round up to the smallest normal from just below it are tiny after rounding:
/// UF and NX with a normal result, which the translator's fast path must not take as its own
/// (with NX already set and round to nearest, as in the fast path's common case).
#[test]
fn products_rounding_up_to_the_smallest_normal_underflow() {
    let mut fregs = [0; 32];
    fregs[1] = 0x3fef_ffff_ffff_ffff; // 1 - 2^-53
    fregs[2] = 0x0010_0000_0000_0000; // 2^-1022
    fregs[3] = 0xffff_ffff_3f7f_ffff; // 1 - 2^-24
    fregs[4] = 0xffff_ffff_0080_0000; // 2^-126
    let fp = |op: Op, rd: u8, rs1: u8, rs2: u8| {
        let mut i = inst(op, rd, rs1, rs2, 0);
        i.rm = Rm::Dyn;
        Item::Inst(I(i))
    };
    let case = Case {
        items: vec![
            fp(Op::FmulD, 5, 1, 2),
            fp(Op::FmulS, 6, 3, 4),
            fp(Op::FmulD, 7, 2, 1),
        ],
        fregs,
        fcsr: 1,
        ..directed_case()
    };
    let s = setup(&case, Env::Machine, Extensions::ALL).expect("assembles");
    if let Err(e) = lockstep(&s, &engines(&case), &[20_000]) {
        panic!("{e}program:\n{}", listing(&s));
    }
}

/// Double results stay in xmm registers until something else reads the hart: every kind of
/// reader right after the arithmetic that wrote its operand (sign injection, compare, move,
/// conversions, `fclass` through the helper, a store, a single-precision operation testing
/// the boxing), and a slot reused while dirty (more registers than xmm registers).
#[test]
fn double_results_in_xmm_reach_every_reader() {
    // Ordinary numbers: the fast paths.
    let mut fregs: [u64; 32] = std::array::from_fn(|r| (1.25 + r as f64 * 0.75).to_bits());
    fregs[30] = f64::MAX.to_bits();
    fregs[31] = f64::NEG_INFINITY.to_bits();
    let fp = |op: Op, rd: u8, rs1: u8, rs2: u8| Item::Inst(I(inst(op, rd, rs1, rs2, 0)));
    let readers = [
        fp(Op::FsgnjnD, 2, 1, 3),
        fp(Op::FsgnjD, 2, 1, 1),
        fp(Op::FeqD, 10, 1, 3),
        fp(Op::FltD, 11, 3, 1),
        fp(Op::FmvXD, 12, 1, 0),
        fp(Op::FcvtLD, 13, 1, 0),
        fp(Op::FcvtSD, 2, 1, 0),
        fp(Op::FclassD, 14, 1, 0),
        fp(Op::FaddS, 2, 1, 3),
        Item::FpMem {
            op: Op::Fsd,
            reg: 1,
            off: 64,
        },
    ];
    let mut items = Vec::new();
    for (k, reader) in readers.into_iter().enumerate() {
        let k = k as u8;
        items.push(fp(Op::FmulD, 1, 4 + k, 5 + k));
        items.push(reader);
        items.push(Item::FpMem {
            op: Op::Fsd,
            reg: 2,
            off: 8 * i32::from(k),
        });
    }
    // A dirty infinity meets its opposite: the invalid sum takes the helper's path, which
    // must see the infinity (and raise NV), not the x86 NaN computed over it.
    items.push(fp(Op::FmulD, 1, 30, 30));
    items.push(fp(Op::FaddD, 1, 1, 31));
    // x86's NaN (negative, unlike RISC-V's) stored straight to memory, and its bits moved.
    items.push(fp(Op::FsubD, 3, 31, 31));
    items.push(Item::FpMem {
        op: Op::Fsd,
        reg: 3,
        off: 512,
    });
    items.push(fp(Op::FsubD, 3, 31, 31));
    items.push(fp(Op::FmvXD, 15, 3, 0));
    // Twenty results in fourteen slots, then all read back.
    for r in 0..20 {
        items.push(fp(Op::FaddD, r, r + 1, r + 2));
    }
    for r in 0..20 {
        items.push(Item::FpMem {
            op: Op::Fsd,
            reg: r,
            off: 8 * i32::from(r) + 600,
        });
    }
    let case = Case {
        items,
        fregs,
        threshold: 0,
        ..directed_case()
    };
    let s = setup(&case, Env::Machine, Extensions::ALL).expect("assembles");
    if let Err(e) = lockstep(&s, &engines(&case), &[1, 3, 7, 20_000]) {
        panic!("{e}program:\n{}", listing(&s));
    }
}

/// Runs `convert` then makes its result and the flags it raised visible (stored to the data
/// region) and clears the flags, for each instruction of `converts`.
fn run_conversions(converts: Vec<Inst>) {
    let mut fregs = [0; 32];
    fregs.copy_from_slice(&F_SPECIAL[F_SPECIAL.len() - 32..]);
    let mut regs = [7; 32];
    for (k, &r) in FREE.iter().enumerate() {
        regs[r as usize] = SPECIAL[SPECIAL.len() - 1 - k];
    }
    let mut items = Vec::new();
    for (k, i) in converts.into_iter().enumerate() {
        let off = (k as i32 % 255) * 16 - 2040;
        items.push(Item::Inst(I(i)));
        items.push(if i.op.info().fmt.operands().rd == RegFile::X {
            Item::Store {
                op: Op::Sd,
                rs2: i.rd.num(),
                base: Base::Data(off),
            }
        } else {
            Item::FpMem {
                op: Op::Fsd,
                reg: i.rd.num(),
                off,
            }
        });
        items.push(Item::CsrRead(T3, Csr::FFLAGS));
        items.push(Item::Store {
            op: Op::Sb,
            rs2: T3,
            base: Base::Data(off + 8),
        });
        items.push(Item::CsrWrite {
            op: Op::Csrrw,
            rd: 0,
            csr: Csr::FFLAGS,
            value: 0,
        });
    }
    let case = Case {
        items,
        fregs,
        regs,
        ..directed_case()
    };
    let s = setup(&case, Env::Machine, Extensions::ALL).expect("fits");
    if let Err(e) = lockstep(&s, &engines(&case), &[20_000]) {
        panic!("{e}program:\n{}", listing(&s));
    }
}

/// Conversions to integers, in the modes the translator has host code for, of values on the
/// edges of every integer type (ties, just in and out of range, NaNs, infinities).
#[test]
fn conversions_to_integers_at_the_edges_of_their_ranges() {
    let ops = [
        Op::FcvtWD,
        Op::FcvtWuD,
        Op::FcvtLD,
        Op::FcvtLuD,
        Op::FcvtWS,
        Op::FcvtWuS,
        Op::FcvtLS,
        Op::FcvtLuS,
    ];
    let mut converts = Vec::new();
    for rm in [Rm::Rtz, Rm::Rne, Rm::Dyn] {
        for op in ops {
            // The last sixteen: the conversion edges, then boxed singles.
            for f in 16..32 {
                let mut i = inst(op, 10, f, 0, 0);
                i.rm = rm;
                converts.push(i);
            }
        }
    }
    run_conversions(converts);
}

/// Conversions from integers on the edges of exact conversion, in every valid mode.
#[test]
fn conversions_from_integers_at_the_edges_of_exactness() {
    let ops = [
        Op::FcvtDW,
        Op::FcvtDWu,
        Op::FcvtDL,
        Op::FcvtDLu,
        Op::FcvtSW,
        Op::FcvtSWu,
        Op::FcvtSL,
        Op::FcvtSLu,
    ];
    let mut converts = Vec::new();
    for rm in [Rm::Rtz, Rm::Rne, Rm::Dyn] {
        for op in ops {
            // The first eight: the exactness edges and a few others.
            for &x in &FREE[..8] {
                let mut i = inst(op, 1, x, 0, 0);
                i.rm = rm;
                converts.push(i);
            }
        }
    }
    run_conversions(converts);
}

#[test]
fn store_rewriting_the_next_instruction_of_its_block_is_seen_without_fence_i() {
    run_items(
        vec![Item::SmcAhead {
            fence: false,
            rd: 10,
            imm: 100,
            gap: vec![Item::Li(11, 5)],
        }],
        Env::Machine,
    );
}

#[test]
fn store_rewriting_a_translated_loop_body_is_seen_on_each_iteration() {
    run_items(
        vec![Item::Loop {
            n: 3,
            back: 0,
            body: vec![Item::SmcLoop {
                n: 4,
                rd: 10,
                fence: false,
            }],
        }],
        Env::Machine,
    );
}

#[test]
fn stores_into_data_beside_translated_code_keep_it_running() {
    run_items(
        vec![Item::Loop {
            n: 4,
            back: 0,
            body: vec![
                Item::Inst(I(inst(Op::Addi, 10, 10, 0, 1))),
                Item::StoreCodeData {
                    op: Op::Sd,
                    rs2: 10,
                    off: 3,
                },
            ],
        }],
        Env::Machine,
    );
}

/// W results whose upper half the translator writes late (see `emit/words.rs`), meeting
/// `and`/`or`/`xor` with values that are not 32-bit ones (which must see them whole), with
/// each other (which may stay 32-bit), `mv`, `sext.w`, 64-bit operations, branches, stores and
/// the block's end, with the low halves' sign bits set and clear.
#[test]
fn w_results_meet_whole_values_as_in_the_interpreter() {
    let op = |op, rd, rs1, rs2, imm| Item::Inst(I(inst(op, rd, rs1, rs2, imm)));
    let (s1, a0, a1, a2, a3, a4, a5, a7) = (9, 10, 11, 12, 13, 14, 15, 17);
    // Values unknown at translation (random data), so that nothing folds.
    let load = |rd, off| Item::Load {
        op: Op::Ld,
        rd,
        base: Base::Data(off),
    };
    for off in [0, 24, 48, 72, 96, 120] {
        let items = vec![
            load(a3, off),
            load(a4, off + 8),
            load(a2, off + 16),
            op(Op::Addw, a0, a3, a4, 0),
            // Whole values (a2's upper half is random), kept to the end.
            op(Op::Or, a1, a0, a2, 0),
            op(Op::And, a4, a2, a0, 0),
            // 32-bit values all along.
            op(Op::Slliw, a5, a3, 0, 31),
            op(Op::Xor, s1, a5, a0, 0),
            op(Op::Xori, a5, s1, 0, -1),
            op(Op::Addi, a3, a5, 0, 0),
            op(Op::Addiw, a2, a3, 0, 0),
            op(Op::Add, a7, a2, a0, 0),
            op(Op::Srliw, a0, a1, 0, 1),
            op(Op::Ori, a0, a0, 0, 1),
            Item::If {
                cond: Op::Blt,
                rs1: a0,
                rs2: 0,
                c: false,
                body: vec![op(Op::Subw, a0, 0, a0, 0)],
            },
            op(Op::Mulw, a5, a5, a3, 0),
            Item::Store {
                op: Op::Sd,
                rs2: a5,
                base: Base::Data(off + 8),
            },
            op(Op::Sraiw, a5, a5, 0, 3),
            op(Op::Sltu, a3, a5, a2, 0),
            op(Op::Subw, a2, a5, a2, 0),
        ];
        // One budget for the whole program: its blocks run whole.
        run_items_with(items, Env::Machine, &[20_000]);
    }
}

#[test]
fn traps_in_translated_code_are_precise() {
    run_items(
        vec![Item::Loop {
            n: 3,
            back: 0,
            body: vec![
                Item::Inst(I(inst(Op::Addi, 10, 10, 0, 1))),
                Item::Load {
                    op: Op::Ld,
                    rd: 11,
                    base: Base::Abs(0x1000),
                },
                Item::Inst(I(inst(Op::Addi, 12, 12, 0, 1))),
                Item::Amo(I(inst(Op::AmoaddD, 13, T3, 10, 0)), 3),
                Item::Trap(Trap::Ecall),
                Item::CsrRead(14, Csr::MINSTRET),
                Item::Trap(Trap::Illegal32(0)),
            ],
        }],
        Env::Machine,
    );
}

/// AMOs run inline in translated code on a TLB hit: every operation, word and double, its
/// old value into a mapped register, an unmapped one or x0, its operand from either kind,
/// with values negative in each half; in a loop, so that the later iterations hit.
#[test]
fn amos_in_a_translated_loop_match_the_interpreter() {
    let amos = ops(|c| matches!(c, Class::Amo(_)));
    let mut body = vec![
        Item::Li(11, 0x8000_0001_8000_0001u64 as i64),
        Item::Li(6, 5),
    ];
    // A register of its own for each old value (mapped or not), so that the state shows all.
    let rds = [
        10, 7, 0, 12, 13, 14, 15, 16, 0, 17, 19, 20, 0, 21, 22, 23, 24, 25,
    ];
    body.extend(amos.iter().enumerate().map(|(k, &op)| {
        let rd = rds[k];
        let rs2 = [11, 6][k % 2];
        Item::Amo(I(inst(op, rd, T3, rs2, 0)), 8 * (k as i32 % 3) - 8)
    }));
    run_items(
        vec![Item::Loop {
            n: 3,
            back: 0,
            body,
        }],
        Env::Machine,
    );
}

/// A translated loop's loads and stores remember their page between iterations: walks across
/// page boundaries (forwards and backwards, aligned and not; under Sv39 from a page with A and
/// D clear into an alias of another page, and from a writable page into a read-only one) must
/// reach each page as the interpreter does.
#[test]
fn loops_walking_across_page_boundaries_match_the_interpreter() {
    let walk = |op, reg, start, stride, n| Item::Walk {
        op,
        reg,
        start,
        stride,
        n,
        off: 0,
        lead: 0,
        crowd: false,
        by_reg: false,
    };
    // The first iteration's access below the pointer the loop starts with, on the page
    // before it (which the loop left for the pointer's page in its last entry).
    let lead = |op, reg, start, off, lead, crowd| Item::Walk {
        op,
        reg,
        start,
        stride: 8,
        n: 4,
        off,
        lead,
        crowd,
        by_reg: false,
    };
    // The step in a register (after the access, or before it when `lead`): in range,
    // negative, misaligned.
    let by_reg = |op, reg, start, stride, lead, crowd| Item::Walk {
        op,
        reg,
        start,
        stride,
        n: 6,
        off: 0,
        lead,
        crowd,
        by_reg: true,
    };
    let data = Base::Data;
    let common = vec![
        walk(Op::Ld, 10, data(-32), 8, 9),
        walk(Op::Sd, 11, data(24), -8, 8),
        walk(Op::Lw, 12, data(-10), 3, 11),
        walk(Op::Sh, 13, data(-7), 5, 6),
        walk(Op::Lbu, 14, data(6), -1, 11),
        Item::Loop {
            n: 4,
            back: 0,
            body: vec![
                walk(Op::Sw, 15, data(-12), 4, 7),
                walk(Op::Lhu, 16, data(-12), 2, 9),
            ],
        },
    ];
    run_items(common.clone(), Env::Machine);
    let abs = |a: u64| Base::Abs(VBASE + a);
    let mut sv39 = common;
    sv39.extend([
        walk(Op::Ld, 17, abs(0x14ff0), 8, 6),
        walk(Op::Sd, 19, abs(0x14fe8), 8, 6),
        walk(Op::Ld, 20, abs(0x14ff0), 8, 6),
        walk(Op::Sw, 21, abs(0x11ff8), 4, 5),
        walk(Op::Lw, 22, abs(0x11ff8), 4, 5),
        walk(Op::Fld, 3, abs(0x14ff0), 8, 6),
        walk(Op::Fsd, 4, abs(0x14fe8), 8, 6),
        walk(Op::Flw, 5, abs(0x14ff4), 4, 6),
        walk(Op::Fsw, 3, abs(0x11ff8), 4, 5),
        walk(Op::Ld, 23, abs(0x15010), -8, 6),
        walk(Op::Lw, 24, abs(0x15008), -4, 6),
        Item::Loop {
            n: 3,
            back: 0,
            body: vec![
                lead(Op::Ld, 18, abs(0x15008), 0, 16, false),
                lead(Op::Sd, 19, abs(0x15000), 8, 24, false),
                lead(Op::Fld, 3, abs(0x15010), -8, 16, false),
                lead(Op::Ld, 3, abs(0x15008), 0, 16, true),
                lead(Op::Fsd, 4, abs(0x15000), 8, 24, true),
                by_reg(Op::Ld, 18, abs(0x14ff0), 8, 0, false),
                by_reg(Op::Sd, 19, abs(0x14fe8), 8, 0, true),
                by_reg(Op::Ld, 20, abs(0x15010), -8, 0, false),
                by_reg(Op::Lw, 21, abs(0x14ff0), 6, 0, false),
                by_reg(Op::Ld, 22, abs(0x14fe8), 0, 8, false),
                by_reg(Op::Lw, 23, abs(0x15014), -8, 4, true),
            ],
        },
        // Off the first page of the address space into an invalid one, and off the last
        // into the first: a refill there sets no bound (which a step could wrap past).
        by_reg(Op::Ld, 10, Base::Abs(0xfe0), 8, 0, false),
        by_reg(Op::Ld, 11, Base::Abs(0xffff_ffff_ffff_ffe0), 8, 0, false),
        walk(Op::Ld, 12, Base::Abs(0xffff_ffff_ffff_ffe0), 8, 6),
        walk(Op::Sd, 13, Base::Abs(0xfe0), 8, 6),
    ]);
    run_items(sv39, Env::Sv39);
}

#[test]
fn sv39_loads_and_stores_fault_and_set_dirty_bits_as_in_the_interpreter() {
    let mut body = Vec::new();
    for addr in Env::Sv39.addresses() {
        body.push(Item::Store {
            op: Op::Sw,
            rs2: 10,
            base: Base::Abs(addr),
        });
        body.push(Item::Load {
            op: Op::Lhu,
            rd: 11,
            base: Base::Abs(addr),
        });
    }
    run_items(
        vec![Item::Loop {
            n: 3,
            back: 0,
            body,
        }],
        Env::Sv39,
    );
}

#[test]
fn interrupt_enabled_by_a_csr_write_is_taken_before_the_next_block() {
    run_items_with(
        vec![
            Item::Irq,
            Item::Inst(I(inst(Op::Addi, 10, 10, 0, 1))),
            Item::Inst(I(inst(Op::Addi, 10, 10, 0, 1))),
        ],
        Env::Machine,
        &[1000],
    );
}

#[test]
fn interpreter_sees_its_own_store_to_code_after_a_store_to_data_in_the_page() {
    let items = vec![
        Item::StoreCodeData {
            op: Op::Sb,
            rs2: ZERO,
            off: 0,
        },
        Item::SmcAhead {
            fence: false,
            rd: 10,
            imm: 2,
            gap: vec![],
        },
    ];
    let case = Case {
        items,
        ..directed_case()
    };
    let mut a = Assembler::new(CODE + 0x1000);
    let slot = a.new_label();
    let subs = vec![];
    let mut g = Gen {
        a,
        code_data: true,
        env: Env::Machine,
        c_ext: true,
        compress: false,
        c_branches: true,
        depth: 0,
        subs,
        slot,
    };
    g.items(&case.items);
    g.a.ebreak();
    g.a.align(8);
    g.a.bind(slot);
    g.a.bytes(&[0; 8]);
    let code = g.a.finish().unwrap().bytes;
    let mut s = Setup::new(RAM_SIZE);
    s.images.push((CODE + 0x1000, code));
    s.pc = CODE + 0x1000;
    s.debug_breakpoints = true;
    let mut cpu = support::Cpu::new(&s, Kind::Interp);
    assert_eq!(cpu.run(100), StopReason::Breakpoint);
    // `addi a0, a0, 1` was rewritten into `addi a0, a0, 2` before it ran.
    assert_eq!(cpu.hart().x(XReg::A0), 2, "program:\n{}", listing(&s));
}

#[test]
fn long_runs_cross_the_runtime_chunks_exactly() {
    let body = vec![
        Item::Inst(I(inst(Op::Addi, 10, 10, 0, 1))),
        Item::Store {
            op: Op::Sd,
            rs2: 10,
            base: Base::Data(8),
        },
        Item::CsrRead(11, Csr::MINSTRET),
    ];
    run_items_with(
        vec![Item::Loop {
            n: 200,
            back: 0,
            body: vec![Item::Loop {
                n: 30,
                back: 1,
                body,
            }],
        }],
        Env::Machine,
        &[4095, 1, 4096, 4097, 8191, 3, 20_000],
    );
}

#[test]
fn division_corner_cases_match() {
    let mut items = Vec::new();
    for op in [
        Op::Div,
        Op::Divu,
        Op::Rem,
        Op::Remu,
        Op::Divw,
        Op::Divuw,
        Op::Remw,
        Op::Remuw,
    ] {
        for (a, b) in [
            (i64::MIN, -1),
            (5, 0),
            (i32::MIN as i64, -1),
            (-7, 2),
            (0, 0),
        ] {
            // Through memory, so that translation cannot fold them.
            items.push(Item::Li(T3, a));
            items.push(Item::Li(T4, b));
            items.push(Item::Store {
                op: Op::Sd,
                rs2: T3,
                base: Base::Data(0),
            });
            items.push(Item::Store {
                op: Op::Sd,
                rs2: T4,
                base: Base::Data(8),
            });
            items.push(Item::Load {
                op: Op::Ld,
                rd: 10,
                base: Base::Data(0),
            });
            items.push(Item::Load {
                op: Op::Ld,
                rd: 11,
                base: Base::Data(8),
            });
            items.push(Item::Inst(I(inst(op, 12, 10, 11, 0))));
            items.push(Item::Store {
                op: Op::Sd,
                rs2: 12,
                base: Base::Data(16),
            });
        }
    }
    run_items(items, Env::Machine);
}
