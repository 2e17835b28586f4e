//! x86-64 emission with iced-x86's `CodeAssembler`.
//!
//! Register use inside translated code: `rbx` holds the [`Hart`] (guest registers at
//! `[rbx + 8 * i]`, the pc at `[rbx + Hart::OFFSET_PC]`); `rsp` the trampoline's [`frame`],
//! which holds the [`JitState`]'s address and a copy of the fields translated code reads; `rax`,
//! `rcx`, `rdx` and `rsi` are scratch and nothing lives in them across instructions (but a
//! block may keep a guest register in `rdx`, [`regs::LOOP_EXTRA`]); `r15` holds
//! the instruction budget. Nine hot guest registers live in `r8`-`r14`, `rdi` and `rbp`
//! ([`regs`]); the others stay in the hart. Every exit stores the mapped ones and the budget back, which keeps
//! exits precise. A block that loops to its own start may run its iterations under a map of
//! its own (the registers it uses most in those host registers), entered once before the first
//! iteration and left on every way out; another block may add one register outside the static
//! map in `rdx` the same way. Loads and stores keep the page they last hit in page
//! memos in the frame ([`memory`]).
//!
//! A block's code:
//!
//! ```text
//! entry:  sub r15, n ; jl budget_exit                          n = guest instructions
//!         ...one piece per guest instruction...
//!         terminal: a patchable `jmp rel32` per direct target in the same page (chaining),
//!                   otherwise set the pc and return to the runtime; a self-loop takes the
//!                   budget of its next iteration and jumps back to its first instruction
//! out of line: TLB-miss paths (call the interpreter's semantics), the budget exit; a helper
//!         that ends the block (a fault, a store to code) sets the pc itself and leaves through
//!         the shared helper exit, which gives back the budget of the instructions not reached
//! ```

/// `a.$m(dst, xN)` with guest register `r` as the 64-bit source: its host register or its
/// slot in the hart.
macro_rules! op_x {
    ($a:expr, $m:ident, $dst:expr, $r:expr) => {
        match $a.regs.get($r) {
            Some(h) => $a.$m($dst, h.q),
            None => $a.$m($dst, $crate::emit::x($r)),
        }
    };
}

/// [`op_x!`] with the low 32 bits of guest register `r`.
macro_rules! op_xd {
    ($a:expr, $m:ident, $dst:expr, $r:expr) => {
        match $a.regs.get($r) {
            Some(h) => $a.$m($dst, h.d),
            None => $a.$m($dst, $crate::emit::xd($r)),
        }
    };
}

/// `a.$m(xN)`: a one-operand instruction on guest register `r`.
macro_rules! op1_x {
    ($a:expr, $m:ident, $r:expr) => {
        match $a.regs.get($r) {
            Some(h) => $a.$m(h.q),
            None => $a.$m($crate::emit::x($r)),
        }
    };
}

pub(crate) mod alu;
mod amo;
pub(crate) mod fp;
mod memory;
pub(crate) mod regs;
mod words;

use iced_x86::code_asm::*;
use iced_x86::{BlockEncoderOptions, IcedError};
use ospite_interp::Hart;
use ospite_isa::Inst;
use ospite_mmu::PAGE_SIZE;

use crate::ir::{Block, Cond, NodeKind, Terminal};
use crate::jump_cache::{JumpSlot, JUMP_CACHE};
use crate::state::{ExitCode, JitState};

/// The x86 extensions the emitter may use beyond x86-64's baseline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostFeatures {
    /// `lzcnt` (ABM).
    pub lzcnt: bool,
    /// `tzcnt` (BMI1).
    pub bmi1: bool,
    /// `popcnt`.
    pub popcnt: bool,
    /// FMA3 (`vfmadd213sd` and kin), for the fused multiply-adds.
    pub fma: bool,
}

impl HostFeatures {
    /// What this host has.
    pub fn detect() -> HostFeatures {
        HostFeatures {
            lzcnt: std::arch::is_x86_feature_detected!("lzcnt"),
            bmi1: std::arch::is_x86_feature_detected!("bmi1"),
            popcnt: std::arch::is_x86_feature_detected!("popcnt"),
            fma: std::arch::is_x86_feature_detected!("fma"),
        }
    }
}

/// Addresses translated code refers to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Env {
    /// Where every block returns to the runtime (`rax` = [`ExitCode`]).
    pub epilogue: u64,
    /// The helper that runs one instruction with the interpreter's semantics:
    /// `extern "sysv64" fn(*mut JitState, *const Inst, pc: u64, unused: u64) -> u64` (0, or the
    /// [`ExitCode`] to leave with).
    pub helper: u64,
    /// Where a block leaves when the helper says so: gives back the budget the helper left in
    /// the state, then the epilogue.
    pub helper_exit: u64,
    /// The address of the block's instructions as a `[Inst]`, one per node, for the helper.
    pub insts: u64,
}

/// A block assembled for one address.
#[derive(Debug)]
pub(crate) struct Emitted {
    /// The machine code.
    pub code: Vec<u8>,
    /// Host instructions emitted (for statistics and golden tests).
    pub host_insts: usize,
}

/// The memory operand of guest register `r`.
pub(crate) fn x(r: u8) -> AsmMemoryOperand {
    qword_ptr(x_addr(r))
}

/// The low 32 bits of guest register `r`.
pub(crate) fn xd(r: u8) -> AsmMemoryOperand {
    dword_ptr(x_addr(r))
}

/// The address expression of guest register `r`.
pub(crate) fn x_addr(r: u8) -> AsmMemoryOperand {
    rbx + (Hart::OFFSET_X as i32 + 8 * i32::from(r))
}

/// A `CodeAssembler` that knows where guest registers live in the code it is assembling.
pub(crate) struct Asm {
    inner: CodeAssembler,
    /// Where each guest register lives at this point of the code.
    pub(crate) regs: regs::RegMap,
    /// Which of them have their upper half still to write ([`words`]).
    pub(crate) words: words::Words,
}

impl Asm {
    fn new() -> Result<Asm, IcedError> {
        Ok(Asm {
            inner: CodeAssembler::new(64)?,
            regs: regs::RegMap::STATIC,
            words: words::Words::default(),
        })
    }
}

impl std::ops::Deref for Asm {
    type Target = CodeAssembler;
    fn deref(&self) -> &CodeAssembler {
        &self.inner
    }
}

impl std::ops::DerefMut for Asm {
    fn deref_mut(&mut self) -> &mut CodeAssembler {
        &mut self.inner
    }
}

/// Reads guest register `r` into `dst`.
pub(crate) fn read_x(a: &mut Asm, dst: AsmRegister64, r: u8) -> Result<(), IcedError> {
    op_x!(a, mov, dst, r)
}

/// Writes `src` to guest register `r` (not `x0`).
pub(crate) fn write_x(a: &mut Asm, r: u8, src: AsmRegister64) -> Result<(), IcedError> {
    match a.regs.get(r) {
        Some(h) => a.mov(h.q, src),
        None => a.mov(x(r), src),
    }
}

/// Stores the guest registers in `which` that live in host registers to the hart.
fn spill(a: &mut Asm, which: impl Fn(u8, &regs::Host) -> bool) -> Result<(), IcedError> {
    let map = a.regs;
    for (r, h) in map.pairs().filter(|(r, h)| which(*r, h)) {
        a.mov(x(r), h.q)?;
    }
    Ok(())
}

/// Loads the guest registers in `which` that live in host registers from the hart.
fn reload(a: &mut Asm, which: impl Fn(u8, &regs::Host) -> bool) -> Result<(), IcedError> {
    let map = a.regs;
    for (r, h) in map.pairs().filter(|(r, h)| which(*r, h)) {
        a.mov(h.q, x(r))?;
    }
    Ok(())
}

/// Moves the guest registers from where `from` keeps them to where `to` does, through the
/// hart: each host register whose guest register differs is stored (if `dirty` says its
/// value may differ from the hart's) and then loaded with its new guest register.
fn remap(
    a: &mut Asm,
    from: &regs::RegMap,
    to: &regs::RegMap,
    dirty: impl Fn(u8) -> bool,
) -> Result<(), IcedError> {
    let moved = |r: u8| !regs::same(from.get(r), to.get(r));
    for (r, h) in from.pairs().filter(|(r, _)| moved(*r) && dirty(*r)) {
        a.mov(x(r), h.q)?;
    }
    for (r, h) in to.pairs().filter(|(r, _)| moved(*r)) {
        a.mov(h.q, x(r))?;
    }
    Ok(())
}

fn pc_slot() -> AsmMemoryOperand {
    qword_ptr(rbx + Hart::OFFSET_PC as i32)
}

/// The budget's home while translated code runs (callee-saved, so helper calls keep it); the
/// trampoline loads it from the state and the epilogue stores it back.
const BUDGET: AsmRegister64 = r15;

/// The trampoline's stack frame, at `rsp` while translated code runs: the [`JitState`]'s
/// address, and copies of the state's fields that cannot change during one entry (set by the
/// runtime before it), so that no host register has to hold the state.
pub(crate) mod frame {
    use iced_x86::code_asm::{qword_ptr, rsp, AsmMemoryOperand};

    /// The [`JitState`](crate::state::JitState)'s address.
    pub(crate) const STATE: i32 = 0;
    /// Its `load_table`.
    pub(crate) const LOAD_TABLE: i32 = 8;
    /// Its `store_table`.
    pub(crate) const STORE_TABLE: i32 = 16;
    /// Its `jump_cache`.
    pub(crate) const JUMP_CACHE: i32 = 24;
    /// Its `satp`.
    pub(crate) const SATP: i32 = 32;
    /// Its `privilege`.
    pub(crate) const PRIVILEGE: i32 = 40;
    /// The page memos of self-loops' loads and stores (see `memory`): [`MEMO_COUNT`] pairs of
    /// a TLB tag and its addend, 16 bytes each; emptied, as the register memos after them, on
    /// each entry.
    pub(crate) const MEMOS: i32 = 56;
    /// How many page memos a self-loop may have.
    pub(crate) const MEMO_COUNT: usize = 8;
    /// The register page memos (see `memory`): for loads, then for stores, one pair of a TLB
    /// tag and its addend per guest register, 16 bytes each.
    pub(crate) const REGISTER_MEMOS: i32 = MEMOS + 16 * MEMO_COUNT as i32;
    /// The bound memos of self-loops' loads and stores (see `memory`): [`BOUND_MEMO_COUNT`]
    /// triples of a bound, an addend and a tag; each entry into a loop sets its own bounds.
    pub(crate) const BOUND_MEMOS: i32 = REGISTER_MEMOS + 2 * 32 * 16;
    /// How many bound memos a self-loop may have.
    pub(crate) const BOUND_MEMO_COUNT: usize = 4;
    /// The frame's size: with the trampoline's six pushes and the return address, `rsp` stays
    /// 16-byte aligned for helper calls.
    pub(crate) const SIZE: i32 = BOUND_MEMOS + 24 * BOUND_MEMO_COUNT as i32;

    /// The offset of the register page memo of guest register `r` for loads or for stores.
    pub(crate) fn register_memo(r: u8, store: bool) -> i32 {
        REGISTER_MEMOS + 16 * (32 * i32::from(store) + i32::from(r))
    }
    const _: () = assert!(SIZE % 16 == 8);

    /// The frame's slot at `offset`.
    pub(crate) fn slot(offset: i32) -> AsmMemoryOperand {
        qword_ptr(rsp + offset)
    }
}

/// Emission of one block.
pub(crate) struct Emitter<'a> {
    pub(crate) a: Asm,
    block: &'a Block,
    env: Env,
    /// Out-of-line code, emitted after the terminal.
    deferred: Vec<memory::SlowPath>,
    /// The FP instructions' fallbacks, out of line too.
    float_paths: Vec<fp::SlowPath>,
    /// Page memo refills, out of line too.
    refills: Vec<memory::Refill>,
    /// Fixes of raw NaNs (entry, way back, the xmm register), out of line too.
    nan_fixes: Vec<(CodeLabel, CodeLabel, AsmRegisterXmm)>,
    /// Side exits (node, entry, target, the f registers to store first), out of line too.
    side_exits: Vec<(usize, CodeLabel, u64, fp::Dirty)>,
    /// The f registers xmm registers hold at this point of the block.
    float_cache: fp::XmmCache,
    /// Where a self-loop keeps guest registers while it iterates (`None`: the static map).
    loop_map: Option<regs::RegMap>,
    /// Under a loop map: where a helper's early exit goes to put the static map back first.
    helper_leave: Option<CodeLabel>,
    /// Whether translated code has checked, at this point of the block, that `frm` is
    /// round-to-nearest-even, for the fast path of FP arithmetic. Only a CSR write can change
    /// `frm`, and only a helper node may make one, so the check holds until the next helper
    /// node. A failed check sends its instruction down the helper's path, which checks again
    /// before it rejoins and leaves the block for the next instruction if it still fails: so
    /// later instructions may skip the check.
    frm_is_rne: bool,
    /// In a self-loop, the page memo of each memory node that has one.
    memos: Vec<Option<memory::Memo>>,
    /// A self-loop's first instruction, where each iteration starts.
    top: Option<CodeLabel>,
    /// Bytes of `nop` before [`Self::top`], to align it.
    top_padding: usize,
}

impl<'a> Emitter<'a> {
    fn new(block: &'a Block, env: Env) -> Result<Emitter<'a>, IcedError> {
        Ok(Emitter {
            a: Asm::new()?,
            block,
            env,
            deferred: Vec::new(),
            float_paths: Vec::new(),
            refills: Vec::new(),
            nan_fixes: Vec::new(),
            side_exits: Vec::new(),
            float_cache: fp::XmmCache::default(),
            loop_map: None,
            helper_leave: None,
            frm_is_rne: false,
            memos: Vec::new(),
            top: None,
            top_padding: 0,
        })
    }

    /// The address of node `k`'s instruction for the helper.
    fn inst_ptr(&self, k: usize) -> u64 {
        self.env.insts + (k * std::mem::size_of::<Inst>()) as u64
    }

    /// Calls the helper for node `k`; when it says the block must end (a fault, or a store to
    /// code), leaves through the shared helper exit, the helper having set the pc and the
    /// budget to give back.
    fn call_helper(&mut self, k: usize) -> Result<(), IcedError> {
        let node = self.block.nodes[k];
        let inst = self.inst_ptr(k);
        // Instructions after `k` do not run if the block ends here.
        let unused = self.block.len() - k as u64 - 1;
        // The helper reads the instruction's operands and writes its destination in the hart
        // (the fields may name f registers: saving the x register of that number is harmless),
        // and the call clobbers the caller-saved host registers.
        let (rs1, rs2, rd) = (node.inst.rs1.num(), node.inst.rs2.num(), node.inst.rd.num());
        let synced = move |r: u8, h: &regs::Host| h.caller_saved || r == rs1 || r == rs2 || r == rd;
        let leave = match self.loop_map {
            None => None,
            Some(_) => Some(*self.helper_leave.get_or_insert(self.a.create_label())),
        };
        let a = &mut self.a;
        spill(a, synced)?;
        a.mov(rdi, frame::slot(frame::STATE))?;
        a.mov(rsi, inst)?;
        a.mov(rdx, node.pc)?;
        a.mov(ecx, unused as u32)?;
        a.mov(rax, self.env.helper)?;
        a.call(rax)?;
        a.test(eax, eax)?;
        reload(a, synced)?;
        match leave {
            Some(label) => a.jne(label),
            None => a.jne(self.env.helper_exit),
        }
    }

    /// Whether node writes may have made guest register `r` differ from the hart's copy under a
    /// loop map (an f register of the same number counts too: harmless).
    fn written(&self, r: u8) -> bool {
        self.block.nodes.iter().any(|n| match n.kind {
            NodeKind::Const { rd, .. } => rd == r,
            NodeKind::Nop | NodeKind::Terminal => false,
            _ => n.inst.rd.num() == r,
        })
    }

    /// From the loop map back to the static map (no-op without a loop map).
    fn leave_loop_map(&mut self) -> Result<(), IcedError> {
        if let Some(local) = self.loop_map {
            let dirty: Vec<bool> = (0..32).map(|r| self.written(r)).collect();
            remap(&mut self.a, &local, &regs::RegMap::STATIC, |r| {
                dirty[usize::from(r)]
            })?;
        }
        Ok(())
    }

    /// Binds `label` here (to an empty instruction, so that labels never share one).
    fn here(&mut self, mut label: CodeLabel) -> Result<(), IcedError> {
        self.a.set_label(&mut label)?;
        self.a.zero_bytes()
    }

    /// Sets the guest pc to `pc`.
    fn set_pc(&mut self, pc: u64) -> Result<(), IcedError> {
        self.a.mov(rax, pc)?;
        self.a.mov(pc_slot(), rax)
    }

    /// Returns to the runtime with `code`.
    fn exit(&mut self, code: ExitCode) -> Result<(), IcedError> {
        if code as u64 == 0 {
            self.a.xor(eax, eax)?;
        } else {
            self.a.mov(eax, code as u32)?;
        }
        self.a.jmp(self.env.epilogue)
    }

    /// Leaves for `target` after the whole block ran: chained when the target is in the
    /// block's page, through the runtime otherwise.
    fn exit_to(&mut self, target: u64) -> Result<(), IcedError> {
        if target / PAGE_SIZE != self.block.pc / PAGE_SIZE {
            // Another page may map elsewhere by the time this runs: look it up each time.
            self.a.mov(rax, target)?;
            return self.jump_via_cache();
        }
        // A `jmp rel32` to the next instruction until the runtime patches it to the target's
        // block; then the code below runs no more.
        let site = self.patchable_jump(&[0xe9])?;
        self.chain_stub(site, target)
    }

    /// Emits a jump with opcode `opcode` and a 32-bit displacement of 0 (to the next
    /// instruction), for the runtime to patch; returns the label of its displacement.
    fn patchable_jump(&mut self, opcode: &[u8]) -> Result<CodeLabel, IcedError> {
        let mut site = self.a.create_label();
        self.a.db(opcode)?;
        self.a.set_label(&mut site)?;
        self.a.db(&[0, 0, 0, 0])?;
        Ok(site)
    }

    /// The code a patchable jump goes to until it is patched: sets the pc to `target` and
    /// asks the runtime to patch the displacement at `site` to `target`'s block.
    fn chain_stub(&mut self, site: CodeLabel, target: u64) -> Result<(), IcedError> {
        self.set_pc(target)?;
        self.a.lea(rax, ptr(site))?;
        self.a.mov(rcx, frame::slot(frame::STATE))?;
        self.a
            .mov(qword_ptr(rcx + JitState::OFFSET_EXIT_SITE as i32), rax)?;
        self.exit(ExitCode::Chain)
    }

    /// Sets the pc to `rax` and goes to its block if the jump cache knows it for the current
    /// `satp` and privilege (which cannot change inside translated code), else returns to the
    /// runtime to look it up.
    fn jump_via_cache(&mut self) -> Result<(), IcedError> {
        let miss = self.a.create_label();
        let a = &mut self.a;
        a.mov(pc_slot(), rax)?;
        a.mov(rcx, rax)?;
        a.shr(rcx, 1)?;
        a.and(ecx, (JUMP_CACHE - 1) as u32)?;
        a.shl(ecx, JumpSlot::SIZE.trailing_zeros())?;
        a.add(rcx, frame::slot(frame::JUMP_CACHE))?;
        a.cmp(rax, qword_ptr(rcx))?;
        a.jne(miss)?;
        a.mov(rdx, frame::slot(frame::SATP))?;
        a.cmp(rdx, qword_ptr(rcx + JumpSlot::OFFSET_SATP))?;
        a.jne(miss)?;
        a.mov(rdx, frame::slot(frame::PRIVILEGE))?;
        a.cmp(rdx, qword_ptr(rcx + JumpSlot::OFFSET_PRIVILEGE))?;
        a.jne(miss)?;
        a.jmp(qword_ptr(rcx + JumpSlot::OFFSET_CODE))?;
        self.here(miss)?;
        self.exit(ExitCode::Jump)
    }

    /// Whether the block goes on at its own start: its taken target, its fall-through or its
    /// jump target.
    fn is_self_loop(&self) -> bool {
        let pc = self.block.pc;
        match self.block.terminal {
            Terminal::Jump { target } => target == pc,
            Terminal::Branch {
                taken, fallthrough, ..
            } => taken == pc || fallthrough == pc,
            _ => false,
        }
    }

    /// Whether no node needs `rdx` (x86's wide multiply and divide do), so that the block may
    /// keep a guest register there.
    fn rdx_is_free(&self) -> bool {
        use ospite_isa::Op::*;
        !self.block.nodes.iter().any(|n| {
            n.kind == NodeKind::Native
                && matches!(
                    n.inst.op,
                    Mulh | Mulhu | Mulhsu | Div | Divu | Rem | Remu | Divw | Divuw | Remw | Remuw
                )
        })
    }

    /// A map of its own for a block that does not loop: the static map, plus the guest
    /// register outside it that the block's integer code names most (at least twice; one it
    /// writes counts more) in [`regs::LOOP_EXTRA`], when nothing needs `rdx`. It is loaded at
    /// entry and stored back on the ways out if written: a register written and then read in
    /// the block no longer goes through the hart.
    fn block_map(&self) -> Option<regs::RegMap> {
        if !self.rdx_is_free() {
            return None;
        }
        let uses = self.register_uses(true);
        // A written register first: its reads wait for its store to the hart otherwise.
        let score = |r: u8| uses[usize::from(r)] + 2 * u32::from(self.written(r));
        let g = (1u8..32)
            .filter(|&r| regs::RegMap::STATIC.get(r).is_none() && uses[usize::from(r)] >= 2)
            .max_by_key(|&r| (score(r), std::cmp::Reverse(r)))?;
        Some(regs::RegMap::STATIC.with(g, regs::LOOP_EXTRA))
    }

    /// How often each guest register is named by the block's nodes and terminal; with
    /// `integer_only`, not by FP instructions, whose fields may name f registers (for a
    /// self-loop's map they are counted: only a heuristic is fed).
    fn register_uses(&self, integer_only: bool) -> [u32; 32] {
        let mut uses = [0u32; 32];
        for n in &self.block.nodes {
            let i = &n.inst;
            let fp = matches!(
                i.op.class(),
                ospite_isa::Class::Fp
                    | ospite_isa::Class::FpLoad(_)
                    | ospite_isa::Class::FpStore(_)
            );
            match n.kind {
                NodeKind::Const { rd, .. } => uses[usize::from(rd)] += 1,
                NodeKind::Nop | NodeKind::Terminal => {}
                _ if integer_only && fp => {}
                _ => {
                    for r in [i.rs1.num(), i.rs2.num(), i.rd.num()] {
                        uses[usize::from(r & 31)] += 1;
                    }
                }
            }
        }
        match self.block.terminal {
            Terminal::Branch { rs1, rs2, .. } => {
                uses[usize::from(rs1)] += 1;
                uses[usize::from(rs2)] += 1;
            }
            Terminal::Indirect { rs1, rd, .. } => {
                uses[usize::from(rs1)] += 1;
                uses[usize::from(rd)] += 1;
            }
            _ => {}
        }
        uses[0] = 0;
        uses
    }

    fn body(&mut self) -> Result<(), IcedError> {
        let n = self.block.len();
        let budget_exit = self.a.create_label();
        self.a.sub(BUDGET, n as i32)?;
        self.a.jl(budget_exit)?;
        let mut top = self.a.create_label();
        if self.is_self_loop() {
            let local = regs::RegMap::for_loop(&self.register_uses(false), self.rdx_is_free());
            if !local.is_static() {
                remap(&mut self.a, &regs::RegMap::STATIC, &local, |_| true)?;
                self.loop_map = Some(local);
                self.a.regs = local;
            }
            self.memos = memory::assign_memos(self.block);
            memory::enter_bound_memos(&mut self.a, self.block, &self.memos)?;
            nops(&mut self.a, self.top_padding)?;
            self.a.set_label(&mut top)?;
            self.a.zero_bytes()?;
            self.top = Some(top);
        } else if let Some(local) = self.block_map() {
            remap(&mut self.a, &regs::RegMap::STATIC, &local, |_| true)?;
            self.loop_map = Some(local);
            self.a.regs = local;
        }
        for k in 0..self.block.nodes.len() {
            let node = self.block.nodes[k];
            if !matches!(
                node.kind,
                NodeKind::Native | NodeKind::Const { .. } | NodeKind::Nop
            ) {
                words::complete_all(&mut self.a)?;
            }
            if matches!(node.kind, NodeKind::Memory | NodeKind::Helper) {
                // They may call a helper, which reads the hart and clobbers xmm registers.
                self.flush_floats()?;
            }
            match node.kind {
                NodeKind::Native => {
                    let pending = words::prepare(&mut self.a, &node.inst)?;
                    alu::emit(&mut self.a, &node.inst, pending)?;
                    let whole_word = !pending && words::gives_word(&node.inst);
                    words::written(&mut self.a, node.inst.rd.num(), pending, whole_word);
                }
                // These may write an x register (their rd field may also name an f register:
                // forgetting what is known of the x register of that number is harmless).
                NodeKind::Memory => {
                    self.memory(k)?;
                    words::written(&mut self.a, node.inst.rd.num(), false, false);
                }
                NodeKind::Helper => {
                    // It may write `fcsr`.
                    self.frm_is_rne = false;
                    self.call_helper(k)?;
                    words::written(&mut self.a, node.inst.rd.num(), false, false);
                }
                NodeKind::Float => {
                    self.float(k)?;
                    words::written(&mut self.a, node.inst.rd.num(), false, false);
                }
                NodeKind::Const { rd, value } => {
                    words::written(&mut self.a, rd, false, false);
                    match (self.a.regs.get(rd), i32::try_from(value as i64)) {
                        // A 32-bit mov zero-extends: the short form for small non-negatives.
                        (Some(h), _) if value <= u64::from(u32::MAX) => {
                            self.a.mov(h.d, value as u32)?
                        }
                        (Some(h), _) => self.a.mov(h.q, value)?,
                        (None, Ok(v)) => self.a.mov(x(rd), v)?,
                        (None, Err(_)) => {
                            self.a.mov(rax, value)?;
                            self.a.mov(x(rd), rax)?;
                        }
                    }
                }
                NodeKind::SideExit { cond, target } => {
                    let exit = self.a.create_label();
                    self.branch_compare(node.inst.rs1.num(), node.inst.rs2.num())?;
                    self.jump_if(cond, false, exit)?;
                    let dirty = self.float_cache.dirty();
                    self.side_exits.push((k, exit, target, dirty));
                }
                NodeKind::Nop | NodeKind::Terminal => {}
            }
        }
        words::complete_all(&mut self.a)?;
        self.flush_floats()?;
        if self.is_self_loop() {
            self.loop_terminal(top)?;
        } else {
            self.terminal()?;
        }
        // Slow paths return into the body: they run under its map.
        if let Some(local) = self.loop_map {
            self.a.regs = local;
        }
        self.out_of_line()?;
        if let Some(mut leave) = self.helper_leave.take() {
            self.a.set_label(&mut leave)?;
            self.leave_loop_map()?;
            self.a.jmp(self.env.helper_exit)?;
        }
        self.a.regs = regs::RegMap::STATIC;
        self.here(budget_exit)?;
        self.a.add(BUDGET, n as i32)?;
        self.set_pc(self.block.pc)?;
        self.exit(ExitCode::Budget)
    }

    /// Compares the operands of a branch (flags for the condition's jump).
    fn branch_compare(&mut self, rs1: u8, rs2: u8) -> Result<(), IcedError> {
        match (self.a.regs.get(rs1), rs2) {
            (Some(h), 0) => self.a.test(h.q, h.q),
            (Some(h), _) => op_x!(self.a, cmp, h.q, rs2),
            (None, _) => {
                read_x(&mut self.a, rax, rs1)?;
                op_x!(self.a, cmp, rax, rs2)
            }
        }
    }

    /// Jumps to `to` if `cond` holds (or does not, with `negate`) on the flags of [`Self::branch_compare`].
    fn jump_if(&mut self, cond: Cond, negate: bool, to: CodeLabel) -> Result<(), IcedError> {
        let a = &mut self.a;
        match (cond, negate) {
            (Cond::Eq, false) | (Cond::Ne, true) => a.je(to),
            (Cond::Ne, false) | (Cond::Eq, true) => a.jne(to),
            (Cond::Lt, false) | (Cond::Ge, true) => a.jl(to),
            (Cond::Ge, false) | (Cond::Lt, true) => a.jge(to),
            (Cond::Ltu, false) | (Cond::Geu, true) => a.jb(to),
            (Cond::Geu, false) | (Cond::Ltu, true) => a.jae(to),
        }
    }

    /// The end of a self-loop block: the next iteration jumps straight back to `top` if the
    /// budget covers it (still under the loop map); leaving the loop, or running out of
    /// budget, puts the static map back first.
    fn loop_terminal(&mut self, top: CodeLabel) -> Result<(), IcedError> {
        let pc = self.block.pc;
        let n = self.block.len() as i32;
        let mut other = None;
        if let Terminal::Branch {
            cond,
            rs1,
            rs2,
            taken,
            fallthrough,
        } = self.block.terminal
        {
            let leave = self.a.create_label();
            self.branch_compare(rs1, rs2)?;
            // Leave when the branch goes to the other target.
            self.jump_if(cond, taken == pc, leave)?;
            other = Some((leave, if taken == pc { fallthrough } else { taken }));
        }
        self.a.sub(BUDGET, n)?;
        self.a.jge(top)?;
        self.a.add(BUDGET, n)?;
        self.leave_loop_map()?;
        self.a.regs = regs::RegMap::STATIC;
        self.set_pc(pc)?;
        self.exit(ExitCode::Budget)?;
        if let Some((leave, target)) = other {
            self.here(leave)?;
            if let Some(local) = self.loop_map {
                self.a.regs = local;
            }
            self.leave_loop_map()?;
            self.a.regs = regs::RegMap::STATIC;
            self.exit_to(target)?;
        }
        Ok(())
    }

    /// From the block's own map back to the static one, before the terminal's jumps (moves
    /// only: the flags of a comparison survive).
    fn leave_block_map(&mut self) -> Result<(), IcedError> {
        self.leave_loop_map()?;
        self.a.regs = regs::RegMap::STATIC;
        Ok(())
    }

    fn terminal(&mut self) -> Result<(), IcedError> {
        match self.block.terminal {
            Terminal::Jump { target } => {
                self.leave_block_map()?;
                self.exit_to(target)
            }
            Terminal::Branch {
                cond,
                rs1,
                rs2,
                taken,
                fallthrough,
            } => {
                let to_taken = self.a.create_label();
                self.branch_compare(rs1, rs2)?;
                self.leave_block_map()?;
                let page = self.block.pc / PAGE_SIZE;
                if taken / PAGE_SIZE == page && fallthrough / PAGE_SIZE == page {
                    // Both chain: the taken side by a patchable `jcc rel32`, which falls
                    // through to a plain `jcc` to its stub until it is patched (the flags are
                    // still those of the comparison).
                    let taken_site = self.patchable_jump(&[0x0f, 0x80 | cond.x86_code()])?;
                    self.jump_if(cond, false, to_taken)?;
                    self.exit_to(fallthrough)?;
                    self.here(to_taken)?;
                    return self.chain_stub(taken_site, taken);
                }
                self.jump_if(cond, false, to_taken)?;
                self.exit_to(fallthrough)?;
                self.here(to_taken)?;
                self.exit_to(taken)
            }
            Terminal::Indirect { rs1, imm, rd, link } => {
                read_x(&mut self.a, rax, rs1)?;
                self.leave_block_map()?;
                if imm != 0 {
                    self.a.add(rax, imm)?;
                }
                self.a.and(rax, -2)?;
                if rd != 0 {
                    self.a.mov(rcx, link)?;
                    write_x(&mut self.a, rd, rcx)?;
                }
                self.jump_via_cache()
            }
            Terminal::Interpret { pc } => {
                self.leave_block_map()?;
                self.set_pc(pc)?;
                self.exit(ExitCode::Interpret)
            }
        }
    }

    /// Side exit of node `k`, entered at `exit`: gives back the budget of the instructions
    /// after it, puts the static map back and leaves for `target`.
    fn side_exit(
        &mut self,
        k: usize,
        exit: CodeLabel,
        target: u64,
        dirty: fp::Dirty,
    ) -> Result<(), IcedError> {
        self.here(exit)?;
        self.store_dirty(&dirty)?;
        let unused = self.block.len() - k as u64 - 1;
        if unused > 0 {
            self.a.add(BUDGET, unused as i32)?;
        }
        let map = self.a.regs;
        self.leave_loop_map()?;
        self.a.regs = regs::RegMap::STATIC;
        self.exit_to(target)?;
        self.a.regs = map;
        Ok(())
    }

    /// TLB-miss paths and side exits.
    fn out_of_line(&mut self) -> Result<(), IcedError> {
        for (k, exit, target, dirty) in std::mem::take(&mut self.side_exits) {
            self.side_exit(k, exit, target, dirty)?;
        }
        for refill in std::mem::take(&mut self.refills) {
            self.refill(refill)?;
        }
        for fix in std::mem::take(&mut self.nan_fixes) {
            self.nan_fix(fix)?;
        }
        for slow in std::mem::take(&mut self.deferred) {
            self.slow_path(slow)?;
        }
        for slow in std::mem::take(&mut self.float_paths) {
            self.float_slow_path(slow)?;
        }
        Ok(())
    }
}

/// Where a self-loop's iterations start, as compilers align loops: the host fetches and
/// caches decoded instructions in aligned chunks, and a loop that straddles fewer runs faster
/// and at the same speed wherever its block lands.
const LOOP_ALIGN: u64 = 64;

/// `n` bytes of `nop`s in the forms x86 recommends (at most 8 bytes each).
fn nops(a: &mut Asm, mut n: usize) -> Result<(), IcedError> {
    const NOPS: [&[u8]; 8] = [
        &[0x90],
        &[0x66, 0x90],
        &[0x0f, 0x1f, 0x00],
        &[0x0f, 0x1f, 0x40, 0x00],
        &[0x0f, 0x1f, 0x44, 0x00, 0x00],
        &[0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
        &[0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
        &[0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
    ];
    while n > 0 {
        let k = n.min(NOPS.len());
        a.db(NOPS[k - 1])?;
        n -= k;
    }
    Ok(())
}

/// Assembles `block` to run at address `ip`; a self-loop is assembled again with `nop`s before
/// its first iteration when that aligns the iterations' start (branches that change size may
/// leave it unaligned: then it stays as it is).
pub(crate) fn emit_block(block: &Block, env: Env, ip: u64) -> Result<Emitted, IcedError> {
    let mut padding = 0;
    loop {
        let mut e = Emitter::new(block, env)?;
        e.top_padding = padding;
        e.body()?;
        let host_insts =
            e.a.instructions()
                .iter()
                .filter(|i| i.code() != iced_x86::Code::Zero_bytes)
                .count();
        let result =
            e.a.assemble_options(ip, BlockEncoderOptions::RETURN_NEW_INSTRUCTION_OFFSETS)?;
        let misaligned = match e.top {
            Some(top) => result.label_ip(&top)? % LOOP_ALIGN,
            None => 0,
        };
        if misaligned == 0 || padding != 0 {
            return Ok(Emitted {
                code: result.inner.code_buffer,
                host_insts,
            });
        }
        padding = (LOOP_ALIGN - misaligned) as usize;
    }
}

/// The entry trampoline and the epilogue, assembled at `ip`:
/// `extern "sysv64" fn(state: *mut JitState, hart: *mut Hart, code: u64) -> u64` saves the
/// callee-saved registers, sets up the [`frame`] and `rbx`, loads the mapped guest registers and
/// the budget and jumps to `code`; blocks leave through the epilogue, which stores them back,
/// with the exit code in `rax`. Returns the code, the epilogue's offset in it and the helper
/// exit's.
pub(crate) fn emit_trampoline(ip: u64) -> Result<(Vec<u8>, u64, u64), IcedError> {
    let mut a = Asm::new()?;
    let mut epilogue = a.create_label();
    let mut helper_exit = a.create_label();
    for r in [rbx, rbp, r12, r13, r14, r15] {
        a.push(r)?;
    }
    a.sub(rsp, frame::SIZE)?;
    a.mov(frame::slot(frame::STATE), rdi)?;
    for (field, slot) in [
        (JitState::OFFSET_LOAD_TABLE, frame::LOAD_TABLE),
        (JitState::OFFSET_STORE_TABLE, frame::STORE_TABLE),
        (JitState::OFFSET_JUMP_CACHE, frame::JUMP_CACHE),
        (JitState::OFFSET_SATP, frame::SATP),
        (JitState::OFFSET_PRIVILEGE, frame::PRIVILEGE),
    ] {
        a.mov(rax, qword_ptr(rdi + field as i32))?;
        a.mov(frame::slot(slot), rax)?;
    }
    // Empty page memos: an all-ones tag, which no masked address equals (a loop's entry sets
    // its bounds from the tags).
    a.pcmpeqd(xmm0, xmm0)?;
    for memo in (frame::MEMOS..frame::SIZE).step_by(16) {
        a.movups(xmmword_ptr(rsp + memo), xmm0)?;
    }
    a.mov(BUDGET, qword_ptr(rdi + JitState::OFFSET_BUDGET as i32))?;
    a.mov(rbx, rsi)?;
    // Last: a guest register may live in rdi.
    reload(&mut a, |_, _| true)?;
    a.jmp(rdx)?;
    a.set_label(&mut helper_exit)?;
    a.mov(rcx, frame::slot(frame::STATE))?;
    a.add(BUDGET, qword_ptr(rcx + JitState::OFFSET_GIVE_BACK as i32))?;
    a.set_label(&mut epilogue)?;
    spill(&mut a, |_, _| true)?;
    a.mov(rcx, frame::slot(frame::STATE))?;
    a.mov(qword_ptr(rcx + JitState::OFFSET_BUDGET as i32), BUDGET)?;
    a.add(rsp, frame::SIZE)?;
    for r in [r15, r14, r13, r12, rbp, rbx] {
        a.pop(r)?;
    }
    a.ret()?;
    let result = a.assemble_options(ip, BlockEncoderOptions::RETURN_NEW_INSTRUCTION_OFFSETS)?;
    let at = result.label_ip(&epilogue)?;
    let exit = result.label_ip(&helper_exit)?;
    Ok((result.inner.code_buffer, at - ip, exit - ip))
}
