//! Guests that misuse the block device in ways that already failed safely, kept as tests on
//! both engines: buffers and queues outside RAM, looping chains, bad indices and queue sizes,
//! a read past the disk's end, a storm of notifications, odd MMIO widths. Each guest checks
//! what the spec says it gets (`DEVICE_NEEDS_RESET`, an I/O error status, a working device)
//! and reports through the test finisher's exit code.

mod support;

use std::time::Duration;

use ospite_isa::XReg as R;
use support::attack::*;
use support::guest::*;
use support::ENGINES;

/// Runs a guest that sets up a queue of 8, makes `chains` available after `build` wrote
/// descriptors, notifies, and checks that the device asks for a reset.
fn assert_needs_reset(name: &str, build: impl Fn(&mut Guest)) {
    let mut g = Guest::new();
    g.setup_blk(8);
    build(&mut g);
    g.notify();
    g.check_needs_reset(true, 2);
    g.exit(0);
    let guest = g.finish();
    for engine in ENGINES {
        let timeout = Duration::from_secs(3);
        let out = attack_disk(name, engine, &guest, timeout, 1 << 20);
        assert_passed(&out, engine, timeout);
    }
}

#[test]
fn buffer_outside_ram_needs_reset() {
    assert_needs_reset("outside", |g| {
        let hdr = g.header(0, 0, 0);
        g.desc(0, hdr, 16, NEXT, 1);
        g.desc(1, 0x1_0000_0000, 512, WRITE | NEXT, 2);
        g.desc(2, STATUS, 1, WRITE, 0);
        g.avail_idx(1);
    });
}

#[test]
fn looping_chain_needs_reset() {
    assert_needs_reset("loop", |g| {
        g.desc(0, DATA, 16, NEXT, 1);
        g.desc(1, DATA, 16, NEXT, 0);
        g.avail_idx(1);
    });
}

#[test]
fn head_index_out_of_range_needs_reset() {
    assert_needs_reset("index", |g| {
        g.avail(0, 200);
        g.avail_idx(1);
    });
}

#[test]
fn queue_size_not_a_power_of_two_needs_reset() {
    assert_needs_reset("qsize", |g| {
        g.blk(reg::QUEUE_NUM, 3);
        g.avail_idx(1);
    });
}

#[test]
fn queue_outside_ram_needs_reset() {
    let mut g = Guest::new();
    g.setup_blk_at(8, 0x4000_0000, 0x4000_1000, 0x4000_2000);
    g.notify();
    g.check_needs_reset(true, 2);
    g.exit(0);
    let guest = g.finish();
    for engine in ENGINES {
        let timeout = Duration::from_secs(3);
        let out = attack_disk("qaddr", engine, &guest, timeout, 1 << 20);
        assert_passed(&out, engine, timeout);
    }
}

#[test]
fn read_past_the_disk_end_is_an_io_error() {
    let mut g = Guest::new();
    g.setup_blk(8);
    let hdr = g.header(0, 0, 4096);
    g.desc(0, hdr, 16, NEXT, 1);
    g.desc(1, DATA, 512, WRITE | NEXT, 2);
    g.desc(2, STATUS, 1, WRITE, 0);
    g.store(1, STATUS, 0xff);
    g.avail_idx(1);
    g.notify();
    g.check_needs_reset(false, 2);
    g.load(R::S1, 1, STATUS);
    g.check(R::S1, 0xff, 1, 3);
    g.exit(0);
    let guest = g.finish();
    for engine in ENGINES {
        let timeout = Duration::from_secs(3);
        let out = attack_disk("ioerr", engine, &guest, timeout, 1 << 20);
        assert_passed(&out, engine, timeout);
    }
}

#[test]
fn notify_storm_on_an_empty_queue_serves_nothing_and_ends() {
    let mut g = Guest::new();
    g.setup_blk(8);
    g.a.li(R::S2, 0);
    g.a.li(R::S3, 200_000);
    g.a.li(R::S4, (BLK + reg::QUEUE_NOTIFY) as i64);
    let l = g.here();
    g.a.sw(R::ZERO, 0, R::S4);
    g.a.addi(R::S2, R::S2, 1);
    g.a.blt(R::S2, R::S3, l);
    g.check_needs_reset(false, 2);
    g.load(R::S1, 2, USED + 2);
    g.check(R::S1, 0xffff, 0, 3);
    g.exit(0);
    let guest = g.finish();
    for engine in ENGINES {
        let timeout = Duration::from_secs(5);
        let out = attack_disk("storm", engine, &guest, timeout, 1 << 20);
        assert_passed(&out, engine, timeout);
    }
}

#[test]
fn odd_mmio_widths_are_ignored_and_the_device_still_works() {
    let mut g = Guest::new();
    // Byte, half and double-word reads of the magic register read zero.
    for bytes in [1, 2, 8] {
        g.load(R::S1, bytes, BLK);
        g.check(R::S1, u64::MAX, 0, 2);
    }
    g.setup_blk(8);
    // A byte write of 0 to Status and a half-word notify are ignored.
    g.store(1, BLK + reg::STATUS, 0);
    g.load(R::S1, 4, BLK + reg::STATUS);
    g.check(R::S1, 0xff, 15, 3);
    let hdr = g.header(0, 0, 0);
    g.desc(0, hdr, 16, NEXT, 1);
    g.desc(1, DATA, 512, WRITE | NEXT, 2);
    g.desc(2, STATUS, 1, WRITE, 0);
    g.store(1, STATUS, 0xff);
    g.avail_idx(1);
    g.store(2, BLK + reg::QUEUE_NOTIFY, 0);
    g.load(R::S1, 1, STATUS);
    g.check(R::S1, 0xff, 0xff, 4);
    g.notify();
    g.load(R::S1, 1, STATUS);
    g.check(R::S1, 0xff, 0, 5);
    g.exit(0);
    let guest = g.finish();
    for engine in ENGINES {
        let timeout = Duration::from_secs(3);
        let out = attack_disk("widths", engine, &guest, timeout, 1 << 20);
        assert_passed(&out, engine, timeout);
    }
}
