//! Many VMs at once. Each VM gets its own thread, RAM, devices and hart; its console goes to
//! its own sink; a VM that faults, runs out of budget or time, or panics the emulator ends
//! alone, and the others run on. [`Vmm::run`] returns one [`VmReport`] per VM, in order.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use crate::config::VmConfig;
use crate::devices::uart16550::ConsoleOutput;
use crate::vm::{ExitReason, Vm, VmReport, VmStats};

/// Where one VM's console output goes.
pub enum Console {
    /// Any writer (a file, a pipe, a buffer).
    Writer(ConsoleOutput),
    /// Complete lines on standard output, each prefixed with `[name] `.
    PrefixedStdout,
    /// Into a shared buffer (for tests and embedders).
    Capture(Arc<Mutex<Vec<u8>>>),
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Console::Writer(_) => "Writer",
            Console::PrefixedStdout => "PrefixedStdout",
            Console::Capture(_) => "Capture",
        })
    }
}

/// A writer that emits whole lines to standard output with a prefix, so that the consoles of
/// VMs running side by side do not interleave within a line.
pub struct PrefixedLines {
    prefix: String,
    line: Vec<u8>,
}

impl PrefixedLines {
    /// Lines prefixed with `[name] `.
    pub fn new(name: &str) -> PrefixedLines {
        PrefixedLines {
            prefix: format!("[{name}] "),
            line: Vec::new(),
        }
    }

    fn emit(&mut self) {
        let text = String::from_utf8_lossy(&self.line);
        let text = text.trim_end_matches(['\r', '\n']);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}{}", self.prefix, text);
        self.line.clear();
    }
}

impl Write for PrefixedLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.line.push(b);
            if b == b'\n' {
                self.emit();
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for PrefixedLines {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.emit();
        }
    }
}

/// A writer appending to a shared buffer.
#[derive(Clone, Debug)]
pub struct CaptureWriter(pub Arc<Mutex<Vec<u8>>>);

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The text of a panic payload.
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".into()
    }
}

/// A set of VMs to run side by side.
#[derive(Debug, Default)]
pub struct Vmm {
    vms: Vec<(VmConfig, Console)>,
}

impl Vmm {
    /// No VMs yet.
    pub fn new() -> Vmm {
        Vmm::default()
    }

    /// Adds a VM.
    pub fn add(&mut self, config: VmConfig, console: Console) -> &mut Self {
        self.vms.push((config, console));
        self
    }

    /// Runs every VM, each on its own thread, and waits for all of them. A VM that cannot be
    /// built reports [`ExitReason::Error`]; one whose thread panics reports
    /// [`ExitReason::EmulatorBug`]; neither affects the others.
    pub fn run(self) -> Vec<VmReport> {
        let threads: Vec<_> = self
            .vms
            .into_iter()
            .map(|(config, console)| {
                let name = config.name.clone();
                let spawned = std::thread::Builder::new()
                    .name(name.clone())
                    .spawn(move || run_one(config, console));
                (name, spawned)
            })
            .collect();
        threads
            .into_iter()
            .map(|(name, spawned)| {
                let joined = match spawned {
                    Ok(handle) => handle.join().map_err(|p| panic_message(&*p)),
                    Err(e) => Err(format!("cannot start a host thread: {e}")),
                };
                joined.unwrap_or_else(|msg| VmReport {
                    name,
                    exit: ExitReason::EmulatorBug(msg),
                    stats: VmStats::default(),
                })
            })
            .collect()
    }
}

/// Builds and runs one VM on the current thread, turning a panic into a report.
pub fn run_one(config: VmConfig, console: Console) -> VmReport {
    let name = config.name.clone();
    let output: ConsoleOutput = match console {
        Console::Writer(w) => w,
        Console::PrefixedStdout => Box::new(PrefixedLines::new(&name)),
        Console::Capture(buf) => Box::new(CaptureWriter(buf)),
    };
    let result = catch_unwind(AssertUnwindSafe(move || match Vm::new(config, output) {
        Ok(mut vm) => vm.run(),
        Err(e) => VmReport {
            name: name.clone(),
            exit: ExitReason::Error(e.to_string()),
            stats: VmStats::default(),
        },
    }));
    result.unwrap_or_else(|p| VmReport {
        name: std::thread::current().name().unwrap_or("vm").to_owned(),
        exit: ExitReason::EmulatorBug(panic_message(&*p)),
        stats: VmStats::default(),
    })
}
