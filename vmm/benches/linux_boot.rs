//! Linux boot beside QEMU, measured in the same run (not a test): wall time from starting the
//! process to the init's prompt for `ospite run` on each engine and for
//! `qemu-system-riscv64 -machine virt`, the same firmware, kernel, initramfs, disk and 256 MiB
//! of RAM; then host memory with one idle Linux VM at its prompt: the process's `VmRSS`, the
//! guest pages it actually touched (the resident part of guest RAM, from `/proc/PID/smaps`),
//! and what the host spends beyond those.
//!
//! ```sh
//! cargo bench -p ospite-vmm --bench linux_boot                  # interp and dbt, 5 runs each
//! cargo bench -p ospite-vmm --bench linux_boot -- --engine interp --reps 9
//! ```

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::linux::{artifacts, make_disk, APPEND, FW, MEMORY, PROMPT};

const OSPITE: &str = env!("CARGO_BIN_EXE_ospite");
const TIMEOUT: Duration = Duration::from_secs(300);

/// A guest machine process: ospite on an engine, or QEMU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Machine {
    Ospite(&'static str),
    Qemu,
}

impl Machine {
    fn name(self) -> String {
        match self {
            Machine::Ospite(e) => format!("ospite --engine {e}"),
            Machine::Qemu => "qemu-system-riscv64".into(),
        }
    }

    fn command(self, disk: &Path) -> Command {
        let (kernel, initrd) = artifacts();
        let mem = format!("{}M", MEMORY >> 20);
        match self {
            Machine::Ospite(engine) => {
                let mut c = Command::new(OSPITE);
                c.args([
                    "run", "--engine", engine, "-m", &mem, "--bios", FW, "--kernel",
                ])
                .arg(kernel)
                .arg("--initrd")
                .arg(initrd)
                .args(["--append", APPEND, "--drive"])
                .arg(disk);
                c
            }
            Machine::Qemu => {
                let mut c = Command::new("qemu-system-riscv64");
                c.args(["-machine", "virt", "-nographic", "-m", &mem, "-bios", FW])
                    .arg("-kernel")
                    .arg(kernel)
                    .arg("-initrd")
                    .arg(initrd)
                    .args(["-append", APPEND, "-drive"])
                    .arg(format!("file={},format=raw,if=none,id=d0", disk.display()))
                    .args(["-device", "virtio-blk-device,drive=d0"]);
                c
            }
        }
    }
}

/// A machine started and run to its prompt.
struct AtPrompt {
    child: Child,
    output: Arc<Mutex<Vec<u8>>>,
    to_prompt: Duration,
}

fn start(machine: Machine, disk: &Path) -> AtPrompt {
    let started = Instant::now();
    let mut child = machine
        .command(disk)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", machine.name()));
    let mut stdout = child.stdout.take().unwrap();
    let output = Arc::new(Mutex::new(Vec::new()));
    let o2 = output.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            o2.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    loop {
        let seen = String::from_utf8_lossy(&output.lock().unwrap()).contains(PROMPT);
        if seen {
            break;
        }
        assert!(
            started.elapsed() < TIMEOUT,
            "{}: no prompt after {TIMEOUT:?}",
            machine.name()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    AtPrompt {
        child,
        output,
        to_prompt: started.elapsed(),
    }
}

impl AtPrompt {
    /// Types `poweroff` and waits for the process to end.
    fn power_off(mut self) {
        let mut stdin = self.child.stdin.take().unwrap();
        let _ = stdin.write_all(b"poweroff\n");
        let _ = stdin.flush();
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            if started.elapsed() > TIMEOUT {
                let _ = self.child.kill();
                let text = String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned();
                panic!("no power-off after {TIMEOUT:?}:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.wait();
    }
}

/// The process's `VmRSS`, and the resident part of its guest RAM, in KiB. Guest RAM is, for
/// ospite, every mapping advised against huge pages (`nh`: guest RAM and the boot ROM, and
/// nothing else), and for QEMU its mapping of `MEMORY` bytes (rounded up to 2 MiB at most).
fn memory(pid: u32, machine: Machine) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib = |line: &str| -> u64 {
        line.split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .map_or(0, kib);
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap();
    let mut guest = 0;
    let (mut size, mut map_rss) = (0u64, 0u64);
    for line in smaps.lines() {
        if line.starts_with("Size:") {
            size = kib(line);
        } else if line.starts_with("Rss:") {
            map_rss = kib(line);
        } else if let Some(flags) = line.strip_prefix("VmFlags:") {
            let is_guest = match machine {
                Machine::Ospite(_) => flags.split_whitespace().any(|f| f == "nh"),
                Machine::Qemu => (MEMORY >> 10..=(MEMORY >> 10) + 2048).contains(&size),
            };
            if is_guest {
                guest += map_rss;
            }
        }
    }
    (rss, guest)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let mut engines: Vec<&'static str> = vec!["interp", "dbt"];
    let mut reps = 5usize;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--engine" if i + 1 < args.len() => {
                engines = vec![if args[i + 1] == "dbt" {
                    "dbt"
                } else {
                    "interp"
                }];
                i += 1;
            }
            "--reps" if i + 1 < args.len() => {
                reps = args[i + 1].parse().unwrap_or(reps).max(1);
                i += 1;
            }
            _ => {} // cargo bench passes --bench
        }
        i += 1;
    }
    artifacts();
    let dir = support::scratch("linux-bench");
    let mut machines: Vec<Machine> = engines.iter().map(|&e| Machine::Ospite(e)).collect();
    machines.push(Machine::Qemu);

    // Boot times, interleaved so that machine noise spreads over every machine alike.
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); machines.len()];
    for _ in 0..reps {
        for (m, t) in machines.iter().zip(&mut times) {
            let disk = make_disk(&dir, "bench.img", &[("hello.txt", "hello\n")]);
            let vm = start(*m, &disk);
            t.push(vm.to_prompt);
            vm.power_off();
        }
    }
    let qemu = median(times[machines.len() - 1].clone());
    println!("\nLinux 6.1 to the init prompt (256 MiB, fw_jump, virtio disk), {reps} runs each:");
    println!(
        "{:<24} {:>10} {:>10} {:>10} {:>12}",
        "machine", "median", "min", "max", "vs QEMU"
    );
    for (m, t) in machines.iter().zip(&times) {
        let med = median(t.clone());
        println!(
            "{:<24} {:>8.3} s {:>8.3} s {:>8.3} s {:>11.2}x",
            m.name(),
            med.as_secs_f64(),
            t.iter().min().unwrap().as_secs_f64(),
            t.iter().max().unwrap().as_secs_f64(),
            med.as_secs_f64() / qemu.as_secs_f64(),
        );
    }

    // Host memory of one idle VM at the prompt.
    println!("\nHost memory with one idle Linux VM at its prompt (256 MiB of guest RAM):");
    println!(
        "{:<24} {:>12} {:>14} {:>16}",
        "machine", "VmRSS", "guest touched", "beyond guest"
    );
    for m in &machines {
        let disk = make_disk(&dir, "bench.img", &[("hello.txt", "hello\n")]);
        let vm = start(*m, &disk);
        std::thread::sleep(Duration::from_secs(2));
        let (rss, guest) = memory(vm.child.id(), *m);
        println!(
            "{:<24} {:>8.1} MiB {:>10.1} MiB {:>12.1} MiB",
            m.name(),
            rss as f64 / 1024.0,
            guest as f64 / 1024.0,
            rss.saturating_sub(guest) as f64 / 1024.0,
        );
        vm.power_off();
    }
}
