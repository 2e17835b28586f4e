//! One VM: a [`Board`], its images, one hart under the interpreter, and the run loop.
//!
//! The run loop executes slices of [`SLICE`] instructions ([`SLICE_TRANSLATED`] under the
//! translator). Between slices it brings the
//! interrupt lines up to date ([`Board::tick`]), serves HTIF, takes power events, checks the
//! limits, and flushes the console. A hart in `wfi` with nothing pending sleeps on the host
//! until the next timer deadline or console input: an idle guest costs no host CPU.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ospite_interp::{CacheStats, Hart, HartConfig, StopReason, TimeSource, TrapCounts};
use ospite_isa::{Csr, Extensions};
use ospite_mmu::{PhysAddr, Privilege, SatpMode, TlbStats};

use crate::board::{map, Board};
use crate::config::{Firmware, VmConfig, DEFAULT_BIOS};
use crate::devices::htif::Htif;
use crate::devices::test_finisher::PowerEvent;
use crate::devices::uart16550::{ConsoleInput, ConsoleOutput};
use crate::devices::Wakeup;
use crate::engine::{Cpu, DbtStats};
use crate::error::{Error, Result};
use crate::fdt::{self, FdtConfig};
use crate::loader::{self, Image, Placement};
use crate::reset::{ResetVector, ROM_BASE};

/// Instructions per slice of the run loop under the interpreter: small enough that timer and
/// console interrupts arrive within well under a millisecond, large enough that the checks
/// between slices cost nothing measurable.
pub const SLICE: u64 = 20_000;

/// Instructions per slice under the translator, which runs hot code some twenty times faster:
/// tens of microseconds of host time per slice there, and under a millisecond in cold code
/// (Linux's boot runs some 200 million instructions a second). At [`SLICE`], the checks
/// between slices and the instructions interpreted where a slice ends inside a block cost
/// CPU-bound guests 3 to 9 per cent.
pub const SLICE_TRANSLATED: u64 = 100_000;

/// Exit status for a VM stopped by its instruction budget.
pub const EXIT_BUDGET: u8 = 124;
/// Exit status for a VM stopped by its wall-time limit.
pub const EXIT_TIME_LIMIT: u8 = 125;
/// Exit status for a guest stuck in a trap it cannot handle.
pub const EXIT_GUEST_FAULT: u8 = 123;
/// Exit status for an emulator bug (a caught panic).
pub const EXIT_EMULATOR_BUG: u8 = 122;

/// Why a VM ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExitReason {
    /// The guest powered off (test finisher or HTIF) with this status; 0 is success.
    PowerOff(u32),
    /// The instruction budget is spent.
    BudgetSpent,
    /// The wall-time limit passed.
    TimeLimit,
    /// The guest took a trap whose M-mode handler cannot be fetched (`mtvec` points at no
    /// memory), so it would trap there forever.
    GuestFault {
        /// Where the hart is stuck (`mtvec`).
        pc: u64,
        /// `mcause`.
        mcause: u64,
        /// `mtval`.
        mtval: u64,
    },
    /// The user quit at the console (Ctrl-A X).
    Quit,
    /// The emulator panicked while running this VM; the message.
    EmulatorBug(String),
    /// The VM could not be built (bad input); the message.
    Error(String),
}

impl ExitReason {
    /// The process exit status this reason maps to: the guest's own code for a power-off
    /// (its low 8 bits, or 1 when those are zero for a non-zero code), [`EXIT_BUDGET`],
    /// [`EXIT_TIME_LIMIT`], [`EXIT_GUEST_FAULT`], [`EXIT_EMULATOR_BUG`], 0 for a quit, 1 for an
    /// error.
    pub fn exit_status(&self) -> u8 {
        match self {
            ExitReason::PowerOff(0) | ExitReason::Quit => 0,
            ExitReason::PowerOff(c) if c & 0xff == 0 => 1,
            ExitReason::PowerOff(c) => *c as u8,
            ExitReason::BudgetSpent => EXIT_BUDGET,
            ExitReason::TimeLimit => EXIT_TIME_LIMIT,
            ExitReason::GuestFault { .. } => EXIT_GUEST_FAULT,
            ExitReason::EmulatorBug(_) => EXIT_EMULATOR_BUG,
            ExitReason::Error(_) => 1,
        }
    }
}

impl std::fmt::Display for ExitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitReason::PowerOff(0) => write!(f, "powered off (success)"),
            ExitReason::PowerOff(c) => write!(f, "powered off with failure code {c}"),
            ExitReason::BudgetSpent => write!(f, "instruction budget spent"),
            ExitReason::TimeLimit => write!(f, "wall-time limit reached"),
            ExitReason::GuestFault { pc, mcause, mtval } => write!(
                f,
                "guest fault: trapped with no usable M-mode handler (mtvec {pc:#x}, mcause \
                 {mcause}, mtval {mtval:#x})"
            ),
            ExitReason::Quit => write!(f, "quit from the console"),
            ExitReason::EmulatorBug(m) => write!(f, "emulator bug (panic): {m}"),
            ExitReason::Error(m) => write!(f, "error: {m}"),
        }
    }
}

/// What a VM did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmStats {
    /// Instructions executed (attempted, as the engine counts its budget).
    pub instructions: u64,
    /// Wall time spent in the run loop.
    pub wall: Duration,
    /// Wall time spent asleep in `wfi`.
    pub idle: Duration,
    /// Times the hart slept in `wfi`.
    pub wfi_sleeps: u64,
    /// Resets requested by the guest.
    pub resets: u64,
    /// The hart's TLB counters.
    pub tlb: TlbStats,
    /// The interpreter's decode-cache counters.
    pub decode: CacheStats,
    /// The translator's counters, when it ran the hart.
    pub dbt: Option<DbtStats>,
    /// Exceptions and interrupts the hart took (summed over guest resets).
    pub traps: TrapCounts,
}

impl VmStats {
    /// Guest instructions per second of wall time not spent asleep, in millions.
    pub fn mips(&self) -> f64 {
        let busy = self.wall.saturating_sub(self.idle).as_secs_f64();
        if busy > 0.0 {
            self.instructions as f64 / busy / 1e6
        } else {
            0.0
        }
    }

    /// The TLB's fast-table hit rate, 0..1.
    pub fn tlb_hit_rate(&self) -> f64 {
        let total = self.tlb.hits + self.tlb.misses;
        if total == 0 {
            1.0
        } else {
            self.tlb.hits as f64 / total as f64
        }
    }
}

impl std::fmt::Display for VmStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let total = self.decode.hits + self.decode.misses;
        let decode_rate = if total == 0 {
            1.0
        } else {
            self.decode.hits as f64 / total as f64
        };
        write!(
            f,
            "{} instructions in {:.3} s ({:.3} s idle in wfi, {} sleeps): {:.1} guest MIPS; \
             {} exceptions and {} interrupts taken; TLB hit rate {:.2}% ({} walks); decode \
             cache hit rate {:.2}%",
            self.instructions,
            self.wall.as_secs_f64(),
            self.idle.as_secs_f64(),
            self.wfi_sleeps,
            self.mips(),
            self.traps.exceptions,
            self.traps.interrupts,
            100.0 * self.tlb_hit_rate(),
            self.tlb.walks,
            100.0 * decode_rate,
        )?;
        #[cfg(target_arch = "x86_64")]
        if let Some(d) = &self.dbt {
            write!(
                f,
                "; translator: {} blocks ({} guest, {} host instructions, {} KiB of code) in \
                 {:.3} s, {} instructions run translated and {} interpreted, {} chains, {} \
                 jump-cache hits, {} lookups, {} sync exits, {} page invalidations, {} cache \
                 flushes",
                d.blocks_translated,
                d.guest_insts_translated,
                d.host_insts_emitted,
                d.code_bytes / 1024,
                d.translate_time.as_secs_f64(),
                d.translated_run,
                d.interpreted,
                d.chains,
                d.jump_cache_hits,
                d.lookups,
                d.sync_exits,
                d.invalidations,
                d.cache_flushes,
            )?;
        }
        Ok(())
    }
}

/// How a VM ended, with its stats.
#[derive(Clone, Debug, PartialEq)]
pub struct VmReport {
    /// The VM's name.
    pub name: String,
    /// Why it ended.
    pub exit: ExitReason,
    /// What it did.
    pub stats: VmStats,
}

/// A console output shared by the UART and HTIF.
#[derive(Clone)]
struct SharedOutput(Arc<Mutex<ConsoleOutput>>);

impl Write for SharedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).flush()
    }
}

/// A handle to a VM from other threads: console input and quit.
#[derive(Clone, Debug)]
pub struct VmHandle {
    input: ConsoleInput,
    quit: Arc<AtomicBool>,
    wakeup: Arc<Wakeup>,
}

impl VmHandle {
    /// Types `bytes` at the VM's console; past the input queue's capacity
    /// ([`crate::devices::uart16550::INPUT_CAPACITY`] bytes the guest has not read) the rest
    /// is dropped.
    pub fn send_input(&self, bytes: &[u8]) {
        self.input.push(bytes);
    }

    /// Types as many of `bytes` as the input queue takes; returns how many (offer the rest
    /// again later, once the guest has read some).
    pub fn try_send_input(&self, bytes: &[u8]) -> usize {
        self.input.try_push(bytes)
    }

    /// Asks the VM to end with [`ExitReason::Quit`] (within one slice).
    pub fn quit(&self) {
        self.quit.store(true, Ordering::Release);
        self.wakeup.post();
    }
}

/// Where everything goes at reset.
#[derive(Debug)]
struct BootPlan {
    images: Vec<Image>,
    fdt: Vec<u8>,
    rom: Vec<u8>,
}

/// One virtual machine.
pub struct Vm {
    config: VmConfig,
    board: Board,
    cpu: Cpu,
    plan: BootPlan,
    htif: Option<Htif>,
    output: SharedOutput,
    quit: Arc<AtomicBool>,
    stats: VmStats,
}

impl std::fmt::Debug for Vm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vm")
            .field("config", &self.config)
            .field("hart", self.cpu.hart())
            .finish_non_exhaustive()
    }
}

fn align_up(v: u64, a: u64) -> u64 {
    v.div_ceil(a) * a
}

fn align_down(v: u64, a: u64) -> u64 {
    v / a * a
}

/// The `riscv,isa` string for a hart, from what its `misa` advertises, and Sstc when the hart
/// has a `time` source (its `stimecmp` compares against `time`). Linux 6.1 reads the
/// extensions from this string only (`riscv,isa-extensions` came later); with `_sstc` it
/// programs `stimecmp` itself instead of asking OpenSBI for each timer event.
fn isa_string(hart: &Hart) -> String {
    let misa = hart.misa();
    let mut s = String::from("rv64");
    for letter in "imafdc".chars() {
        if misa & (1 << (letter as u8 - b'a')) != 0 {
            s.push(letter);
        }
    }
    s.push_str("_zicsr_zifencei_zba_zbb_zbc_zbs");
    if hart.config().time.is_some() {
        s.push_str("_sstc");
    }
    s
}

impl Vm {
    /// Builds the VM of `config`, its console writing to `output`. Every input file is read
    /// and checked here.
    pub fn new(config: VmConfig, output: ConsoleOutput) -> Result<Vm> {
        if config.smp != 1 {
            return Err(Error::Unsupported(format!(
                "--smp {} (more than one hart)",
                config.smp
            )));
        }
        let output = SharedOutput(Arc::new(Mutex::new(output)));
        let board = Board::new(
            config.memory,
            config.smp,
            Box::new(output.clone()),
            config.drive.as_ref(),
        )?;
        let hart = Self::new_hart(&board, config.mmu);
        let isa = isa_string(&hart);
        let plan = Self::plan(&config, &isa)?;
        let htif = plan.images.iter().find_map(|i| {
            i.tohost.map(|t| Htif {
                tohost: PhysAddr(t),
                fromhost: i.fromhost.map(PhysAddr),
            })
        });
        let cpu = Cpu::new(config.engine, hart, board.map.clone())?;
        let mut vm = Vm {
            config,
            board,
            cpu,
            plan,
            htif,
            output,
            quit: Arc::new(AtomicBool::new(false)),
            stats: VmStats::default(),
        };
        vm.load()?;
        vm.attach_engine()?;
        Ok(vm)
    }

    fn new_hart(board: &Board, max_satp_mode: SatpMode) -> Hart {
        let time: Arc<dyn TimeSource> = board.clock.clone();
        let mut hart = Hart::new(HartConfig {
            hartid: 0,
            extensions: Extensions::ALL,
            time: Some(time),
            irq: board.harts[0].clone(),
            max_satp_mode,
        });
        hart.set_pc(ROM_BASE);
        hart
    }

    /// Decides where every image goes and checks that they fit, before anything is copied.
    fn plan(config: &VmConfig, isa: &str) -> Result<BootPlan> {
        let ram_end = map::RAM + config.memory;
        let mut place = Placement::new(map::RAM, config.memory);
        let mut images = Vec::new();
        let (start, next, kernel_entry);
        match (&config.bios, &config.kernel) {
            (Firmware::Default, None) => {
                let demo = loader::raw_image(
                    Path::new("built-in guest"),
                    &crate::demo::program(),
                    map::RAM,
                );
                place.place(&demo)?;
                start = demo.entry;
                next = 0;
                kernel_entry = demo.entry;
                images.push(demo);
            }
            (Firmware::None, None) => {
                return Err(Error::Config {
                    what: "--bios none".into(),
                    why: "needs --kernel (the program to start in M-mode)".into(),
                })
            }
            (Firmware::None, Some(k)) => {
                let kernel = loader::image_from_file(k, map::RAM)?;
                place.place(&kernel)?;
                start = kernel.entry;
                next = 0;
                kernel_entry = kernel.entry;
                images.push(kernel);
            }
            (bios, kernel) => {
                let path = match bios {
                    Firmware::Path(p) => p.clone(),
                    _ => PathBuf::from(DEFAULT_BIOS),
                };
                let fw = loader::image_from_file(&path, map::RAM)?;
                place.place(&fw)?;
                start = fw.entry;
                // As QEMU's riscv_calc_kernel_start_addr: a raw payload goes at the first
                // 2 MiB boundary after the firmware.
                let raw_at = align_up(fw.span().1, 2 << 20);
                images.push(fw);
                match kernel {
                    Some(k) => {
                        let kernel = loader::image_from_file(k, raw_at)?;
                        place.place(&kernel)?;
                        next = kernel.entry;
                        kernel_entry = kernel.entry;
                        images.push(kernel);
                    }
                    None => {
                        // QEMU passes no next address without a kernel.
                        next = 0;
                        kernel_entry = raw_at;
                    }
                }
            }
        }
        let mut initrd_range = None;
        if let Some(path) = &config.initrd {
            let data = loader::read_file(path)?;
            // As QEMU 7.2's riscv_load_initrd: half of RAM, at most 128 MiB, after the kernel.
            let at = kernel_entry.saturating_add((config.memory / 2).min(128 << 20));
            let initrd = loader::raw_image(path, &data, at);
            place.place(&initrd)?;
            initrd_range = Some((at, at + data.len() as u64));
            images.push(initrd);
        }
        let blob = fdt::build(&FdtConfig {
            ram_base: map::RAM,
            ram_size: config.memory,
            harts: config.smp,
            isa: isa.to_owned(),
            mmu_type: crate::config::mmu_type(config.mmu).into(),
            bootargs: config.append.clone(),
            initrd: initrd_range,
        })?;
        // As QEMU's riscv_compute_fdt_addr: the top of RAM below 3 GiB, 2 MiB aligned.
        let top = ram_end.min(3 << 30);
        let fdt_addr = top
            .checked_sub(blob.len() as u64)
            .map(|a| align_down(a, 2 << 20))
            .filter(|&a| a >= map::RAM)
            .ok_or_else(|| Error::Config {
                what: "-m".into(),
                why: format!(
                    "{} bytes of RAM leave no room for the device tree",
                    config.memory
                ),
            })?;
        let fdt_image = loader::raw_image(Path::new("device tree"), &blob, fdt_addr);
        place.place(&fdt_image)?;
        let rom = ResetVector {
            start,
            fdt: fdt_addr,
            next,
        }
        .rom();
        images.push(fdt_image);
        Ok(BootPlan {
            images,
            fdt: blob,
            rom,
        })
    }

    /// Copies the ROM and every image into guest memory (zeroing up to each segment's memory
    /// size).
    fn load(&mut self) -> Result<()> {
        let map = &self.board.map;
        let fail = |name: &str, addr: u64| Error::DoesNotFit {
            path: PathBuf::from(name),
            why: format!("cannot write guest memory at {addr:#x}"),
        };
        map.write_bytes(PhysAddr(ROM_BASE), &self.plan.rom)
            .map_err(|_| fail("boot ROM", ROM_BASE))?;
        for img in &self.plan.images {
            for s in &img.segments {
                map.write_bytes(PhysAddr(s.addr), &s.data)
                    .map_err(|_| fail(&img.name, s.addr))?;
                let zeros = s.size - s.data.len() as u64;
                if zeros > 0 {
                    let at = s.addr + s.data.len() as u64;
                    map.write_bytes(PhysAddr(at), &vec![0; zeros as usize])
                        .map_err(|_| fail(&img.name, at))?;
                }
            }
        }
        Ok(())
    }

    /// Connects the engine to the board's power latch and opens the trace.
    fn attach_engine(&mut self) -> Result<()> {
        self.board.power.connect(self.cpu.stop_handle());
        if let Some(path) = &self.config.trace {
            let out = create_output(path, "the trace file")?;
            self.cpu.set_trace(Some(out));
        }
        if let Some(path) = &self.config.block_log {
            if !self.cpu.translates() {
                return Err(Error::Config {
                    what: format!("--block-log {}", path.display()),
                    why: "only the translator (--engine dbt) translates blocks".into(),
                });
            }
            let out = create_output(path, "the block log")?;
            self.cpu.set_block_log(out);
        }
        Ok(())
    }

    /// The device tree blob the guest receives in `a1`.
    pub fn fdt(&self) -> &[u8] {
        &self.plan.fdt
    }

    /// The VM's configuration.
    pub fn config(&self) -> &VmConfig {
        &self.config
    }

    /// A handle for console input and quitting, usable from other threads.
    pub fn handle(&self) -> VmHandle {
        VmHandle {
            input: self.board.input.clone(),
            quit: self.quit.clone(),
            wakeup: self.board.wakeup.clone(),
        }
    }

    /// The hart (for tests and debuggers).
    pub fn hart(&self) -> &Hart {
        self.cpu.hart()
    }

    /// A guest reset: the ROM and images are written again and the hart restarts at the ROM.
    fn reset(&mut self) -> Result<()> {
        self.stats.resets += 1;
        self.count_traps();
        self.load()?;
        let mut cpu = Cpu::new(
            self.config.engine,
            Self::new_hart(&self.board, self.config.mmu),
            self.board.map.clone(),
        )?;
        std::mem::swap(&mut self.cpu, &mut cpu);
        self.attach_engine()
    }

    /// Adds the current hart's trap counts to the stats (before the hart is replaced at a reset,
    /// and at the end).
    fn count_traps(&mut self) {
        let t = self.cpu.hart().trap_counts();
        self.stats.traps.exceptions += t.exceptions;
        self.stats.traps.interrupts += t.interrupts;
    }

    /// Whether the hart is stuck re-trapping at an M-mode handler that cannot be fetched.
    fn stuck_in_trap(&self) -> Option<ExitReason> {
        let h = self.cpu.hart();
        let csr = |c| h.peek_csr(c).unwrap_or(0);
        let (mtvec, mepc, mcause) = (csr(Csr::MTVEC) & !3, csr(Csr::MEPC), csr(Csr::MCAUSE));
        let fetch_fault = mcause == 1 || mcause == 12;
        (h.privilege() == Privilege::Machine && fetch_fault && mepc == mtvec && h.pc() == mtvec)
            .then(|| ExitReason::GuestFault {
                pc: mtvec,
                mcause,
                mtval: csr(Csr::MTVAL),
            })
    }

    /// Runs the VM until it ends, and reports why.
    pub fn run(&mut self) -> VmReport {
        let exit = self.run_loop();
        self.board.flush_console();
        let _ = self.output.flush();
        self.cpu.set_trace(None);
        self.stats.tlb = self.cpu.hart().mmu().tlb().stats();
        self.stats.decode = self.cpu.cache_stats();
        self.stats.dbt = self.cpu.dbt_stats();
        self.count_traps();
        VmReport {
            name: self.config.name.clone(),
            exit,
            stats: self.stats,
        }
    }

    fn run_loop(&mut self) -> ExitReason {
        let started = Instant::now();
        let deadline = self.config.time_limit.map(|t| started + t);
        let mut slices = 0u64;
        let exit = loop {
            self.stats.wall = started.elapsed();
            if self.quit.load(Ordering::Acquire) {
                break ExitReason::Quit;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break ExitReason::TimeLimit;
            }
            let mut n = if self.cpu.translates() {
                SLICE_TRANSLATED
            } else {
                SLICE
            };
            if let Some(max) = self.config.max_insns {
                let left = max.saturating_sub(self.stats.instructions);
                if left == 0 {
                    break ExitReason::BudgetSpent;
                }
                n = n.min(left);
            }
            self.board.tick();
            let before = self.cpu.hart().instret();
            let reason = self.cpu.run(n);
            self.stats.instructions += match reason {
                StopReason::BudgetSpent => n,
                _ => self.cpu.hart().instret().wrapping_sub(before).min(n),
            };
            if let Some(htif) = self.htif {
                if let Some(ev) = htif.poll(&self.board.map, &mut self.output) {
                    self.board.power.post(ev);
                }
            }
            match self.board.power.take() {
                Some(PowerEvent::Off(code)) => break ExitReason::PowerOff(code),
                Some(PowerEvent::Reset) => {
                    if let Err(e) = self.reset() {
                        break ExitReason::Error(e.to_string());
                    }
                    continue;
                }
                None => {}
            }
            if let Some(obs) = &self.config.observer {
                obs(self.stats.instructions);
            }
            slices += 1;
            if slices % 64 == 0 {
                self.board.flush_console();
            }
            match reason {
                StopReason::Wfi => self.sleep(deadline),
                StopReason::BudgetSpent => {
                    if let Some(fault) = self.stuck_in_trap() {
                        break fault;
                    }
                }
                StopReason::Breakpoint | StopReason::StopRequested => {}
            }
        };
        self.stats.wall = started.elapsed();
        exit
    }

    /// Sleeps in `wfi` until the next timer deadline, console input, or the time limit.
    fn sleep(&mut self, limit: Option<Instant>) {
        self.board.tick();
        self.cpu.hart().poll_timer_now();
        if self.cpu.hart().wakeup_pending() != 0 || self.board.busy() {
            return;
        }
        self.board.flush_console();
        let now = Instant::now();
        // At most 50 ms at a time, so quit requests and the RTC's alarm are seen; a timer
        // already due (but masked) does not wake the hart, so it is not a reason to wake.
        let mut until = now + Duration::from_millis(50);
        // The CLINT's mtimecmp, and the hart's own stimecmp when it has Sstc.
        let stimecmp = self
            .cpu
            .hart()
            .peek_csr(Csr(0x14d))
            .and_then(|t| self.board.clock.instant_of(t));
        for t in [self.board.next_timer(), stimecmp].into_iter().flatten() {
            if t > now {
                until = until.min(t);
            }
        }
        if let Some(l) = limit {
            until = until.min(l);
        }
        self.board.wakeup.wait_until(until);
        self.stats.wfi_sleeps += 1;
        self.stats.idle += now.elapsed();
    }
}

/// A buffered file for an output the VM writes (`what` names it in the error).
fn create_output(path: &std::path::Path, what: &str) -> Result<Box<dyn std::io::Write + Send>> {
    let file = std::fs::File::create(path).map_err(|source| Error::Io {
        what: format!("{}: cannot create {what}", path.display()),
        source,
    })?;
    Ok(Box::new(std::io::BufWriter::new(file)))
}
