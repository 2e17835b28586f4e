//! The one table of 32-bit instruction patterns. Each row gives an opcode its mnemonic, the
//! bits that identify it (`match` under `mask`), the format that places its operands, its
//! extension and its class. Decoding, encoding and disassembly all read this table.

use crate::ext::Ext;
use crate::format::Fmt;

/// Bytes moved by a memory access.
pub type Width = u8;

/// What kind of instruction a row is: what the engines need to know beyond its operands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Class {
    /// Integer arithmetic and logic, including M, Zba, Zbb, Zbc, Zbs and Zicond; never traps.
    Alu,
    /// `lui`, `auipc`.
    Upper,
    /// Conditional branch.
    Branch,
    /// `jal`.
    Jal,
    /// `jalr`.
    Jalr,
    /// Integer load of a width, sign-extended or not.
    Load(Width, bool),
    /// Integer store of a width.
    Store(Width),
    /// Floating-point load of a width.
    FpLoad(Width),
    /// Floating-point store of a width.
    FpStore(Width),
    /// `lr.w`/`lr.d`.
    LoadReserved(Width),
    /// `sc.w`/`sc.d`.
    StoreConditional(Width),
    /// An atomic memory operation.
    Amo(Width),
    /// `fence`, `fence.tso`.
    Fence,
    /// `fence.i`.
    FenceI,
    /// `ecall`, `ebreak`.
    Trap,
    /// `mret`, `sret`, `dret`.
    Return,
    /// `wfi`.
    Wfi,
    /// `sfence.vma`.
    SfenceVma,
    /// CSR read/modify/write.
    Csr,
    /// Floating-point arithmetic, conversion, move, compare.
    Fp,
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct OpInfo {
    /// The mnemonic, as objdump prints it (before any `.aq`/`.rl` suffix).
    pub name: &'static str,
    /// The identifying bits.
    pub mat: u32,
    /// Which bits identify the instruction.
    pub mask: u32,
    /// Where the operands live and how they print.
    pub fmt: Fmt,
    /// The extension the instruction belongs to.
    pub ext: Ext,
    /// What kind of instruction it is.
    pub class: Class,
}

macro_rules! ops {
    ($($variant:ident $name:literal $mat:literal $mask:literal $fmt:ident $ext:ident $class:expr;)*) => {
        /// Every 32-bit instruction this crate knows, one variant per table row. A compressed
        /// instruction decodes to the variant of its 32-bit twin.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        #[repr(u16)]
        #[allow(missing_docs)]
        pub enum Op { $($variant,)* }

        /// The table, indexed by `Op as usize`.
        pub static OPS: [OpInfo; [$(Op::$variant),*].len()] = [
            $(OpInfo { name: $name, mat: $mat, mask: $mask, fmt: Fmt::$fmt, ext: Ext::$ext, class: $class },)*
        ];

        /// The identifying bits of each row, for building the decoder's dispatch table.
        pub(crate) const PATTERNS: [(u32, u32); [$(Op::$variant),*].len()] = [$(($mat, $mask),)*];

        impl Op {
            /// Every opcode, in table order.
            pub const ALL: [Op; [$(Op::$variant),*].len()] = [$(Op::$variant),*];
        }
    };
}

use Class::*;

ops! {
    // RV64I
    Lui "lui" 0x00000037 0x0000007f U I Upper;
    Auipc "auipc" 0x00000017 0x0000007f U I Upper;
    Jal "jal" 0x0000006f 0x0000007f J I Jal;
    Jalr "jalr" 0x00000067 0x0000707f Jalr I Jalr;
    Beq "beq" 0x00000063 0x0000707f B I Branch;
    Bne "bne" 0x00001063 0x0000707f B I Branch;
    Blt "blt" 0x00004063 0x0000707f B I Branch;
    Bge "bge" 0x00005063 0x0000707f B I Branch;
    Bltu "bltu" 0x00006063 0x0000707f B I Branch;
    Bgeu "bgeu" 0x00007063 0x0000707f B I Branch;
    Lb "lb" 0x00000003 0x0000707f Load I Load(1, true);
    Lh "lh" 0x00001003 0x0000707f Load I Load(2, true);
    Lw "lw" 0x00002003 0x0000707f Load I Load(4, true);
    Ld "ld" 0x00003003 0x0000707f Load I Load(8, true);
    Lbu "lbu" 0x00004003 0x0000707f Load I Load(1, false);
    Lhu "lhu" 0x00005003 0x0000707f Load I Load(2, false);
    Lwu "lwu" 0x00006003 0x0000707f Load I Load(4, false);
    Sb "sb" 0x00000023 0x0000707f Store I Store(1);
    Sh "sh" 0x00001023 0x0000707f Store I Store(2);
    Sw "sw" 0x00002023 0x0000707f Store I Store(4);
    Sd "sd" 0x00003023 0x0000707f Store I Store(8);
    Addi "addi" 0x00000013 0x0000707f I I Alu;
    Slti "slti" 0x00002013 0x0000707f I I Alu;
    Sltiu "sltiu" 0x00003013 0x0000707f I I Alu;
    Xori "xori" 0x00004013 0x0000707f I I Alu;
    Ori "ori" 0x00006013 0x0000707f I I Alu;
    Andi "andi" 0x00007013 0x0000707f I I Alu;
    Slli "slli" 0x00001013 0xfc00707f Sh6 I Alu;
    Srli "srli" 0x00005013 0xfc00707f Sh6 I Alu;
    Srai "srai" 0x40005013 0xfc00707f Sh6 I Alu;
    Add "add" 0x00000033 0xfe00707f R I Alu;
    Sub "sub" 0x40000033 0xfe00707f R I Alu;
    Sll "sll" 0x00001033 0xfe00707f R I Alu;
    Slt "slt" 0x00002033 0xfe00707f R I Alu;
    Sltu "sltu" 0x00003033 0xfe00707f R I Alu;
    Xor "xor" 0x00004033 0xfe00707f R I Alu;
    Srl "srl" 0x00005033 0xfe00707f R I Alu;
    Sra "sra" 0x40005033 0xfe00707f R I Alu;
    Or "or" 0x00006033 0xfe00707f R I Alu;
    And "and" 0x00007033 0xfe00707f R I Alu;
    Addiw "addiw" 0x0000001b 0x0000707f I I Alu;
    Slliw "slliw" 0x0000101b 0xfe00707f Sh5 I Alu;
    Srliw "srliw" 0x0000501b 0xfe00707f Sh5 I Alu;
    Sraiw "sraiw" 0x4000501b 0xfe00707f Sh5 I Alu;
    Addw "addw" 0x0000003b 0xfe00707f R I Alu;
    Subw "subw" 0x4000003b 0xfe00707f R I Alu;
    Sllw "sllw" 0x0000103b 0xfe00707f R I Alu;
    Srlw "srlw" 0x0000503b 0xfe00707f R I Alu;
    Sraw "sraw" 0x4000503b 0xfe00707f R I Alu;
    FenceTso "fence.tso" 0x8330000f 0xfff0707f FenceTso I Fence;
    Fence "fence" 0x0000000f 0x0000707f Fence I Fence;
    Ecall "ecall" 0x00000073 0xffffffff None I Trap;
    Ebreak "ebreak" 0x00100073 0xffffffff None I Trap;
    // Zifencei
    FenceI "fence.i" 0x0000100f 0x0000707f FenceI Zifencei FenceI;
    // Privileged
    Mret "mret" 0x30200073 0xffffffff None Priv Return;
    Sret "sret" 0x10200073 0xffffffff None Priv Return;
    Dret "dret" 0x7b200073 0xffffffff None Priv Return;
    Wfi "wfi" 0x10500073 0xffffffff None Priv Wfi;
    SfenceVma "sfence.vma" 0x12000073 0xfe007fff Sfence Priv SfenceVma;
    // Zicsr
    Csrrw "csrrw" 0x00001073 0x0000707f Csr Zicsr Csr;
    Csrrs "csrrs" 0x00002073 0x0000707f Csr Zicsr Csr;
    Csrrc "csrrc" 0x00003073 0x0000707f Csr Zicsr Csr;
    Csrrwi "csrrwi" 0x00005073 0x0000707f CsrI Zicsr Csr;
    Csrrsi "csrrsi" 0x00006073 0x0000707f CsrI Zicsr Csr;
    Csrrci "csrrci" 0x00007073 0x0000707f CsrI Zicsr Csr;
    // M
    Mul "mul" 0x02000033 0xfe00707f R M Alu;
    Mulh "mulh" 0x02001033 0xfe00707f R M Alu;
    Mulhsu "mulhsu" 0x02002033 0xfe00707f R M Alu;
    Mulhu "mulhu" 0x02003033 0xfe00707f R M Alu;
    Div "div" 0x02004033 0xfe00707f R M Alu;
    Divu "divu" 0x02005033 0xfe00707f R M Alu;
    Rem "rem" 0x02006033 0xfe00707f R M Alu;
    Remu "remu" 0x02007033 0xfe00707f R M Alu;
    Mulw "mulw" 0x0200003b 0xfe00707f R M Alu;
    Divw "divw" 0x0200403b 0xfe00707f R M Alu;
    Divuw "divuw" 0x0200503b 0xfe00707f R M Alu;
    Remw "remw" 0x0200603b 0xfe00707f R M Alu;
    Remuw "remuw" 0x0200703b 0xfe00707f R M Alu;
    // A
    LrW "lr.w" 0x1000202f 0xf9f0707f Lr A LoadReserved(4);
    ScW "sc.w" 0x1800202f 0xf800707f Amo A StoreConditional(4);
    AmoswapW "amoswap.w" 0x0800202f 0xf800707f Amo A Amo(4);
    AmoaddW "amoadd.w" 0x0000202f 0xf800707f Amo A Amo(4);
    AmoxorW "amoxor.w" 0x2000202f 0xf800707f Amo A Amo(4);
    AmoandW "amoand.w" 0x6000202f 0xf800707f Amo A Amo(4);
    AmoorW "amoor.w" 0x4000202f 0xf800707f Amo A Amo(4);
    AmominW "amomin.w" 0x8000202f 0xf800707f Amo A Amo(4);
    AmomaxW "amomax.w" 0xa000202f 0xf800707f Amo A Amo(4);
    AmominuW "amominu.w" 0xc000202f 0xf800707f Amo A Amo(4);
    AmomaxuW "amomaxu.w" 0xe000202f 0xf800707f Amo A Amo(4);
    LrD "lr.d" 0x1000302f 0xf9f0707f Lr A LoadReserved(8);
    ScD "sc.d" 0x1800302f 0xf800707f Amo A StoreConditional(8);
    AmoswapD "amoswap.d" 0x0800302f 0xf800707f Amo A Amo(8);
    AmoaddD "amoadd.d" 0x0000302f 0xf800707f Amo A Amo(8);
    AmoxorD "amoxor.d" 0x2000302f 0xf800707f Amo A Amo(8);
    AmoandD "amoand.d" 0x6000302f 0xf800707f Amo A Amo(8);
    AmoorD "amoor.d" 0x4000302f 0xf800707f Amo A Amo(8);
    AmominD "amomin.d" 0x8000302f 0xf800707f Amo A Amo(8);
    AmomaxD "amomax.d" 0xa000302f 0xf800707f Amo A Amo(8);
    AmominuD "amominu.d" 0xc000302f 0xf800707f Amo A Amo(8);
    AmomaxuD "amomaxu.d" 0xe000302f 0xf800707f Amo A Amo(8);
    // F
    Flw "flw" 0x00002007 0x0000707f FLoad F FpLoad(4);
    Fsw "fsw" 0x00002027 0x0000707f FStore F FpStore(4);
    FmaddS "fmadd.s" 0x00000043 0x0600007f R4 F Fp;
    FmsubS "fmsub.s" 0x00000047 0x0600007f R4 F Fp;
    FnmsubS "fnmsub.s" 0x0000004b 0x0600007f R4 F Fp;
    FnmaddS "fnmadd.s" 0x0000004f 0x0600007f R4 F Fp;
    FaddS "fadd.s" 0x00000053 0xfe00007f FRm F Fp;
    FsubS "fsub.s" 0x08000053 0xfe00007f FRm F Fp;
    FmulS "fmul.s" 0x10000053 0xfe00007f FRm F Fp;
    FdivS "fdiv.s" 0x18000053 0xfe00007f FRm F Fp;
    FsqrtS "fsqrt.s" 0x58000053 0xfff0007f F1Rm F Fp;
    FsgnjS "fsgnj.s" 0x20000053 0xfe00707f FR F Fp;
    FsgnjnS "fsgnjn.s" 0x20001053 0xfe00707f FR F Fp;
    FsgnjxS "fsgnjx.s" 0x20002053 0xfe00707f FR F Fp;
    FminS "fmin.s" 0x28000053 0xfe00707f FR F Fp;
    FmaxS "fmax.s" 0x28001053 0xfe00707f FR F Fp;
    FcvtWS "fcvt.w.s" 0xc0000053 0xfff0007f FToXRm F Fp;
    FcvtWuS "fcvt.wu.s" 0xc0100053 0xfff0007f FToXRm F Fp;
    FcvtLS "fcvt.l.s" 0xc0200053 0xfff0007f FToXRm F Fp;
    FcvtLuS "fcvt.lu.s" 0xc0300053 0xfff0007f FToXRm F Fp;
    FmvXW "fmv.x.w" 0xe0000053 0xfff0707f FToX F Fp;
    FeqS "feq.s" 0xa0002053 0xfe00707f FCmp F Fp;
    FltS "flt.s" 0xa0001053 0xfe00707f FCmp F Fp;
    FleS "fle.s" 0xa0000053 0xfe00707f FCmp F Fp;
    FclassS "fclass.s" 0xe0001053 0xfff0707f FToX F Fp;
    FcvtSW "fcvt.s.w" 0xd0000053 0xfff0007f XToFRm F Fp;
    FcvtSWu "fcvt.s.wu" 0xd0100053 0xfff0007f XToFRm F Fp;
    FcvtSL "fcvt.s.l" 0xd0200053 0xfff0007f XToFRm F Fp;
    FcvtSLu "fcvt.s.lu" 0xd0300053 0xfff0007f XToFRm F Fp;
    FmvWX "fmv.w.x" 0xf0000053 0xfff0707f XToF F Fp;
    // D
    Fld "fld" 0x00003007 0x0000707f FLoad D FpLoad(8);
    Fsd "fsd" 0x00003027 0x0000707f FStore D FpStore(8);
    FmaddD "fmadd.d" 0x02000043 0x0600007f R4 D Fp;
    FmsubD "fmsub.d" 0x02000047 0x0600007f R4 D Fp;
    FnmsubD "fnmsub.d" 0x0200004b 0x0600007f R4 D Fp;
    FnmaddD "fnmadd.d" 0x0200004f 0x0600007f R4 D Fp;
    FaddD "fadd.d" 0x02000053 0xfe00007f FRm D Fp;
    FsubD "fsub.d" 0x0a000053 0xfe00007f FRm D Fp;
    FmulD "fmul.d" 0x12000053 0xfe00007f FRm D Fp;
    FdivD "fdiv.d" 0x1a000053 0xfe00007f FRm D Fp;
    FsqrtD "fsqrt.d" 0x5a000053 0xfff0007f F1Rm D Fp;
    FsgnjD "fsgnj.d" 0x22000053 0xfe00707f FR D Fp;
    FsgnjnD "fsgnjn.d" 0x22001053 0xfe00707f FR D Fp;
    FsgnjxD "fsgnjx.d" 0x22002053 0xfe00707f FR D Fp;
    FminD "fmin.d" 0x2a000053 0xfe00707f FR D Fp;
    FmaxD "fmax.d" 0x2a001053 0xfe00707f FR D Fp;
    FcvtSD "fcvt.s.d" 0x40100053 0xfff0007f F1Rm D Fp;
    FcvtDS "fcvt.d.s" 0x42000053 0xfff0007f F1RmExact D Fp;
    FeqD "feq.d" 0xa2002053 0xfe00707f FCmp D Fp;
    FltD "flt.d" 0xa2001053 0xfe00707f FCmp D Fp;
    FleD "fle.d" 0xa2000053 0xfe00707f FCmp D Fp;
    FclassD "fclass.d" 0xe2001053 0xfff0707f FToX D Fp;
    FcvtWD "fcvt.w.d" 0xc2000053 0xfff0007f FToXRm D Fp;
    FcvtWuD "fcvt.wu.d" 0xc2100053 0xfff0007f FToXRm D Fp;
    FcvtLD "fcvt.l.d" 0xc2200053 0xfff0007f FToXRm D Fp;
    FcvtLuD "fcvt.lu.d" 0xc2300053 0xfff0007f FToXRm D Fp;
    FmvXD "fmv.x.d" 0xe2000053 0xfff0707f FToX D Fp;
    FcvtDW "fcvt.d.w" 0xd2000053 0xfff0007f XToFRmExact D Fp;
    FcvtDWu "fcvt.d.wu" 0xd2100053 0xfff0007f XToFRmExact D Fp;
    FcvtDL "fcvt.d.l" 0xd2200053 0xfff0007f XToFRm D Fp;
    FcvtDLu "fcvt.d.lu" 0xd2300053 0xfff0007f XToFRm D Fp;
    FmvDX "fmv.d.x" 0xf2000053 0xfff0707f XToF D Fp;
    // Zba
    AddUw "add.uw" 0x0800003b 0xfe00707f R Zba Alu;
    Sh1add "sh1add" 0x20002033 0xfe00707f R Zba Alu;
    Sh2add "sh2add" 0x20004033 0xfe00707f R Zba Alu;
    Sh3add "sh3add" 0x20006033 0xfe00707f R Zba Alu;
    Sh1addUw "sh1add.uw" 0x2000203b 0xfe00707f R Zba Alu;
    Sh2addUw "sh2add.uw" 0x2000403b 0xfe00707f R Zba Alu;
    Sh3addUw "sh3add.uw" 0x2000603b 0xfe00707f R Zba Alu;
    SlliUw "slli.uw" 0x0800101b 0xfc00707f Sh6 Zba Alu;
    // Zbb
    Andn "andn" 0x40007033 0xfe00707f R Zbb Alu;
    Orn "orn" 0x40006033 0xfe00707f R Zbb Alu;
    Xnor "xnor" 0x40004033 0xfe00707f R Zbb Alu;
    Clz "clz" 0x60001013 0xfff0707f R1 Zbb Alu;
    Ctz "ctz" 0x60101013 0xfff0707f R1 Zbb Alu;
    Cpop "cpop" 0x60201013 0xfff0707f R1 Zbb Alu;
    Clzw "clzw" 0x6000101b 0xfff0707f R1 Zbb Alu;
    Ctzw "ctzw" 0x6010101b 0xfff0707f R1 Zbb Alu;
    Cpopw "cpopw" 0x6020101b 0xfff0707f R1 Zbb Alu;
    Max "max" 0x0a006033 0xfe00707f R Zbb Alu;
    Maxu "maxu" 0x0a007033 0xfe00707f R Zbb Alu;
    Min "min" 0x0a004033 0xfe00707f R Zbb Alu;
    Minu "minu" 0x0a005033 0xfe00707f R Zbb Alu;
    SextB "sext.b" 0x60401013 0xfff0707f R1 Zbb Alu;
    SextH "sext.h" 0x60501013 0xfff0707f R1 Zbb Alu;
    ZextH "zext.h" 0x0800403b 0xfff0707f R1 Zbb Alu;
    Rol "rol" 0x60001033 0xfe00707f R Zbb Alu;
    Rolw "rolw" 0x6000103b 0xfe00707f R Zbb Alu;
    Ror "ror" 0x60005033 0xfe00707f R Zbb Alu;
    Rorw "rorw" 0x6000503b 0xfe00707f R Zbb Alu;
    Rori "rori" 0x60005013 0xfc00707f Sh6 Zbb Alu;
    Roriw "roriw" 0x6000501b 0xfe00707f Sh5 Zbb Alu;
    OrcB "orc.b" 0x28705013 0xfff0707f R1 Zbb Alu;
    Rev8 "rev8" 0x6b805013 0xfff0707f R1 Zbb Alu;
    // Zbc
    Clmul "clmul" 0x0a001033 0xfe00707f R Zbc Alu;
    Clmulr "clmulr" 0x0a002033 0xfe00707f R Zbc Alu;
    Clmulh "clmulh" 0x0a003033 0xfe00707f R Zbc Alu;
    // Zbs
    Bclr "bclr" 0x48001033 0xfe00707f R Zbs Alu;
    Bclri "bclri" 0x48001013 0xfc00707f Sh6 Zbs Alu;
    Bext "bext" 0x48005033 0xfe00707f R Zbs Alu;
    Bexti "bexti" 0x48005013 0xfc00707f Sh6 Zbs Alu;
    Binv "binv" 0x68001033 0xfe00707f R Zbs Alu;
    Binvi "binvi" 0x68001013 0xfc00707f Sh6 Zbs Alu;
    Bset "bset" 0x28001033 0xfe00707f R Zbs Alu;
    Bseti "bseti" 0x28001013 0xfc00707f Sh6 Zbs Alu;
    // Zicond
    CzeroEqz "czero.eqz" 0x0e005033 0xfe00707f R Zicond Alu;
    CzeroNez "czero.nez" 0x0e007033 0xfe00707f R Zicond Alu;
}

impl Op {
    /// This opcode's table row.
    #[inline]
    pub fn info(self) -> &'static OpInfo {
        &OPS[self as usize]
    }

    /// The mnemonic, as objdump prints it (before any `.aq`/`.rl` suffix).
    #[inline]
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The instruction's class.
    #[inline]
    pub fn class(self) -> Class {
        self.info().class
    }

    /// The extension the instruction belongs to.
    #[inline]
    pub fn ext(self) -> Ext {
        self.info().ext
    }
}
