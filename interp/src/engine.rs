//! The `Engine` trait that both engines implement, and the interpreter.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ospite_isa::{decode, Class, Inst, Op};
use ospite_mmu::{AccessSize, AccessType, Bus, PhysAddr, VirtAddr, PAGE_SIZE};

use crate::cache::{CacheStats, DecodeCache};
use crate::exec::{execute, Flow};
use crate::hart::Hart;
use crate::trace::{Before, Trace};
use crate::trap::Exception;

/// Why [`Engine::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StopReason {
    /// The budget of instructions is spent.
    BudgetSpent,
    /// The hart executed `wfi` and no interrupt is pending in `mie`; the pc is after the `wfi`.
    /// Run again when a line changes (running again at once is also correct: `wfi` may be a
    /// no-op).
    Wfi,
    /// An `ebreak` with debug breakpoints on; the pc is at the `ebreak`, which did not execute.
    Breakpoint,
    /// [`StopHandle::stop`] was called.
    StopRequested,
}

/// A handle that asks a running engine to return at its next instruction boundary, from any
/// thread.
#[derive(Clone, Debug, Default)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    /// Asks the engine to stop; it returns [`StopReason::StopRequested`] and clears the request.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// An execution engine for one hart.
pub trait Engine {
    /// Runs until `budget` instructions have been attempted (an instruction that raises an
    /// exception counts), `wfi` with nothing pending, a debug breakpoint, or a stop request.
    /// Interrupts are taken between instructions.
    fn run(&mut self, budget: u64) -> StopReason;

    /// Runs exactly one instruction (after taking a pending interrupt, if any, so that the
    /// instruction is the handler's first). Returns [`StopReason::BudgetSpent`] when it ran.
    fn step(&mut self) -> StopReason {
        self.run(1)
    }

    /// The hart.
    fn hart(&self) -> &Hart;

    /// The hart, mutably.
    fn hart_mut(&mut self) -> &mut Hart;
}

/// The interpreter: runs a [`Hart`] over a [`Bus`], with a decoded-instruction cache (see the
/// `cache` module doc in the source for its invalidation rules: `fence.i` and this hart's own
/// stores to cached pages).
pub struct Interpreter<B: Bus> {
    hart: Hart,
    bus: B,
    cache: DecodeCache,
    debug_breakpoints: bool,
    stop: StopHandle,
    trace: Option<Trace>,
}

impl<B: Bus> Interpreter<B> {
    /// An interpreter for `hart` over `bus`.
    pub fn new(hart: Hart, bus: B) -> Self {
        Interpreter {
            hart,
            bus,
            cache: DecodeCache::default(),
            debug_breakpoints: false,
            stop: StopHandle::default(),
            trace: None,
        }
    }

    /// Starts (`Some`) or stops (`None`) the instruction trace in Spike's commit-log format
    /// (see the `trace` module doc in the source): one line per retired instruction, written to
    /// `out`. A writer that is replaced is flushed and dropped. A write error turns the trace
    /// off. When off, the trace costs one test per [`Engine::run`] call (the run loop is
    /// compiled without the trace).
    pub fn set_trace(&mut self, out: Option<Box<dyn std::io::Write + Send>>) {
        if let Some(old) = self.trace.take() {
            drop(old.into_inner());
        }
        self.trace = out.map(Trace::new);
    }

    /// Writes the trace line of `inst`, which has just retired.
    #[inline(never)]
    fn trace_commit(&mut self, inst: &Inst, before: Before) {
        if let Some(t) = self.trace.as_mut() {
            if t.commit(&mut self.hart, &self.bus, inst, before).is_err() {
                self.trace = None;
            }
        }
    }

    /// When on, `ebreak` stops the engine with [`StopReason::Breakpoint`] instead of raising a
    /// breakpoint exception in the guest.
    pub fn set_debug_breakpoints(&mut self, on: bool) {
        self.debug_breakpoints = on;
    }

    /// A handle to stop this engine from another thread.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// The bus.
    pub fn bus(&self) -> &B {
        &self.bus
    }

    /// The decode cache's counters.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats
    }

    /// Fetches and decodes the instruction at the pc, through the cache.
    #[inline(always)]
    fn fetch(&mut self) -> Result<Inst, Exception> {
        match self.cache.get_in_fetch_page(self.hart.pc) {
            Some(inst) => Ok(inst),
            None => self.fetch_translated(),
        }
    }

    /// [`Interpreter::fetch`] outside the remembered page: translate the pc, then look up.
    fn fetch_translated(&mut self) -> Result<Inst, Exception> {
        let hart = &mut self.hart;
        let pc = VirtAddr(hart.pc);
        let ctx = hart.translate_ctx();
        let pa = hart.mmu.translate(&self.bus, &ctx, pc, AccessType::Fetch)?;
        if let Some(inst) = self.cache.get(pa.0) {
            self.cache.remember_fetch_page(pc.0, pa.0);
            return Ok(inst);
        }
        self.cache.stats.misses += 1;
        let ext = hart.config.extensions;
        let low = hart.mmu.fetch(&self.bus, &ctx, pc, AccessSize::B2)?;
        let crosses = pc.page_offset() == PAGE_SIZE - 2;
        let bits = if low & 3 != 3 {
            low
        } else if crosses {
            let high = hart
                .mmu
                .fetch(&self.bus, &ctx, pc.wrapping_add(2), AccessSize::B2)?;
            low | high << 16
        } else {
            hart.mmu.fetch(&self.bus, &ctx, pc, AccessSize::B4)?
        };
        let inst = decode(bits as u32, ext).map_err(|_| Exception::illegal(bits))?;
        let cacheable = !(crosses && low & 3 == 3)
            && self
                .bus
                .host_page(PhysAddr(pa.0 & !(PAGE_SIZE - 1)))
                .is_some();
        if cacheable {
            self.cache.insert(pa.0, inst);
            self.cache.remember_fetch_page(pc.0, pa.0);
        }
        Ok(inst)
    }

    /// After a store, SC or AMO: drops cached code on the pages it wrote.
    fn after_store(&mut self, inst: &Inst, base: u64) {
        if self.cache.is_empty() {
            return;
        }
        let (va, width) = match inst.op.class() {
            Class::Store(w) => (base.wrapping_add(inst.imm as i64 as u64), w),
            Class::StoreConditional(w) | Class::Amo(w) => (base, w),
            _ => return,
        };
        let ctx = self.hart.translate_ctx();
        for at in [va, va.wrapping_add(u64::from(width) - 1)] {
            if let Ok(pa) =
                self.hart
                    .mmu
                    .translate(&self.bus, &ctx, VirtAddr(at), AccessType::Store)
            {
                self.cache.invalidate(pa.0);
            }
        }
    }
}

impl<B: Bus> Interpreter<B> {
    /// The run loop, compiled twice: with `TRACE` off it has no trace code at all.
    fn run_loop<const TRACE: bool>(&mut self, budget: u64) -> StopReason {
        for _ in 0..budget {
            // A plain load first: the swap (a locked instruction) only when a stop is asked.
            if self.stop.0.load(Ordering::Relaxed) && self.stop.0.swap(false, Ordering::AcqRel) {
                return StopReason::StopRequested;
            }
            if self.hart.wakeup_pending() != 0 && self.hart.check_interrupts() {
                self.cache.forget_fetch_page();
            }
            let inst = match self.fetch() {
                Ok(inst) => inst,
                Err(e) => {
                    self.hart.raise(e);
                    self.cache.forget_fetch_page();
                    continue;
                }
            };
            if inst.op == Op::Ebreak && self.debug_breakpoints {
                return StopReason::Breakpoint;
            }
            let base = self.hart.xi(inst.rs1.idx());
            let before = TRACE.then(|| Before::capture(&self.hart, &inst));
            let result = execute(&mut self.hart, &self.bus, &inst);
            if let (Some(before), Ok(_)) = (before, &result) {
                self.trace_commit(&inst, before);
            }
            match result {
                Ok(Flow::Continue) => match inst.op.class() {
                    Class::Store(_) | Class::StoreConditional(_) | Class::Amo(_) => {
                        self.after_store(&inst, base);
                    }
                    Class::Csr | Class::Return | Class::SfenceVma | Class::Trap => {
                        self.cache.forget_fetch_page();
                    }
                    _ => {}
                },
                Ok(Flow::FenceI) => self.cache.flush(),
                Ok(Flow::Wfi) => {
                    self.cache.forget_fetch_page();
                    if self.hart.wakeup_pending() == 0 {
                        return StopReason::Wfi;
                    }
                }
                Err(e) => {
                    self.hart.raise(e);
                    self.cache.forget_fetch_page();
                }
            }
        }
        StopReason::BudgetSpent
    }
}

impl<B: Bus> Engine for Interpreter<B> {
    fn run(&mut self, budget: u64) -> StopReason {
        // One test per call: the untraced loop carries no trace code.
        if self.trace.is_some() {
            self.run_loop::<true>(budget)
        } else {
            self.run_loop::<false>(budget)
        }
    }

    fn hart(&self) -> &Hart {
        &self.hart
    }

    fn hart_mut(&mut self) -> &mut Hart {
        // The caller may change the pc's translation (satp, privilege, mstatus).
        self.cache.forget_fetch_page();
        &mut self.hart
    }
}

impl<B: Bus> std::fmt::Debug for Interpreter<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interpreter")
            .field("hart", &self.hart)
            .field("debug_breakpoints", &self.debug_breakpoints)
            .field("trace", &self.trace.is_some())
            .field("cache", &self.cache.stats)
            .finish_non_exhaustive()
    }
}
