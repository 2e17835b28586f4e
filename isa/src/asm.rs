//! An assembler for guest code in tests: one method per instruction, labels with forward and
//! backward references, the usual pseudo-instructions (`li`, `la`, `call`, `ret`, `j`, `mv`,
//! `nop`...), compressed forms, and raw data.
//!
//! Every instruction goes through [`Inst::encode`], so the assembler, the decoder and the
//! disassembler read one table. Each emitted instruction is also decoded back and must give the
//! same [`Inst`]: what a test asks for is what the guest runs.
//!
//! ```
//! use ospite_isa::asm::Assembler;
//! use ospite_isa::XReg;
//!
//! // Sum 10 + 9 + ... + 1 into a0, then return.
//! let mut asm = Assembler::new(0x8000_0000);
//! let (loop_top, done) = (asm.new_label(), asm.new_label());
//! asm.li(XReg::A0, 0);
//! asm.li(XReg::T0, 10);
//! asm.bind(loop_top);
//! asm.beqz(XReg::T0, done); // a forward branch, patched by finish()
//! asm.add(XReg::A0, XReg::A0, XReg::T0);
//! asm.addi(XReg::T0, XReg::T0, -1);
//! asm.j(loop_top);
//! asm.bind(done);
//! asm.ret();
//! let program = asm.finish().unwrap();
//! assert_eq!(program.bytes.len(), 7 * 4);
//! assert_eq!(program.address(done), 0x8000_0018);
//! ```
//!
//! Label references are not relaxed: a branch is always the 4-byte `b*` (or, inside
//! [`Assembler::c`], the 2-byte `c.beqz`/`c.bnez`), a `j` the 4-byte `jal` (or `c.j`), and
//! [`Assembler::finish`] says which one cannot reach its label. `la`, `call` and `tail` use an
//! `auipc` pair, which reaches ±2 GiB.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::{Deref, DerefMut};

use crate::compressed::COp;
use crate::csr::Csr;
use crate::encode::EncodeError;
use crate::format::Fmt;
use crate::inst::{Inst, Rm};
use crate::op::Op;
use crate::reg::{FReg, Reg, XReg};

/// A position in the code, to branch, jump or point to. Made by [`Assembler::new_label`], placed
/// by [`Assembler::bind`]; references may come before or after the binding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Label(u32);

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}", self.0)
    }
}

/// The ordering bits of an atomic instruction (`aq`, `rl`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum MemOrder {
    /// Neither bit: no ordering beyond the access itself.
    #[default]
    Relaxed,
    /// `.aq`: later accesses wait for this one.
    Acquire,
    /// `.rl`: this access waits for earlier ones.
    Release,
    /// `.aqrl`: both.
    AcqRel,
}

impl MemOrder {
    const fn bits(self) -> (bool, bool) {
        match self {
            MemOrder::Relaxed => (false, false),
            MemOrder::Acquire => (true, false),
            MemOrder::Release => (false, true),
            MemOrder::AcqRel => (true, true),
        }
    }
}

/// Why [`Assembler::finish`] could not make a program. Addresses are guest addresses.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum AsmError {
    /// An operand does not fit the instruction (an immediate out of range or misaligned, a
    /// register a compressed form cannot name).
    Encode {
        /// Where the instruction was to go.
        addr: u64,
        /// The instruction as asked for.
        inst: Inst,
        /// What [`Inst::encode`] said.
        error: EncodeError,
    },
    /// Inside [`Assembler::c`], an instruction with no compressed form.
    NotCompressible {
        /// Where the instruction was to go.
        addr: u64,
        /// The instruction as asked for.
        inst: Inst,
    },
    /// A branch, jump or `auipc` pair cannot reach its label.
    OutOfRange {
        /// The address of the referring instruction.
        addr: u64,
        /// Its mnemonic.
        mnemonic: &'static str,
        /// The label.
        label: Label,
        /// The label's address minus the instruction's.
        distance: i64,
    },
    /// An instruction at an odd address (after an odd number of data bytes).
    Misaligned {
        /// The address.
        addr: u64,
    },
    /// A label was never bound.
    Unbound {
        /// The label.
        label: Label,
    },
    /// A label was bound twice.
    BoundTwice {
        /// The label.
        label: Label,
    },
    /// A label that this assembler did not make.
    UnknownLabel {
        /// The label.
        label: Label,
    },
    /// A symbol name given to two labels.
    DuplicateSymbol {
        /// The name.
        name: String,
    },
    /// [`Assembler::align`] with an alignment that is not a power of two.
    BadAlignment {
        /// The alignment asked for.
        align: u64,
    },
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AsmError::Encode { addr, inst, error } => {
                write!(f, "{} at {addr:#x}: {error}", inst.mnemonic())
            }
            AsmError::NotCompressible { addr, inst } => write!(
                f,
                "{} at {addr:#x} has no compressed form with these operands",
                inst.mnemonic()
            ),
            AsmError::OutOfRange {
                addr,
                mnemonic,
                label,
                distance,
            } => write!(
                f,
                "{mnemonic} at {addr:#x} cannot reach {label}, {distance} bytes away"
            ),
            AsmError::Misaligned { addr } => {
                write!(f, "instruction at odd address {addr:#x}")
            }
            AsmError::Unbound { label } => write!(f, "label {label} is never bound"),
            AsmError::BoundTwice { label } => write!(f, "label {label} is bound twice"),
            AsmError::UnknownLabel { label } => {
                write!(f, "label {label} comes from another assembler")
            }
            AsmError::DuplicateSymbol { name } => write!(f, "symbol {name} is defined twice"),
            AsmError::BadAlignment { align } => {
                write!(f, "alignment {align} is not a power of two")
            }
        }
    }
}

impl core::error::Error for AsmError {}

/// The assembler's result type.
pub type Result<T> = core::result::Result<T, AsmError>;

/// Assembled code: the bytes to load at `base`, and where each label ended up.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Program {
    /// The guest address of the first byte.
    pub base: u64,
    /// The code and data, little-endian.
    pub bytes: Vec<u8>,
    /// Named labels ([`Assembler::symbol`], [`Assembler::name_label`]) and their addresses.
    pub symbols: BTreeMap<String, u64>,
    labels: Vec<u64>,
}

impl Program {
    /// The address of `label`.
    ///
    /// # Panics
    /// If the label was made by another assembler.
    pub fn address(&self, label: Label) -> u64 {
        self.labels[label.0 as usize]
    }

    /// The address of a named label.
    pub fn symbol(&self, name: &str) -> Option<u64> {
        self.symbols.get(name).copied()
    }

    /// The address just past the last byte.
    pub fn end(&self) -> u64 {
        self.base + self.bytes.len() as u64
    }
}

/// How instruction methods choose between a 32-bit word and a compressed parcel.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Compression {
    /// Always the 32-bit word.
    Off,
    /// The compressed form when there is one, as GNU as does with `.option rvc`.
    Auto,
    /// The compressed form, or an error.
    Required,
}

/// What a label reference patches in at [`Assembler::finish`].
#[derive(Clone, Copy, Debug)]
enum Patch {
    /// One instruction whose immediate is the distance to the label.
    Relative(Inst),
    /// `auipc` and an instruction taking the low 12 bits, the distance taken from the `auipc`.
    Pair(Inst, Inst),
    /// The label's 64-bit address as data.
    Absolute,
}

/// A label reference waiting for its label's address.
#[derive(Clone, Copy, Debug)]
struct Fixup {
    offset: usize,
    label: Label,
    patch: Patch,
}

/// Builds RISC-V code at a base address. Instruction methods take typed registers and
/// immediates in the order the assembly text writes them (`ld(rd, offset, base)` is
/// `ld rd,offset(base)`). Mistakes are remembered, and the first is returned by
/// [`finish`](Assembler::finish), so a test can write its program without a `?` per line.
#[derive(Clone, Debug)]
pub struct Assembler {
    base: u64,
    bytes: Vec<u8>,
    labels: Vec<Option<u64>>,
    names: BTreeMap<String, Label>,
    fixups: Vec<Fixup>,
    compression: Compression,
    error: Option<AsmError>,
}

/// The assembler inside [`Assembler::c`]: every instruction must take its compressed form.
/// It dereferences to the [`Assembler`], so all its methods are available.
#[derive(Debug)]
pub struct Compressed<'a> {
    asm: &'a mut Assembler,
    outer: Compression,
}

impl Deref for Compressed<'_> {
    type Target = Assembler;
    fn deref(&self) -> &Assembler {
        self.asm
    }
}

impl DerefMut for Compressed<'_> {
    fn deref_mut(&mut self) -> &mut Assembler {
        self.asm
    }
}

impl Drop for Compressed<'_> {
    fn drop(&mut self) {
        self.asm.compression = self.outer;
    }
}

const ZERO: XReg = XReg::ZERO;

/// Whether `v` fits a 12-bit signed immediate.
const fn fits_i12(v: i64) -> bool {
    v >= -2048 && v < 2048
}

/// The low 12 bits of `v`, sign-extended: what `addi` adds after `lui`/`auipc` put the rest.
const fn low12(v: i64) -> i64 {
    ((v as i32) << 20 >> 20) as i64
}

/// The compressed form of `inst`, if it has one that decodes back to exactly `inst`.
fn compressed_form(inst: &Inst) -> Option<Inst> {
    COp::ALL
        .iter()
        .filter(|cop| cop.info().op == inst.op)
        .map(|&cop| Inst {
            compressed: Some(cop),
            ..*inst
        })
        .find(|c| c.encode().is_ok())
}

impl Assembler {
    /// An empty assembler whose first byte will be at guest address `base`.
    pub fn new(base: u64) -> Self {
        Assembler {
            base,
            bytes: Vec::new(),
            labels: Vec::new(),
            names: BTreeMap::new(),
            fixups: Vec::new(),
            compression: Compression::Off,
            error: None,
        }
    }

    /// The address the next byte goes to.
    pub fn pc(&self) -> u64 {
        self.base + self.bytes.len() as u64
    }

    /// Whether instruction methods use the compressed form where one exists (off at first), as
    /// GNU as does under `.option rvc`. Label references keep their full size either way.
    pub fn set_compress(&mut self, enabled: bool) {
        self.compression = if enabled {
            Compression::Auto
        } else {
            Compression::Off
        };
    }

    /// The assembler in a mode where every instruction must take its compressed form (an
    /// [`AsmError::NotCompressible`] otherwise), until the returned guard is dropped:
    /// `asm.c().addi(a0, a0, 1)` emits `c.addi a0,1`. `beqz`/`bnez` to a label become
    /// `c.beqz`/`c.bnez`, and `j` becomes `c.j`. A pseudo-instruction expanding to several
    /// instructions needs each of them compressible.
    pub fn c(&mut self) -> Compressed<'_> {
        let outer = self.compression;
        self.compression = Compression::Required;
        Compressed { asm: self, outer }
    }

    /// Remembers the first error, which [`finish`](Assembler::finish) returns.
    fn fail(&mut self, error: AsmError) {
        self.error.get_or_insert(error);
    }

    // ----- labels -----

    /// A new label, not yet placed.
    pub fn new_label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() as u32 - 1)
    }

    /// Places `label` at the current address.
    pub fn bind(&mut self, label: Label) {
        let pc = self.pc();
        match self.labels.get_mut(label.0 as usize) {
            None => self.fail(AsmError::UnknownLabel { label }),
            Some(Some(_)) => self.fail(AsmError::BoundTwice { label }),
            Some(slot) => *slot = Some(pc),
        }
    }

    /// A new label placed at the current address.
    pub fn here(&mut self) -> Label {
        let label = self.new_label();
        self.bind(label);
        label
    }

    /// A new label placed at the current address and named `name` in [`Program::symbols`].
    pub fn symbol(&mut self, name: &str) -> Label {
        let label = self.here();
        self.name_label(label, name);
        label
    }

    /// Names `label` `name` in [`Program::symbols`].
    pub fn name_label(&mut self, label: Label, name: &str) {
        if self.names.insert(String::from(name), label).is_some() {
            self.fail(AsmError::DuplicateSymbol {
                name: String::from(name),
            });
        }
    }

    // ----- emission -----

    /// Emits `inst` exactly as given: a compressed parcel if `inst.compressed` says so, else a
    /// 32-bit word (no automatic compression). Its bits must decode back to `inst`.
    pub fn emit(&mut self, inst: Inst) {
        let addr = self.pc();
        if addr % 2 != 0 {
            self.fail(AsmError::Misaligned { addr });
        }
        let bits = match inst.encode() {
            Ok(bits) => bits,
            Err(error) => {
                self.fail(AsmError::Encode { addr, inst, error });
                0
            }
        };
        self.put_inst_bits(bits, inst.size());
    }

    fn put_inst_bits(&mut self, bits: u32, size: u64) {
        if size == 2 {
            self.half(bits as u16);
        } else {
            self.word(bits);
        }
    }

    /// Emits `inst` in the form the compression mode asks for.
    fn push(&mut self, inst: Inst) {
        let inst = match self.compression {
            Compression::Off => inst,
            Compression::Auto => compressed_form(&inst).unwrap_or(inst),
            Compression::Required => compressed_form(&inst).unwrap_or_else(|| {
                let addr = self.pc();
                self.fail(AsmError::NotCompressible { addr, inst });
                inst
            }),
        };
        self.emit(inst);
    }

    /// Reserves room for `patch`, to be filled in when `label` has an address.
    fn refer(&mut self, label: Label, patch: Patch, size: u64) {
        let addr = self.pc();
        if addr % 2 != 0 && !matches!(patch, Patch::Absolute) {
            self.fail(AsmError::Misaligned { addr });
        }
        if label.0 as usize >= self.labels.len() {
            self.fail(AsmError::UnknownLabel { label });
        }
        self.fixups.push(Fixup {
            offset: self.bytes.len(),
            label,
            patch,
        });
        self.bytes.resize(self.bytes.len() + size as usize, 0);
    }

    /// A branch or jump `inst` to `label`: compressed inside [`Assembler::c`], else full size.
    fn push_to_label(&mut self, inst: Inst, label: Label) {
        let mut inst = inst;
        if self.compression == Compression::Required {
            // The distance is not known yet: try the form with a zero offset, which is always in
            // range, so only the registers decide.
            match compressed_form(&inst) {
                Some(c) => inst = c,
                None => {
                    let addr = self.pc();
                    self.fail(AsmError::NotCompressible { addr, inst });
                }
            }
        }
        self.refer(label, Patch::Relative(inst), inst.size());
    }

    /// An `auipc` pair to `label`: `auipc hi_rd` then `lo` (whose immediate is filled in).
    fn push_pair(&mut self, hi_rd: XReg, lo: Inst, label: Label) {
        let hi = Inst {
            rd: hi_rd.into(),
            ..Inst::new(Op::Auipc)
        };
        self.refer(label, Patch::Pair(hi, lo), 8);
    }

    // ----- data -----

    /// Appends raw bytes.
    pub fn bytes(&mut self, data: &[u8]) {
        self.bytes.extend_from_slice(data);
    }

    /// Appends a 16-bit value, little-endian.
    pub fn half(&mut self, value: u16) {
        self.bytes(&value.to_le_bytes());
    }

    /// Appends a 32-bit value, little-endian.
    pub fn word(&mut self, value: u32) {
        self.bytes(&value.to_le_bytes());
    }

    /// Appends a 64-bit value, little-endian.
    pub fn dword(&mut self, value: u64) {
        self.bytes(&value.to_le_bytes());
    }

    /// Appends the 64-bit address of `label`, filled in by [`finish`](Assembler::finish).
    pub fn dword_address(&mut self, label: Label) {
        self.refer(label, Patch::Absolute, 8);
    }

    /// Pads with zero bytes up to the next multiple of `align` bytes (a power of two) of the
    /// guest address.
    pub fn align(&mut self, align: u64) {
        if !align.is_power_of_two() {
            self.fail(AsmError::BadAlignment { align });
            return;
        }
        while self.pc() % align != 0 {
            self.bytes.push(0);
        }
    }

    /// Pads with `nop`s (a `c.nop` for a 2-byte remainder) up to the next multiple of `align`
    /// bytes (a power of two), as GNU as pads code, so execution may fall through the padding.
    pub fn align_with_nops(&mut self, align: u64) {
        if !align.is_power_of_two() {
            self.fail(AsmError::BadAlignment { align });
            return;
        }
        if self.pc() % 2 != 0 {
            self.bytes.push(0);
        }
        while self.pc() % align != 0 {
            let nop = Inst::new(Op::Addi);
            if self.pc() % 4 != 0 {
                self.emit(Inst {
                    compressed: Some(COp::CAddi),
                    ..nop
                });
            } else {
                self.emit(nop);
            }
        }
    }

    // ----- the end -----

    /// Resolves every label reference and returns the program, or the first error met.
    pub fn finish(mut self) -> Result<Program> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let mut labels = Vec::with_capacity(self.labels.len());
        for (n, addr) in self.labels.iter().enumerate() {
            let label = Label(n as u32);
            labels.push(addr.ok_or(AsmError::Unbound { label })?);
        }
        for fixup in core::mem::take(&mut self.fixups) {
            let addr = self.base + fixup.offset as u64;
            let target = labels[fixup.label.0 as usize];
            let distance = target.wrapping_sub(addr) as i64;
            let out_of_range = |inst: &Inst| AsmError::OutOfRange {
                addr,
                mnemonic: inst.mnemonic(),
                label: fixup.label,
                distance,
            };
            match fixup.patch {
                Patch::Relative(inst) => {
                    let inst = Inst {
                        imm: i32::try_from(distance).map_err(|_| out_of_range(&inst))?,
                        ..inst
                    };
                    let bits = inst.encode().map_err(|_| out_of_range(&inst))?;
                    self.patch_inst(fixup.offset, bits, inst.size());
                }
                Patch::Pair(hi, lo) => {
                    let low = low12(distance);
                    let high = distance - low;
                    let high = i32::try_from(high).map_err(|_| out_of_range(&hi))?;
                    let hi = Inst { imm: high, ..hi };
                    let lo = Inst {
                        imm: low as i32,
                        ..lo
                    };
                    let hi_bits = hi.encode().map_err(|_| out_of_range(&hi))?;
                    let lo_bits = lo.encode().map_err(|_| out_of_range(&lo))?;
                    self.patch_inst(fixup.offset, hi_bits, 4);
                    self.patch_inst(fixup.offset + 4, lo_bits, 4);
                }
                Patch::Absolute => {
                    self.bytes[fixup.offset..fixup.offset + 8]
                        .copy_from_slice(&target.to_le_bytes());
                }
            }
        }
        let mut symbols = BTreeMap::new();
        for (name, label) in self.names {
            let addr = *labels
                .get(label.0 as usize)
                .ok_or(AsmError::UnknownLabel { label })?;
            symbols.insert(name, addr);
        }
        Ok(Program {
            base: self.base,
            bytes: self.bytes,
            symbols,
            labels,
        })
    }

    fn patch_inst(&mut self, offset: usize, bits: u32, size: u64) {
        let le = bits.to_le_bytes();
        let size = size as usize;
        self.bytes[offset..offset + size].copy_from_slice(&le[..size]);
    }

    // ----- pseudo-instructions -----

    /// `li rd,value`: loads any 64-bit constant with the sequence GNU as picks: `addi` for a
    /// 12-bit value, `lui` and/or `addiw` for a 32-bit one, else the upper part built the same
    /// way, then `slli` and `addi` for each further 12-bit chunk. At most 8 instructions.
    pub fn li(&mut self, rd: XReg, value: i64) {
        if fits_i12(value) {
            self.addi(rd, ZERO, value as i32);
        } else {
            self.load_const(rd, value);
        }
    }

    /// GNU as's `load_const` (gas/config/tc-riscv.c), step for step.
    fn load_const(&mut self, rd: XReg, value: i64) {
        let lower = low12(value);
        let upper = value.wrapping_sub(lower);
        if value != value as i32 as i64 {
            // Strip the zero bits below the upper part's lowest set bit, build the rest, shift
            // it back and add the low 12 bits.
            let shift = (upper >> 12).trailing_zeros() + 12;
            self.load_const(rd, upper >> shift);
            self.slli(rd, rd, shift as u8);
            if lower != 0 {
                self.addi(rd, rd, lower as i32);
            }
        } else {
            let mut hi = ZERO;
            if upper != 0 {
                self.push(Inst {
                    rd: rd.into(),
                    imm: upper as i32,
                    ..Inst::new(Op::Lui)
                });
                hi = rd;
            }
            if lower != 0 || hi == ZERO {
                self.addiw(rd, hi, lower as i32);
            }
        }
    }

    /// `la rd,label`: `auipc rd` and `addi rd,rd`, the label's address.
    pub fn la(&mut self, rd: XReg, label: Label) {
        let lo = Inst {
            rd: rd.into(),
            rs1: rd.into(),
            ..Inst::new(Op::Addi)
        };
        self.push_pair(rd, lo, label);
    }

    /// `call label`: `auipc ra` and `jalr ra,lo(ra)`.
    pub fn call(&mut self, label: Label) {
        let lo = Inst {
            rd: XReg::RA.into(),
            rs1: XReg::RA.into(),
            ..Inst::new(Op::Jalr)
        };
        self.push_pair(XReg::RA, lo, label);
    }

    /// `tail label`: `auipc t1` and `jalr zero,lo(t1)`, a call that does not return here.
    pub fn tail(&mut self, label: Label) {
        let lo = Inst {
            rs1: XReg::T1.into(),
            ..Inst::new(Op::Jalr)
        };
        self.push_pair(XReg::T1, lo, label);
    }

    /// `ret`: `jalr zero,0(ra)`.
    pub fn ret(&mut self) {
        self.jalr(ZERO, 0, XReg::RA);
    }

    /// `jr rs`: `jalr zero,0(rs)`.
    pub fn jr(&mut self, rs: XReg) {
        self.jalr(ZERO, 0, rs);
    }

    /// `j label`: `jal zero,label`.
    pub fn j(&mut self, label: Label) {
        self.jal(ZERO, label);
    }

    /// `mv rd,rs`: `addi rd,rs,0` (`c.mv rd,rs` when compressing, as GNU as writes it).
    pub fn mv(&mut self, rd: XReg, rs: XReg) {
        let as_add = Inst {
            rd: rd.into(),
            rs2: rs.into(),
            ..Inst::new(Op::Add)
        };
        let as_addi = Inst {
            rd: rd.into(),
            rs1: rs.into(),
            ..Inst::new(Op::Addi)
        };
        match (self.compression, compressed_form(&as_add)) {
            (Compression::Off, _) => self.emit(as_addi),
            (_, Some(c_mv)) => self.emit(c_mv),
            // GNU as compresses `mv` only to `c.mv`: `mv a0,zero` stays `addi`.
            (Compression::Auto, None) => self.emit(as_addi),
            (Compression::Required, None) => self.push(as_addi),
        }
    }

    /// `nop`: `addi zero,zero,0`.
    pub fn nop(&mut self) {
        self.addi(ZERO, ZERO, 0);
    }

    /// `not rd,rs`: `xori rd,rs,-1`.
    pub fn not(&mut self, rd: XReg, rs: XReg) {
        self.xori(rd, rs, -1);
    }

    /// `neg rd,rs`: `sub rd,zero,rs`.
    pub fn neg(&mut self, rd: XReg, rs: XReg) {
        self.sub(rd, ZERO, rs);
    }

    /// `sext.w rd,rs`: `addiw rd,rs,0`.
    pub fn sext_w(&mut self, rd: XReg, rs: XReg) {
        self.addiw(rd, rs, 0);
    }

    /// `seqz rd,rs`: `sltiu rd,rs,1`.
    pub fn seqz(&mut self, rd: XReg, rs: XReg) {
        self.sltiu(rd, rs, 1);
    }

    /// `snez rd,rs`: `sltu rd,zero,rs`.
    pub fn snez(&mut self, rd: XReg, rs: XReg) {
        self.sltu(rd, ZERO, rs);
    }

    /// `beqz rs,label`: `beq rs,zero,label` (`c.beqz` inside [`Assembler::c`]).
    pub fn beqz(&mut self, rs: XReg, label: Label) {
        self.beq(rs, ZERO, label);
    }

    /// `bnez rs,label`: `bne rs,zero,label` (`c.bnez` inside [`Assembler::c`]).
    pub fn bnez(&mut self, rs: XReg, label: Label) {
        self.bne(rs, ZERO, label);
    }

    /// `bltz rs,label`: `blt rs,zero,label`.
    pub fn bltz(&mut self, rs: XReg, label: Label) {
        self.blt(rs, ZERO, label);
    }

    /// `bgez rs,label`: `bge rs,zero,label`.
    pub fn bgez(&mut self, rs: XReg, label: Label) {
        self.bge(rs, ZERO, label);
    }

    /// `blez rs,label`: `bge zero,rs,label`.
    pub fn blez(&mut self, rs: XReg, label: Label) {
        self.bge(ZERO, rs, label);
    }

    /// `bgtz rs,label`: `blt zero,rs,label`.
    pub fn bgtz(&mut self, rs: XReg, label: Label) {
        self.blt(ZERO, rs, label);
    }

    /// `bgt a,b,label`: `blt b,a,label`.
    pub fn bgt(&mut self, a: XReg, b: XReg, label: Label) {
        self.blt(b, a, label);
    }

    /// `ble a,b,label`: `bge b,a,label`.
    pub fn ble(&mut self, a: XReg, b: XReg, label: Label) {
        self.bge(b, a, label);
    }

    /// `bgtu a,b,label`: `bltu b,a,label`.
    pub fn bgtu(&mut self, a: XReg, b: XReg, label: Label) {
        self.bltu(b, a, label);
    }

    /// `bleu a,b,label`: `bgeu b,a,label`.
    pub fn bleu(&mut self, a: XReg, b: XReg, label: Label) {
        self.bgeu(b, a, label);
    }

    /// `csrr rd,csr`: `csrrs rd,csr,zero`.
    pub fn csrr(&mut self, rd: XReg, csr: Csr) {
        self.csrrs(rd, csr, ZERO);
    }

    /// `csrw csr,rs`: `csrrw zero,csr,rs`.
    pub fn csrw(&mut self, csr: Csr, rs: XReg) {
        self.csrrw(ZERO, csr, rs);
    }

    /// `csrs csr,rs`: `csrrs zero,csr,rs`.
    pub fn csrs(&mut self, csr: Csr, rs: XReg) {
        self.csrrs(ZERO, csr, rs);
    }

    /// `csrc csr,rs`: `csrrc zero,csr,rs`.
    pub fn csrc(&mut self, csr: Csr, rs: XReg) {
        self.csrrc(ZERO, csr, rs);
    }

    /// `csrwi csr,uimm`: `csrrwi zero,csr,uimm`.
    pub fn csrwi(&mut self, csr: Csr, uimm: u8) {
        self.csrrwi(ZERO, csr, uimm);
    }

    /// `csrsi csr,uimm`: `csrrsi zero,csr,uimm`.
    pub fn csrsi(&mut self, csr: Csr, uimm: u8) {
        self.csrrsi(ZERO, csr, uimm);
    }

    /// `csrci csr,uimm`: `csrrci zero,csr,uimm`.
    pub fn csrci(&mut self, csr: Csr, uimm: u8) {
        self.csrrci(ZERO, csr, uimm);
    }

    // ----- instructions with an unusual shape -----

    /// `lui rd,imm20`: `rd = sext(imm20 << 12)`; `imm20` below 2^20, as the assembly writes it.
    pub fn lui(&mut self, rd: XReg, imm20: u32) {
        self.upper(Op::Lui, rd, imm20);
    }

    /// `auipc rd,imm20`: `rd = pc + sext(imm20 << 12)`; `imm20` below 2^20.
    pub fn auipc(&mut self, rd: XReg, imm20: u32) {
        self.upper(Op::Auipc, rd, imm20);
    }

    fn upper(&mut self, op: Op, rd: XReg, imm20: u32) {
        let inst = Inst {
            rd: rd.into(),
            imm: (imm20 << 12) as i32,
            ..Inst::new(op)
        };
        if imm20 >> 20 != 0 {
            let addr = self.pc();
            let error = EncodeError::ImmediateOutOfRange { imm: imm20 as i64 };
            self.fail(AsmError::Encode { addr, inst, error });
        }
        self.push(inst);
    }

    /// `jal rd,label`.
    pub fn jal(&mut self, rd: XReg, label: Label) {
        let inst = Inst {
            rd: rd.into(),
            ..Inst::new(Op::Jal)
        };
        self.push_to_label(inst, label);
    }

    /// `jalr rd,offset(rs1)`.
    pub fn jalr(&mut self, rd: XReg, offset: i32, rs1: XReg) {
        self.push(Inst {
            rd: rd.into(),
            rs1: rs1.into(),
            imm: offset,
            ..Inst::new(Op::Jalr)
        });
    }

    /// `fence pred,succ`: each set is a mask of `i` (8), `o` (4), `r` (2), `w` (1).
    pub fn fence(&mut self, pred: u8, succ: u8) {
        self.push(Inst {
            imm: (((pred & 15) as i32) << 4) | (succ & 15) as i32,
            ..Inst::new(Op::Fence)
        });
    }

    /// `sfence.vma rs1,rs2`.
    pub fn sfence_vma(&mut self, vaddr: XReg, asid: XReg) {
        self.push(Inst {
            rs1: vaddr.into(),
            rs2: asid.into(),
            ..Inst::new(Op::SfenceVma)
        });
    }

    /// `lr.w rd,(rs1)` with the given ordering.
    pub fn lr_w(&mut self, rd: XReg, rs1: XReg, order: MemOrder) {
        self.load_reserved(Op::LrW, rd, rs1, order);
    }

    /// `lr.d rd,(rs1)` with the given ordering.
    pub fn lr_d(&mut self, rd: XReg, rs1: XReg, order: MemOrder) {
        self.load_reserved(Op::LrD, rd, rs1, order);
    }

    fn load_reserved(&mut self, op: Op, rd: XReg, rs1: XReg, order: MemOrder) {
        let (aq, rl) = order.bits();
        self.push(Inst {
            rd: rd.into(),
            rs1: rs1.into(),
            aq,
            rl,
            ..Inst::new(op)
        });
    }

    fn amo(&mut self, op: Op, rd: XReg, rs2: XReg, rs1: XReg, order: MemOrder) {
        let (aq, rl) = order.bits();
        self.push(Inst {
            rd: rd.into(),
            rs1: rs1.into(),
            rs2: rs2.into(),
            aq,
            rl,
            ..Inst::new(op)
        });
    }

    fn rrr(&mut self, op: Op, rd: Reg, rs1: Reg, rs2: Reg) {
        self.push(Inst {
            rd,
            rs1,
            rs2,
            ..Inst::new(op)
        });
    }

    fn rri(&mut self, op: Op, rd: Reg, rs1: Reg, imm: i32) {
        self.push(Inst {
            rd,
            rs1,
            imm,
            ..Inst::new(op)
        });
    }

    fn store(&mut self, op: Op, rs2: Reg, offset: i32, rs1: Reg) {
        self.push(Inst {
            rs1,
            rs2,
            imm: offset,
            ..Inst::new(op)
        });
    }

    fn branch(&mut self, op: Op, rs1: XReg, rs2: XReg, label: Label) {
        let inst = Inst {
            rs1: rs1.into(),
            rs2: rs2.into(),
            ..Inst::new(op)
        };
        self.push_to_label(inst, label);
    }

    fn csr(&mut self, op: Op, rd: XReg, csr: Csr, src: Reg, imm: i32) {
        self.push(Inst {
            rd: rd.into(),
            rs1: src,
            imm,
            csr,
            ..Inst::new(op)
        });
    }

    /// A floating-point instruction, with the rounding mode GNU as writes when the text gives
    /// none: dynamic, or `rne` for the exact conversions.
    fn fp(&mut self, op: Op, rd: Reg, rs1: Reg, rs2: Reg, rs3: Reg) {
        let fmt = op.info().fmt;
        let rm = if matches!(fmt, Fmt::F1RmExact | Fmt::XToFRmExact) {
            Rm::Rne
        } else {
            Rm::Dyn
        };
        self.fp_rm(op, rd, rs1, rs2, rs3, rm);
    }

    fn fp_rm(&mut self, op: Op, rd: Reg, rs1: Reg, rs2: Reg, rs3: Reg, rm: Rm) {
        self.push(Inst {
            rd,
            rs1,
            rs2,
            rs3,
            rm,
            ..Inst::new(op)
        });
    }
}

/// Methods for instructions of one shape, one line each: `method "mnemonic" Op;`.
macro_rules! r_type {
    ($($name:ident $mn:literal $op:ident;)*) => {
        impl Assembler {$(
            #[doc = concat!("`", $mn, " rd,rs1,rs2`.")]
            pub fn $name(&mut self, rd: XReg, rs1: XReg, rs2: XReg) {
                self.rrr(Op::$op, rd.into(), rs1.into(), rs2.into());
            }
        )*}
    };
}

macro_rules! unary {
    ($($name:ident $mn:literal $op:ident;)*) => {
        impl Assembler {$(
            #[doc = concat!("`", $mn, " rd,rs1`.")]
            pub fn $name(&mut self, rd: XReg, rs1: XReg) {
                self.rri(Op::$op, rd.into(), rs1.into(), 0);
            }
        )*}
    };
}

macro_rules! i_type {
    ($($name:ident $mn:literal $op:ident;)*) => {
        impl Assembler {$(
            #[doc = concat!("`", $mn, " rd,rs1,imm`, `imm` a 12-bit signed value.")]
            pub fn $name(&mut self, rd: XReg, rs1: XReg, imm: i32) {
                self.rri(Op::$op, rd.into(), rs1.into(), imm);
            }
        )*}
    };
}

macro_rules! shift {
    ($($name:ident $mn:literal $op:ident;)*) => {
        impl Assembler {$(
            #[doc = concat!("`", $mn, " rd,rs1,shamt`.")]
            pub fn $name(&mut self, rd: XReg, rs1: XReg, shamt: u8) {
                self.rri(Op::$op, rd.into(), rs1.into(), shamt as i32);
            }
        )*}
    };
}

macro_rules! load {
    ($($name:ident $mn:literal $op:ident $reg:ident;)*) => {
        impl Assembler {$(
            #[doc = concat!("`", $mn, " rd,offset(rs1)`.")]
            pub fn $name(&mut self, rd: $reg, offset: i32, rs1: XReg) {
                self.rri(Op::$op, rd.into(), rs1.into(), offset);
            }
        )*}
    };
}

macro_rules! store {
    ($($name:ident $mn:literal $op:ident $reg:ident;)*) => {
        impl Assembler {$(
            #[doc = concat!("`", $mn, " rs2,offset(rs1)`.")]
            pub fn $name(&mut self, rs2: $reg, offset: i32, rs1: XReg) {
                self.store(Op::$op, rs2.into(), offset, rs1.into());
            }
        )*}
    };
}

macro_rules! branch {
    ($($name:ident $mn:literal $op:ident;)*) => {
        impl Assembler {$(
            #[doc = concat!("`", $mn, " rs1,rs2,label`.")]
            pub fn $name(&mut self, rs1: XReg, rs2: XReg, label: Label) {
                self.branch(Op::$op, rs1, rs2, label);
            }
        )*}
    };
}

macro_rules! csr {
    ($($name:ident $mn:literal $op:ident;)*) => {
        impl Assembler {$(
            #[doc = concat!("`", $mn, " rd,csr,rs1`.")]
            pub fn $name(&mut self, rd: XReg, csr: Csr, rs1: XReg) {
                self.csr(Op::$op, rd, csr, rs1.into(), 0);
            }
        )*}
    };
}

macro_rules! csr_imm {
    ($($name:ident $mn:literal $op:ident;)*) => {
        impl Assembler {$(
            #[doc = concat!("`", $mn, " rd,csr,uimm`, `uimm` below 32.")]
            pub fn $name(&mut self, rd: XReg, csr: Csr, uimm: u8) {
                self.csr(Op::$op, rd, csr, Reg::new(0), uimm as i32);
            }
        )*}
    };
}

macro_rules! no_operands {
    ($($name:ident $mn:literal $op:ident;)*) => {
        impl Assembler {$(
            #[doc = concat!("`", $mn, "`.")]
            pub fn $name(&mut self) {
                self.push(Inst::new(Op::$op));
            }
        )*}
    };
}

macro_rules! amo {
    ($($name:ident $mn:literal $op:ident;)*) => {
        impl Assembler {$(
            #[doc = concat!("`", $mn, " rd,rs2,(rs1)` with the given ordering.")]
            pub fn $name(&mut self, rd: XReg, rs2: XReg, rs1: XReg, order: MemOrder) {
                self.amo(Op::$op, rd, rs2, rs1, order);
            }
        )*}
    };
}

/// Floating-point instructions; `$args` lists the register operands as `name: Type => field`.
macro_rules! fp {
    ($($name:ident $mn:literal $op:ident ($($arg:ident: $ty:ident),*);)*) => {
        impl Assembler {$(
            #[doc = concat!("`", $mn, " ", fp!(@list $($arg),*), "`. A rounding mode, where the ",
                "instruction has one, is GNU as's default: dynamic, `rne` for exact conversions.")]
            pub fn $name(&mut self, $($arg: $ty),*) {
                let regs = [$(Reg::from($arg)),*];
                let reg = |i: usize| regs.get(i).copied().unwrap_or_default();
                self.fp(Op::$op, reg(0), reg(1), reg(2), reg(3));
            }
        )*}
    };
    (@list $first:ident $(, $rest:ident)*) => { concat!(stringify!($first) $(, ",", stringify!($rest))*) };
}

macro_rules! fp_to_int {
    ($($name:ident $mn:literal $op:ident;)*) => {
        impl Assembler {$(
            #[doc = concat!("`", $mn, " rd,rs1,rm`: rounding mode `rm` (C casts use `Rm::Rtz`).")]
            pub fn $name(&mut self, rd: XReg, rs1: FReg, rm: Rm) {
                self.fp_rm(Op::$op, rd.into(), rs1.into(), Reg::new(0), Reg::new(0), rm);
            }
        )*}
    };
}

r_type! {
    add "add" Add; sub "sub" Sub; sll "sll" Sll; slt "slt" Slt; sltu "sltu" Sltu;
    xor "xor" Xor; srl "srl" Srl; sra "sra" Sra; or "or" Or; and "and" And;
    addw "addw" Addw; subw "subw" Subw; sllw "sllw" Sllw; srlw "srlw" Srlw; sraw "sraw" Sraw;
    mul "mul" Mul; mulh "mulh" Mulh; mulhsu "mulhsu" Mulhsu; mulhu "mulhu" Mulhu;
    div "div" Div; divu "divu" Divu; rem "rem" Rem; remu "remu" Remu;
    mulw "mulw" Mulw; divw "divw" Divw; divuw "divuw" Divuw; remw "remw" Remw;
    remuw "remuw" Remuw;
    add_uw "add.uw" AddUw; sh1add "sh1add" Sh1add; sh2add "sh2add" Sh2add;
    sh3add "sh3add" Sh3add; sh1add_uw "sh1add.uw" Sh1addUw; sh2add_uw "sh2add.uw" Sh2addUw;
    sh3add_uw "sh3add.uw" Sh3addUw;
    andn "andn" Andn; orn "orn" Orn; xnor "xnor" Xnor; max "max" Max; maxu "maxu" Maxu;
    min "min" Min; minu "minu" Minu; rol "rol" Rol; rolw "rolw" Rolw; ror "ror" Ror;
    rorw "rorw" Rorw;
    clmul "clmul" Clmul; clmulr "clmulr" Clmulr; clmulh "clmulh" Clmulh;
    bclr "bclr" Bclr; bext "bext" Bext; binv "binv" Binv; bset "bset" Bset;
    czero_eqz "czero.eqz" CzeroEqz; czero_nez "czero.nez" CzeroNez;
}

unary! {
    clz "clz" Clz; ctz "ctz" Ctz; cpop "cpop" Cpop; clzw "clzw" Clzw; ctzw "ctzw" Ctzw;
    cpopw "cpopw" Cpopw; sext_b "sext.b" SextB; sext_h "sext.h" SextH; zext_h "zext.h" ZextH;
    orc_b "orc.b" OrcB; rev8 "rev8" Rev8;
}

i_type! {
    addi "addi" Addi; slti "slti" Slti; sltiu "sltiu" Sltiu; xori "xori" Xori; ori "ori" Ori;
    andi "andi" Andi; addiw "addiw" Addiw;
}

shift! {
    slli "slli" Slli; srli "srli" Srli; srai "srai" Srai; slliw "slliw" Slliw;
    srliw "srliw" Srliw; sraiw "sraiw" Sraiw; slli_uw "slli.uw" SlliUw; rori "rori" Rori;
    roriw "roriw" Roriw; bclri "bclri" Bclri; bexti "bexti" Bexti; binvi "binvi" Binvi;
    bseti "bseti" Bseti;
}

load! {
    lb "lb" Lb XReg; lh "lh" Lh XReg; lw "lw" Lw XReg; ld "ld" Ld XReg; lbu "lbu" Lbu XReg;
    lhu "lhu" Lhu XReg; lwu "lwu" Lwu XReg; flw "flw" Flw FReg; fld "fld" Fld FReg;
}

store! {
    sb "sb" Sb XReg; sh "sh" Sh XReg; sw "sw" Sw XReg; sd "sd" Sd XReg; fsw "fsw" Fsw FReg;
    fsd "fsd" Fsd FReg;
}

branch! {
    beq "beq" Beq; bne "bne" Bne; blt "blt" Blt; bge "bge" Bge; bltu "bltu" Bltu;
    bgeu "bgeu" Bgeu;
}

csr! { csrrw "csrrw" Csrrw; csrrs "csrrs" Csrrs; csrrc "csrrc" Csrrc; }

csr_imm! { csrrwi "csrrwi" Csrrwi; csrrsi "csrrsi" Csrrsi; csrrci "csrrci" Csrrci; }

no_operands! {
    ecall "ecall" Ecall; ebreak "ebreak" Ebreak; fence_tso "fence.tso" FenceTso;
    fence_i "fence.i" FenceI; mret "mret" Mret; sret "sret" Sret; dret "dret" Dret;
    wfi "wfi" Wfi;
}

amo! {
    sc_w "sc.w" ScW; amoswap_w "amoswap.w" AmoswapW; amoadd_w "amoadd.w" AmoaddW;
    amoxor_w "amoxor.w" AmoxorW; amoand_w "amoand.w" AmoandW; amoor_w "amoor.w" AmoorW;
    amomin_w "amomin.w" AmominW; amomax_w "amomax.w" AmomaxW; amominu_w "amominu.w" AmominuW;
    amomaxu_w "amomaxu.w" AmomaxuW;
    sc_d "sc.d" ScD; amoswap_d "amoswap.d" AmoswapD; amoadd_d "amoadd.d" AmoaddD;
    amoxor_d "amoxor.d" AmoxorD; amoand_d "amoand.d" AmoandD; amoor_d "amoor.d" AmoorD;
    amomin_d "amomin.d" AmominD; amomax_d "amomax.d" AmomaxD; amominu_d "amominu.d" AmominuD;
    amomaxu_d "amomaxu.d" AmomaxuD;
}

fp! {
    fadd_s "fadd.s" FaddS (rd: FReg, rs1: FReg, rs2: FReg);
    fsub_s "fsub.s" FsubS (rd: FReg, rs1: FReg, rs2: FReg);
    fmul_s "fmul.s" FmulS (rd: FReg, rs1: FReg, rs2: FReg);
    fdiv_s "fdiv.s" FdivS (rd: FReg, rs1: FReg, rs2: FReg);
    fsqrt_s "fsqrt.s" FsqrtS (rd: FReg, rs1: FReg);
    fsgnj_s "fsgnj.s" FsgnjS (rd: FReg, rs1: FReg, rs2: FReg);
    fsgnjn_s "fsgnjn.s" FsgnjnS (rd: FReg, rs1: FReg, rs2: FReg);
    fsgnjx_s "fsgnjx.s" FsgnjxS (rd: FReg, rs1: FReg, rs2: FReg);
    fmin_s "fmin.s" FminS (rd: FReg, rs1: FReg, rs2: FReg);
    fmax_s "fmax.s" FmaxS (rd: FReg, rs1: FReg, rs2: FReg);
    fmadd_s "fmadd.s" FmaddS (rd: FReg, rs1: FReg, rs2: FReg, rs3: FReg);
    fmsub_s "fmsub.s" FmsubS (rd: FReg, rs1: FReg, rs2: FReg, rs3: FReg);
    fnmsub_s "fnmsub.s" FnmsubS (rd: FReg, rs1: FReg, rs2: FReg, rs3: FReg);
    fnmadd_s "fnmadd.s" FnmaddS (rd: FReg, rs1: FReg, rs2: FReg, rs3: FReg);
    fmv_x_w "fmv.x.w" FmvXW (rd: XReg, rs1: FReg);
    fclass_s "fclass.s" FclassS (rd: XReg, rs1: FReg);
    fmv_w_x "fmv.w.x" FmvWX (rd: FReg, rs1: XReg);
    feq_s "feq.s" FeqS (rd: XReg, rs1: FReg, rs2: FReg);
    flt_s "flt.s" FltS (rd: XReg, rs1: FReg, rs2: FReg);
    fle_s "fle.s" FleS (rd: XReg, rs1: FReg, rs2: FReg);
    fcvt_s_w "fcvt.s.w" FcvtSW (rd: FReg, rs1: XReg);
    fcvt_s_wu "fcvt.s.wu" FcvtSWu (rd: FReg, rs1: XReg);
    fcvt_s_l "fcvt.s.l" FcvtSL (rd: FReg, rs1: XReg);
    fcvt_s_lu "fcvt.s.lu" FcvtSLu (rd: FReg, rs1: XReg);
    fadd_d "fadd.d" FaddD (rd: FReg, rs1: FReg, rs2: FReg);
    fsub_d "fsub.d" FsubD (rd: FReg, rs1: FReg, rs2: FReg);
    fmul_d "fmul.d" FmulD (rd: FReg, rs1: FReg, rs2: FReg);
    fdiv_d "fdiv.d" FdivD (rd: FReg, rs1: FReg, rs2: FReg);
    fsqrt_d "fsqrt.d" FsqrtD (rd: FReg, rs1: FReg);
    fsgnj_d "fsgnj.d" FsgnjD (rd: FReg, rs1: FReg, rs2: FReg);
    fsgnjn_d "fsgnjn.d" FsgnjnD (rd: FReg, rs1: FReg, rs2: FReg);
    fsgnjx_d "fsgnjx.d" FsgnjxD (rd: FReg, rs1: FReg, rs2: FReg);
    fmin_d "fmin.d" FminD (rd: FReg, rs1: FReg, rs2: FReg);
    fmax_d "fmax.d" FmaxD (rd: FReg, rs1: FReg, rs2: FReg);
    fmadd_d "fmadd.d" FmaddD (rd: FReg, rs1: FReg, rs2: FReg, rs3: FReg);
    fmsub_d "fmsub.d" FmsubD (rd: FReg, rs1: FReg, rs2: FReg, rs3: FReg);
    fnmsub_d "fnmsub.d" FnmsubD (rd: FReg, rs1: FReg, rs2: FReg, rs3: FReg);
    fnmadd_d "fnmadd.d" FnmaddD (rd: FReg, rs1: FReg, rs2: FReg, rs3: FReg);
    fcvt_s_d "fcvt.s.d" FcvtSD (rd: FReg, rs1: FReg);
    fcvt_d_s "fcvt.d.s" FcvtDS (rd: FReg, rs1: FReg);
    fmv_x_d "fmv.x.d" FmvXD (rd: XReg, rs1: FReg);
    fclass_d "fclass.d" FclassD (rd: XReg, rs1: FReg);
    fmv_d_x "fmv.d.x" FmvDX (rd: FReg, rs1: XReg);
    feq_d "feq.d" FeqD (rd: XReg, rs1: FReg, rs2: FReg);
    flt_d "flt.d" FltD (rd: XReg, rs1: FReg, rs2: FReg);
    fle_d "fle.d" FleD (rd: XReg, rs1: FReg, rs2: FReg);
    fcvt_d_w "fcvt.d.w" FcvtDW (rd: FReg, rs1: XReg);
    fcvt_d_wu "fcvt.d.wu" FcvtDWu (rd: FReg, rs1: XReg);
    fcvt_d_l "fcvt.d.l" FcvtDL (rd: FReg, rs1: XReg);
    fcvt_d_lu "fcvt.d.lu" FcvtDLu (rd: FReg, rs1: XReg);
}

fp_to_int! {
    fcvt_w_s "fcvt.w.s" FcvtWS; fcvt_wu_s "fcvt.wu.s" FcvtWuS; fcvt_l_s "fcvt.l.s" FcvtLS;
    fcvt_lu_s "fcvt.lu.s" FcvtLuS; fcvt_w_d "fcvt.w.d" FcvtWD; fcvt_wu_d "fcvt.wu.d" FcvtWuD;
    fcvt_l_d "fcvt.l.d" FcvtLD; fcvt_lu_d "fcvt.lu.d" FcvtLuD;
}

#[cfg(test)]
mod tests {
    extern crate std;

    use alloc::string::ToString;
    use alloc::vec;

    use proptest::prelude::*;

    use super::*;
    use crate::decode::decode_bytes;
    use crate::ext::Extensions;

    use XReg as X;

    /// Assembles at 0x1000 what `build` writes.
    fn assemble(build: impl FnOnce(&mut Assembler)) -> Result<Program> {
        let mut asm = Assembler::new(0x1000);
        build(&mut asm);
        asm.finish()
    }

    /// The program's instructions, decoded back.
    fn insts(program: &Program) -> Vec<Inst> {
        let mut out = Vec::new();
        let mut offset = 0;
        while offset < program.bytes.len() {
            let inst = decode_bytes(&program.bytes[offset..], Extensions::ALL).unwrap();
            offset += inst.size() as usize;
            out.push(inst);
        }
        out
    }

    /// The program as objdump prints it, one line per instruction.
    fn listing(program: &Program) -> Vec<String> {
        let mut pc = program.base;
        insts(program)
            .iter()
            .map(|inst| {
                let line = inst.display(pc).to_string();
                pc += inst.size();
                line
            })
            .collect()
    }

    fn listing_of(build: impl FnOnce(&mut Assembler)) -> Vec<String> {
        listing(&assemble(build).unwrap())
    }

    /// Runs a `li` sequence on a register file of zeros and returns `rd`: the evaluator covers
    /// exactly the instructions `li` may emit, and fails on anything else.
    fn evaluate_li(insts: &[Inst], rd: XReg) -> u64 {
        let mut x = [0u64; 32];
        for i in insts {
            let src = x[i.rs1.idx()];
            let value = match i.op {
                Op::Lui => i.imm as i64 as u64,
                Op::Addi => src.wrapping_add(i.imm as i64 as u64),
                Op::Addiw => src.wrapping_add(i.imm as i64 as u64) as i32 as i64 as u64,
                Op::Slli => src << i.imm,
                op => panic!("li emitted {op:?}"),
            };
            assert_eq!(i.rd, Reg::from(rd), "li wrote another register");
            x[i.rd.idx()] = value;
        }
        x[rd.num() as usize]
    }

    fn li_program(value: i64, compress: bool) -> Vec<Inst> {
        let program = assemble(|a| {
            a.set_compress(compress);
            a.li(X::A5, value);
        })
        .unwrap();
        insts(&program)
    }

    const EDGE_CONSTANTS: [i64; 24] = [
        0,
        1,
        -1,
        2047,
        -2048,
        2048,
        -2049,
        0xfff,
        0x1000,
        0x7fff_f7ff,
        0x7fff_f800,
        0x7fff_ffff,
        -0x8000_0000,
        0x8000_0000,
        0xffff_ffff,
        0x1_0000_0000,
        0x1234_5678_9abc_def0,
        0x7fff_ffff_ffff_f800,
        -0x7fff_ffff_ffff_f800,
        i64::MAX,
        i64::MIN,
        i64::MIN + 1,
        0x5555_5555_5555_5555,
        -0x5555_5555_5555_5556,
    ];

    #[test]
    fn li_of_edge_constants_loads_the_constant() {
        for value in EDGE_CONSTANTS.into_iter().chain((0..64).map(|s| 1i64 << s)) {
            for compress in [false, true] {
                let insts = li_program(value, compress);
                assert_eq!(evaluate_li(&insts, X::A5), value as u64, "li {value:#x}");
                assert!(insts.len() <= 8, "li {value:#x} took {}", insts.len());
            }
        }
    }

    proptest! {
        #[test]
        fn li_of_any_constant_loads_it(value in any::<i64>(), compress in any::<bool>()) {
            let insts = li_program(value, compress);
            prop_assert_eq!(evaluate_li(&insts, X::A5), value as u64);
            prop_assert!(insts.len() <= 8);
        }

        #[test]
        fn li_of_a_shifted_constant_loads_it(low in any::<i16>(), shift in 0u32..64) {
            let value = (low as i64) << shift;
            prop_assert_eq!(evaluate_li(&li_program(value, false), X::A5), value as u64);
        }
    }

    #[test]
    fn li_emits_what_gnu_as_emits() {
        // Each expected listing is riscv64-unknown-elf-as 2.40 output (`-march=rv64g`), read
        // back with objdump -M no-aliases.
        let cases: [(i64, &[&str]); 8] = [
            (5, &["addi\ta0,zero,5"]),
            (0x800, &["lui\ta0,0x1", "addiw\ta0,a0,-2048"]),
            (0x1234_5678, &["lui\ta0,0x12345", "addiw\ta0,a0,1656"]),
            (0x7fff_ffff, &["lui\ta0,0x80000", "addiw\ta0,a0,-1"]),
            (-0x8000_0000, &["lui\ta0,0x80000"]),
            (
                0xffff_ffff,
                &["addiw\ta0,zero,1", "slli\ta0,a0,0x20", "addi\ta0,a0,-1"],
            ),
            (
                0x1234_5678_9abc_def0,
                &[
                    "lui\ta0,0x247",
                    "addiw\ta0,a0,-1875",
                    "slli\ta0,a0,0xe",
                    "addi\ta0,a0,-947",
                    "slli\ta0,a0,0xc",
                    "addi\ta0,a0,1511",
                    "slli\ta0,a0,0xd",
                    "addi\ta0,a0,-272",
                ],
            ),
            (
                i64::MAX,
                &["addiw\ta0,zero,-1", "slli\ta0,a0,0x3f", "addi\ta0,a0,-1"],
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(
                listing_of(|a| a.li(X::A0, value)),
                expected,
                "li {value:#x}"
            );
        }
    }

    #[test]
    fn li_compresses_like_gnu_as() {
        let lines = listing_of(|a| {
            a.set_compress(true);
            a.li(X::A0, 5);
            a.li(X::A0, 0x1f000);
            a.li(X::A0, 0x1234_5678);
        });
        assert_eq!(
            lines,
            [
                "c.li\ta0,5",
                "c.lui\ta0,0x1f",
                "lui\ta0,0x12345",
                "addiw\ta0,a0,1656"
            ]
        );
    }

    #[test]
    fn la_is_auipc_and_addi_to_the_label() {
        let program = assemble(|a| {
            let data = a.new_label();
            a.la(X::A0, data);
            a.bytes(&vec![0; 0x1800]);
            a.bind(data);
        })
        .unwrap();
        let code = Program {
            bytes: program.bytes[..8].to_vec(),
            ..program.clone()
        };
        // 0x1808 away: the low part rounds the high part up.
        assert_eq!(listing(&code), ["auipc\ta0,0x2", "addi\ta0,a0,-2040"]);
        let [hi, lo] = [insts(&code)[0], insts(&code)[1]];
        let loaded = program.base as i64 + hi.imm as i64 + lo.imm as i64;
        assert_eq!(loaded as u64, 0x1000 + 0x1808);
    }

    #[test]
    fn la_reaches_backwards() {
        let lines = listing_of(|a| {
            let start = a.here();
            a.nop();
            a.la(X::T0, start);
        });
        assert_eq!(
            lines,
            ["addi\tzero,zero,0", "auipc\tt0,0x0", "addi\tt0,t0,-4"]
        );
    }

    #[test]
    fn call_is_auipc_and_jalr_through_ra() {
        let lines = listing_of(|a| {
            let f = a.new_label();
            a.call(f);
            a.ebreak();
            a.bind(f);
            a.ret();
        });
        assert_eq!(
            lines,
            [
                "auipc\tra,0x0",
                "jalr\tra,12(ra)",
                "ebreak",
                "jalr\tzero,0(ra)"
            ]
        );
    }

    #[test]
    fn tail_jumps_through_t1_without_linking() {
        let lines = listing_of(|a| {
            let f = a.new_label();
            a.tail(f);
            a.bind(f);
        });
        assert_eq!(lines, ["auipc\tt1,0x0", "jalr\tzero,8(t1)"]);
    }

    #[test]
    fn ret_is_jalr_zero_ra_or_c_jr() {
        assert_eq!(listing_of(|a| a.ret()), ["jalr\tzero,0(ra)"]);
        assert_eq!(listing_of(|a| a.c().ret()), ["c.jr\tra"]);
    }

    #[test]
    fn j_reaches_forward_and_backward_labels() {
        let lines = listing_of(|a| {
            let (back, ahead) = (a.here(), a.new_label());
            a.j(ahead);
            a.j(back);
            a.bind(ahead);
        });
        assert_eq!(lines, ["jal\tzero,1008", "jal\tzero,1000"]);
    }

    #[test]
    fn mv_is_addi_zero_or_c_mv() {
        assert_eq!(listing_of(|a| a.mv(X::A0, X::A1)), ["addi\ta0,a1,0"]);
        let compressed = listing_of(|a| {
            a.set_compress(true);
            a.mv(X::A0, X::A1);
            a.mv(X::A0, X::ZERO);
        });
        assert_eq!(compressed, ["c.mv\ta0,a1", "addi\ta0,zero,0"]);
    }

    #[test]
    fn nop_is_addi_zero_or_c_nop() {
        assert_eq!(listing_of(|a| a.nop()), ["addi\tzero,zero,0"]);
        // objdump -M no-aliases prints c.nop as the c.addi it is.
        assert_eq!(listing_of(|a| a.c().nop()), ["c.addi\tzero,0"]);
    }

    #[test]
    fn small_pseudo_instructions_expand_as_the_spec_says() {
        let lines = listing_of(|a| {
            a.not(X::A0, X::A1);
            a.neg(X::A0, X::A1);
            a.sext_w(X::A0, X::A1);
            a.seqz(X::A0, X::A1);
            a.snez(X::A0, X::A1);
            a.jr(X::A2);
            a.csrr(X::A0, Csr::MHARTID);
            a.csrw(Csr::MTVEC, X::A0);
            a.csrs(Csr::MSTATUS, X::A1);
            a.csrc(Csr::MSTATUS, X::A1);
            a.csrwi(Csr::SATP, 0);
            a.csrsi(Csr::SSTATUS, 2);
            a.csrci(Csr::SSTATUS, 2);
        });
        let expected = [
            "xori\ta0,a1,-1",
            "sub\ta0,zero,a1",
            "addiw\ta0,a1,0",
            "sltiu\ta0,a1,1",
            "sltu\ta0,zero,a1",
            "jalr\tzero,0(a2)",
            "csrrs\ta0,mhartid,zero",
            "csrrw\tzero,mtvec,a0",
            "csrrs\tzero,mstatus,a1",
            "csrrc\tzero,mstatus,a1",
            "csrrwi\tzero,satp,0",
            "csrrsi\tzero,sstatus,2",
            "csrrci\tzero,sstatus,2",
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn branch_pseudo_instructions_swap_or_use_zero() {
        let lines = listing_of(|a| {
            let l = a.here();
            a.beqz(X::A0, l);
            a.bnez(X::A0, l);
            a.bltz(X::A0, l);
            a.bgez(X::A0, l);
            a.blez(X::A0, l);
            a.bgtz(X::A0, l);
            a.bgt(X::A0, X::A1, l);
            a.ble(X::A0, X::A1, l);
            a.bgtu(X::A0, X::A1, l);
            a.bleu(X::A0, X::A1, l);
        });
        let expected = [
            "beq\ta0,zero,1000",
            "bne\ta0,zero,1000",
            "blt\ta0,zero,1000",
            "bge\ta0,zero,1000",
            "bge\tzero,a0,1000",
            "blt\tzero,a0,1000",
            "blt\ta1,a0,1000",
            "bge\ta1,a0,1000",
            "bltu\ta1,a0,1000",
            "bgeu\ta1,a0,1000",
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn typed_instructions_put_operands_where_the_text_has_them() {
        let lines = listing_of(|a| {
            a.ld(X::A0, -8, X::SP);
            a.sd(X::RA, 24, X::SP);
            a.fld(FReg::FA0, 16, X::A1);
            a.fsw(FReg::FS1, 4, X::A2);
            a.slli(X::T0, X::T1, 63);
            a.lui(X::A0, 0xfffff);
            a.amoadd_d(X::A0, X::A1, X::A2, MemOrder::AcqRel);
            a.lr_w(X::A0, X::A1, MemOrder::Acquire);
            a.fmadd_d(FReg::FA0, FReg::FA1, FReg::FA2, FReg::FA3);
            a.fcvt_w_d(X::A0, FReg::FA0, Rm::Rtz);
            a.fcvt_d_w(FReg::FA0, X::A0);
            a.fence(0b0011, 0b0011);
            a.sfence_vma(X::ZERO, X::ZERO);
            a.csrrwi(X::A0, Csr::SSCRATCH, 31);
        });
        let expected = [
            "ld\ta0,-8(sp)",
            "sd\tra,24(sp)",
            "fld\tfa0,16(a1)",
            "fsw\tfs1,4(a2)",
            "slli\tt0,t1,0x3f",
            "lui\ta0,0xfffff",
            "amoadd.d.aqrl\ta0,a1,(a2)",
            "lr.w.aq\ta0,(a1)",
            "fmadd.d\tfa0,fa1,fa2,fa3",
            "fcvt.w.d\ta0,fa0,rtz",
            "fcvt.d.w\tfa0,a0",
            "fence\trw,rw",
            "sfence.vma\tzero,zero",
            "csrrwi\ta0,sscratch,31",
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn compress_mode_picks_the_compressed_form_where_one_exists() {
        let lines = listing_of(|a| {
            a.set_compress(true);
            a.addi(X::SP, X::SP, -64);
            a.ld(X::A0, 8, X::SP);
            a.add(X::A0, X::A0, X::A1);
            a.add(X::A0, X::A1, X::A2);
            a.lui(X::SP, 1);
        });
        let expected = [
            "c.addi16sp\tsp,-64",
            "c.ldsp\ta0,8(sp)",
            "c.add\ta0,a1",
            "add\ta0,a1,a2",
            "lui\tsp,0x1",
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn c_mode_emits_compressed_branches_and_jumps_to_labels() {
        let lines = listing_of(|a| {
            let top = a.here();
            a.c().beqz(X::A0, top);
            a.c().bnez(X::S1, top);
            a.c().j(top);
            a.addi(X::A0, X::A0, 1);
        });
        let expected = [
            "c.beqz\ta0,1000",
            "c.bnez\ts1,1000",
            "c.j\t1000",
            "addi\ta0,a0,1",
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn c_mode_rejects_an_instruction_without_a_compressed_form() {
        let error = assemble(|a| a.c().add(X::A0, X::A1, X::A2)).unwrap_err();
        assert!(matches!(
            error,
            AsmError::NotCompressible { addr: 0x1000, .. }
        ));
    }

    #[test]
    fn c_mode_rejects_a_branch_on_a_register_c_beqz_cannot_name() {
        let error = assemble(|a| {
            let l = a.here();
            a.c().beqz(X::A6, l);
        })
        .unwrap_err();
        assert!(matches!(error, AsmError::NotCompressible { .. }));
    }

    #[test]
    fn emit_takes_an_explicit_compressed_form() {
        let lines = listing_of(|a| {
            a.emit(Inst {
                rd: X::A0.into(),
                rs1: X::A0.into(),
                imm: 1,
                compressed: Some(COp::CAddi),
                ..Inst::new(Op::Addi)
            })
        });
        assert_eq!(lines, ["c.addi\ta0,1"]);
    }

    #[test]
    fn a_branch_reaches_4094_bytes_but_not_4096() {
        let at = |distance: usize| {
            assemble(|a| {
                let far = a.new_label();
                a.beq(X::A0, X::A1, far);
                a.bytes(&vec![0; distance - 4]);
                a.bind(far);
            })
        };
        assert!(at(4094).is_ok());
        let error = at(4096).unwrap_err();
        let expected = AsmError::OutOfRange {
            addr: 0x1000,
            mnemonic: "beq",
            label: Label(0),
            distance: 4096,
        };
        assert_eq!(error, expected);
        assert_eq!(
            error.to_string(),
            "beq at 0x1000 cannot reach L0, 4096 bytes away"
        );
    }

    #[test]
    fn a_c_j_beyond_2_kib_is_out_of_range() {
        let error = assemble(|a| {
            let far = a.new_label();
            a.c().j(far);
            a.bytes(&vec![0; 2046]);
            a.bind(far);
        })
        .unwrap_err();
        assert!(matches!(
            error,
            AsmError::OutOfRange {
                mnemonic: "c.j",
                distance: 2048,
                ..
            }
        ));
    }

    #[test]
    fn an_immediate_out_of_range_is_an_encode_error() {
        let error = assemble(|a| a.addi(X::A0, X::A0, 2048)).unwrap_err();
        assert!(matches!(
            error,
            AsmError::Encode {
                addr: 0x1000,
                error: EncodeError::ImmediateOutOfRange { imm: 2048 },
                ..
            }
        ));
        assert_eq!(
            error.to_string(),
            "addi at 0x1000: immediate 2048 does not fit its field"
        );
    }

    #[test]
    fn a_lui_immediate_wider_than_20_bits_is_an_encode_error() {
        let error = assemble(|a| a.lui(X::A0, 0x10_0000)).unwrap_err();
        assert!(matches!(error, AsmError::Encode { .. }));
    }

    #[test]
    fn bits_that_decode_as_another_instruction_are_an_encode_error() {
        // fence with fm=1000, pred=rw, succ=rw is fence.tso's encoding.
        let error = assemble(|a| {
            a.emit(Inst {
                imm: 0x833,
                ..Inst::new(Op::Fence)
            })
        })
        .unwrap_err();
        assert!(matches!(
            error,
            AsmError::Encode {
                error: EncodeError::NotCanonical { .. },
                ..
            }
        ));
    }

    #[test]
    fn an_unbound_label_is_an_error() {
        let error = assemble(|a| {
            let nowhere = a.new_label();
            a.j(nowhere);
        })
        .unwrap_err();
        assert_eq!(error, AsmError::Unbound { label: Label(0) });
    }

    #[test]
    fn a_label_bound_twice_is_an_error() {
        let error = assemble(|a| {
            let l = a.here();
            a.bind(l);
        })
        .unwrap_err();
        assert_eq!(error, AsmError::BoundTwice { label: Label(0) });
    }

    #[test]
    fn a_label_of_another_assembler_is_an_error() {
        let error = assemble(|a| a.j(Label(7))).unwrap_err();
        assert_eq!(error, AsmError::UnknownLabel { label: Label(7) });
    }

    #[test]
    fn an_instruction_at_an_odd_address_is_an_error() {
        let error = assemble(|a| {
            a.bytes(&[1]);
            a.nop();
        })
        .unwrap_err();
        assert_eq!(error, AsmError::Misaligned { addr: 0x1001 });
    }

    #[test]
    fn data_directives_append_little_endian_bytes() {
        let program = assemble(|a| {
            a.bytes(&[1]);
            a.align(4);
            a.word(0x0302_0100);
            a.half(0x0504);
            a.align(8);
            a.dword(0x0f0e_0d0c_0b0a_0908);
            let me = a.symbol("me");
            a.dword_address(me);
        })
        .unwrap();
        let mut expected = vec![1, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0];
        expected.extend(8..16u8);
        expected.extend(0x1018u64.to_le_bytes());
        assert_eq!(program.bytes, expected);
        assert_eq!(program.symbol("me"), Some(0x1018));
        assert_eq!(program.end(), 0x1020);
    }

    #[test]
    fn align_with_nops_pads_with_executable_nops() {
        let lines = listing_of(|a| {
            a.c().nop();
            a.align_with_nops(16);
        });
        assert_eq!(
            lines,
            [
                "c.addi\tzero,0",
                "c.addi\tzero,0",
                "addi\tzero,zero,0",
                "addi\tzero,zero,0",
                "addi\tzero,zero,0"
            ]
        );
    }

    #[test]
    fn a_non_power_of_two_alignment_is_an_error() {
        let error = assemble(|a| a.align(12)).unwrap_err();
        assert_eq!(error, AsmError::BadAlignment { align: 12 });
    }

    #[test]
    fn named_labels_appear_in_the_symbol_map() {
        let program = assemble(|a| {
            let entry = a.symbol("entry");
            a.nop();
            let exit = a.new_label();
            a.name_label(exit, "exit");
            a.j(entry);
            a.bind(exit);
        })
        .unwrap();
        let symbols: Vec<_> = program
            .symbols
            .iter()
            .map(|(n, &a)| (n.as_str(), a))
            .collect();
        assert_eq!(symbols, [("entry", 0x1000), ("exit", 0x1008)]);
    }

    #[test]
    fn a_symbol_named_twice_is_an_error() {
        let error = assemble(|a| {
            a.symbol("x");
            a.symbol("x");
        })
        .unwrap_err();
        assert_eq!(
            error,
            AsmError::DuplicateSymbol {
                name: String::from("x")
            }
        );
    }
}
