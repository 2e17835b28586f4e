//! A 4 GiB guest RAM that touches a few pages costs the host about those pages only.
//!
//! Alone in its test binary, so that no other test allocates while it measures.

use ospite_mmu::{AccessSize, GuestRam};

/// The resident set size of this process in KiB, from /proc/self/status.
fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line")
}

#[test]
fn four_gib_ram_touching_sixteen_pages_grows_rss_by_about_those_pages() {
    const GIB: u64 = 1 << 30;
    const TOUCHED: u64 = 16;
    let before = vm_rss_kib();
    let ram = GuestRam::new(4 * GIB).expect("map 4 GiB of guest RAM");
    for i in 0..TOUCHED {
        // Pages 256 MiB apart: each store commits one guest page and one page of the dirty
        // bitmap.
        ram.store(i * (256 << 20) + 8, AccessSize::B8, i + 1)
            .unwrap();
    }
    let grown = vm_rss_kib().saturating_sub(before);
    let touched_kib = TOUCHED * 4;
    eprintln!("RSS grew by {grown} KiB for {TOUCHED} touched pages");
    // At least the touched guest pages, at most those, their dirty-bitmap pages, and 1 MiB of
    // slack for the test harness.
    assert!(
        (touched_kib..=2 * touched_kib + 1024).contains(&grown),
        "RSS grew by {grown} KiB for {TOUCHED} touched pages of 4 GiB"
    );
}
