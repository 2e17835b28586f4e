//! Helpers shared by the integration tests: a VM on its own thread with a captured console,
//! waiting for text, and building guest programs with the cross toolchain.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ospite_vmm::{CaptureWriter, EngineKind, Vm, VmConfig, VmHandle, VmReport};

pub mod attack;
pub mod debian;
pub mod guest;
pub mod linux;

/// Both engines: every guest test runs on each and must give the same output.
pub const ENGINES: [EngineKind; 2] = [EngineKind::Interp, EngineKind::Dbt];

pub const FW_JUMP: &str = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf";
pub const FW_DYNAMIC: &str = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.elf";
pub const UBOOT: &str = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";

/// A VM running on its own thread.
pub struct Running {
    pub console: Arc<Mutex<Vec<u8>>>,
    pub handle: VmHandle,
    pub thread: JoinHandle<VmReport>,
}

impl Running {
    pub fn start(config: VmConfig) -> Running {
        let console = Arc::new(Mutex::new(Vec::new()));
        let mut vm = Vm::new(config, Box::new(CaptureWriter(console.clone()))).unwrap();
        let handle = vm.handle();
        let thread = std::thread::spawn(move || vm.run());
        Running {
            console,
            handle,
            thread,
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.console.lock().unwrap()).into_owned()
    }

    /// Waits until the console shows `needle` (after `from` bytes); returns where it ends.
    pub fn wait_for(&self, needle: &str, from: usize, timeout: Duration) -> usize {
        wait_for_text(&self.console, needle, from, timeout)
    }

    pub fn finish(self) -> (VmReport, String) {
        let report = self.thread.join().unwrap();
        let text = String::from_utf8_lossy(&self.console.lock().unwrap()).into_owned();
        (report, text)
    }
}

/// Waits until the captured `console` shows `needle` (after `from` bytes); returns where it
/// ends. Panics with the console text after `timeout`.
pub fn wait_for_text(
    console: &Mutex<Vec<u8>>,
    needle: &str,
    from: usize,
    timeout: Duration,
) -> usize {
    let start = Instant::now();
    loop {
        let text = String::from_utf8_lossy(&console.lock().unwrap()).into_owned();
        if let Some(i) = text.get(from..).and_then(|t| t.find(needle)) {
            return from + i + needle.len();
        }
        assert!(
            start.elapsed() < timeout,
            "no {needle:?} after {timeout:?}; console so far:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ospite-vmm-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// riscv-tests' `env/p/link.ld`, in short.
const LINK_SCRIPT: &str = "OUTPUT_ARCH(riscv)\nENTRY(_start)\nSECTIONS {\n  . = 0x80000000;\n  \
    .text.init : { *(.text.init) }\n  .text : { *(.text) }\n  .rodata : { *(.rodata*) }\n  \
    . = ALIGN(0x1000);\n  .tohost : { *(.tohost) }\n  .data : { *(.data) }\n  \
    .bss : { *(.bss) }\n}\n";

/// Assembles and links `source` (GNU assembler syntax) for RV64 at 0x8000_0000 with
/// `riscv64-unknown-elf-gcc -nostdlib`.
pub fn build_elf(dir: &Path, name: &str, source: &str) -> PathBuf {
    let src = dir.join(format!("{name}.S"));
    let out = dir.join(name);
    std::fs::write(&src, source).unwrap();
    let script = dir.join("link.ld");
    std::fs::write(&script, LINK_SCRIPT).unwrap();
    let status = Command::new("riscv64-unknown-elf-gcc")
        .args([
            "-march=rv64gc",
            "-mabi=lp64d",
            "-mcmodel=medany",
            "-nostdlib",
            "-nostartfiles",
            "-static",
            "-Wl,--build-id=none",
        ])
        .arg(format!("-Wl,-T,{}", script.display()))
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status()
        .expect("riscv64-unknown-elf-gcc (Debian's gcc-riscv64-unknown-elf) is installed");
    assert!(status.success(), "building {name} failed");
    out
}

/// Runs QEMU with `args`, no input, and returns its stdout once `until` appears (then kills
/// it), or when it exits.
pub fn qemu_output(args: &[&str], until: &str, timeout: Duration) -> (String, Option<i32>) {
    use std::io::Read;
    let mut child = Command::new("qemu-system-riscv64")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("qemu-system-riscv64 (Debian's qemu-system-misc) is installed");
    let mut stdout = child.stdout.take().unwrap();
    let collected = Arc::new(Mutex::new(Vec::new()));
    let c2 = collected.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            c2.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        let text = String::from_utf8_lossy(&collected.lock().unwrap()).into_owned();
        if (!until.is_empty() && text.contains(until)) || start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = reader.join();
    let text = String::from_utf8_lossy(&collected.lock().unwrap()).into_owned();
    (text, status)
}
