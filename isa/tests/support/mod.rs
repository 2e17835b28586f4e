//! Shared by the tests that hold our disassembly against GNU objdump's.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ospite_isa::{decode, Ext, Extensions, PrivSpec};

/// What the objdump binutils 2.40 in Debian decodes: everything we know but Zicond, which it
/// predates.
pub const OBJDUMP_EXTENSIONS: Extensions = Extensions::ALL.without(Ext::Zicond);

/// The `-march` that makes the assembler tag objects so objdump decodes every extension above.
pub const MARCH: &str = "rv64gc_zba_zbb_zbc_zbs_zicsr_zifencei";

/// One instruction line of `objdump -d`.
#[derive(Debug)]
pub struct Line {
    pub addr: u64,
    /// The instruction bits as objdump's hex column shows them.
    pub bits: u32,
    /// How many hex digits: 4 for a parcel, 8 for a word.
    pub digits: usize,
    /// Mnemonic and operands, tab-separated, with objdump's `# comment` and `<symbol>` removed.
    pub text: String,
}

pub fn tool(name: &str) -> String {
    let path = format!("riscv64-unknown-elf-{name}");
    let found = Command::new(&path).arg("--version").output().is_ok();
    assert!(
        found,
        "{path} not found: install binutils-riscv64-unknown-elf (see .ci/run)"
    );
    path
}

/// Runs `objdump -d -M no-aliases` on `elf` and parses its instruction lines: the hex column
/// and the text of each line come from the same line, so the continuation lines objdump prints
/// for instructions longer than 64 bits (a hex column and no text) are simply skipped.
pub fn objdump(elf: &Path) -> Vec<Line> {
    let out = Command::new(tool("objdump"))
        .args(["-d", "-M", "no-aliases"])
        .arg(elf)
        .output()
        .expect("run objdump");
    assert!(out.status.success(), "objdump failed on {}", elf.display());
    let mut lines = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut fields = line.splitn(3, '\t');
        let (Some(addr), Some(hex), Some(rest)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Some(Ok(addr)) = addr
            .trim()
            .strip_suffix(':')
            .map(|a| u64::from_str_radix(a, 16))
        else {
            continue;
        };
        let hex = hex.trim();
        if hex.contains(' ') || hex.is_empty() {
            continue; // data printed as several bytes
        }
        let Ok(bits) = u32::from_str_radix(hex, 16) else {
            continue;
        };
        let mut text = rest.split(" #").next().unwrap_or("").trim_end().to_string();
        if let Some(i) = text.find(" <") {
            text.truncate(i);
        }
        lines.push(Line {
            addr,
            bits,
            digits: hex.len(),
            text,
        });
    }
    lines
}

/// Whether objdump printed the bits as data or as the defined-illegal instruction.
pub fn objdump_rejects(text: &str) -> bool {
    let m = text.split('\t').next().unwrap_or("");
    m.starts_with('.') || m == "c.unimp" || m == "unimp"
}

/// Encodings the RISC-V spec defines one way and objdump 2.40 another, where we follow the spec.
/// Each is named here so the tests state the difference instead of hiding it.
pub fn known_gap(bits: u32) -> Option<&'static str> {
    let opcode = bits & 0x7f;
    let funct3 = (bits >> 12) & 7;
    let rd_rs1 = bits & 0x000f_8f80;
    let fence_fm = funct3 == 0 && bits >> 28 != 0 && bits >> 20 != 0x833;
    if opcode == 0x0f
        && funct3 <= 1
        && (rd_rs1 != 0 || fence_fm || (funct3 == 1 && bits >> 20 != 0))
    {
        return Some("fence/fence.i reserved fields (rd, rs1, fm, imm) are ignored by the spec; objdump 2.40 rejects them");
    }
    let exact_fcvt = [0x4200_0053, 0xd200_0053, 0xd210_0053]; // fcvt.d.s, fcvt.d.w, fcvt.d.wu
    if exact_fcvt.contains(&(bits & 0xfff0_007f)) && funct3 != 0 {
        return Some("exact fcvt.d.* take any rounding mode; objdump 2.40 only knows rm=rne");
    }
    if bits == 0x6101 {
        return Some("c.addi16sp with a zero immediate is reserved; objdump 2.40 prints it");
    }
    None
}

/// Compares our decoding and disassembly of one objdump line; `Err` says how they differ.
pub fn compare(line: &Line) -> Result<(), String> {
    compare_in(line, PrivSpec::V1_12)
}

/// [`compare`], naming CSRs as privileged spec `spec` does (as objdump does for a file whose
/// attributes ask for it).
pub fn compare_in(line: &Line, spec: PrivSpec) -> Result<(), String> {
    let ours = decode(line.bits, OBJDUMP_EXTENSIONS);
    if let Some(why) = known_gap(line.bits) {
        let objdump_takes = !objdump_rejects(&line.text);
        return match (objdump_takes, ours.is_ok()) {
            (false, true) | (true, false) => Ok(()),
            _ => Err(format!(
                "{:08x}: expected the known gap ({why}) but both agree",
                line.bits
            )),
        };
    }
    match (objdump_rejects(&line.text), ours) {
        (true, Err(_)) => Ok(()),
        (true, Ok(i)) => Err(format!(
            "{:x}: {:0w$x}: objdump `{}`, ours `{}`",
            line.addr,
            line.bits,
            line.text,
            i.display(line.addr),
            w = line.digits
        )),
        (false, Err(e)) => Err(format!(
            "{:x}: {:0w$x}: objdump `{}`, ours error: {e}",
            line.addr,
            line.bits,
            line.text,
            w = line.digits
        )),
        (false, Ok(i)) => {
            let text = i.display(line.addr).priv_spec(spec).to_string();
            if text != line.text {
                return Err(format!(
                    "{:x}: {:0w$x}: objdump `{}`, ours `{text}`",
                    line.addr,
                    line.bits,
                    line.text,
                    w = line.digits
                ));
            }
            if i.encode() != Ok(line.bits) {
                return Err(format!(
                    "{:x}: {:0w$x} re-encodes to {:x?}",
                    line.addr,
                    line.bits,
                    i.encode(),
                    w = line.digits
                ));
            }
            Ok(())
        }
    }
}

/// A scratch directory for this test process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ospite-isa-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Assembles raw instruction bits (`.insn`, so objdump treats them as code) into an object.
pub fn assemble_insns(name: &str, words: &[u32]) -> PathBuf {
    let dir = scratch(name);
    let src = dir.join("insns.s");
    let obj = dir.join("insns.o");
    let mut s = String::with_capacity(words.len() * 20);
    for w in words {
        s.push_str(&format!(".insn 0x{w:x}\n"));
    }
    std::fs::write(&src, s).expect("write source");
    let status = Command::new(tool("as"))
        .arg(format!("-march={MARCH}"))
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .status()
        .expect("run as");
    assert!(status.success(), "as failed on {}", src.display());
    obj
}

/// Compares every line, returning how many were compared; panics listing the first mismatches.
pub fn compare_all(lines: &[Line]) -> usize {
    let bad: Vec<String> = lines.iter().filter_map(|l| compare(l).err()).collect();
    if let Some(path) = std::env::var_os("OSPITE_OBJDUMP_DIFF") {
        std::fs::write(path, bad.join("\n")).expect("write the difference list");
    }
    assert!(
        bad.is_empty(),
        "{} of {} lines differ from objdump, first ones:\n{}",
        bad.len(),
        lines.len(),
        bad.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
    lines.len()
}
