//! x86-64 emission with iced-x86's `CodeAssembler`.
//!
//! Register use inside translated code: `rbx` holds the [`Hart`] (guest registers at
//! `[rbx + 8 * i]`, the pc at `[rbx + Hart::OFFSET_PC]`), `rbp` the [`JitState`]; `rax`, `rcx`,
//! `rdx` and `rsi` are scratch and nothing lives in them across instructions; `r15` holds the
//! instruction budget. Eight hot guest registers live in `r8`-`r14` and `rdi` ([`regs`]); the
//! others stay in the hart. Every exit stores the mapped ones and the budget back, which keeps
//! exits precise.
//!
//! A block's code:
//!
//! ```text
//! entry:  sub r15, n ; jl budget_exit                          n = guest instructions
//!         ...one piece per guest instruction...
//!         terminal: a patchable `jmp rel32` per direct target in the same page (chaining),
//!                   otherwise set the pc and return to the runtime
//! out of line: TLB-miss paths (call the interpreter's semantics), the budget exit; a helper
//!         that ends the block (a fault, a store to code) sets the pc itself and leaves through
//!         the shared helper exit, which gives back the budget of the instructions not reached
//! ```

/// `a.$m(dst, xN)` with guest register `r` as the 64-bit source: its host register or its
/// slot in the hart.
macro_rules! op_x {
    ($a:expr, $m:ident, $dst:expr, $r:expr) => {
        match $crate::emit::regs::mapped($r) {
            Some(h) => $a.$m($dst, h.q),
            None => $a.$m($dst, $crate::emit::x($r)),
        }
    };
}

/// [`op_x!`] with the low 32 bits of guest register `r`.
macro_rules! op_xd {
    ($a:expr, $m:ident, $dst:expr, $r:expr) => {
        match $crate::emit::regs::mapped($r) {
            Some(h) => $a.$m($dst, h.d),
            None => $a.$m($dst, $crate::emit::xd($r)),
        }
    };
}

/// `a.$m(xN)`: a one-operand instruction on guest register `r`.
macro_rules! op1_x {
    ($a:expr, $m:ident, $r:expr) => {
        match $crate::emit::regs::mapped($r) {
            Some(h) => $a.$m(h.q),
            None => $a.$m($crate::emit::x($r)),
        }
    };
}

pub(crate) mod alu;
pub(crate) mod fp;
mod memory;
pub(crate) mod regs;

use iced_x86::code_asm::*;
use iced_x86::{BlockEncoderOptions, IcedError};
use ospite_interp::Hart;
use ospite_isa::Inst;
use ospite_mmu::PAGE_SIZE;

use crate::ir::{Block, Cond, NodeKind, Terminal};
use crate::runtime::{JumpSlot, JUMP_CACHE};
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

/// Reads guest register `r` into `dst`.
pub(crate) fn read_x(a: &mut CodeAssembler, dst: AsmRegister64, r: u8) -> Result<(), IcedError> {
    op_x!(a, mov, dst, r)
}

/// Writes `src` to guest register `r` (not `x0`).
pub(crate) fn write_x(a: &mut CodeAssembler, r: u8, src: AsmRegister64) -> Result<(), IcedError> {
    match regs::mapped(r) {
        Some(h) => a.mov(h.q, src),
        None => a.mov(x(r), src),
    }
}

/// Stores the mapped guest registers in `which` to the hart.
fn spill(a: &mut CodeAssembler, which: impl Fn(u8, &regs::Host) -> bool) -> Result<(), IcedError> {
    for (r, h) in regs::MAP.iter().filter(|(r, h)| which(*r, h)) {
        a.mov(x(*r), h.q)?;
    }
    Ok(())
}

/// Loads the mapped guest registers in `which` from the hart.
fn reload(a: &mut CodeAssembler, which: impl Fn(u8, &regs::Host) -> bool) -> Result<(), IcedError> {
    for (r, h) in regs::MAP.iter().filter(|(r, h)| which(*r, h)) {
        a.mov(h.q, x(*r))?;
    }
    Ok(())
}

fn pc_slot() -> AsmMemoryOperand {
    qword_ptr(rbx + Hart::OFFSET_PC as i32)
}

/// The budget's home while translated code runs (callee-saved, so helper calls keep it); the
/// trampoline loads it from the state and the epilogue stores it back.
const BUDGET: AsmRegister64 = r15;

fn budget_slot() -> AsmMemoryOperand {
    qword_ptr(rbp + JitState::OFFSET_BUDGET as i32)
}

/// Emission of one block.
pub(crate) struct Emitter<'a> {
    pub(crate) a: CodeAssembler,
    block: &'a Block,
    env: Env,
    /// Out-of-line code, emitted after the terminal.
    deferred: Vec<memory::SlowPath>,
    /// The FP instructions' fallbacks, out of line too.
    float_paths: Vec<fp::SlowPath>,
    /// The f registers xmm registers hold at this point of the block.
    float_cache: fp::XmmCache,
}

impl<'a> Emitter<'a> {
    fn new(block: &'a Block, env: Env) -> Result<Emitter<'a>, IcedError> {
        Ok(Emitter {
            a: CodeAssembler::new(64)?,
            block,
            env,
            deferred: Vec::new(),
            float_paths: Vec::new(),
            float_cache: fp::XmmCache::default(),
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
        let a = &mut self.a;
        spill(a, synced)?;
        a.mov(rdi, rbp)?;
        a.mov(rsi, inst)?;
        a.mov(rdx, node.pc)?;
        a.mov(ecx, unused as u32)?;
        a.mov(rax, self.env.helper)?;
        a.call(rax)?;
        a.test(eax, eax)?;
        reload(a, synced)?;
        a.jne(self.env.helper_exit)
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
        let mut site = self.a.create_label();
        self.a.set_label(&mut site)?;
        self.a.db(&[0xe9, 0, 0, 0, 0])?;
        self.set_pc(target)?;
        self.a.lea(rax, ptr(site))?;
        self.a
            .mov(qword_ptr(rbp + JitState::OFFSET_EXIT_SITE as i32), rax)?;
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
        a.add(rcx, qword_ptr(rbp + JitState::OFFSET_JUMP_CACHE as i32))?;
        a.cmp(rax, qword_ptr(rcx))?;
        a.jne(miss)?;
        a.mov(rdx, qword_ptr(rbp + JitState::OFFSET_SATP as i32))?;
        a.cmp(rdx, qword_ptr(rcx + JumpSlot::OFFSET_SATP))?;
        a.jne(miss)?;
        a.mov(rdx, qword_ptr(rbp + JitState::OFFSET_PRIVILEGE as i32))?;
        a.cmp(rdx, qword_ptr(rcx + JumpSlot::OFFSET_PRIVILEGE))?;
        a.jne(miss)?;
        a.jmp(qword_ptr(rcx + JumpSlot::OFFSET_CODE))?;
        self.here(miss)?;
        self.exit(ExitCode::Jump)
    }

    fn body(&mut self) -> Result<(), IcedError> {
        let n = self.block.len();
        let budget_exit = self.a.create_label();
        self.a.sub(BUDGET, n as i32)?;
        self.a.jl(budget_exit)?;
        for k in 0..self.block.nodes.len() {
            let node = self.block.nodes[k];
            match node.kind {
                NodeKind::Native => alu::emit(&mut self.a, &node.inst)?,
                NodeKind::Memory => self.memory(k)?,
                NodeKind::Helper => self.call_helper(k)?,
                NodeKind::Float => self.float(k)?,
                NodeKind::Const { rd, value } => {
                    match (regs::mapped(rd), i32::try_from(value as i64)) {
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
                NodeKind::Nop | NodeKind::Terminal => {}
            }
        }
        self.terminal()?;
        self.out_of_line()?;
        self.here(budget_exit)?;
        self.a.add(BUDGET, n as i32)?;
        self.set_pc(self.block.pc)?;
        self.exit(ExitCode::Budget)
    }

    fn terminal(&mut self) -> Result<(), IcedError> {
        match self.block.terminal {
            Terminal::Jump { target } => self.exit_to(target),
            Terminal::Branch {
                cond,
                rs1,
                rs2,
                taken,
                fallthrough,
            } => {
                let to_taken = self.a.create_label();
                match regs::mapped(rs1) {
                    Some(h) => op_x!(self.a, cmp, h.q, rs2)?,
                    None => {
                        read_x(&mut self.a, rax, rs1)?;
                        op_x!(self.a, cmp, rax, rs2)?;
                    }
                }
                match cond {
                    Cond::Eq => self.a.je(to_taken)?,
                    Cond::Ne => self.a.jne(to_taken)?,
                    Cond::Lt => self.a.jl(to_taken)?,
                    Cond::Ge => self.a.jge(to_taken)?,
                    Cond::Ltu => self.a.jb(to_taken)?,
                    Cond::Geu => self.a.jae(to_taken)?,
                }
                self.exit_to(fallthrough)?;
                self.here(to_taken)?;
                self.exit_to(taken)
            }
            Terminal::Indirect { rs1, imm, rd, link } => {
                read_x(&mut self.a, rax, rs1)?;
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
                self.set_pc(pc)?;
                self.exit(ExitCode::Interpret)
            }
        }
    }

    /// TLB-miss paths.
    fn out_of_line(&mut self) -> Result<(), IcedError> {
        for slow in std::mem::take(&mut self.deferred) {
            self.slow_path(slow)?;
        }
        for slow in std::mem::take(&mut self.float_paths) {
            self.float_slow_path(slow)?;
        }
        Ok(())
    }
}

/// Assembles `block` to run at address `ip`.
pub(crate) fn emit_block(block: &Block, env: Env, ip: u64) -> Result<Emitted, IcedError> {
    let mut e = Emitter::new(block, env)?;
    e.body()?;
    let host_insts =
        e.a.instructions()
            .iter()
            .filter(|i| i.code() != iced_x86::Code::Zero_bytes)
            .count();
    let result = e.a.assemble_options(ip, BlockEncoderOptions::NONE)?;
    Ok(Emitted {
        code: result.inner.code_buffer,
        host_insts,
    })
}

/// The entry trampoline and the epilogue, assembled at `ip`:
/// `extern "sysv64" fn(state: *mut JitState, hart: *mut Hart, code: u64) -> u64` saves the
/// callee-saved registers, sets `rbp` and `rbx`, loads the mapped guest registers and jumps to
/// `code`; blocks leave through the epilogue, which stores them back, with the exit code in
/// `rax`. Returns the code, the epilogue's offset in it and the helper exit's.
pub(crate) fn emit_trampoline(ip: u64) -> Result<(Vec<u8>, u64, u64), IcedError> {
    let mut a = CodeAssembler::new(64)?;
    let mut epilogue = a.create_label();
    let mut helper_exit = a.create_label();
    for r in [rbx, rbp, r12, r13, r14, r15] {
        a.push(r)?;
    }
    // Six pushes and the return address: 16-byte alignment for helper calls needs 8 more.
    a.sub(rsp, 8)?;
    a.mov(rbp, rdi)?;
    a.mov(rbx, rsi)?;
    reload(&mut a, |_, _| true)?;
    a.mov(BUDGET, budget_slot())?;
    a.jmp(rdx)?;
    a.set_label(&mut helper_exit)?;
    a.add(BUDGET, qword_ptr(rbp + JitState::OFFSET_GIVE_BACK as i32))?;
    a.set_label(&mut epilogue)?;
    spill(&mut a, |_, _| true)?;
    a.mov(budget_slot(), BUDGET)?;
    a.add(rsp, 8)?;
    for r in [r15, r14, r13, r12, rbp, rbx] {
        a.pop(r)?;
    }
    a.ret()?;
    let result = a.assemble_options(ip, BlockEncoderOptions::RETURN_NEW_INSTRUCTION_OFFSETS)?;
    let at = result.label_ip(&epilogue)?;
    let exit = result.label_ip(&helper_exit)?;
    Ok((result.inner.code_buffer, at - ip, exit - ip))
}
