//! Many VMs at once. Each VM gets its own thread, RAM, devices and hart; its console goes to
//! its own sink; a VM that faults, runs out of budget or time, or panics the emulator ends
//! alone, and the others run on. [`Vmm::run`] returns one [`VmReport`] per VM, in order;
//! [`Vmm::start`] returns at once with a [`VmHandle`] per VM (console input, quit).

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::config::VmConfig;
use crate::devices::uart16550::ConsoleOutput;
use crate::vm::{ExitReason, Vm, VmHandle, VmReport, VmStats};

/// Where one VM's console output goes.
pub enum Console {
    /// Any writer (a file, a pipe, a buffer).
    Writer(ConsoleOutput),
    /// Complete lines on standard output, each prefixed with `[name] `.
    PrefixedStdout,
    /// Into a shared buffer (for tests and embedders). It keeps everything the guest prints:
    /// the embedder bounds it, by the VM's limits or by taking the bytes out.
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

/// The longest partial line [`PrefixedLines`] holds: past it, the part goes out as a line of
/// its own, so a guest that never ends its line costs no more memory than this.
pub const MAX_LINE: usize = 4 << 10;

/// A writer that emits whole lines to standard output with a prefix, so that the consoles of
/// VMs running side by side do not interleave within a line. A line longer than [`MAX_LINE`]
/// goes out in parts of that length.
pub struct PrefixedLines {
    prefix: String,
    line: Vec<u8>,
    /// Where lines go; `None` is standard output.
    out: Option<Box<dyn Write + Send>>,
}

impl PrefixedLines {
    /// Lines prefixed with `[name] `.
    pub fn new(name: &str) -> PrefixedLines {
        PrefixedLines {
            prefix: format!("[{name}] "),
            line: Vec::new(),
            out: None,
        }
    }

    /// Lines prefixed with `[name] ` to `out` instead of standard output.
    pub fn to_writer(name: &str, out: Box<dyn Write + Send>) -> PrefixedLines {
        let mut w = PrefixedLines::new(name);
        w.out = Some(out);
        w
    }

    /// The bytes of the line not yet written out (at most [`MAX_LINE`]).
    pub fn pending(&self) -> usize {
        self.line.len()
    }

    fn emit(&mut self) {
        let text = String::from_utf8_lossy(&self.line);
        let text = text.trim_end_matches(['\r', '\n']);
        let _ = match &mut self.out {
            Some(out) => writeln!(out, "{}{}", self.prefix, text),
            None => writeln!(std::io::stdout().lock(), "{}{}", self.prefix, text),
        };
        self.line.clear();
    }
}

impl Write for PrefixedLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.line.push(b);
            if b == b'\n' || self.line.len() >= MAX_LINE {
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
        self.start().wait()
    }

    /// Starts every VM, each on its own thread, and returns at once (once each VM is built),
    /// with a [`VmHandle`] per VM for typing at its console or quitting it.
    pub fn start(self) -> VmmRunning {
        let spawned: Vec<_> = self
            .vms
            .into_iter()
            .map(|(config, console)| {
                let name = config.name.clone();
                let thread_name = name.clone();
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let thread = std::thread::Builder::new()
                    .name(name.clone())
                    .spawn(move || match build(config, console) {
                        Ok(mut vm) => {
                            let _ = tx.send(Some(vm.handle()));
                            run_caught(&mut vm)
                        }
                        Err(exit) => {
                            let _ = tx.send(None);
                            not_run(thread_name, exit)
                        }
                    })
                    .map_err(|e| format!("cannot start a host thread: {e}"));
                (name, rx, thread)
            })
            .collect();
        // The VMs are built in parallel; each thread sends its handle once its VM is built
        // (nothing arrives from a thread that could not start).
        let vms = spawned
            .into_iter()
            .map(|(name, rx, thread)| RunningVm {
                name,
                handle: thread.as_ref().ok().and_then(|_| rx.recv().ok().flatten()),
                thread,
            })
            .collect();
        VmmRunning { vms }
    }
}

/// One VM of a [`VmmRunning`].
#[derive(Debug)]
struct RunningVm {
    name: String,
    handle: Option<VmHandle>,
    thread: std::result::Result<JoinHandle<VmReport>, String>,
}

/// VMs started by [`Vmm::start`], running on their own threads.
#[derive(Debug)]
pub struct VmmRunning {
    vms: Vec<RunningVm>,
}

impl VmmRunning {
    /// The number of VMs.
    pub fn len(&self) -> usize {
        self.vms.len()
    }

    /// Whether there are no VMs.
    pub fn is_empty(&self) -> bool {
        self.vms.is_empty()
    }

    /// The handle of VM `index` (in the order they were added); `None` for a VM that could not
    /// be built.
    pub fn handle(&self, index: usize) -> Option<&VmHandle> {
        self.vms.get(index)?.handle.as_ref()
    }

    /// Whether VM `index` has ended (its report is ready).
    pub fn is_finished(&self, index: usize) -> bool {
        self.vms
            .get(index)
            .is_some_and(|vm| vm.thread.as_ref().map_or(true, |t| t.is_finished()))
    }

    /// Waits for every VM and returns one report per VM, in the order they were added.
    pub fn wait(self) -> Vec<VmReport> {
        self.vms
            .into_iter()
            .map(|vm| {
                let joined = vm
                    .thread
                    .and_then(|t| t.join().map_err(|p| panic_message(&*p)));
                joined.unwrap_or_else(|msg| not_run(vm.name, ExitReason::EmulatorBug(msg)))
            })
            .collect()
    }
}

/// Builds and runs one VM on the current thread, turning a panic into a report.
pub fn run_one(config: VmConfig, console: Console) -> VmReport {
    let name = config.name.clone();
    match build(config, console) {
        Ok(mut vm) => run_caught(&mut vm),
        Err(exit) => not_run(name, exit),
    }
}

/// Builds a VM, or says why it could not be built (bad input, or a panic).
fn build(config: VmConfig, console: Console) -> std::result::Result<Vm, ExitReason> {
    let output: ConsoleOutput = match console {
        Console::Writer(w) => w,
        Console::PrefixedStdout => Box::new(PrefixedLines::new(&config.name)),
        Console::Capture(buf) => Box::new(CaptureWriter(buf)),
    };
    match catch_unwind(AssertUnwindSafe(move || Vm::new(config, output))) {
        Ok(Ok(vm)) => Ok(vm),
        Ok(Err(e)) => Err(ExitReason::Error(e.to_string())),
        Err(p) => Err(ExitReason::EmulatorBug(panic_message(&*p))),
    }
}

/// The report of a VM that never ran.
fn not_run(name: String, exit: ExitReason) -> VmReport {
    VmReport {
        name,
        exit,
        stats: VmStats::default(),
    }
}

/// Runs a built VM, turning a panic into a report ([`ExitReason::EmulatorBug`], exit status
/// 122): what `ospite run` does with one VM as with many.
pub fn run_caught(vm: &mut Vm) -> VmReport {
    let name = vm.config().name.clone();
    catch_report(name, || vm.run())
}

/// Calls `run`, turning a panic into the report of VM `name` with
/// [`ExitReason::EmulatorBug`].
pub fn catch_report(name: String, run: impl FnOnce() -> VmReport) -> VmReport {
    catch_unwind(AssertUnwindSafe(run))
        .unwrap_or_else(|p| not_run(name, ExitReason::EmulatorBug(panic_message(&*p))))
}

/// Builds a VM whose console writes `output`: its error if the input is bad, or a report
/// with [`ExitReason::EmulatorBug`] if building panicked.
pub fn build_caught(
    config: VmConfig,
    output: ConsoleOutput,
) -> std::result::Result<Vm, crate::Error> {
    match catch_unwind(AssertUnwindSafe(move || Vm::new(config, output))) {
        Ok(built) => built,
        Err(p) => Err(crate::Error::Bug(panic_message(&*p))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer into a shared buffer, for looking at what [`PrefixedLines`] wrote.
    fn prefixed() -> (PrefixedLines, Arc<Mutex<Vec<u8>>>) {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let w = PrefixedLines::to_writer("vm", Box::new(CaptureWriter(buf.clone())));
        (w, buf)
    }

    #[test]
    fn prefixed_lines_flush_a_line_with_no_end_at_max_line() {
        let (mut w, buf) = prefixed();
        for _ in 0..10 * MAX_LINE {
            w.write_all(b"x").unwrap();
            assert!(w.pending() < MAX_LINE);
        }
        let text = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 10);
        assert!(text
            .lines()
            .all(|l| l.len() == 5 + MAX_LINE && l.starts_with("[vm] ")));
    }

    #[test]
    fn prefixed_lines_keep_short_lines_whole() {
        let (mut w, buf) = prefixed();
        w.write_all(b"one\ntw").unwrap();
        w.write_all(b"o\n").unwrap();
        assert_eq!(buf.lock().unwrap().as_slice(), b"[vm] one\n[vm] two\n");
    }

    #[test]
    fn a_panic_becomes_an_emulator_bug_with_status_122() {
        let report = catch_report("vm".into(), || panic!("boom"));
        assert_eq!(report.exit, ExitReason::EmulatorBug("boom".into()));
        assert_eq!(report.exit.exit_status(), 122);
    }
}
