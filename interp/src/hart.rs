//! The architectural state of one hart, laid out for translated code to read.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ospite_isa::{Ext, Extensions, XReg};
use ospite_mmu::{Mmu, Privilege, Reservation, SatpMode, TranslateCtx};

use crate::csr::{CsrFile, IRQ_MASK, MENVCFG_STCE, STIP_BIT};
use crate::trap::{Interrupt, TrapCounts};

/// The source of the `time` CSR: the board's timer (the CLINT's `mtime`), in its ticks.
pub trait TimeSource: Send + Sync {
    /// The current value of `mtime`.
    fn now(&self) -> u64;
}

/// The interrupt lines a board drives into one hart: MEIP, SEIP (external, from the PLIC),
/// MTIP (timer, from the CLINT), MSIP (software, from the CLINT), and optionally SSIP/STIP.
///
/// A cheap clone of a shared word, so a device on another host thread can raise a line; the hart
/// ORs the lines into `mip` when it reads it, between instructions.
#[derive(Clone, Debug, Default)]
pub struct IrqLines(Arc<AtomicU64>);

impl IrqLines {
    /// All lines low.
    pub fn new() -> IrqLines {
        IrqLines::default()
    }

    /// Raises (`true`) or lowers (`false`) the line of `irq`.
    pub fn set(&self, irq: Interrupt, level: bool) {
        if level {
            self.0.fetch_or(irq.bit(), Ordering::Release);
        } else {
            self.0.fetch_and(!irq.bit(), Ordering::Release);
        }
    }

    /// The raised lines, as `mip` bits.
    #[inline]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Acquire) & IRQ_MASK
    }
}

/// What a hart is built with.
#[derive(Clone)]
pub struct HartConfig {
    /// `mhartid`.
    pub hartid: u64,
    /// The extensions the hart decodes and executes. Without C, jumps and branches to addresses
    /// that are not multiples of 4 raise instruction-address-misaligned.
    pub extensions: Extensions,
    /// The source of the `time` CSR; `None` makes `time` an illegal CSR (as on QEMU without a
    /// timer), so M-mode firmware may emulate it.
    pub time: Option<Arc<dyn TimeSource>>,
    /// The interrupt lines the board drives.
    pub irq: IrqLines,
    /// The widest translation mode `satp` accepts: every mode up to it (a hart with Sv48 also
    /// has Sv39), and `Bare`. A `satp` write selecting a wider or reserved mode leaves `satp`
    /// unchanged, as the privileged spec's WARL rule says; that is how Linux finds the mode
    /// to use (it tries Sv57, then Sv48, then Sv39).
    pub max_satp_mode: SatpMode,
}

impl Default for HartConfig {
    /// Hart 0, every extension, no time source, fresh interrupt lines, and Sv57 (so every
    /// translation mode), as QEMU's default rv64 hart.
    fn default() -> Self {
        HartConfig {
            hartid: 0,
            extensions: Extensions::ALL,
            time: None,
            irq: IrqLines::new(),
            max_satp_mode: SatpMode::Sv57,
        }
    }
}

impl fmt::Debug for HartConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HartConfig")
            .field("hartid", &self.hartid)
            .field("extensions", &self.extensions)
            .field("time", &self.time.is_some())
            .field("irq", &self.irq)
            .field("max_satp_mode", &self.max_satp_mode)
            .finish()
    }
}

/// One RISC-V hart: registers, pc, privilege, CSRs, the LR/SC reservation and its MMU.
///
/// The first fields are `#[repr(C)]` at offsets pinned below (`Hart::OFFSET_*`), which the
/// translator takes as the only source of truth. `x[0]` always reads 0 through [`Hart::x`];
/// f registers hold 64 bits, NaN-boxed for single precision.
#[repr(C)]
pub struct Hart {
    pub(crate) x: [u64; 32],
    pub(crate) f: [u64; 32],
    pub(crate) pc: u64,
    pub(crate) instret: u64,
    pub(crate) cycle: u64,
    pub(crate) fcsr: u64,
    pub(crate) privilege: Privilege,
    pub(crate) csr: CsrFile,
    pub(crate) reservation: Option<Reservation>,
    pub(crate) mmu: Mmu,
    pub(crate) config: HartConfig,
    /// Traps entered, for statistics (after the pinned fields; translated code never reads it).
    pub(crate) traps: TrapCounts,
}

/// How many asks of Sstc's timer share one read of the host clock.
const STIMECMP_POLL: u32 = 64;

impl Hart {
    /// Offset of `x[0]`; `x[i]` is at `OFFSET_X + 8 * i`.
    pub const OFFSET_X: usize = 0;
    /// Offset of `f[0]`; `f[i]` is at `OFFSET_F + 8 * i`.
    pub const OFFSET_F: usize = 256;
    /// Offset of the pc.
    pub const OFFSET_PC: usize = 512;
    /// Offset of `minstret` (u64).
    pub const OFFSET_INSTRET: usize = 520;
    /// Offset of `mcycle` (u64).
    pub const OFFSET_CYCLE: usize = 528;
    /// Offset of `fcsr` (u64: `frm` in bits 7:5, `fflags` in bits 4:0).
    pub const OFFSET_FCSR: usize = 536;
    /// Offset of the privilege mode (u8: 0 U, 1 S, 3 M).
    pub const OFFSET_PRIVILEGE: usize = 544;
    /// Offset of `mstatus` (u64; see [`crate::csr::mstatus`]), which translated FP code reads
    /// for FS and sets FS Dirty in. It sits in the CSR file after the pinned fields, so it
    /// is computed rather than pinned; it is right for whatever layout the build chose.
    pub const OFFSET_MSTATUS: usize =
        core::mem::offset_of!(Hart, csr) + core::mem::offset_of!(CsrFile, mstatus);
}

const _: () = assert!(core::mem::offset_of!(Hart, x) == Hart::OFFSET_X);
const _: () = assert!(core::mem::offset_of!(Hart, f) == Hart::OFFSET_F);
const _: () = assert!(core::mem::offset_of!(Hart, pc) == Hart::OFFSET_PC);
const _: () = assert!(core::mem::offset_of!(Hart, instret) == Hart::OFFSET_INSTRET);
const _: () = assert!(core::mem::offset_of!(Hart, cycle) == Hart::OFFSET_CYCLE);
const _: () = assert!(core::mem::offset_of!(Hart, fcsr) == Hart::OFFSET_FCSR);
const _: () = assert!(core::mem::offset_of!(Hart, privilege) == Hart::OFFSET_PRIVILEGE);
const _: () = assert!(core::mem::size_of::<Privilege>() == 1);

impl fmt::Debug for Hart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hart")
            .field("pc", &format_args!("{:#x}", self.pc))
            .field("privilege", &self.privilege)
            .field("x", &self.x)
            .field("instret", &self.instret)
            .finish_non_exhaustive()
    }
}

impl Hart {
    /// A hart at reset: M-mode, pc 0, registers zero, `satp` bare, `mstatus` with FS off.
    pub fn new(config: HartConfig) -> Hart {
        Hart {
            x: [0; 32],
            f: [0; 32],
            pc: 0,
            instret: 0,
            cycle: 0,
            fcsr: 0,
            privilege: Privilege::Machine,
            csr: CsrFile::reset(),
            reservation: None,
            mmu: Mmu::new(),
            config,
            traps: TrapCounts::default(),
        }
    }

    /// The configuration the hart was built with.
    pub fn config(&self) -> &HartConfig {
        &self.config
    }

    /// Integer register `r` (`x0` reads 0).
    #[inline]
    pub fn x(&self, r: XReg) -> u64 {
        self.x[r.num() as usize]
    }

    /// Writes integer register `r` (writes to `x0` are dropped).
    #[inline]
    pub fn set_x(&mut self, r: XReg, value: u64) {
        self.set_xi(r.num() as usize, value);
    }

    #[inline]
    pub(crate) fn xi(&self, i: usize) -> u64 {
        self.x[i]
    }

    #[inline]
    pub(crate) fn set_xi(&mut self, i: usize, value: u64) {
        if i != 0 {
            self.x[i] = value;
        }
    }

    /// The raw 64 bits of floating-point register `i` (0..32).
    pub fn f(&self, i: usize) -> u64 {
        self.f[i & 31]
    }

    /// Writes the raw 64 bits of floating-point register `i` (0..32).
    pub fn set_f(&mut self, i: usize, bits: u64) {
        self.f[i & 31] = bits;
    }

    /// The pc.
    #[inline]
    pub fn pc(&self) -> u64 {
        self.pc
    }

    /// Sets the pc.
    #[inline]
    pub fn set_pc(&mut self, pc: u64) {
        self.pc = pc;
    }

    /// The current privilege mode.
    #[inline]
    pub fn privilege(&self) -> Privilege {
        self.privilege
    }

    /// Sets the privilege mode (for boards and tests that start a hart below M).
    pub fn set_privilege(&mut self, p: Privilege) {
        self.privilege = p;
    }

    /// Instructions retired (`minstret`).
    #[inline]
    pub fn instret(&self) -> u64 {
        self.instret
    }

    /// The LR/SC reservation, if the hart holds one.
    pub fn reservation(&self) -> Option<Reservation> {
        self.reservation
    }

    /// The hart's MMU.
    pub fn mmu(&self) -> &Mmu {
        &self.mmu
    }

    /// The hart's MMU, mutably.
    pub fn mmu_mut(&mut self) -> &mut Mmu {
        &mut self.mmu
    }

    /// Whether the hart executes extension `e`.
    #[inline]
    pub fn has(&self, e: Ext) -> bool {
        self.config.extensions.has(e)
    }

    /// The effective `mip`: software-written bits OR the board's interrupt lines; with Sstc
    /// on (`menvcfg.STCE`), STIP is instead `time >= stimecmp` (never, without a
    /// [`TimeSource`]).
    #[inline]
    pub fn mip(&self) -> u64 {
        let mip = self.csr.mip | self.config.irq.get();
        if self.csr.menvcfg & MENVCFG_STCE == 0 {
            mip
        } else {
            // A read of `mip` is exact: it looks at the clock.
            self.poll_timer_now();
            (mip & !STIP_BIT) | self.stimecmp_due()
        }
    }

    /// STIP if Sstc's timer has fired (`time >= stimecmp`), else 0.
    ///
    /// Engines ask at every block boundary and a read of the host clock costs about 20 ns, so
    /// a timer not yet fired is looked at again only every [`STIMECMP_POLL`] asks (a few
    /// microseconds of guest time late at most); a fired one stays fired until `stimecmp` is
    /// written (time only goes forward), and a write of `stimecmp`, a read of `mip`, a `wfi`
    /// and the start of an engine's run look at once.
    #[inline]
    pub(crate) fn stimecmp_due(&self) -> u64 {
        let Some(t) = &self.config.time else {
            return 0;
        };
        let c = &self.csr;
        let left = c.stimecmp_polls_left.get();
        if left > 0 {
            c.stimecmp_polls_left.set(left - 1);
            return c.stimecmp_fired.get();
        }
        let fired = if t.now() >= c.stimecmp { STIP_BIT } else { 0 };
        c.stimecmp_fired.set(fired);
        c.stimecmp_polls_left
            .set(if fired != 0 { u32::MAX } else { STIMECMP_POLL });
        fired
    }

    /// Makes the next look at Sstc's timer read the host clock: for a board about to put the
    /// hart to sleep, which must not miss a timer that just fired.
    #[inline]
    pub fn poll_timer_now(&self) {
        self.csr.stimecmp_polls_left.set(0);
    }

    /// The interrupt lines of this hart (a clone is what the board keeps).
    pub fn irq_lines(&self) -> &IrqLines {
        &self.config.irq
    }

    /// The translation context for data and fetch accesses now.
    #[inline]
    pub fn translate_ctx(&self) -> TranslateCtx {
        TranslateCtx::from_mstatus(self.privilege, self.csr.mstatus, self.csr.satp)
    }

    /// Counts `n` retired instructions (`minstret`, `mcycle`), each unless inhibited by
    /// `mcountinhibit`: for engines that run instructions without [`crate::execute`].
    #[inline]
    pub fn retire_many(&mut self, n: u64) {
        let inhibit = self.csr.mcountinhibit;
        if inhibit & 1 == 0 {
            self.cycle = self.cycle.wrapping_add(n);
        }
        if inhibit & 4 == 0 {
            self.instret = self.instret.wrapping_add(n);
        }
    }

    /// Counts one retired instruction (`minstret`, `mcycle`), unless inhibited.
    #[inline]
    pub(crate) fn retire(&mut self) {
        let inhibit = self.csr.mcountinhibit;
        if inhibit & 1 == 0 {
            self.cycle = self.cycle.wrapping_add(1);
        }
        if inhibit & 4 == 0 {
            self.instret = self.instret.wrapping_add(1);
        }
    }
}
