//! Disassembly: an [`Inst`] printed exactly as GNU objdump prints it with `-M no-aliases`.

use core::fmt;

use crate::csr::PrivSpec;
use crate::format::Fmt;
use crate::inst::Inst;

/// An instruction at an address, ready to print in objdump's words: the mnemonic, a tab, the
/// operands, with branch and jump targets as absolute hex addresses.
#[derive(Clone, Copy, Debug)]
pub struct Disasm<'a> {
    inst: &'a Inst,
    pc: u64,
    spec: PrivSpec,
}

impl Disasm<'_> {
    /// Names CSRs as privileged spec `spec` does (objdump follows an ELF's
    /// `Tag_RISCV_priv_spec` attributes; the default is 1.12).
    pub fn priv_spec(self, spec: PrivSpec) -> Self {
        Disasm { spec, ..self }
    }
}

impl Inst {
    /// This instruction as objdump prints it at address `pc`.
    ///
    /// ```
    /// use ospite_isa::{decode, Extensions};
    /// let i = decode(0xfe0508e3, Extensions::RV64GC).unwrap();
    /// assert_eq!(i.display(0x8000_0010).to_string(), "beq\ta0,zero,80000000");
    /// ```
    pub fn display(&self, pc: u64) -> Disasm<'_> {
        Disasm {
            inst: self,
            pc,
            spec: PrivSpec::V1_12,
        }
    }

    /// The mnemonic objdump prints, with any `.aq`/`.rl` suffix left to the caller.
    pub fn mnemonic(&self) -> &'static str {
        match self.compressed {
            Some(cop) => cop.info().name,
            None => self.op.name(),
        }
    }
}

impl fmt::Display for Disasm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.inst;
        f.write_str(i.mnemonic())?;
        if let Some(cop) = i.compressed {
            let info = cop.info();
            if info.fmt != crate::compressed::CFmt::CNone {
                f.write_str("\t")?;
            }
            return info.fmt.write_operands(info.fp, i, self.pc, f);
        }
        let fmt = i.op.info().fmt;
        if matches!(fmt, Fmt::Amo | Fmt::Lr) {
            f.write_str(match (i.aq, i.rl) {
                (false, false) => "",
                (true, false) => ".aq",
                (false, true) => ".rl",
                (true, true) => ".aqrl",
            })?;
        }
        if !matches!(fmt, Fmt::FenceTso | Fmt::FenceI | Fmt::None) {
            f.write_str("\t")?;
        }
        fmt.write_operands(i, self.pc, self.spec, f)
    }
}

impl fmt::Display for Inst {
    /// The instruction as objdump prints it at address 0 (so a branch target is its offset).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.display(0).fmt(f)
    }
}
