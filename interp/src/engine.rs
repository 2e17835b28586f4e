//! The `Engine` trait that both engines implement, and the interpreter.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ospite_isa::{decode, Class, Ext, Inst, Op};
use ospite_mmu::{AccessSize, AccessType, Bus, PhysAddr, VirtAddr, PAGE_SIZE};

use crate::cache::{CacheStats, DecodeCache, DecodeCacheLimit};
use crate::exec::{
    ends_block, execute, fuse, fuse_triple, DataModes, Decoded, Env, Flow, RamView, CODE_END,
    CODE_JUMPED, CODE_RAN_OUT, CODE_STORED, CODE_STORED_SLOW,
};
use crate::hart::Hart;
use crate::jump_cache::Block;
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

/// A handle that asks a running engine to return soon, at an instruction boundary, from any
/// thread (the interpreter looks before a block, at least every few blocks).
#[derive(Clone, Debug, Default)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    /// Asks the engine to stop; it returns [`StopReason::StopRequested`] and clears the request.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether a stop was asked; clears the request (for engines built on this one).
    #[inline]
    pub fn take_request(&self) -> bool {
        // A plain load first: the swap (a locked instruction) only when a stop is asked.
        self.0.load(Ordering::Relaxed) && self.0.swap(false, Ordering::AcqRel)
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
    /// On the heap wherever the interpreter is: on the caller's stack, the handlers' loads of
    /// the registers ran up to a quarter slower (sieve 0.85 against 0.67 s, same code).
    hart: Box<Hart>,
    bus: B,
    cache: DecodeCache<B>,
    debug_breakpoints: bool,
    stop: StopHandle,
    trace: Option<Trace>,
    mark_code_pages: bool,
    /// Where [`Interpreter::build_block`] gathers a block before it is stored at its exact
    /// size: one allocation per block rather than a growing vector's several, which left
    /// the heap fragmented (megabytes over a Linux boot).
    block_scratch: Vec<Decoded<B>>,
    /// The regimes of data accesses, for the jump cache's generation they were worked out in
    /// (a new generation starts whenever the translation context may have changed).
    data_modes: Option<(u64, DataModes)>,
    /// A physical address in the RAM region that code was last fetched from, where loads and
    /// stores most likely go too (see `exec::RamView`).
    ram_hint: Option<u64>,
    /// The number of the last run of blocks (see `exec::Env::run`).
    runs: u64,
    /// The bus's [`Bus::bulk_writes`] at the last `fence.i` that emptied the cache.
    fenced_bulk_writes: Option<u64>,
}

impl<B: Bus> Interpreter<B> {
    /// An interpreter for `hart` over `bus`.
    pub fn new(hart: Hart, bus: B) -> Self {
        Interpreter {
            hart: Box::new(hart),
            bus,
            cache: DecodeCache::default(),
            debug_breakpoints: false,
            stop: StopHandle::default(),
            trace: None,
            mark_code_pages: false,
            block_scratch: Vec::new(),
            data_modes: None,
            ram_hint: None,
            runs: 0,
            fenced_bulk_writes: None,
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

    /// When on, every page the interpreter starts caching decoded instructions of is marked as
    /// code in RAM ([`Bus::set_code_page`]) and dropped from the hart's TLB, so that any store
    /// to it, by translated code too, is noted by the MMU
    /// ([`ospite_mmu::Mmu::take_code_writes`]). A translator that shares this interpreter turns
    /// it on.
    pub fn set_mark_code_pages(&mut self, on: bool) {
        if on != self.mark_code_pages {
            // The cached pages were noted the other way.
            self.flush_cache();
            self.mark_code_pages = on;
        }
    }

    /// Before the cache takes a new page, that of `pa`: marks it as code when
    /// [`Interpreter::set_mark_code_pages`] is on, else has the hart's TLB watch it
    /// ([`ospite_mmu::Tlb::watch_page`]). Either way a store-table hit without flags is a store
    /// that wrote no cached instruction, which the block loop's stores rely on.
    #[cold]
    fn note_code_page(&mut self, pa: u64) {
        if !self.mark_code_pages {
            self.hart.mmu.tlb_mut().watch_page(PhysAddr(pa));
        } else if !self.bus.host_page(PhysAddr(pa)).is_some_and(|h| h.code)
            && self.bus.set_code_page(PhysAddr(pa), true)
        {
            // Stores to a page already marked take the slow path: no entry to drop.
            self.hart.mmu.tlb_mut().flush_phys_page(PhysAddr(pa));
        }
    }

    /// `fence.i`: the decode cache drops what was written since it was decoded. This hart's
    /// own stores to cached code dropped it already (they are watched, or noted as stores to
    /// code pages), so only writes by others count: device DMA and loaders, which move
    /// [`Bus::bulk_writes`] and mark the pages they write dirty. Without any since the last
    /// look, the cache stays whole; with some, the dirty pages go. A distribution kernel
    /// patches its own code thousands of times while it boots (static keys, alternatives),
    /// each patch followed by a `fence.i`, and reads from disk between most of a system's.
    fn fence_i(&mut self) {
        self.cache.note_fence();
        let writes = self.bus.bulk_writes();
        if writes.is_some() && writes == self.fenced_bulk_writes {
            return;
        }
        if writes.is_none() {
            self.flush_cache();
            return;
        }
        self.fenced_bulk_writes = writes;
        for page in self.cache.cached_pages() {
            let written = self.bus.host_page(PhysAddr(page)).is_none_or(|h| h.dirty);
            if written {
                self.cache.invalidate(page);
                // Under a translator the dirty mark is its own (it clears it when it translates
                // the page); alone, the next look starts from here.
                if !self.mark_code_pages {
                    self.bus.clear_dirty_page(PhysAddr(page));
                }
            }
        }
    }

    /// Empties the decode cache and stops watching its pages.
    fn flush_cache(&mut self) {
        self.cache.flush();
        self.hart.mmu.tlb_mut().unwatch_all();
    }

    /// Has the hart's TLB watch every page the cache may hold (see
    /// [`Interpreter::note_code_page`]), should the hart's MMU have been replaced since.
    #[inline]
    fn watch_cached_pages(&mut self) {
        if !self.mark_code_pages {
            self.hart
                .mmu
                .tlb_mut()
                .watch_pages(self.cache.code_filter());
        }
    }

    /// [`Engine::run`], also returning the instructions attempted (as the budget counts them:
    /// at most `budget`, fewer when it stopped early).
    pub fn run_counted(&mut self, budget: u64) -> (StopReason, u64) {
        self.watch_cached_pages();
        // One test per call: the untraced loop carries no trace code.
        if self.trace.is_some() {
            self.run_traced(budget)
        } else {
            self.run_blocks(budget)
        }
    }

    /// Whether the instruction trace is on.
    pub fn is_tracing(&self) -> bool {
        self.trace.is_some()
    }

    /// The hart and the bus at once (for an engine that runs this interpreter's hart with its
    /// own code in between). The caller may change the pc's translation.
    pub fn parts_mut(&mut self) -> (&mut Hart, &B) {
        self.cache.forget_fetch_page();
        (&mut self.hart, &self.bus)
    }

    /// Drops the decoded instructions of the physical page holding `pa` (another engine wrote
    /// it).
    pub fn invalidate_code_page(&mut self, pa: u64) {
        self.cache.invalidate(pa);
    }

    /// Whether a decoded instruction overlaps the `len` bytes at physical address `pa` (which
    /// must not cross a page): a store there must drop the page with
    /// [`Interpreter::invalidate_code_page`].
    pub fn holds_code(&self, pa: u64, len: u64) -> bool {
        self.cache.holds_code(pa, len)
    }

    /// Bounds the decoded-instruction cache (when full it is emptied and refilled). An engine
    /// that runs hot code elsewhere, such as a translator, keeps it small.
    pub fn set_decode_cache_limit(&mut self, limit: DecodeCacheLimit) {
        self.cache.limit = limit;
    }

    /// Drops every decoded instruction.
    pub fn flush_code(&mut self) {
        self.flush_cache();
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
            if self.cache.page_of(pa.0).is_none() {
                self.note_code_page(pa.0);
            }
            self.cache.insert(pa.0, inst);
            self.cache.remember_fetch_page(pc.0, pa.0);
        }
        Ok(inst)
    }

    /// After a store, SC or AMO of `width` bytes at `va`: drops the pages it wrote when they
    /// hold cached code.
    fn after_store(&mut self, va: u64, width: u8) {
        if self.cache.is_empty() {
            return;
        }
        let ctx = self.hart.translate_ctx();
        for (at, len) in store_spans(va, width) {
            if len == 0 {
                continue;
            }
            if let Ok(pa) =
                self.hart
                    .mmu
                    .translate(&self.bus, &ctx, VirtAddr(at), AccessType::Store)
            {
                if self.cache.holds_code(pa.0, len) {
                    self.cache.invalidate(pa.0);
                }
            }
        }
    }
}

/// The bytes that `inst`, a store, SC or AMO, writes when `rs1` holds `base`: their address
/// and width.
fn store_target(inst: &Inst, base: u64) -> Option<(u64, u8)> {
    match inst.op.class() {
        Class::Store(w) | Class::FpStore(w) => Some((base.wrapping_add(inst.imm as i64 as u64), w)),
        Class::StoreConditional(w) | Class::Amo(w) => Some((base, w)),
        _ => None,
    }
}

/// The parts of a store of `width` bytes at `va` in each page it writes: (address, length),
/// the second with length 0 when the store stays in one page.
#[inline(always)]
fn store_spans(va: u64, width: u8) -> [(u64, u64); 2] {
    let in_first = (PAGE_SIZE - (va & (PAGE_SIZE - 1))).min(u64::from(width));
    let next = va.wrapping_add(in_first);
    [(va, in_first), (next, u64::from(width) - in_first)]
}

/// How many instructions of blocks that end in straight-line code or a jump may run before the
/// engine looks again at stop requests and at the interrupt lines (a block is never cut for
/// it: the engine looks after the block that reaches it). Such blocks change nothing that
/// enables or raises an interrupt (CSR accesses, traps, `xret` and stores to devices end a
/// block otherwise, and the engine looks right after them), so only a line raised from
/// outside, which is asynchronous anyway, is seen up to this many instructions later.
/// Unoptimised, the handlers' tail calls are real calls and a run nests a frame per
/// instruction: debug builds look after every block, which keeps the nesting to one block.
const CHECK_INTERVAL: u64 = if cfg!(debug_assertions) { 0 } else { 8192 };

/// The longest block, in instructions.
const MAX_BLOCK: usize = 256;

/// How a block's run ended, to be handled once the block is no longer borrowed.
enum Exit {
    /// At the end of the block.
    Done,
    /// After a store that did not go to RAM through the TLB's fast table: it may have written
    /// a device, which may have raised an interrupt line or asked to stop, so the engine looks
    /// before the next block.
    Device,
    /// An instruction raised an exception; it did not retire.
    Fault(Exception),
    /// A store wrote a page with cached code: the address and width of what it wrote (see
    /// `store_target`).
    Store(u64, u8),
    /// An `ebreak` with debug breakpoints on; it did not execute.
    Breakpoint,
    /// The block's last instruction, a system instruction, ran with this result; `true` when
    /// it was a CSR access that left the translation context as it was (so the fetch page and
    /// the jump cache stay valid).
    End(Result<Flow, Exception>, bool),
}

/// Counts `n` retired instructions (`minstret`, `mcycle`), unless inhibited.
#[inline(always)]
fn retire_n(hart: &mut Hart, n: u64) {
    let inhibit = hart.csr.mcountinhibit;
    if inhibit & 1 == 0 {
        hart.cycle = hart.cycle.wrapping_add(n);
    }
    if inhibit & 4 == 0 {
        hart.instret = hart.instret.wrapping_add(n);
    }
}

/// Whether store `d`, which ran with `base` in `rs1` and did not go through the TLB's fast
/// table, wrote cached code.
#[cold]
#[inline(never)]
fn stores_to_code<B: Bus>(
    hart: &mut Hart,
    bus: &B,
    cache: &DecodeCache<B>,
    d: &Decoded<B>,
    base: u64,
) -> bool {
    let Some((va, width)) = store_target(&d.inst, base) else {
        return false;
    };
    let ctx = hart.translate_ctx();
    store_spans(va, width).into_iter().any(|(at, len)| {
        len != 0
            && hart
                .mmu
                .translate(bus, &ctx, VirtAddr(at), AccessType::Store)
                .is_ok_and(|pa| cache.holds_code(pa.0, len))
    })
}

impl<B: Bus> Interpreter<B> {
    /// The run loop with the trace on: one instruction at a time.
    fn run_traced(&mut self, budget: u64) -> (StopReason, u64) {
        for i in 0..budget {
            if self.stop.0.load(Ordering::Relaxed) && self.stop.0.swap(false, Ordering::AcqRel) {
                return (StopReason::StopRequested, i);
            }
            if self.hart.wakeup_pending() != 0 && self.hart.check_interrupts() {
                self.cache.forget_fetch_page();
            }
            match self.step_one::<true>() {
                Some(StopReason::Breakpoint) => return (StopReason::Breakpoint, i),
                Some(stop) => return (stop, i + 1),
                None => {}
            }
        }
        (StopReason::BudgetSpent, budget)
    }

    /// Fetches, decodes (through the per-slot cache) and executes one instruction; the run
    /// loop with the trace on, and the fallback for code that is not in blocks (device memory,
    /// instructions across pages, fetch faults).
    fn step_one<const TRACE: bool>(&mut self) -> Option<StopReason> {
        let inst = match self.fetch() {
            Ok(inst) => inst,
            Err(e) => {
                self.hart.raise(e);
                self.cache.forget_fetch_page();
                return None;
            }
        };
        if inst.op == Op::Ebreak && self.debug_breakpoints {
            return Some(StopReason::Breakpoint);
        }
        let base = self.hart.xi(inst.rs1.idx());
        let before = TRACE.then(|| Before::capture(&self.hart, &inst));
        let result = execute(&mut self.hart, &self.bus, &inst);
        if let (Some(before), Ok(_)) = (before, &result) {
            self.trace_commit(&inst, before);
        }
        match result {
            Ok(Flow::Continue) => match inst.op.class() {
                Class::Store(_)
                | Class::FpStore(_)
                | Class::StoreConditional(_)
                | Class::Amo(_) => {
                    if let Some((va, width)) = store_target(&inst, base) {
                        self.after_store(va, width);
                    }
                }
                Class::Csr | Class::Return | Class::SfenceVma | Class::Trap => {
                    self.cache.forget_fetch_page();
                }
                _ => {}
            },
            Ok(Flow::FenceI) => self.fence_i(),
            Ok(Flow::Wfi) => {
                self.cache.forget_fetch_page();
                self.hart.poll_timer_now();
                if self.hart.wakeup_pending() == 0 {
                    return Some(StopReason::Wfi);
                }
            }
            Err(e) => {
                self.hart.raise(e);
                self.cache.forget_fetch_page();
            }
        }
        None
    }

    /// The block at the pc: its jump-cache entry, and whether it was just built. `None` when
    /// the pc cannot be run from a block (a fetch fault, device memory, an instruction that
    /// cannot be cached): the caller takes one step the slow way. A block built now is at most
    /// `left` instructions long.
    #[inline(always)]
    fn find_block(&mut self, left: u64) -> Option<(usize, bool)> {
        match self.cache.jumps.find(self.hart.pc) {
            Some(j) => Some((j, false)),
            None => self.find_block_in_page(left),
        }
    }

    /// [`Interpreter::find_block`] past the jump cache: through the fetch page and the page's
    /// block table, building the block if needed; then remembered in the jump cache.
    #[inline(never)]
    fn find_block_in_page(&mut self, left: u64) -> Option<(usize, bool)> {
        let pc = self.hart.pc;
        let slot = ((pc & (PAGE_SIZE - 1)) >> 1) as usize;
        let mut i = match self.cache.fetch_page_of(pc) {
            Some(i) => i,
            None => self.enter_page(pc)?,
        };
        let (b, fresh) = match self.cache.block_at(i, slot) {
            Some(b) => (b, false),
            None => {
                if self.cache.is_full() {
                    // Empty the cache, then build.
                    self.cache.flush_for_space();
                    self.hart.mmu.tlb_mut().unwatch_all();
                    i = self.enter_page(pc)?;
                }
                (self.build_block(i, slot, left)?, true)
            }
        };
        let block = self.cache.block(i, b).clone();
        Some((self.cache.jumps.remember(pc, block), fresh))
    }

    /// Translates the pc and remembers its page; `None` on a fault or outside RAM.
    #[inline(never)]
    fn enter_page(&mut self, pc: u64) -> Option<usize> {
        let ctx = self.hart.translate_ctx();
        let pa = self
            .hart
            .mmu
            .translate(&self.bus, &ctx, VirtAddr(pc), AccessType::Fetch)
            .ok()?;
        let i = match self.cache.page_of(pa.0) {
            Some(i) => i,
            None => {
                self.bus.host_page(PhysAddr(pa.0 & !(PAGE_SIZE - 1)))?;
                self.note_code_page(pa.0);
                self.cache.page_or_new(pa.0)
            }
        };
        self.cache.remember_fetch_page(pc, pa.0);
        self.ram_hint = Some(pa.0);
        Some(i)
    }

    /// Builds the block starting at slot `slot` of cache page `i`, from the per-slot cache and
    /// by decoding the slots not yet cached (counted as hits and misses).
    #[inline(never)]
    fn build_block(&mut self, i: usize, slot: usize, left: u64) -> Option<usize> {
        let ext = self.hart.config.extensions;
        let base = self.cache.ppn(i) << 12;
        let mut off = (slot as u64) << 1;
        // Without C, a block that starts on a half word (after a trap handler stepped over a
        // 2-byte parcel) branches back to a misaligned address, which traps: its branches
        // back take the full branch handlers. (`misa` is read-only: C stays as configured.)
        let back_ok = off & 3 == 0 || ext.has(Ext::C);
        let mut insts = std::mem::take(&mut self.block_scratch);
        // No longer than the budget: a translator interprets a few instructions at a time,
        // entering mid-run, and blocks to the run's end from each entry overlapped (18 MiB of
        // them in a Linux boot). A short block is still correct: the next one follows it.
        let max = usize::try_from(left)
            .unwrap_or(MAX_BLOCK)
            .clamp(1, MAX_BLOCK);
        while off < PAGE_SIZE && insts.len() < max {
            let s = (off >> 1) as usize;
            let inst = match self.cache.slot(i, s) {
                Some(inst) => {
                    self.cache.stats.hits += 1;
                    inst
                }
                None => {
                    let Some(inst) = self.decode_at(base + off, ext) else {
                        break;
                    };
                    self.cache.stats.misses += 1;
                    self.cache.set_slot(i, s, inst);
                    inst
                }
            };
            insts.push(Decoded::new(inst, off - (slot as u64) * 2, back_ok));
            off += inst.size();
            if ends_block(inst.op) {
                break;
            }
        }
        // Pairs that fuse run under one handler (see `exec::fuse`); the second keeps its own.
        // A triple (two instructions and a branch, `exec::fuse_triple`) takes the place of the
        // pair it starts with.
        for k in 1..insts.len() {
            let (last, off) = (insts[k].inst, u64::from(insts[k].pc_off));
            if let Some(h) = fuse::<B>(&insts[k - 1].inst, &last, off, back_ok) {
                insts[k - 1].exec = h;
            }
            if k >= 2 {
                let (first, second) = (&insts[k - 2].inst, &insts[k - 1].inst);
                if let Some(h) = fuse_triple::<B>(first, second, &last, off, back_ok) {
                    insts[k - 2].exec = h;
                }
            }
        }
        let block: Block<B> = insts.drain(..).collect();
        self.block_scratch = insts;
        if block.is_empty() {
            return None;
        }
        Some(self.cache.add_block(i, slot, block))
    }

    /// Decodes the instruction at physical address `pa` in RAM, if it is a valid instruction
    /// that lies inside its page.
    fn decode_at(&self, pa: u64, ext: ospite_isa::Extensions) -> Option<Inst> {
        let low = self.bus.load(PhysAddr(pa), AccessSize::B2).ok()?;
        let bits = if low & 3 != 3 {
            low
        } else if pa & (PAGE_SIZE - 1) == PAGE_SIZE - 2 {
            return None;
        } else {
            self.bus.load(PhysAddr(pa), AccessSize::B4).ok()?
        };
        decode(bits as u32, ext).ok()
    }

    /// The run loop with the trace off: a block at a time.
    fn run_blocks(&mut self, budget: u64) -> (StopReason, u64) {
        let mut left = budget;
        // Instructions that may still run before the next look at stop requests and
        // interrupts.
        let mut unchecked = 0;
        while left > 0 {
            if unchecked == 0 {
                // A plain load first: the swap (a locked instruction) only when a stop is
                // asked.
                if self.stop.0.load(Ordering::Relaxed) && self.stop.0.swap(false, Ordering::AcqRel)
                {
                    return (StopReason::StopRequested, budget - left);
                }
                if self.hart.wakeup_pending() != 0 && self.hart.check_interrupts() {
                    self.cache.forget_fetch_page();
                }
                unchecked = CHECK_INTERVAL;
            }
            let Some((j, fresh)) = self.find_block(left) else {
                unchecked = 0;
                left -= 1;
                match self.step_one::<false>() {
                    Some(StopReason::Breakpoint) => {
                        return (StopReason::Breakpoint, budget - left - 1);
                    }
                    Some(stop) => return (stop, budget - left),
                    None => continue,
                }
            };
            let (attempted, exit) = self.run_block(j, left, fresh, unchecked);
            if !fresh {
                self.cache.stats.hits += attempted;
            }
            left -= attempted;
            unchecked = unchecked.saturating_sub(attempted);
            if !matches!(exit, Exit::Done) {
                // Anything but straight-line code and jumps may have changed what is pending
                // or enabled: look before the next block.
                unchecked = 0;
                if let Some(stop) = self.after_block(exit) {
                    return (stop, budget - left);
                }
            }
        }
        (StopReason::BudgetSpent, budget)
    }

    /// What a block that did not simply end asks for: the trap, the code check, the system
    /// instruction's effects. `Some` when the run must stop.
    #[inline(never)]
    fn after_block(&mut self, exit: Exit) -> Option<StopReason> {
        match exit {
            Exit::Done | Exit::Device => {}
            Exit::Fault(e) => {
                self.hart.raise(e);
                self.cache.forget_fetch_page();
            }
            Exit::Store(va, width) => self.after_store(va, width),
            Exit::Breakpoint => return Some(StopReason::Breakpoint),
            Exit::End(Ok(Flow::Continue), true) => {}
            Exit::End(Ok(Flow::Continue), false) => self.cache.forget_fetch_page(),
            Exit::End(Ok(Flow::FenceI), _) => self.fence_i(),
            Exit::End(Ok(Flow::Wfi), _) => {
                self.cache.forget_fetch_page();
                self.hart.poll_timer_now();
                if self.hart.wakeup_pending() == 0 {
                    return Some(StopReason::Wfi);
                }
            }
            Exit::End(Err(e), _) => {
                self.hart.raise(e);
                self.cache.forget_fetch_page();
            }
        }
        None
    }

    /// The regimes of data accesses in the current translation context.
    #[inline(always)]
    fn data_modes(&mut self) -> DataModes {
        match self.data_modes {
            Some((generation, modes)) if generation == self.cache.jumps.generation() => modes,
            _ => self.new_data_modes(),
        }
    }

    #[cold]
    #[inline(never)]
    fn new_data_modes(&mut self) -> DataModes {
        let modes = DataModes::of(&mut self.hart);
        self.data_modes = Some((self.cache.jumps.generation(), modes));
        modes
    }

    /// Runs the block of jump-cache entry `j`, at most `left` instructions of it, and after it
    /// the blocks its jumps lead to that the jump cache holds and that fit whole in the budget
    /// and in the `unchecked` instructions left before the next look at stop requests and
    /// interrupts (see [`CHECK_INTERVAL`]), unless it is `fresh` (just built: that run is its
    /// decode, which the hit count leaves out). Returns the instructions attempted (a faulting
    /// one counts, a breakpoint does not) and how it ended.
    /// The pc stays at the running block's start (see `exec::Decoded`) and is set here when
    /// the run ends, unless a jump set it.
    #[inline(always)]
    fn run_block(&mut self, j: usize, left: u64, fresh: bool, unchecked: u64) -> (u64, Exit) {
        let modes = self.data_modes();
        let hart = &mut self.hart;
        let bus = &self.bus;
        let cache = &self.cache;
        let full = cache.jumps.block(j);
        let first = &full[..full.len().min(usize::try_from(left).unwrap_or(usize::MAX))];
        // The first block runs whole (within the budget); the blocks after it must fit in
        // what is left of the budget and of the interval.
        let left = match fresh {
            true => first.len() as u64,
            false => left.min(unchecked.max(first.len() as u64)),
        };
        self.runs += 1;
        let env = Env {
            bus,
            modes,
            run: self.runs,
            jumps: &cache.jumps,
            left: Cell::new(left),
            fresh,
            block: Cell::new(first),
            ram: self
                .ram_hint
                .map_or(RamView::NONE, |pa| RamView::at(bus, pa)),
        };
        let mut from = 0;
        let (attempted, exit) = loop {
            // Straight-line code: the handlers run each other (see `exec::handlers`) until
            // something stops the run.
            let block = env.block.get();
            let Some(first) = block.get(from) else {
                // Nothing left after a store that went on (the budget, or the page's end).
                if let Some(last) = block.last() {
                    hart.pc = hart.pc.wrapping_add(u64::from(last.next_off));
                }
                break (from as u64, Exit::Done);
            };
            let out = (first.exec)(hart, &env, first, &block[from + 1..]).outcome();
            // The block that stopped, which a jump may have changed.
            let block = env.block.get();
            let i = out.index(block.len());
            let d = &block[i];
            let start = hart.pc;
            let at = |off: u16| start.wrapping_add(u64::from(off));
            // Attempted in this block, `d` included.
            let n = i as u64 + 1;
            break match out.kind() {
                // The block ran out (the budget, or the page's end) after a plain instruction
                // or a store.
                CODE_RAN_OUT => {
                    hart.pc = at(d.next_off);
                    (n, Exit::Done)
                }
                CODE_JUMPED => (n, Exit::Done),
                // A store to RAM in a page that may hold cached code: only its own bytes can
                // have been cached code.
                CODE_STORED => {
                    if !cache.holds_code_slow(out.value, u64::from(d.width)) {
                        from = i + 1;
                        continue;
                    }
                    hart.pc = at(d.next_off);
                    let base = hart.xi(d.rs1.get());
                    (
                        n,
                        store_target(&d.inst, base)
                            .map_or(Exit::Device, |(va, w)| Exit::Store(va, w)),
                    )
                }
                // Any other store ends the block: it may have written cached code in a way
                // the address alone does not tell, or written a device, which may raise an
                // interrupt line or ask to stop.
                CODE_STORED_SLOW => {
                    let base = out.value;
                    hart.pc = at(d.next_off);
                    if !cache.is_empty() && stores_to_code(hart, bus, cache, d, base) {
                        (
                            n,
                            store_target(&d.inst, base)
                                .map_or(Exit::Device, |(va, w)| Exit::Store(va, w)),
                        )
                    } else {
                        (n, Exit::Device)
                    }
                }
                // A system instruction, or a fault: the instruction is not counted with the
                // rest (a system instruction may read or write the counters, a fault does not
                // retire).
                _ => {
                    hart.pc = at(d.pc_off);
                    let done = left - env.left.get();
                    retire_n(hart, done + n - 1);
                    if out.kind() != CODE_END {
                        return (done + n, Exit::Fault(out.exception()));
                    }
                    if d.is_ebreak() && self.debug_breakpoints {
                        return (done + n - 1, Exit::Breakpoint);
                    }
                    // Most CSR accesses (scratch registers, counters, the interrupt enable in
                    // `sstatus`) leave the translation context alone: then nothing the
                    // context keys needs forgetting.
                    let ctx = hart.translate_ctx();
                    let result = execute(hart, bus, &d.inst);
                    let same = d.inst.op.class() == Class::Csr && hart.translate_ctx() == ctx;
                    return (done + n, Exit::End(result, same));
                }
            };
        };
        // The instructions of the run's earlier blocks.
        let done = left - env.left.get();
        retire_n(hart, done + attempted);
        (done + attempted, exit)
    }
}

impl<B: Bus> Engine for Interpreter<B> {
    fn run(&mut self, budget: u64) -> StopReason {
        // Not in `run_counted`, which a translator calls for every cold block.
        self.hart.poll_timer_now();
        self.run_counted(budget).0
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
