//! Debian trixie's own guests (`guests/debian`) on ospite's engines beside QEMU, measured in one
//! run with the machines taking turns (not a test): wall time from starting the process
//! (a) to the busybox init's first line and to power-off, (b) to systemd's serial `login:`,
//! and then, logged in to (b), userland workloads each timed from the host between typing the
//! command and seeing the next prompt. Prints medians, the speed against QEMU (QEMU's time
//! over ours: above 1 is faster) and the geometric mean over the workloads.
//!
//! ```sh
//! cargo bench -p ospite-vmm --bench debian                      # interp, dbt, QEMU; 3 runs
//! cargo bench -p ospite-vmm --bench debian -- --only b --engine dbt --reps 1
//! ```

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::debian::{
    copy_image, ext4_disk, log_in, ospite_command, qemu_command, Guest, INIT_STARTED, LOGIN,
};
use support::linux::{Qemu as Process, Shell};

const OSPITE: &str = env!("CARGO_BIN_EXE_ospite");
/// How long a boot or one workload may take.
const TIMEOUT: Duration = Duration::from_secs(1200);

/// The untimed commands that make the workloads' input: 20 MiB of text (numbers, one a line).
const SETUP: &[&str] = &["seq 1 4000000 | head -c 20971520 > /root/data; sync"];

/// The workloads: a name and a shell command (run by dash), each checked to exit with 0.
const WORKLOADS: &[(&str, &str)] = &[
    (
        "1000 processes",
        "i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i + 1)); done",
    ),
    (
        "sqlite3 100k rows",
        "rm -f /root/b.db; sqlite3 /root/b.db 'create table t(a integer, b text); \
         with recursive c(x) as (select 1 union all select x + 1 from c where x < 100000) \
         insert into t select x, printf(\"row %d\", x * 7919 % 100003) from c; \
         select count(*), sum(a), min(b) from t where a % 3 = 0; \
         select b, count(*) from t group by substr(b, 5, 1) order by 2 desc limit 1;'",
    ),
    (
        "python3 -c pass x20",
        "for i in $(seq 20); do python3 -c pass; done",
    ),
    (
        "python3 loop",
        "python3 -c 'print(sum(i * i % 7 for i in range(2000000)))'",
    ),
    ("xz -6 20 MiB", "xz -6 -T1 -c /root/data > /root/data.xz"),
    (
        "zstd -19 20 MiB",
        "zstd -19 -T1 -q -c /root/data > /root/data.zst",
    ),
    ("openssl sha256 20 MiB", "openssl dgst -sha256 /root/data"),
    (
        "openssl aes-128-cbc 20 MiB",
        "openssl enc -aes-128-cbc -K 000102030405060708090a0b0c0d0e0f \
         -iv 0f0e0d0c0b0a09080706050403020100 -in /root/data -out /root/data.aes",
    ),
    (
        "7z a -mx=1 20 MiB",
        "rm -f /root/data.7z; 7z a -mx=1 -mmt=1 -bd /root/data.7z /root/data > /dev/null",
    ),
    (
        "lua5.4 loop",
        "lua5.4 -e 'local s = 0 for i = 1, 30000000 do s = s + i % 7 end print(s)'",
    ),
];

/// A guest machine process: ospite on an engine, or QEMU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Machine {
    Ospite(&'static str),
    Qemu,
}

impl Machine {
    fn name(self) -> String {
        match self {
            Machine::Ospite(e) => format!("ospite {e}"),
            Machine::Qemu => "QEMU".into(),
        }
    }

    fn start(self, guest: Guest, disk: &Path) -> Process {
        let command: Command = match self {
            Machine::Ospite(e) => ospite_command(OSPITE, guest, e, Some(disk)),
            Machine::Qemu => qemu_command(guest, Some(disk)),
        };
        Process::spawn(command)
    }
}

/// Waits until `p`'s console shows `needle`; returns when, from `started`.
fn until(p: &Process, needle: &str, started: Instant) -> Duration {
    support::wait_for_text(&p.output, needle, 0, TIMEOUT);
    started.elapsed()
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

/// One row per measure: its name and each machine's times.
type Table = Vec<(String, Vec<Vec<Duration>>)>;

fn print_table(title: &str, table: &Table, machines: &[Machine], geomean_from: usize) {
    println!("\n{title}");
    print!("{:<28}", "");
    for m in machines {
        print!(" {:>13}", m.name());
    }
    for m in &machines[..machines.len() - 1] {
        print!(
            " {:>14}",
            format!("{} speed", m.name().trim_start_matches("ospite "))
        );
    }
    println!();
    let q = machines.len() - 1;
    let mut logs = vec![0.0; q];
    let mut n = 0;
    for (i, (name, times)) in table.iter().enumerate() {
        let med: Vec<f64> = times.iter().map(|t| median(t.clone())).collect();
        print!("{name:<28}");
        for s in &med {
            print!(" {:>11.2} s", s);
        }
        for (k, log) in logs.iter_mut().enumerate() {
            let speed = med[q] / med[k];
            print!(" {:>13.3}x", speed);
            if i >= geomean_from {
                *log += speed.ln();
            }
        }
        if i >= geomean_from {
            n += 1;
        }
        println!();
    }
    if n > 0 {
        print!("{:<28}", format!("geometric mean ({n})"));
        print!("{}", " ".repeat(14 * machines.len()));
        for log in &logs {
            print!(" {:>13.3}x", (log / n as f64).exp());
        }
        println!();
    }
}

/// Guest (a): to the init's first line, and to power-off.
fn kernel(machines: &[Machine], reps: usize, dir: &Path) {
    let mut table: Table = vec![
        (
            "(a) to init's first line".into(),
            vec![Vec::new(); machines.len()],
        ),
        ("(a) to power-off".into(), vec![Vec::new(); machines.len()]),
    ];
    for _ in 0..reps {
        for (k, m) in machines.iter().enumerate() {
            let disk = ext4_disk(dir, "bench.img", &[("hello.txt", "hello\n")]);
            let started = Instant::now();
            let p = m.start(Guest::Kernel, &disk);
            table[0].1[k].push(until(&p, INIT_STARTED, started));
            let (status, text) = p.finish(TIMEOUT);
            table[1].1[k].push(started.elapsed());
            assert_eq!(status, Some(0), "{}:\n{text}", m.name());
            assert!(text.contains("debian-init: done"), "{}:\n{text}", m.name());
        }
    }
    print_table(
        &format!("Debian kernel and busybox initramfs (512 MiB), median of {reps}:"),
        &table,
        machines,
        usize::MAX,
    );
}

/// Runs `command` at the shell and returns how long it took; panics unless it exits with 0.
fn timed(shell: &mut Shell<'_>, name: &str, command: &str) -> Duration {
    let started = Instant::now();
    let out = shell.run(&format!("{command}; echo status=$?"));
    let took = started.elapsed();
    assert_eq!(
        out.last().map(String::as_str),
        Some("status=0"),
        "{name}: {out:?}"
    );
    took
}

/// Guest (b): to `login:`, then the workloads.
fn system(machines: &[Machine], reps: usize, dir: &Path) {
    let image = Guest::System
        .built()
        .image
        .clone()
        .expect("the system's image");
    let mut table: Table = std::iter::once("(b) to login:")
        .chain(WORKLOADS.iter().map(|(n, _)| *n))
        .map(|n| (n.to_owned(), vec![Vec::new(); machines.len()]))
        .collect();
    for rep in 0..reps {
        for (k, m) in machines.iter().enumerate() {
            let disk = copy_image(&image, dir, "rootfs.img");
            let started = Instant::now();
            let p = m.start(Guest::System, &disk);
            table[0].1[k].push(until(&p, LOGIN, started));
            {
                let mut shell = log_in(&p.output, Box::new(|b: &[u8]| p.send(b)), TIMEOUT);
                for c in SETUP {
                    timed(&mut shell, "setup", c);
                }
                for (i, (name, command)) in WORKLOADS.iter().enumerate() {
                    let t = timed(&mut shell, name, command);
                    eprintln!("run {rep} {}: {name}: {:.2} s", m.name(), t.as_secs_f64());
                    table[i + 1].1[k].push(t);
                }
                shell.last("poweroff");
            }
            let (status, text) = p.finish(TIMEOUT);
            assert_eq!(status, Some(0), "{}:\n{text}", m.name());
            let _ = std::fs::remove_file(&disk);
        }
    }
    print_table(
        &format!(
            "Debian trixie system (512 MiB), median of {reps}; workloads timed from the host \
             between prompts:"
        ),
        &table,
        machines,
        1,
    );
}

fn main() {
    let mut engines: Vec<&'static str> = vec!["interp", "dbt"];
    let mut reps = 3usize;
    let mut only: Option<String> = None;
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
            "--only" if i + 1 < args.len() => {
                only = Some(args[i + 1].clone());
                i += 1;
            }
            _ => {} // cargo bench passes --bench
        }
        i += 1;
    }
    let mut machines: Vec<Machine> = engines.iter().map(|&e| Machine::Ospite(e)).collect();
    machines.push(Machine::Qemu);
    let dir = support::scratch("debian-bench");
    if only.as_deref() != Some("b") {
        kernel(&machines, reps, &dir);
    }
    if only.as_deref() != Some("a") {
        system(&machines, reps, &dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
