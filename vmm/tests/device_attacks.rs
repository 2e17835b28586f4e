//! Guests that attacked the devices and hung the VMM or grew its memory without bound (issue
//! 21), on both engines: each run now ends by itself within its `--timeout` plus a small
//! margin, stays within a fixed host memory bound, and gets what the spec says
//! (`DEVICE_NEEDS_RESET`, `LSR` overrun), which the guest checks and reports through the test
//! finisher's exit code or the UART.
//!
//! Memory is the child process's peak resident set (VmHWM), compared with the same engine
//! running a guest that only spins for as long: what an attack adds must stay under
//! [`GROWTH_KIB`] (plus the guest RAM the attack itself touches).

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use ospite_isa::XReg as R;
use ospite_vmm::{DriveConfig, EngineKind, ExitReason, Firmware, VmConfig, EXIT_TIME_LIMIT};
use support::attack::*;
use support::guest::*;
use support::{Running, ENGINES};

/// Issue 21, attack 1: a write request saves the used index to the disk and a read request
/// puts it back into `avail->idx`, two behind the device, so that a device that reads the
/// index again after each chain never ends. A notification serves the two chains it saw;
/// the next one finds the index a whole ring away and sets `DEVICE_NEEDS_RESET`.
fn dma_feedback_guest() -> Vec<u8> {
    let mut g = Guest::new();
    g.setup_blk(8);
    let out = g.header(0, 1, 0);
    let inn = g.header(1, 0, 0);
    g.desc(0, out, 16, NEXT, 1);
    g.desc(1, USED + 2, 2, NEXT, 2);
    g.desc(2, STATUS, 1, WRITE, 0);
    g.desc(3, inn, 16, NEXT, 4);
    g.desc(4, AVAIL + 2, 2, WRITE | NEXT, 5);
    g.desc(5, STATUS + 0x100, 1, WRITE, 0);
    g.avail(0, 0);
    g.avail(1, 3);
    g.avail_idx(2);
    g.notify();
    g.load(R::S1, 2, USED + 2);
    g.check(R::S1, 0xffff, 2, 2);
    g.check_needs_reset(false, 3);
    g.load(R::S1, 2, AVAIL + 2);
    g.check(R::S1, 0xffff, 0, 4);
    g.notify();
    g.check_needs_reset(true, 5);
    g.exit(0);
    g.finish()
}

#[test]
fn dma_that_keeps_avail_idx_ahead_serves_one_notify_then_needs_reset() {
    for engine in ENGINES {
        let timeout = Duration::from_secs(5);
        let out = attack_disk("feedback", engine, &dma_feedback_guest(), timeout, 1 << 20);
        assert_passed(&out, engine, timeout);
    }
}

/// Issue 21, attack 2: every slot of a 256-entry ring holds a read of the whole 8 GiB sparse
/// disk into one 64 MiB buffer (128 segments), 2 TiB for one notification; then the guest
/// spins. The VM ends at its timeout.
fn huge_reads_guest() -> Vec<u8> {
    let mut g = Guest::new();
    g.setup_blk(256);
    let hdr = g.header(0, 0, 0);
    g.desc(0, hdr, 16, NEXT, 1);
    for i in 1..=128u16 {
        g.desc(u64::from(i), DATA, 64 << 20, WRITE | NEXT, i + 1);
    }
    g.desc(129, STATUS, 1, WRITE, 0);
    // All 256 slots hold chain 0 (the ring is zeroed RAM).
    g.avail_idx(256);
    g.notify();
    let spin = g.here();
    g.a.j(spin);
    g.finish()
}

#[test]
fn reads_of_terabytes_end_at_the_timeout() {
    for engine in ENGINES {
        let timeout = Duration::from_secs(1);
        let out = attack_disk("huge", engine, &huge_reads_guest(), timeout, 8 << 30);
        eprintln!(
            "{engine:?}: --timeout 1s ended after {:?}, peak {} KiB (spinning guest {} KiB)",
            out.elapsed,
            out.hwm_kib,
            baseline_kib(engine)
        );
        assert_ended_at_timeout(&out, engine, timeout, 64 << 10);
    }
}

/// A VM doing [`huge_reads_guest`], started on a thread.
fn start_huge_reads(engine: EngineKind, max_insns: Option<u64>) -> Running {
    let kernel = guest_file("huge-handle", engine, &huge_reads_guest());
    let image = disk("huge-handle", engine, 8 << 30);
    Running::start(VmConfig {
        bios: Firmware::None,
        kernel: Some(kernel),
        drive: Some(DriveConfig {
            path: image,
            readonly: false,
        }),
        engine,
        max_insns,
        ..VmConfig::default()
    })
}

/// Under `--vm`, the attacked VM ends at its timeout, the other powers off, and the process
/// exits (it never did while one notification ran on).
#[test]
fn vm_beside_terabytes_of_reads_finishes_and_the_process_exits() {
    for engine in ENGINES {
        let kernel = guest_file("huge-vm", engine, &huge_reads_guest());
        let image = disk("huge-vm", engine, 8 << 30);
        let args: Vec<String> = vec![
            "run".into(),
            "--engine".into(),
            engine_arg(engine).into(),
            "--vm".into(),
            format!(
                "name=attacker,bios=none,kernel={},drive={},timeout=1s",
                kernel.display(),
                image.display()
            ),
            "--vm".into(),
            "name=demo".into(),
        ];
        let out = run_ospite(Path::new(OSPITE), &args, Duration::from_secs(30));
        assert_eq!(
            out.status,
            Some(i32::from(EXIT_TIME_LIMIT)),
            "{engine:?}: {out:?}"
        );
        assert!(
            out.elapsed < Duration::from_secs(1) + MARGIN,
            "{engine:?}: {out:?}"
        );
        assert!(
            out.stdout_head.contains("ospite: demo: exit status 0"),
            "{engine:?}: {out:?}"
        );
    }
}

#[test]
fn quit_ends_a_vm_inside_terabytes_of_reads_within_100_ms() {
    for engine in ENGINES {
        let vm = start_huge_reads(engine, None);
        std::thread::sleep(Duration::from_millis(300));
        let asked = Instant::now();
        vm.handle.quit();
        let (report, _) = vm.finish();
        let latency = asked.elapsed();
        eprintln!("{engine:?}: quit took {latency:?}");
        assert_eq!(report.exit, ExitReason::Quit, "{engine:?}");
        assert!(
            latency < Duration::from_millis(100),
            "{engine:?}: {latency:?}"
        );
    }
}

/// The budget is 200,000 instructions: ten slices of the interpreter, two of the translator,
/// each with one piece of the disk's work beside it.
#[test]
fn instruction_budget_ends_a_vm_inside_terabytes_of_reads() {
    for engine in ENGINES {
        let started = Instant::now();
        let vm = start_huge_reads(engine, Some(200_000));
        let (report, _) = vm.finish();
        assert_eq!(report.exit, ExitReason::BudgetSpent, "{engine:?}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{engine:?}: {:?} {:?}",
            started.elapsed(),
            report.stats
        );
    }
}

#[test]
fn available_index_60000_ahead_needs_reset_at_once() {
    let mut g = Guest::new();
    g.setup_blk(256);
    g.avail_idx(60_000);
    g.notify();
    g.check_needs_reset(true, 2);
    g.load(R::S1, 2, USED + 2);
    g.check(R::S1, 0xffff, 0, 3);
    g.exit(0);
    let guest = g.finish();
    for engine in ENGINES {
        let timeout = Duration::from_secs(3);
        let out = attack_disk("ahead", engine, &guest, timeout, 8 << 30);
        assert_passed(&out, engine, timeout);
    }
}

/// Issue 21, attack 3: the UART in loopback mode, written without end. The guest first
/// checks what a 16550 shows after 100,000 bytes (the FIFO's first 16 bytes, and an overrun
/// reported once), prints "overrun ok", then floods until the timeout.
fn loopback_guest() -> Vec<u8> {
    let mut g = Guest::new();
    g.store(1, UART + 4, 0x10);
    g.a.li(R::S2, 0);
    g.a.li(R::S3, 100_000);
    g.a.li(R::S4, UART as i64);
    let fill = g.here();
    g.a.sb(R::S2, 0, R::S4);
    g.a.addi(R::S2, R::S2, 1);
    g.a.blt(R::S2, R::S3, fill);
    g.load(R::S1, 1, UART + 5);
    g.check(R::S1, 0x03, 0x03, 2);
    g.load(R::S1, 1, UART + 5);
    g.check(R::S1, 0x02, 0, 3);
    for i in 0..16 {
        g.load(R::S1, 1, UART);
        g.check(R::S1, 0xff, i, 4);
    }
    g.load(R::S1, 1, UART + 5);
    g.check(R::S1, 0x01, 0, 5);
    g.store(1, UART + 4, 0);
    for b in b"overrun ok\n" {
        g.store(1, UART, u64::from(*b));
    }
    g.store(1, UART + 4, 0x10);
    let flood = g.here();
    g.a.sb(R::S2, 0, R::S4);
    g.a.j(flood);
    g.finish()
}

#[test]
fn uart_loopback_flood_reports_overrun_and_stays_within_memory() {
    for engine in ENGINES {
        let timeout = Duration::from_secs(2);
        let out = attack("loopback", engine, &loopback_guest(), timeout, &[]);
        eprintln!(
            "{engine:?}: UART flood: {:?}, peak {} KiB (spinning guest {} KiB)",
            out.elapsed,
            out.hwm_kib,
            baseline_kib(engine)
        );
        assert!(
            out.stdout_head.contains("overrun ok"),
            "{engine:?}: {out:?}"
        );
        assert_ended_at_timeout(&out, engine, timeout, 0);
    }
}

/// Issue 21, attack 4: a `--vm` guest that prints without a newline, forever.
#[test]
fn vm_console_line_without_end_is_written_in_parts() {
    let mut g = Guest::new();
    g.a.li(R::S4, UART as i64);
    g.a.li(R::S2, i64::from(b'x'));
    let l = g.here();
    g.a.sb(R::S2, 0, R::S4);
    g.a.j(l);
    let guest = g.finish();
    for engine in ENGINES {
        let kernel = guest_file("vmline", engine, &guest);
        let args: Vec<String> = vec![
            "run".into(),
            "--engine".into(),
            engine_arg(engine).into(),
            "--vm".into(),
            format!(
                "name=flood,bios=none,kernel={},timeout=2s",
                kernel.display()
            ),
        ];
        let timeout = Duration::from_secs(2);
        let out = run_ospite(Path::new(OSPITE), &args, Duration::from_secs(30));
        eprintln!(
            "{engine:?}: --vm line flood: {} bytes out, longest line {}, {:?}, peak {} KiB \
             (spinning guest {} KiB)",
            out.stdout_len,
            out.longest_line,
            out.elapsed,
            out.hwm_kib,
            baseline_kib(engine)
        );
        assert!(out.stdout_len > 1 << 20, "{engine:?}: {out:?}");
        assert!(
            out.longest_line <= (ospite_vmm::MAX_LINE + "[flood] ".len()) as u64,
            "{engine:?}: a line of {} bytes",
            out.longest_line
        );
        assert_ended_at_timeout(&out, engine, timeout, 0);
    }
}

/// Issue 21, attack 5: a status buffer at 0xffff_ffff_9040_0000, 0xf000_0001 bytes long,
/// whose last byte would wrap to 0x8040_0000.
#[test]
fn descriptor_wrapping_past_2_pow_64_needs_reset_and_writes_nothing() {
    let mut g = Guest::new();
    g.store(1, 0x8040_0000, 0xaa);
    g.setup_blk(8);
    let hdr = g.header(0, 0, 0);
    g.desc(0, hdr, 16, NEXT, 1);
    g.desc(1, 0xffff_ffff_9040_0000, 0xf000_0001, WRITE, 0);
    g.avail_idx(1);
    g.notify();
    g.check_needs_reset(true, 2);
    g.load(R::S1, 1, 0x8040_0000);
    g.check(R::S1, 0xff, 0xaa, 3);
    g.exit(0);
    let guest = g.finish();
    for engine in ENGINES {
        let timeout = Duration::from_secs(3);
        let out = attack_disk("wrap", engine, &guest, timeout, 1 << 20);
        assert_passed(&out, engine, timeout);
    }
}

#[test]
fn rings_near_2_pow_64_need_reset() {
    let mut g = Guest::new();
    g.setup_blk_at(8, u64::MAX - 0x7f, AVAIL, u64::MAX - 0x3f);
    g.avail_idx(1);
    g.notify();
    g.check_needs_reset(true, 2);
    g.exit(0);
    let guest = g.finish();
    for engine in ENGINES {
        let timeout = Duration::from_secs(3);
        let out = attack_disk("ringwrap", engine, &guest, timeout, 1 << 20);
        assert_passed(&out, engine, timeout);
    }
}
