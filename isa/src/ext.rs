//! Which extensions the decoder accepts: a user models an RV64IMAC core by leaving F and D out.

use core::fmt;

/// One ISA extension, as the instruction table tags its rows.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u8)]
pub enum Ext {
    /// The base integer ISA, RV64I.
    I = 0,
    /// Integer multiply and divide.
    M,
    /// Atomics: LR/SC and AMOs.
    A,
    /// Single-precision floating point.
    F,
    /// Double-precision floating point.
    D,
    /// Compressed 16-bit instructions.
    C,
    /// CSR instructions.
    Zicsr,
    /// `fence.i`.
    Zifencei,
    /// Address generation (`sh1add`, `add.uw`...).
    Zba,
    /// Basic bit manipulation (`clz`, `rev8`, `andn`...).
    Zbb,
    /// Carry-less multiplication.
    Zbc,
    /// Single-bit instructions (`bset`, `bext`...).
    Zbs,
    /// Integer conditional operations (`czero.eqz`, `czero.nez`).
    Zicond,
    /// The privileged instructions (`mret`, `sret`, `wfi`, `sfence.vma`, `dret`).
    Priv,
}

impl Ext {
    /// The extension's name as it appears in an ISA string.
    pub const fn name(self) -> &'static str {
        match self {
            Ext::I => "i",
            Ext::M => "m",
            Ext::A => "a",
            Ext::F => "f",
            Ext::D => "d",
            Ext::C => "c",
            Ext::Zicsr => "zicsr",
            Ext::Zifencei => "zifencei",
            Ext::Zba => "zba",
            Ext::Zbb => "zbb",
            Ext::Zbc => "zbc",
            Ext::Zbs => "zbs",
            Ext::Zicond => "zicond",
            Ext::Priv => "privileged",
        }
    }

    const fn bit(self) -> u32 {
        1 << self as u8
    }
}

impl fmt::Display for Ext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of extensions: the setting that says what [`decode`](crate::decode) accepts.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Extensions(u32);

impl Extensions {
    /// RV64I with the privileged instructions only.
    pub const RV64I: Extensions = Extensions(Ext::I.bit() | Ext::Priv.bit());
    /// RV64IMAC with Zicsr and Zifencei: a typical embedded core with no FPU.
    pub const RV64IMAC: Extensions = Self::RV64I
        .with(Ext::M)
        .with(Ext::A)
        .with(Ext::C)
        .with(Ext::Zicsr)
        .with(Ext::Zifencei);
    /// RV64GC: IMAFDC with Zicsr and Zifencei.
    pub const RV64GC: Extensions = Self::RV64IMAC.with(Ext::F).with(Ext::D);
    /// Everything this crate knows: RV64GC with Zba, Zbb, Zbc, Zbs and Zicond.
    pub const ALL: Extensions = Self::RV64GC
        .with(Ext::Zba)
        .with(Ext::Zbb)
        .with(Ext::Zbc)
        .with(Ext::Zbs)
        .with(Ext::Zicond);

    /// This set with `ext` added.
    pub const fn with(self, ext: Ext) -> Extensions {
        Extensions(self.0 | ext.bit())
    }

    /// This set with `ext` taken out.
    pub const fn without(self, ext: Ext) -> Extensions {
        Extensions(self.0 & !ext.bit())
    }

    /// Whether `ext` is in the set.
    #[inline]
    pub const fn has(self, ext: Ext) -> bool {
        self.0 & ext.bit() != 0
    }
}

impl Default for Extensions {
    /// [`Extensions::ALL`].
    fn default() -> Self {
        Extensions::ALL
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("rv64")?;
        let all = [
            Ext::I,
            Ext::M,
            Ext::A,
            Ext::F,
            Ext::D,
            Ext::C,
            Ext::Zicsr,
            Ext::Zifencei,
            Ext::Zba,
            Ext::Zbb,
            Ext::Zbc,
            Ext::Zbs,
            Ext::Zicond,
        ];
        for e in all.into_iter().filter(|&e| self.has(e)) {
            if e.name().len() > 1 {
                f.write_str("_")?;
            }
            f.write_str(e.name())?;
        }
        Ok(())
    }
}
