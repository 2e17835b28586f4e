//! The control and status registers: their storage, WARL rules, and access permissions.
//!
//! `mstatus` is stored once; `sstatus` is a masked view of it, and so are `sie`/`sip` of
//! `mie`/`mip` (restricted to the delegated interrupts). Unknown CSRs, CSRs above the current
//! privilege, and writes to read-only CSRs are illegal instructions.

use ospite_isa::{Csr, Ext};
use ospite_mmu::{Privilege, Satp};
use std::cell::Cell;

use crate::hart::Hart;
use crate::trap::Exception;

/// `mstatus` bit fields.
pub mod mstatus {
    /// S-mode interrupt enable.
    pub const SIE: u64 = 1 << 1;
    /// M-mode interrupt enable.
    pub const MIE: u64 = 1 << 3;
    /// SIE before the trap into S-mode.
    pub const SPIE: u64 = 1 << 5;
    /// MIE before the trap into M-mode.
    pub const MPIE: u64 = 1 << 7;
    /// The privilege before the trap into S-mode (0 U, 1 S).
    pub const SPP: u64 = 1 << 8;
    /// Where MPP starts.
    pub const MPP_SHIFT: u32 = 11;
    /// The privilege before the trap into M-mode.
    pub const MPP: u64 = 3 << MPP_SHIFT;
    /// Where FS starts.
    pub const FS_SHIFT: u32 = 13;
    /// The floating-point unit state: 0 off, 1 initial, 2 clean, 3 dirty.
    pub const FS: u64 = 3 << FS_SHIFT;
    /// Modify privilege: M-mode loads and stores use MPP.
    pub const MPRV: u64 = 1 << 17;
    /// S-mode may access U pages.
    pub const SUM: u64 = 1 << 18;
    /// Loads may read execute-only pages.
    pub const MXR: u64 = 1 << 19;
    /// Trap virtual memory: `satp` and `sfence.vma` in S-mode are illegal.
    pub const TVM: u64 = 1 << 20;
    /// Timeout wait: `wfi` below M-mode is illegal.
    pub const TW: u64 = 1 << 21;
    /// Trap `sret` in S-mode.
    pub const TSR: u64 = 1 << 22;
    /// U-mode XLEN (read-only 2: 64 bits).
    pub const UXL: u64 = 3 << 32;
    /// S-mode XLEN (read-only 2: 64 bits).
    pub const SXL: u64 = 3 << 34;
    /// Some state is dirty (FS is 3): read-only summary.
    pub const SD: u64 = 1 << 63;
    /// UXL and SXL both 64-bit.
    pub const XL64: u64 = 2 << 32 | 2 << 34;
    /// The bits an M-mode write may change (MPP is then legalized).
    pub const M_WRITABLE: u64 =
        SIE | MIE | SPIE | MPIE | SPP | MPP | FS | MPRV | SUM | MXR | TVM | TW | TSR;
    /// The bits `sstatus` shows.
    pub const S_VIEW: u64 = SIE | SPIE | SPP | FS | SUM | MXR | UXL | SD;
    /// The bits an `sstatus` write may change.
    pub const S_WRITABLE: u64 = SIE | SPIE | SPP | FS | SUM | MXR;
}

/// The interrupts this hart implements: SSI, MSI, STI, MTI, SEI, MEI.
pub const IRQ_MASK: u64 = 0xaaa;
/// The interrupts that may be delegated to S-mode.
const S_IRQ: u64 = 0x222;
/// SSIP, the one `sip` bit S-mode may write.
const SSIP_BIT: u64 = 1 << 1;
/// The `mip` bits M-mode software may write: SSIP, STIP, SEIP.
const MIP_WRITABLE: u64 = 0x222;
/// STIP, the supervisor timer interrupt's bit in `mip`.
pub(crate) const STIP_BIT: u64 = 1 << 5;
/// `menvcfg.STCE`: Sstc's `stimecmp` is enabled (bit 63).
pub const MENVCFG_STCE: u64 = 1 << 63;
/// `menvcfg.FIOM`: fence of I/O implies memory (bit 0).
pub const MENVCFG_FIOM: u64 = 1;
/// `mcounteren.TM`: lower modes may read `time` (and, with Sstc, S-mode may use `stimecmp`).
const MCOUNTEREN_TM: u64 = 1 << 1;
/// The exceptions that may be delegated (all but ecall from M and the reserved codes).
const MEDELEG_MASK: u64 = 0xb3ff;
/// `pmpaddr` holds bits 55:2 of an address.
const PMPADDR_MASK: u64 = (1 << 54) - 1;
/// Reserved bits of every `pmpcfg` byte (bits 6:5) read as zero.
const PMPCFG_MASK: u64 = 0x9f9f_9f9f_9f9f_9f9f;

/// The CSR storage that translated code does not read directly.
#[derive(Clone, Debug)]
pub(crate) struct CsrFile {
    pub mstatus: u64,
    pub medeleg: u64,
    pub mideleg: u64,
    pub mie: u64,
    pub mip: u64,
    pub mtvec: u64,
    pub stvec: u64,
    pub mepc: u64,
    pub sepc: u64,
    pub mcause: u64,
    pub scause: u64,
    pub mtval: u64,
    pub stval: u64,
    pub mscratch: u64,
    pub sscratch: u64,
    pub mcounteren: u64,
    pub scounteren: u64,
    pub mcountinhibit: u64,
    pub menvcfg: u64,
    pub senvcfg: u64,
    pub stimecmp: u64,
    /// Asks of `time >= stimecmp` left before the host clock is read again (see
    /// `Hart::stimecmp_due`); 0 reads it at the next ask.
    pub stimecmp_polls_left: Cell<u32>,
    /// What the last read of the clock said: STIP or 0.
    pub stimecmp_fired: Cell<u64>,
    pub satp: Satp,
    pub pmpcfg: [u64; 8],
    pub pmpaddr: [u64; 64],
}

impl CsrFile {
    pub fn reset() -> CsrFile {
        CsrFile {
            mstatus: mstatus::XL64,
            medeleg: 0,
            mideleg: 0,
            mie: 0,
            mip: 0,
            mtvec: 0,
            stvec: 0,
            mepc: 0,
            sepc: 0,
            mcause: 0,
            scause: 0,
            mtval: 0,
            stval: 0,
            mscratch: 0,
            sscratch: 0,
            mcounteren: 0,
            scounteren: 0,
            mcountinhibit: 0,
            menvcfg: 0,
            senvcfg: 0,
            stimecmp: 0,
            stimecmp_polls_left: Cell::new(0),
            stimecmp_fired: Cell::new(0),
            satp: Satp::BARE,
            pmpcfg: [0; 8],
            pmpaddr: [0; 64],
        }
    }
}

fn illegal() -> Exception {
    // The caller fills in the instruction bits.
    Exception::illegal(0)
}

impl Hart {
    /// The value of `misa`: RV64 with A, C, D, F, M (each when configured), I, S, U.
    pub fn misa(&self) -> u64 {
        let mut m = 2u64 << 62;
        let letters = [
            (Ext::A, b'a'),
            (Ext::C, b'c'),
            (Ext::D, b'd'),
            (Ext::F, b'f'),
            (Ext::M, b'm'),
        ];
        for (e, letter) in letters {
            if self.has(e) {
                m |= 1 << (letter - b'a');
            }
        }
        m | 1 << (b'i' - b'a') | 1 << (b's' - b'a') | 1 << (b'u' - b'a')
    }

    /// `mstatus` with its read-only summary bit SD computed.
    #[inline]
    pub fn mstatus(&self) -> u64 {
        let s = self.csr.mstatus;
        if s & mstatus::FS == mstatus::FS {
            s | mstatus::SD
        } else {
            s
        }
    }

    /// Reads a CSR without any permission check or side effect (for boards, debuggers and
    /// tests); `None` for a CSR the hart does not have.
    pub fn peek_csr(&self, csr: Csr) -> Option<u64> {
        self.read_csr_value(csr).ok()
    }

    /// Writes a CSR as M-mode software would, without the permission check (for boards and
    /// tests). Returns `false` for a CSR the hart does not have or that is read-only.
    pub fn poke_csr(&mut self, csr: Csr, value: u64) -> bool {
        !csr.is_read_only() && self.write_csr_value(csr, value).is_ok()
    }

    /// Checks that the current privilege may access `csr` (and write it, if `write`), including
    /// the counter-enable, TVM and FS rules.
    pub(crate) fn check_csr_access(&self, csr: Csr, write: bool) -> Result<(), Exception> {
        let p = self.privilege.bits() as u8;
        if csr.min_privilege() > p || (write && csr.is_read_only()) {
            return Err(illegal());
        }
        match csr.0 {
            0xc00..=0xc1f => {
                let bit = 1u64 << (csr.0 - 0xc00);
                let m_ok = self.privilege == Privilege::Machine || self.csr.mcounteren & bit != 0;
                let s_ok = self.privilege != Privilege::User || self.csr.scounteren & bit != 0;
                if !(m_ok && s_ok) {
                    return Err(illegal());
                }
            }
            0x180
                if self.privilege == Privilege::Supervisor
                    && self.csr.mstatus & mstatus::TVM != 0 =>
            {
                return Err(illegal());
            }
            0x001..=0x003 if self.csr.mstatus & mstatus::FS == 0 => return Err(illegal()),
            // Sstc: S-mode reaches `stimecmp` only with both `mcounteren.TM` and
            // `menvcfg.STCE` set (U-mode never: it is an S-level CSR).
            0x14d
                if self.privilege == Privilege::Supervisor
                    && (self.csr.mcounteren & MCOUNTEREN_TM == 0
                        || self.csr.menvcfg & MENVCFG_STCE == 0) =>
            {
                return Err(illegal());
            }
            _ => {}
        }
        Ok(())
    }

    /// The value of `csr`, or illegal instruction if the hart does not have it.
    pub(crate) fn read_csr_value(&self, csr: Csr) -> Result<u64, Exception> {
        let c = &self.csr;
        let sie_mask = c.mideleg & S_IRQ;
        Ok(match csr {
            Csr::FFLAGS => self.fcsr & 0x1f,
            Csr::FRM => (self.fcsr >> 5) & 7,
            Csr::FCSR => self.fcsr & 0xff,
            Csr::CYCLE | Csr::MCYCLE => self.cycle,
            Csr::INSTRET | Csr::MINSTRET => self.instret,
            Csr::TIME => match &self.config.time {
                Some(t) => t.now(),
                None => return Err(illegal()),
            },
            Csr::SSTATUS => self.mstatus() & mstatus::S_VIEW,
            Csr::SIE => c.mie & sie_mask,
            Csr::SIP => self.mip() & sie_mask,
            Csr::STVEC => c.stvec,
            Csr::SCOUNTEREN => c.scounteren,
            Csr::SENVCFG => c.senvcfg,
            Csr::SSCRATCH => c.sscratch,
            Csr::SEPC => c.sepc,
            Csr::SCAUSE => c.scause,
            Csr::STVAL => c.stval,
            Csr::STIMECMP => c.stimecmp,
            Csr::SATP => c.satp.0,
            Csr::MVENDORID | Csr::MARCHID | Csr::MIMPID | Csr::MCONFIGPTR => 0,
            Csr::MHARTID => self.config.hartid,
            Csr::MSTATUS => self.mstatus(),
            Csr::MISA => self.misa(),
            Csr::MEDELEG => c.medeleg,
            Csr::MIDELEG => c.mideleg,
            Csr::MIE => c.mie,
            Csr::MIP => self.mip(),
            Csr::MTVEC => c.mtvec,
            Csr::MCOUNTEREN => c.mcounteren,
            Csr::MCOUNTINHIBIT => c.mcountinhibit,
            Csr::MENVCFG => c.menvcfg,
            Csr::MSCRATCH => c.mscratch,
            Csr::MEPC => c.mepc,
            Csr::MCAUSE => c.mcause,
            Csr::MTVAL => c.mtval,
            // hpmcounter3..31, mhpmcounter3..31, mhpmevent3..31: read-only zero.
            Csr(0xc03..=0xc1f) | Csr(0xb03..=0xb1f) | Csr(0x323..=0x33f) => 0,
            Csr(n @ 0x3a0..=0x3af) if n % 2 == 0 => c.pmpcfg[usize::from(n - 0x3a0) / 2],
            Csr(n @ 0x3b0..=0x3ef) => c.pmpaddr[usize::from(n - 0x3b0)],
            _ => return Err(illegal()),
        })
    }

    /// Writes `value` to `csr` with its WARL rules and side effects (permission already
    /// checked).
    pub(crate) fn write_csr_value(&mut self, csr: Csr, value: u64) -> Result<(), Exception> {
        let c = &mut self.csr;
        let sie_mask = c.mideleg & S_IRQ;
        match csr {
            Csr::FFLAGS => self.fcsr = (self.fcsr & !0x1f) | (value & 0x1f),
            Csr::FRM => self.fcsr = (self.fcsr & 0x1f) | ((value & 7) << 5),
            Csr::FCSR => self.fcsr = value & 0xff,
            Csr::MCYCLE => self.cycle = value,
            Csr::MINSTRET => {
                // The writing instruction's own retirement must not show: pre-compensate.
                self.instret = if c.mcountinhibit & 4 == 0 {
                    value.wrapping_sub(1)
                } else {
                    value
                };
            }
            Csr::SSTATUS => {
                let v = (c.mstatus & !mstatus::S_WRITABLE) | (value & mstatus::S_WRITABLE);
                self.csr.mstatus = v;
            }
            Csr::MSTATUS => {
                let mut v = (c.mstatus & !mstatus::M_WRITABLE) | (value & mstatus::M_WRITABLE);
                if (v & mstatus::MPP) >> mstatus::MPP_SHIFT == 2 {
                    // MPP is WARL: the reserved value 2 keeps the old mode.
                    v = (v & !mstatus::MPP) | (c.mstatus & mstatus::MPP);
                }
                c.mstatus = v | mstatus::XL64;
            }
            Csr::SIE => c.mie = (c.mie & !sie_mask) | (value & sie_mask),
            Csr::SIP => {
                let m = sie_mask & SSIP_BIT;
                c.mip = (c.mip & !m) | (value & m);
            }
            Csr::STVEC => c.stvec = legal_tvec(c.stvec, value),
            Csr::SCOUNTEREN => c.scounteren = value & 0xffff_ffff,
            Csr::SENVCFG => c.senvcfg = value & 1,
            Csr::SSCRATCH => c.sscratch = value,
            Csr::SEPC => c.sepc = value & !1,
            Csr::SCAUSE => c.scause = value,
            Csr::STVAL => c.stval = value,
            Csr::STIMECMP => {
                c.stimecmp = value;
                c.stimecmp_polls_left.set(0);
            }
            Csr::SATP => {
                c.satp = c.satp.write_up_to(value, self.config.max_satp_mode);
                let satp = c.satp;
                self.mmu.set_satp(satp);
                self.mmu.sfence_vma(None, None);
            }
            Csr::MISA => {}
            Csr::MEDELEG => c.medeleg = value & MEDELEG_MASK,
            Csr::MIDELEG => c.mideleg = value & S_IRQ,
            Csr::MIE => c.mie = value & IRQ_MASK,
            Csr::MIP => {
                // With Sstc on, STIP reflects `stimecmp` and is read-only.
                let w = if c.menvcfg & MENVCFG_STCE != 0 {
                    MIP_WRITABLE & !STIP_BIT
                } else {
                    MIP_WRITABLE
                };
                c.mip = (c.mip & !w) | (value & w);
            }
            Csr::MTVEC => c.mtvec = legal_tvec(c.mtvec, value),
            Csr::MCOUNTEREN => c.mcounteren = value & 0xffff_ffff,
            Csr::MCOUNTINHIBIT => c.mcountinhibit = value & 0xffff_fffd,
            Csr::MENVCFG => c.menvcfg = value & (MENVCFG_FIOM | MENVCFG_STCE),
            Csr::MSCRATCH => c.mscratch = value,
            Csr::MEPC => c.mepc = value & !1,
            Csr::MCAUSE => c.mcause = value,
            Csr::MTVAL => c.mtval = value,
            Csr(0xb03..=0xb1f) | Csr(0x323..=0x33f) => {}
            Csr(n @ 0x3a0..=0x3af) if n % 2 == 0 => {
                c.pmpcfg[usize::from(n - 0x3a0) / 2] = value & PMPCFG_MASK;
            }
            Csr(n @ 0x3b0..=0x3ef) => c.pmpaddr[usize::from(n - 0x3b0)] = value & PMPADDR_MASK,
            _ => return Err(illegal()),
        }
        Ok(())
    }

    /// Marks the floating-point state dirty (`mstatus.FS = 3`).
    #[inline]
    pub(crate) fn set_fs_dirty(&mut self) {
        self.csr.mstatus |= mstatus::FS;
    }

    /// Accrues exception flags (fflags bits: NX 1, UF 2, OF 4, DZ 8, NV 16) that FP
    /// instructions raised outside the interpreter, as the instructions themselves would have:
    /// into `fflags`, with `mstatus.FS` Dirty. For engines that compute FP on the host.
    pub fn accrue_fflags(&mut self, flags: u64) {
        if flags & 0x1f != 0 {
            self.fcsr |= flags & 0x1f;
            self.set_fs_dirty();
        }
    }
}

/// `mtvec`/`stvec` are WARL: modes 0 (direct) and 1 (vectored) are kept; a write of a reserved
/// mode keeps the old mode. The base is 4-byte aligned.
fn legal_tvec(old: u64, value: u64) -> u64 {
    let mode = if value & 3 < 2 { value & 3 } else { old & 3 };
    (value & !3) | mode
}

#[cfg(test)]
mod tests {
    use ospite_isa::Csr;
    use ospite_mmu::{Asid, PhysAddr, Satp, SatpMode};

    use crate::{Hart, HartConfig};

    fn hart_up_to(max_satp_mode: SatpMode) -> Hart {
        Hart::new(HartConfig {
            max_satp_mode,
            ..HartConfig::default()
        })
    }

    fn satp(mode: SatpMode) -> u64 {
        Satp::new(mode, Asid(7), PhysAddr(0x8020_0000)).0
    }

    /// Writes `value` to `satp` and reads it back.
    fn write_satp(hart: &mut Hart, value: u64) -> u64 {
        assert!(hart.poke_csr(Csr::SATP, value));
        hart.peek_csr(Csr::SATP).unwrap()
    }

    #[test]
    fn satp_takes_every_mode_up_to_the_widest() {
        let mut hart = hart_up_to(SatpMode::Sv48);
        assert_eq!(
            [SatpMode::Sv39, SatpMode::Sv48, SatpMode::Bare]
                .map(|m| write_satp(&mut hart, satp(m))),
            [SatpMode::Sv39, SatpMode::Sv48, SatpMode::Bare].map(satp)
        );
    }

    #[test]
    fn satp_write_of_a_wider_mode_leaves_satp_unchanged() {
        let mut hart = hart_up_to(SatpMode::Sv39);
        write_satp(&mut hart, satp(SatpMode::Sv39));
        assert_eq!(
            [SatpMode::Sv57, SatpMode::Sv48].map(|m| write_satp(&mut hart, satp(m))),
            [satp(SatpMode::Sv39); 2]
        );
    }

    #[test]
    fn satp_write_of_a_reserved_mode_leaves_satp_unchanged() {
        let mut hart = hart_up_to(SatpMode::Sv57);
        write_satp(&mut hart, satp(SatpMode::Sv57));
        assert_eq!(
            write_satp(&mut hart, 1 << 60 | 0x1234),
            satp(SatpMode::Sv57)
        );
    }

    #[test]
    fn satp_of_the_default_hart_takes_sv57_as_qemus_does() {
        let mut hart = Hart::new(HartConfig::default());
        assert_eq!(
            write_satp(&mut hart, satp(SatpMode::Sv57)),
            satp(SatpMode::Sv57)
        );
    }
}
