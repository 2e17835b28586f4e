//! Running attack guests ([`super::guest`]) under the `ospite` binary on an engine: files for
//! the guest and a sparse disk, the run, and the bounds each run must keep (its time past the
//! `--timeout`, and its peak memory against the same engine running a guest that only spins).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use ospite_vmm::{EngineKind, EXIT_TIME_LIMIT};

use super::guest::{run_ospite, Guest, Outcome};
use super::scratch;

/// The `ospite` binary under test.
pub const OSPITE: &str = env!("CARGO_BIN_EXE_ospite");

/// The most an attack may add to the host's peak memory, in KiB, beyond the guest RAM it
/// touches: well under what the unbounded buffers grew in the attack's time (20 MB/s for the
/// UART loopback, 15 MB/s for the `--vm` line).
pub const GROWTH_KIB: u64 = 16 << 10;

/// How long past its `--timeout` a run may take: process start-up and exit.
pub const MARGIN: Duration = Duration::from_millis(1500);

/// The `--engine` value of `engine`.
pub fn engine_arg(engine: EngineKind) -> &'static str {
    match engine {
        EngineKind::Interp => "interp",
        _ => "dbt",
    }
}

/// Writes `guest` to a file in a scratch directory named for the test and engine.
pub fn guest_file(name: &str, engine: EngineKind, guest: &[u8]) -> PathBuf {
    let dir = scratch(&format!("{name}-{}", engine_arg(engine)));
    let path = dir.join("guest.bin");
    std::fs::write(&path, guest).unwrap();
    path
}

/// A sparse disk image of `len` bytes.
pub fn disk(name: &str, engine: EngineKind, len: u64) -> PathBuf {
    let path = scratch(&format!("{name}-{}", engine_arg(engine))).join("disk.img");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(len).unwrap();
    path
}

/// Runs `guest` under `ospite run --bios none` with `--timeout timeout` and `extra` arguments.
pub fn attack(
    name: &str,
    engine: EngineKind,
    guest: &[u8],
    timeout: Duration,
    extra: &[String],
) -> Outcome {
    let kernel = guest_file(name, engine, guest);
    let mut args: Vec<String> = [
        "run",
        "--bios",
        "none",
        "--engine",
        engine_arg(engine),
        "--timeout",
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("{}ms", timeout.as_millis()));
    args.push("--kernel".into());
    args.push(kernel.display().to_string());
    args.extend_from_slice(extra);
    run_ospite(Path::new(OSPITE), &args, timeout + Duration::from_secs(20))
}

/// Runs `guest` with a disk of `disk_len` bytes.
pub fn attack_disk(
    name: &str,
    engine: EngineKind,
    guest: &[u8],
    timeout: Duration,
    disk_len: u64,
) -> Outcome {
    let image = disk(name, engine, disk_len);
    attack(
        name,
        engine,
        guest,
        timeout,
        &["--drive".into(), format!("file={}", image.display())],
    )
}

/// A guest that spins.
pub fn spinner() -> Vec<u8> {
    let mut g = Guest::new();
    let l = g.here();
    g.a.j(l);
    g.finish()
}

/// The peak memory of `engine` running a guest that spins for two seconds, in KiB.
pub fn baseline_kib(engine: EngineKind) -> u64 {
    static BASE: [OnceLock<u64>; 2] = [OnceLock::new(), OnceLock::new()];
    *BASE[usize::from(engine != EngineKind::Interp)]
        .get_or_init(|| attack("baseline", engine, &spinner(), Duration::from_secs(2), &[]).hwm_kib)
}

/// Asserts that `out` ended by its timeout, in time, and within the memory bound (`touched`
/// KiB of guest RAM besides).
pub fn assert_ended_at_timeout(out: &Outcome, engine: EngineKind, timeout: Duration, touched: u64) {
    assert_eq!(
        out.status,
        Some(i32::from(EXIT_TIME_LIMIT)),
        "{engine:?}: {out:?}"
    );
    assert!(out.elapsed < timeout + MARGIN, "{engine:?}: {out:?}");
    let bound = baseline_kib(engine) + touched + GROWTH_KIB;
    assert!(
        out.hwm_kib <= bound,
        "{engine:?}: peak {} KiB > {bound} KiB",
        out.hwm_kib
    );
}

/// Asserts that the guest passed its own checks (exit status 0) in time.
pub fn assert_passed(out: &Outcome, engine: EngineKind, timeout: Duration) {
    assert_eq!(out.status, Some(0), "{engine:?}: {out:?}");
    assert!(out.elapsed < timeout + MARGIN, "{engine:?}: {out:?}");
}
