//! The translator's engine: tiering between the interpreter and translated code, the block
//! map, chaining, the jump cache, invalidation, and the accounting that keeps `instret` and
//! the budget exact.

use std::io::Write;
use std::time::Instant;

use hashbrown::HashMap;
use ospite_interp::{DecodeCacheLimit, Engine, Hart, Interpreter, StopHandle, StopReason};
use ospite_isa::Inst;
use ospite_mmu::tlb::{fast_table_offset, TlbMode};
use ospite_mmu::{AccessType, Bus, PhysAddr, Privilege, VirtAddr, PAGE_MASK};

use crate::code_cache::CodeCache;
use crate::code_map::{CodeMap, MAX_STORE};
use crate::cold_cache::ColdCache;
use crate::emit::{emit_block, emit_trampoline, Env, HostFeatures};
use crate::error::Error;
use crate::ir::{Block, Terminal};
use crate::jump_cache::JumpCache;
use crate::state::{ExitCode, JitState};
use crate::stats::DbtStats;
use crate::{frontend, helpers, listing, passes};

/// At most this many instructions run between two looks at interrupts and stop requests.
const CHUNK: u64 = 4096;

/// How the translator is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DbtConfig {
    /// A block is translated when it is about to run for the `threshold + 1`-th time; until
    /// then the interpreter runs it. 0 translates every block at once (for tests).
    pub threshold: u32,
    /// Bytes of host memory for translated code; when full, every translation is dropped and
    /// translation starts over.
    pub cache_size: usize,
    /// The most guest instructions in one block.
    pub max_block: usize,
}

impl Default for DbtConfig {
    /// Translate after 128 runs, a 64 MiB code cache, blocks of at most 64 instructions.
    ///
    /// The threshold weighs translating (about 30 µs a block here) against interpreting (about
    /// 8 ns an instruction): booting Linux to its prompt translates 9,100 blocks at 8 and 3,000
    /// at 128, for 4.0 and 1.2 MiB of code, and interprets 1.3 and 4.2 million instructions;
    /// beyond 128 the two costs even out. Hot loops are translated either way.
    fn default() -> Self {
        DbtConfig {
            threshold: 128,
            cache_size: 64 << 20,
            max_block: 64,
        }
    }
}

/// What identifies a translation: the guest virtual pc (translated code contains it), the
/// physical pc, and the context it was translated in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct BlockKey {
    pub(crate) vpc: u64,
    pub(crate) ppc: u64,
    /// Privilege in bits 0..2, `satp`'s mode above.
    pub(crate) ctx: u8,
}

/// What the block map knows about a block.
#[derive(Clone, Debug)]
enum Entry {
    /// Run by the interpreter so far (`len` instructions per run).
    Cold { runs: u32, len: u64 },
    /// Never translated: it starts with an instruction the interpreter must run.
    Interp { len: u64 },
    /// Translated code at `code`, made from the guest bytes `bytes` (kept to tell, when the
    /// page is written, whether this block's own bytes changed).
    Hot { code: u64, bytes: Box<[u8]> },
}

/// What to run next.
enum Next {
    Code(u64),
    /// Let the interpreter run this many instructions.
    Interpret(u64),
}

/// The translating engine: a [`Hart`] run by translated x86-64 code where blocks are hot and by
/// the [`Interpreter`] elsewhere, with identical results.
pub struct Dbt<B: Bus> {
    interp: Interpreter<B>,
    config: DbtConfig,
    features: HostFeatures,
    cache: CodeCache,
    trampoline: u64,
    epilogue: u64,
    helper_exit: u64,
    blocks: HashMap<BlockKey, Entry>,
    /// Physical page → the blocks starting in it.
    pages: HashMap<u64, Vec<BlockKey>>,
    /// The guest bytes of translated blocks (boxed: the state points at it).
    code_map: Box<CodeMap>,
    jump_cache: JumpCache,
    cold: ColdCache,
    /// The instructions of translated blocks, which helpers read; kept until a flush.
    insts: Vec<Box<[Inst]>>,
    /// Incremented when the code cache is flushed, so stale patch sites are never patched.
    generation: u64,
    /// A chain exit waiting for its target's code: (patch site, generation).
    pending_chain: Option<(u64, u64)>,
    /// Block code → the displacements of the patched jumps into it, to undo when the block is
    /// dropped.
    incoming: HashMap<u64, Vec<u64>>,
    state: Box<JitState>,
    stats: DbtStats,
    block_log: Option<Box<dyn Write + Send>>,
    /// The bus's [`Bus::bulk_writes`] when `fence.i` last looked for written pages.
    fenced_bulk_writes: Option<u64>,
    /// Physical page -> the bus's [`Bus::bulk_writes`] when the page was last marked as code.
    marked_at: HashMap<u64, u64>,
}

impl<B: Bus> Dbt<B> {
    /// A translator for `hart` over `bus`.
    pub fn new(hart: Hart, bus: B, config: DbtConfig) -> Result<Dbt<B>, Error> {
        let mut interp = Interpreter::new(hart, bus);
        interp.set_mark_code_pages(true);
        // The interpreter runs only cold code here: a small cache of it is enough. Booting
        // Linux to its prompt (CPU time, RSS at the prompt): 32 Ki instructions and 384 pages
        // 0.31 s, 24 MiB; these 0.29 s, 26 MiB; unbounded 0.28 s, 33 MiB.
        interp.set_decode_cache_limit(DecodeCacheLimit {
            insts: 64 << 10,
            pages: 768,
        });
        let mut cache = CodeCache::new(config.cache_size)?;
        let at = cache.cursor();
        let (code, epilogue, helper_exit) =
            emit_trampoline(at).map_err(|e| Error::Assemble(e.to_string()))?;
        let trampoline = cache.append(&code);
        cache.seal_floor();
        Ok(Dbt {
            interp,
            config,
            features: HostFeatures::detect(),
            cache,
            trampoline,
            epilogue: trampoline + epilogue,
            helper_exit: trampoline + helper_exit,
            blocks: HashMap::new(),
            pages: HashMap::new(),
            code_map: Box::default(),
            jump_cache: JumpCache::new(),
            cold: ColdCache::new(),
            insts: Vec::new(),
            generation: 0,
            pending_chain: None,
            incoming: HashMap::new(),
            state: Box::new(JitState::new()),
            stats: DbtStats::default(),
            block_log: None,
            fenced_bulk_writes: None,
            marked_at: HashMap::new(),
        })
    }

    /// The counters.
    pub fn stats(&self) -> DbtStats {
        let mut s = self.stats;
        s.code_bytes = self.cache.used() as u64;
        s
    }

    /// The interpreter that runs cold code and the instructions translated code hands over.
    pub fn interpreter(&self) -> &Interpreter<B> {
        &self.interp
    }

    /// The interpreter, mutably (its settings: debug breakpoints, trace).
    pub fn interpreter_mut(&mut self) -> &mut Interpreter<B> {
        &mut self.interp
    }

    /// A handle to stop this engine from another thread.
    pub fn stop_handle(&self) -> StopHandle {
        self.interp.stop_handle()
    }

    /// Writes every block translated from now on, guest instructions beside the x86 code, to
    /// `out` (`None` stops).
    pub fn set_block_log(&mut self, out: Option<Box<dyn Write + Send>>) {
        self.block_log = out;
    }

    /// The bus.
    pub fn bus(&self) -> &B {
        self.interp.bus()
    }

    fn ctx_bits(privilege: Privilege, satp: u64) -> u8 {
        privilege as u8 | (((satp >> 60) as u8) << 2)
    }

    /// Finds (or makes) what runs at the pc.
    fn next(&mut self, left: u64) -> Next {
        let (hart, bus) = self.interp.parts_mut();
        let vpc = hart.pc();
        let ctx = hart.translate_ctx();
        let (privilege, satp) = (ctx.privilege, ctx.satp.0);
        if let Some(code) = self.jump_cache.get(vpc, satp, privilege) {
            self.stats.jump_cache_hits += 1;
            return Next::Code(code);
        }
        if let Some(len) = self.cold.run(vpc, satp, privilege) {
            return Next::Interpret(len.min(left));
        }
        self.stats.lookups += 1;
        let Ok(pa) = hart
            .mmu_mut()
            .translate(bus, &ctx, VirtAddr(vpc), AccessType::Fetch)
        else {
            // The interpreter raises the fetch fault.
            return Next::Interpret(1);
        };
        if bus.host_page(PhysAddr(pa.0 & PAGE_MASK)).is_none() {
            return Next::Interpret(1);
        }
        let key = BlockKey {
            vpc,
            ppc: pa.0,
            ctx: Self::ctx_bits(privilege, satp),
        };
        let entry = match self.blocks.get_mut(&key) {
            Some(e) => e,
            None => {
                let block = self.discover(key);
                let len = run_len(&block);
                let entry = if block.is_empty() {
                    Entry::Interp { len }
                } else {
                    Entry::Cold { runs: 0, len }
                };
                self.pages.entry(key.ppc & PAGE_MASK).or_default().push(key);
                self.blocks.entry(key).or_insert(entry)
            }
        };
        match entry {
            Entry::Hot { code, .. } => {
                let code = *code;
                self.jump_cache.remember(vpc, satp, privilege, code);
                Next::Code(code)
            }
            Entry::Interp { len } => {
                let len = *len;
                self.count_cold(key, satp, privilege, 0, u32::MAX, len);
                Next::Interpret(len.min(left))
            }
            Entry::Cold { runs, len } => {
                *runs += self.cold.take(&key).unwrap_or(0).saturating_sub(*runs);
                *runs += 1;
                let (runs, len) = (*runs, *len);
                if runs <= self.config.threshold {
                    self.count_cold(key, satp, privilege, runs, self.config.threshold, len);
                    return Next::Interpret(len.min(left));
                }
                match self.translate(key) {
                    Some(code) => {
                        self.jump_cache.remember(vpc, satp, privilege, code);
                        Next::Code(code)
                    }
                    None => Next::Interpret(len.min(left)),
                }
            }
        }
    }

    /// Counts the runs of the cold block of `key` in the cold cache from now on, the map keeping
    /// those of the block it displaces.
    fn count_cold(
        &mut self,
        key: BlockKey,
        satp: u64,
        privilege: Privilege,
        runs: u32,
        limit: u32,
        len: u64,
    ) {
        if let Some((old, old_runs)) = self.cold.insert(key, satp, privilege, runs, limit, len) {
            if let Some(Entry::Cold { runs, .. }) = self.blocks.get_mut(&old) {
                *runs = (*runs).max(old_runs);
            }
        }
    }

    fn discover(&mut self, key: BlockKey) -> Block {
        let ext = self.interp.hart().config().extensions;
        frontend::discover(
            self.interp.bus(),
            key.vpc,
            key.ppc,
            ext,
            self.features,
            self.config.max_block,
        )
    }

    /// Translates the block of `key` into the code cache; `None` if it cannot be.
    fn translate(&mut self, key: BlockKey) -> Option<u64> {
        let started = Instant::now();
        self.mark_code_page(key.ppc);
        let mut block = self.discover(key);
        if block.is_empty() {
            return None;
        }
        passes::optimize(&mut block);
        let insts: Box<[Inst]> = block.nodes.iter().map(|n| n.inst).collect();
        let env = Env {
            epilogue: self.epilogue,
            helper: helpers::exec::<B> as *const () as u64,
            helper_exit: self.helper_exit,
            insts: insts.as_ptr() as u64,
        };
        let mut emitted = emit_block(&block, env, self.cache.cursor()).ok()?;
        if !self.cache.fits(emitted.code.len()) {
            self.flush_all();
            // The block map was emptied: this block is known again, as hot.
            self.pages.entry(key.ppc & PAGE_MASK).or_default().push(key);
            emitted = emit_block(&block, env, self.cache.cursor()).ok()?;
            if !self.cache.fits(emitted.code.len()) {
                return None;
            }
        }
        let code = self.cache.append(&emitted.code);
        self.insts.push(insts);
        let bytes = guest_bytes(self.interp.bus(), key.ppc, block_bytes(&block));
        self.code_map.add(key.ppc, bytes.len() as u64);
        self.blocks.insert(key, Entry::Hot { code, bytes });
        self.stats.blocks_translated += 1;
        self.stats.guest_insts_translated += block.len();
        self.stats.host_insts_emitted += emitted.host_insts as u64;
        self.stats.translate_time += started.elapsed();
        if let Some(log) = self.block_log.as_mut() {
            let text = listing::block_listing(&block, &emitted.code, code);
            if log.write_all(text.as_bytes()).is_err() {
                self.block_log = None;
            }
        }
        Some(code)
    }

    /// Marks the page of `pa` as holding translated code, so that stores to it are noticed,
    /// and clears its dirty mark, so that writes by others (devices) show at `fence.i`. A page
    /// that others may have written since it was last marked (dirty, with bulk writes since)
    /// first loses what was made from its old bytes, which the cleared mark would otherwise
    /// hide from the next `fence.i`. (This hart's own stores dirty it too, but they dropped
    /// what they changed already.)
    fn mark_code_page(&mut self, pa: u64) {
        let page = PhysAddr(pa & PAGE_MASK);
        let host = self.interp.bus().host_page(page);
        let writes = self.interp.bus().bulk_writes();
        let marked_at = self.marked_at.insert(page.0, writes.unwrap_or(0));
        let others = writes.is_none() || marked_at != writes;
        if others && host.is_some_and(|h| h.dirty) {
            self.drop_stale(page.0);
        }
        let (hart, bus) = self.interp.parts_mut();
        if !host.is_some_and(|h| h.code) {
            bus.set_code_page(page, true);
            hart.mmu_mut().tlb_mut().flush_phys_page(page);
        }
        bus.clear_dirty_page(page);
    }

    /// Drops the translations of page `page` and the interpreter's decoded copy of it, keeping
    /// the cold blocks (run counts only) in the page's list.
    fn drop_stale(&mut self, page: u64) {
        self.interp.invalidate_code_page(page);
        let Some(keys) = self.pages.get(&page) else {
            return;
        };
        let hot: Vec<BlockKey> = keys
            .iter()
            .filter(|k| matches!(self.blocks.get(*k), Some(Entry::Hot { .. })))
            .copied()
            .collect();
        if hot.is_empty() {
            return;
        }
        for key in &hot {
            self.remove_block(key);
        }
        self.stats.invalidations += hot.len() as u64;
        if let Some(keys) = self.pages.get_mut(&page) {
            keys.retain(|k| !hot.contains(k));
        }
        self.remap_code(page);
        self.jump_cache.clear();
        self.pending_chain = None;
    }

    /// Drops the block of `key`, undoing the chained jumps into it.
    fn remove_block(&mut self, key: &BlockKey) {
        if let Some(Entry::Hot { code, .. }) = self.blocks.remove(key) {
            for site in self.incoming.remove(&code).unwrap_or_default() {
                // Back to a jump to the next instruction: the exit stub.
                self.cache.patch_jump(site, site + 4);
            }
        }
    }

    /// Page `page` was written: drops its blocks whose guest bytes changed (and every
    /// not-yet-translated one), and the interpreter's decoded copy of the page. A page left
    /// without translations is unmarked, so stores to it are fast again.
    fn code_written(&mut self, page: u64) {
        let keys = self.pages.remove(&page).unwrap_or_default();
        let mut kept = Vec::new();
        let mut dropped = 0;
        for key in keys {
            // A cold block is only a count and a length for the interpreter, right or not.
            let (same, hot) = match self.blocks.get(&key) {
                Some(Entry::Hot { bytes, .. }) => (
                    *guest_bytes(self.interp.bus(), key.ppc, bytes.len() as u64) == **bytes,
                    true,
                ),
                Some(Entry::Cold { .. }) => (true, false),
                _ => (false, false),
            };
            if same {
                kept.push(key);
            } else {
                self.remove_block(&key);
                dropped += u64::from(hot);
            }
        }
        let translated = kept
            .iter()
            .any(|k| matches!(self.blocks.get(k), Some(Entry::Hot { .. })));
        if !translated {
            let (hart, bus) = self.interp.parts_mut();
            bus.set_code_page(PhysAddr(page), false);
            hart.mmu_mut().tlb_mut().flush_phys_page(PhysAddr(page));
        }
        if !kept.is_empty() {
            self.pages.insert(page, kept);
        }
        self.interp.invalidate_code_page(page);
        if dropped > 0 {
            self.remap_code(page);
            self.jump_cache.clear();
            self.pending_chain = None;
            self.stats.invalidations += dropped;
        }
    }

    /// Drops every block of physical page `page`.
    fn invalidate_page(&mut self, page: u64) {
        for key in self.pages.remove(&page).unwrap_or_default() {
            if matches!(self.blocks.get(&key), Some(Entry::Hot { .. })) {
                self.stats.invalidations += 1;
            }
            self.remove_block(&key);
        }
        self.code_map.clear_page(page);
        let (hart, bus) = self.interp.parts_mut();
        bus.set_code_page(PhysAddr(page), false);
        hart.mmu_mut().tlb_mut().flush_phys_page(PhysAddr(page));
        self.interp.invalidate_code_page(page);
        self.jump_cache.clear();
        self.pending_chain = None;
    }

    /// Records again the translated bytes of page `page`, from the blocks left in it.
    fn remap_code(&mut self, page: u64) {
        self.code_map.clear_page(page);
        for key in self.pages.get(&page).into_iter().flatten() {
            if let Some(Entry::Hot { bytes, .. }) = self.blocks.get(key) {
                self.code_map.add(key.ppc, bytes.len() as u64);
            }
        }
    }

    /// Drops every translation (the code cache is full).
    fn flush_all(&mut self) {
        self.blocks.clear();
        self.incoming.clear();
        self.pages.clear();
        self.code_map.clear();
        self.insts.clear();
        self.jump_cache.clear();
        self.cold.clear();
        self.cache.flush();
        self.generation += 1;
        self.pending_chain = None;
        self.stats.cache_flushes += 1;
    }

    /// Handles what the hart's MMU saw: stores to pages holding code. A store to translated
    /// bytes goes through [`Dbt::code_written`]; one to data beside them only drops the
    /// interpreter's decoded copy, if it held an instruction there.
    fn take_code_writes(&mut self) {
        let (hart, _) = self.interp.parts_mut();
        if !hart.mmu().has_code_writes() {
            return;
        }
        let mut last_page = None;
        for pa in hart.mmu_mut().take_code_writes() {
            let page = pa & PAGE_MASK;
            if self.code_map.store_hits(pa) {
                if last_page != Some(page) {
                    self.code_written(page);
                    last_page = Some(page);
                }
            } else if self.interp.holds_code(pa, MAX_STORE.min(page + 4096 - pa)) {
                self.interp.invalidate_code_page(pa);
            }
        }
    }

    /// `fence.i` ran: drops the pages that something other than this hart's stores (a device)
    /// wrote since they were translated. This hart's own stores to translated code dropped
    /// what they changed already, so with no device or loader write since the last look
    /// ([`Bus::bulk_writes`]) there is nothing to do.
    fn fence_i(&mut self) {
        let bus = self.interp.bus();
        let writes = bus.bulk_writes();
        if writes.is_some() && writes == self.fenced_bulk_writes {
            return;
        }
        self.fenced_bulk_writes = writes;
        let written: Vec<u64> = self
            .pages
            .keys()
            .copied()
            .filter(|&p| bus.host_page(PhysAddr(p)).is_none_or(|h| h.dirty))
            .collect();
        for page in written {
            self.invalidate_page(page);
        }
    }

    /// Runs the interpreter for `n` instructions; returns those attempted and why it stopped
    /// early, if it did.
    fn interpret(&mut self, n: u64) -> (u64, Option<StopReason>) {
        // Translated code may have stored into instructions the interpreter has decoded.
        self.take_code_writes();
        let fences = self.interp.cache_stats().fences;
        let (reason, used) = self.interp.run_counted(n);
        self.stats.interpreted += used;
        self.take_code_writes();
        if self.interp.cache_stats().fences != fences {
            self.fence_i();
        }
        // `sfence.vma`: virtual pcs may map elsewhere.
        let remaps = self.interp.hart_mut().mmu_mut().tlb_mut().take_remaps();
        self.jump_cache.forget(&remaps);
        match reason {
            StopReason::BudgetSpent => (used, None),
            other => (used, Some(other)),
        }
    }

    /// Enters translated code at `code` with a budget of `budget`; returns the instructions
    /// attempted and the exit.
    fn enter(&mut self, code: u64, budget: u64) -> (u64, ExitCode) {
        let (hart, bus) = self.interp.parts_mut();
        let ctx = hart.translate_ctx();
        hart.mmu_mut().tlb_mut().sync(&ctx);
        let base = hart.mmu().tlb().fast_tables_ptr() as u64;
        let table = |a| base + fast_table_offset(TlbMode::of(&ctx, a), a) as u64;
        let st = &mut *self.state;
        st.load_table = table(AccessType::Load);
        st.store_table = table(AccessType::Store);
        st.budget = budget as i64;
        st.hart = hart as *mut Hart;
        st.bus = (bus as *const B).cast();
        st.jump_cache = self.jump_cache.as_ptr() as u64;
        st.satp = ctx.satp.0;
        st.privilege = ctx.privilege as u64;
        st.code_map = &*self.code_map;
        let state: *mut JitState = st;
        let hart_ptr = st.hart;
        // SAFETY: `trampoline` is the entry code emitted by `emit_trampoline` into the code
        // cache, which lives as long as `self`; it has this signature and calls conventions.
        let enter: extern "sysv64" fn(*mut JitState, *mut Hart, u64) -> u64 =
            unsafe { std::mem::transmute::<u64, _>(self.trampoline) };
        // The translated code reads and writes the hart, the TLB tables and the state through
        // these pointers only; no Rust reference to them is used until it returns.
        crate::mxcsr::reset();
        let raw = enter(state, hart_ptr, code);
        // The flags translated FP code raised since the last helper call.
        self.interp
            .hart_mut()
            .accrue_fflags(crate::mxcsr::take_fflags());
        let st = &mut *self.state;
        st.hart = std::ptr::null_mut();
        st.bus = std::ptr::null();
        st.code_map = std::ptr::null();
        if let Some(payload) = st.panic.take() {
            std::panic::resume_unwind(payload);
        }
        let attempted = budget - st.budget as u64;
        (attempted, ExitCode::from_raw(raw))
    }

    /// Runs up to `chunk` instructions; returns those attempted and why it stopped, if early.
    /// Unless `exact`, a block the chunk's end would cut is left for the next chunk rather than
    /// interpreted up to the end (only the caller's whole budget must end exactly).
    fn run_chunk(&mut self, chunk: u64, exact: bool) -> (u64, Option<StopReason>) {
        let mut left = chunk;
        while left > 0 {
            // Between blocks, as the interpreter does: an interrupt an instruction just enabled
            // (or a device raised) is taken before the next block.
            let (hart, _) = self.interp.parts_mut();
            if hart.wakeup_pending() != 0 {
                hart.check_interrupts();
            }
            let code = match self.next(left) {
                Next::Code(code) => code,
                Next::Interpret(n) => {
                    self.pending_chain = None;
                    let (used, stop) = self.interpret(n);
                    left -= used;
                    if stop.is_some() {
                        return (chunk - left, stop);
                    }
                    continue;
                }
            };
            if let Some((site, generation)) = self.pending_chain.take() {
                if generation == self.generation {
                    self.cache.patch_jump(site, code);
                    self.incoming.entry(code).or_default().push(site);
                    self.stats.chains += 1;
                }
            }
            let (attempted, exit) = self.enter(code, left);
            left -= attempted;
            self.stats.translated_run += attempted;
            let exception = self.state.exception.take();
            let (hart, _) = self.interp.parts_mut();
            let retired = attempted - u64::from(exit == ExitCode::Fault);
            hart.retire_many(retired);
            match exit {
                ExitCode::Jump => {}
                ExitCode::Chain => {
                    self.pending_chain = Some((self.state.exit_site, self.generation));
                }
                ExitCode::Fault => {
                    let e = exception.expect("a fault exit carries its exception");
                    hart.raise(e);
                    self.take_code_writes();
                    return (chunk - left, None);
                }
                ExitCode::Budget if !exact => return (chunk - left, None),
                ExitCode::Budget => {
                    let (used, stop) = self.interpret(left);
                    left -= used;
                    return (chunk - left, stop);
                }
                ExitCode::Interpret => {
                    let (used, stop) = self.interpret(1.min(left));
                    left -= used;
                    return (chunk - left, stop);
                }
                ExitCode::Sync => {
                    self.stats.sync_exits += 1;
                    self.take_code_writes();
                    return (chunk - left, None);
                }
            }
        }
        (chunk, None)
    }
}

/// The guest bytes a translated block was made from.
fn block_bytes(block: &Block) -> u64 {
    block.nodes.last().map_or(0, |n| {
        n.pc.wrapping_add(n.inst.size()).wrapping_sub(block.pc)
    })
}

/// `len` bytes of guest memory at physical address `pa` (bytes that cannot be read read as
/// zero; a block never spans such bytes).
fn guest_bytes<B: Bus + ?Sized>(bus: &B, pa: u64, len: u64) -> Box<[u8]> {
    (0..len)
        .map(|i| {
            bus.load(PhysAddr(pa + i), ospite_mmu::AccessSize::B1)
                .map_or(0, |v| v as u8)
        })
        .collect()
}

/// The instructions an interpreter run of `block` covers (the handed-over one included).
fn run_len(block: &Block) -> u64 {
    block.len() + u64::from(matches!(block.terminal, Terminal::Interpret { .. }))
}

impl<B: Bus> Engine for Dbt<B> {
    fn run(&mut self, budget: u64) -> StopReason {
        if self.interp.is_tracing() {
            // The trace is the interpreter's: with it on, everything is interpreted.
            return self.interp.run(budget);
        }
        let stop = self.interp.stop_handle();
        self.interp.hart().poll_timer_now();
        let mut left = budget;
        while left > 0 {
            if stop.take_request() {
                return StopReason::StopRequested;
            }
            let (used, reason) = self.run_chunk(left.min(CHUNK), left <= CHUNK);
            // Stores to data beside translated code are noted and left for later: handled
            // once a chunk at least, the notes stay few.
            self.take_code_writes();
            left -= used;
            if let Some(reason) = reason {
                return reason;
            }
        }
        StopReason::BudgetSpent
    }

    fn hart(&self) -> &Hart {
        self.interp.hart()
    }

    fn hart_mut(&mut self) -> &mut Hart {
        // The caller may change anything, the pc's translation included.
        self.jump_cache.clear();
        self.pending_chain = None;
        self.interp.hart_mut()
    }
}

impl<B: Bus> std::fmt::Debug for Dbt<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dbt")
            .field("hart", self.interp.hart())
            .field("config", &self.config)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}
