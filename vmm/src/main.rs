//! The `ospite` command: run a RISC-V guest on a QEMU-virt-compatible board, run many at once,
//! or disassemble an ELF file. See `ospite --help` and the crate README.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use clap::{Parser, Subcommand, ValueEnum};
use ospite_vmm::config::{
    parse_bios, parse_count, parse_drive, parse_duration, parse_memory, parse_vm_spec,
};
use ospite_vmm::{Console, ConsoleSpec, VmConfig, VmReport, Vmm};

#[derive(Parser)]
#[command(
    name = "ospite",
    version,
    about = "A RISC-V RV64GC machine on an x86-64 host"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum EngineKind {
    /// The interpreter.
    Interp,
    /// The dynamic binary translator.
    Dbt,
}

/// The widest translation mode the hart's `satp` takes.
#[derive(Clone, Copy, ValueEnum)]
enum Mmu {
    /// Three levels, 39-bit virtual addresses.
    Sv39,
    /// Four levels, 48-bit virtual addresses (and Sv39).
    Sv48,
    /// Five levels, 57-bit virtual addresses (and Sv48, Sv39), as QEMU virt's default hart.
    Sv57,
}

impl Mmu {
    fn mode(self) -> ospite_vmm::SatpMode {
        match self {
            Mmu::Sv39 => ospite_vmm::SatpMode::Sv39,
            Mmu::Sv48 => ospite_vmm::SatpMode::Sv48,
            Mmu::Sv57 => ospite_vmm::SatpMode::Sv57,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a guest (with no file: the built-in guest).
    Run(Box<RunArgs>),
    /// Print the `objdump -d -M no-aliases` listing of a RISC-V ELF file.
    Disasm {
        /// The ELF file.
        file: PathBuf,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// The execution engine [default: dbt on x86-64 hosts, interp elsewhere].
    #[arg(long, value_enum)]
    engine: Option<EngineKind>,
    /// M-mode firmware (ELF or raw at 0x80000000), or `none` to start --kernel in M-mode.
    #[arg(long, value_name = "PATH|none")]
    bios: Option<String>,
    /// The payload: an ELF file, or a raw image (at 0x80200000 behind firmware).
    #[arg(long, value_name = "PATH")]
    kernel: Option<PathBuf>,
    /// An initial RAM disk.
    #[arg(long, value_name = "PATH")]
    initrd: Option<PathBuf>,
    /// The kernel command line.
    #[arg(long, value_name = "ARGS")]
    append: Option<String>,
    /// A disk image for the virtio-blk device: PATH, or file=PATH,readonly (and format=raw).
    #[arg(long, value_name = "PATH|file=PATH,readonly")]
    drive: Option<String>,
    /// Guest RAM (MiB without a suffix; K, M, G, T).
    #[arg(short = 'm', value_name = "SIZE", default_value = "128M")]
    memory: String,
    /// The number of harts.
    #[arg(long, default_value_t = 1)]
    smp: u32,
    /// The widest paging mode the hart takes (`satp` keeps its value on a write of a wider
    /// one), named by the device tree's `mmu-type` (in a --vm SPEC: mmu=).
    #[arg(long, value_enum, default_value = "sv57")]
    mmu: Mmu,
    /// End the guest after this many instructions (exit status 124).
    #[arg(long, value_name = "N")]
    max_insns: Option<String>,
    /// End the guest after this much wall time (exit status 125), e.g. 10s, 500ms.
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,
    /// Print statistics on standard error at the end.
    #[arg(long)]
    stats: bool,
    /// Write an instruction trace (Spike's commit-log format) to FILE.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Write the translator's listing of every block it translates (guest instructions beside
    /// the x86 code, at the addresses it runs from) to FILE; `--engine dbt` only.
    #[arg(long, value_name = "FILE")]
    block_log: Option<PathBuf>,
    /// Run several VMs at once: comma-separated key=value (name, bios, kernel, initrd, m, mmu,
    /// max-insns, timeout, trace, drive, readonly=on, console=FILE, append=REST). Repeat for
    /// each VM.
    #[arg(long = "vm", value_name = "SPEC")]
    vms: Vec<String>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = e.print();
                return ExitCode::from(2);
            }
            // One line: clap's first, without the usage block.
            let text = e.to_string();
            let line = text.lines().next().unwrap_or("bad command line");
            let line = line.strip_prefix("error: ").unwrap_or(line);
            eprintln!("ospite: {line} (see ospite --help)");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Cmd::Disasm { file } => match ospite_vmm::disasm::listing(&file) {
            Ok(text) => {
                let _ = std::io::stdout().lock().write_all(text.as_bytes());
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Cmd::Run(args) => run(*args),
    }
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("ospite: {e}");
    ExitCode::from(1)
}

fn run(args: RunArgs) -> ExitCode {
    if !args.vms.is_empty() {
        return run_many(&args);
    }
    let config = match single_config(&args) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    // A panic, here or while the VM runs, is an emulator bug: exit status 122, as with --vm.
    let mut vm = match ospite_vmm::build_caught(config, Box::new(std::io::stdout())) {
        Ok(vm) => vm,
        Err(e @ ospite_vmm::Error::Bug(_)) => {
            eprintln!("ospite: {e}");
            return ExitCode::from(ospite_vmm::EXIT_EMULATOR_BUG);
        }
        Err(e) => return fail(&e),
    };
    let raw = RawMode::enter();
    let handle = vm.handle();
    let interactive = raw.is_some();
    std::thread::Builder::new()
        .name("console-input".into())
        .spawn(move || read_input(&handle, interactive))
        .ok();
    let report = ospite_vmm::run_caught(&mut vm);
    drop(raw);
    finish_single(&report, args.stats)
}

fn single_config(args: &RunArgs) -> ospite_vmm::Result<VmConfig> {
    Ok(VmConfig {
        name: "vm0".into(),
        bios: args.bios.as_deref().map(parse_bios).unwrap_or_default(),
        kernel: args.kernel.clone(),
        initrd: args.initrd.clone(),
        append: args.append.clone(),
        memory: parse_memory(&args.memory)?,
        smp: args.smp,
        max_insns: args.max_insns.as_deref().map(parse_count).transpose()?,
        time_limit: args.timeout.as_deref().map(parse_duration).transpose()?,
        trace: args.trace.clone(),
        block_log: args.block_log.clone(),
        engine: engine_of(args),
        drive: args.drive.as_deref().map(parse_drive).transpose()?,
        mmu: args.mmu.mode(),
        observer: None,
    })
}

/// The engine `--engine` asks for, or the best this host has.
fn engine_of(args: &RunArgs) -> ospite_vmm::EngineKind {
    match args.engine {
        None => ospite_vmm::EngineKind::best(),
        Some(EngineKind::Interp) => ospite_vmm::EngineKind::Interp,
        Some(EngineKind::Dbt) if ospite_vmm::EngineKind::DBT_AVAILABLE => {
            ospite_vmm::EngineKind::Dbt
        }
        Some(EngineKind::Dbt) => {
            eprintln!("ospite: note: the translator needs an x86-64 host; using the interpreter");
            ospite_vmm::EngineKind::Interp
        }
    }
}

fn finish_single(report: &VmReport, stats: bool) -> ExitCode {
    let status = report.exit.exit_status();
    match &report.exit {
        ospite_vmm::ExitReason::PowerOff(_) | ospite_vmm::ExitReason::Quit => {}
        other => eprintln!("\nospite: {other}"),
    }
    if stats {
        eprintln!("ospite: {}", report.stats);
    }
    ExitCode::from(status)
}

fn run_many(args: &RunArgs) -> ExitCode {
    let mut vmm = Vmm::new();
    for (i, spec) in args.vms.iter().enumerate() {
        let (mut config, console) = match parse_vm_spec(spec, i) {
            Ok(c) => c,
            Err(e) => return fail(&e),
        };
        config.engine = engine_of(args);
        let console = match console {
            ConsoleSpec::Prefixed => Console::PrefixedStdout,
            ConsoleSpec::File(path) => match std::fs::File::create(&path) {
                Ok(f) => Console::Writer(Box::new(f)),
                Err(e) => {
                    return fail(&format!(
                        "{}: cannot create console file: {e}",
                        path.display()
                    ))
                }
            },
        };
        vmm.add(config, console);
    }
    let reports = vmm.run();
    let mut worst = 0u8;
    for r in &reports {
        println!(
            "ospite: {}: exit status {}: {}",
            r.name,
            r.exit.exit_status(),
            r.exit
        );
        if args.stats {
            println!("ospite: {}: {}", r.name, r.stats);
        }
        worst = worst.max(r.exit.exit_status());
    }
    ExitCode::from(worst)
}

/// The terminal in raw mode while the VM runs (so keys reach the guest one by one and Ctrl-C
/// goes to the guest), restored on drop. Uses `stty` so that the crate needs no `unsafe`.
struct RawMode {
    saved: String,
}

impl RawMode {
    fn enter() -> Option<RawMode> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        let saved = Command::new("stty")
            .arg("-g")
            .stdin(Stdio::inherit())
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        let saved = String::from_utf8_lossy(&saved.stdout).trim().to_owned();
        let ok = Command::new("stty")
            .args(["raw", "-echo"])
            .stdin(Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = Command::new("stty")
            .arg(&self.saved)
            .stdin(Stdio::inherit())
            .status();
    }
}

/// Copies standard input to the guest's UART. On a terminal, Ctrl-A X quits and Ctrl-A Ctrl-A
/// sends one Ctrl-A, as in QEMU. End of input stops reading (the guest sees no end-of-file,
/// as on QEMU).
fn read_input(handle: &ospite_vmm::VmHandle, interactive: bool) {
    let mut stdin = std::io::stdin().lock();
    let mut buf = [0u8; 256];
    let mut escape = false;
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if !interactive {
            send_all(handle, &buf[..n]);
            continue;
        }
        let mut out = Vec::with_capacity(n);
        for &b in &buf[..n] {
            if escape {
                escape = false;
                match b {
                    b'x' | b'X' => {
                        handle.quit();
                        return;
                    }
                    1 => out.push(1),
                    _ => out.extend([1, b]),
                }
            } else if b == 1 {
                escape = true;
            } else {
                out.push(b);
            }
        }
        send_all(handle, &out);
    }
}

/// Types all of `bytes` at the console, waiting while the guest's input queue is full (so
/// that input the guest does not read stays in the pipe, not in memory).
fn send_all(handle: &ospite_vmm::VmHandle, mut bytes: &[u8]) {
    loop {
        bytes = &bytes[handle.try_send_input(bytes)..];
        if bytes.is_empty() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
