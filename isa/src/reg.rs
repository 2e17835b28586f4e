//! Register numbers: a generic [`Reg`] as stored in an [`Inst`](crate::Inst), and the typed
//! [`XReg`] (integer) and [`FReg`] (floating-point) newtypes used by the assembler.

use core::fmt;

/// ABI names of the integer registers, as GNU objdump prints them.
const X_NAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];

/// ABI names of the floating-point registers, as GNU objdump prints them.
const F_NAMES: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2",
    "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9",
    "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

/// A register number, 0 to 31, as an instruction field holds it. Whether it names an integer or
/// a floating-point register is said by the instruction's format.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Reg(u8);

impl Reg {
    /// Register `n`, keeping the low five bits (instruction fields are five bits wide).
    #[inline]
    pub const fn new(n: u8) -> Self {
        Reg(n & 31)
    }

    /// The register number, 0 to 31.
    #[inline]
    pub const fn num(self) -> u8 {
        self.0
    }

    /// The register number as an index into a register file.
    #[inline]
    pub const fn idx(self) -> usize {
        self.0 as usize
    }

    /// This number read as an integer register.
    #[inline]
    pub const fn x(self) -> XReg {
        XReg(self.0)
    }

    /// This number read as a floating-point register.
    #[inline]
    pub const fn f(self) -> FReg {
        FReg(self.0)
    }
}

impl fmt::Debug for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// An integer register `x0`..`x31`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct XReg(u8);

/// A floating-point register `f0`..`f31`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FReg(u8);

macro_rules! named_regs {
    ($ty:ident: $($name:ident = $n:expr),* $(,)?) => {
        #[allow(missing_docs)]
        impl $ty {
            $(pub const $name: $ty = $ty($n);)*
        }
    };
}

named_regs!(XReg: ZERO = 0, RA = 1, SP = 2, GP = 3, TP = 4, T0 = 5, T1 = 6, T2 = 7, S0 = 8,
    S1 = 9, A0 = 10, A1 = 11, A2 = 12, A3 = 13, A4 = 14, A5 = 15, A6 = 16, A7 = 17, S2 = 18,
    S3 = 19, S4 = 20, S5 = 21, S6 = 22, S7 = 23, S8 = 24, S9 = 25, S10 = 26, S11 = 27, T3 = 28,
    T4 = 29, T5 = 30, T6 = 31);

named_regs!(FReg: FT0 = 0, FT1 = 1, FT2 = 2, FT3 = 3, FT4 = 4, FT5 = 5, FT6 = 6, FT7 = 7,
    FS0 = 8, FS1 = 9, FA0 = 10, FA1 = 11, FA2 = 12, FA3 = 13, FA4 = 14, FA5 = 15, FA6 = 16,
    FA7 = 17, FS2 = 18, FS3 = 19, FS4 = 20, FS5 = 21, FS6 = 22, FS7 = 23, FS8 = 24, FS9 = 25,
    FS10 = 26, FS11 = 27, FT8 = 28, FT9 = 29, FT10 = 30, FT11 = 31);

impl XReg {
    /// Integer register `n`, keeping the low five bits.
    #[inline]
    pub const fn new(n: u8) -> Self {
        XReg(n & 31)
    }

    /// The register number, 0 to 31.
    #[inline]
    pub const fn num(self) -> u8 {
        self.0
    }

    /// The ABI name objdump prints (`zero`, `ra`, `a0`...).
    pub const fn name(self) -> &'static str {
        X_NAMES[self.0 as usize]
    }

    /// The register by its ABI name (`a0`, `s0`, `fp`) or its number name (`x10`).
    pub fn from_name(name: &str) -> Option<Self> {
        if name == "fp" {
            return Some(XReg::S0);
        }
        if let Some(i) = X_NAMES.iter().position(|&n| n == name) {
            return Some(XReg(i as u8));
        }
        let n: u8 = name.strip_prefix('x')?.parse().ok()?;
        (n < 32).then_some(XReg(n))
    }

    /// Whether this register is one of `x8`..`x15`, the ones a compressed 3-bit field can name.
    #[inline]
    pub const fn is_compressible(self) -> bool {
        self.0 >= 8 && self.0 < 16
    }
}

impl FReg {
    /// Floating-point register `n`, keeping the low five bits.
    #[inline]
    pub const fn new(n: u8) -> Self {
        FReg(n & 31)
    }

    /// The register number, 0 to 31.
    #[inline]
    pub const fn num(self) -> u8 {
        self.0
    }

    /// The ABI name objdump prints (`ft0`, `fa0`...).
    pub const fn name(self) -> &'static str {
        F_NAMES[self.0 as usize]
    }

    /// The register by its ABI name (`fa0`) or its number name (`f10`).
    pub fn from_name(name: &str) -> Option<Self> {
        if let Some(i) = F_NAMES.iter().position(|&n| n == name) {
            return Some(FReg(i as u8));
        }
        let n: u8 = name.strip_prefix('f')?.parse().ok()?;
        (n < 32).then_some(FReg(n))
    }
}

impl From<XReg> for Reg {
    fn from(r: XReg) -> Reg {
        Reg(r.0)
    }
}

impl From<FReg> for Reg {
    fn from(r: FReg) -> Reg {
        Reg(r.0)
    }
}

impl fmt::Display for XReg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for XReg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for FReg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for FReg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
