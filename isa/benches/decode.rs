//! Decode throughput over a real instruction stream: the `.text` of Debian's OpenSBI
//! (`fw_jump.elf`), its 16- and 32-bit instructions in order, decoded by `ospite-isa` and by the
//! `riscv-decode` crate in the same run.
//!
//! `raki` 1.3, which decodes compressed parcels as well, is measured on the same streams.
//! `riscv-decode` 0.2 decodes 32-bit words and only a few compressed forms (its quadrant 1 is
//! entirely unimplemented), so the two are compared on the 32-bit subset of the stream as well
//! as on the whole of it. `ospite/display` adds printing each instruction into a `String`.
//!
//! Both results pass through `black_box`, so neither decoder's work can be optimised away
//! (`riscv-decode` extracts operands lazily, when they are read; ours fills them in).
//!
//! `cargo bench -p ospite-isa --bench decode -- --warm-up-time 1 --measurement-time 3`

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{criterion_main, Criterion, Throughput};
use object::{Object, ObjectSection};
use ospite_isa::{decode, Extensions};

const OPENSBI: &str = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf";

/// The instructions of OpenSBI's `.text` in order: a compressed parcel in the low 16 bits, or a
/// 32-bit word. Parcels announcing longer instructions are stepped over.
fn opensbi_stream() -> Vec<u32> {
    let data = std::fs::read(OPENSBI).unwrap_or_else(|e| {
        panic!("{OPENSBI}: {e}: install the Debian package opensbi");
    });
    let file = object::File::parse(&*data).expect("parse fw_jump.elf");
    let text = file
        .section_by_name(".text")
        .expect("a .text section")
        .data()
        .expect("the .text bytes");
    let mut stream = Vec::with_capacity(text.len() / 3);
    let mut at = 0;
    while at + 2 <= text.len() {
        let parcel = u16::from_le_bytes([text[at], text[at + 1]]) as u32;
        if parcel & 3 != 3 {
            stream.push(parcel);
            at += 2;
        } else if parcel & 0x1c != 0x1c && at + 4 <= text.len() {
            let word = u32::from_le_bytes([text[at], text[at + 1], text[at + 2], text[at + 3]]);
            stream.push(word);
            at += 4;
        } else {
            at += 2;
        }
    }
    stream
}

fn ospite_all(stream: &[u32]) -> usize {
    stream
        .iter()
        .filter(|&&w| black_box(decode(black_box(w), Extensions::RV64GC)).is_ok())
        .count()
}

fn riscv_decode_all(stream: &[u32]) -> usize {
    stream
        .iter()
        .filter(|&&w| black_box(riscv_decode::decode(black_box(w))).is_ok())
        .count()
}

/// `raki` 1.3 decodes compressed parcels too and fills its operands in eagerly, like ours.
fn raki_all(stream: &[u32]) -> usize {
    use raki::Decode;
    stream
        .iter()
        .filter(|&&w| {
            let w = black_box(w);
            if w & 3 == 3 {
                black_box(w.decode(raki::Isa::Rv64)).is_ok()
            } else {
                black_box((w as u16).decode(raki::Isa::Rv64)).is_ok()
            }
        })
        .count()
}

fn ospite_display(stream: &[u32], buf: &mut String) -> usize {
    let mut total = 0;
    let mut pc = 0x8000_0000u64;
    for &w in stream {
        buf.clear();
        if let Ok(i) = decode(black_box(w), Extensions::RV64GC) {
            let _ = write!(buf, "{}", i.display(pc));
            pc += i.size();
        }
        total += buf.len();
    }
    total
}

fn bench(c: &mut Criterion) {
    let all = opensbi_stream();
    let words: Vec<u32> = all.iter().copied().filter(|w| w & 3 == 3).collect();
    println!(
        "OpenSBI fw_jump.elf .text: {} instructions, {} of them 32-bit; riscv-decode decodes {} \
         of all and {} of the 32-bit ones, raki {} and {}, ospite-isa {} and {}",
        all.len(),
        words.len(),
        riscv_decode_all(&all),
        riscv_decode_all(&words),
        raki_all(&all),
        raki_all(&words),
        ospite_all(&all),
        ospite_all(&words),
    );
    let mut g = c.benchmark_group("decode_opensbi");
    g.throughput(Throughput::Elements(all.len() as u64));
    g.bench_function("ospite/all", |b| b.iter(|| ospite_all(&all)));
    g.bench_function("riscv-decode/all", |b| b.iter(|| riscv_decode_all(&all)));
    g.bench_function("raki/all", |b| b.iter(|| raki_all(&all)));
    let mut buf = String::with_capacity(64);
    g.bench_function("ospite/display", |b| {
        b.iter(|| ospite_display(&all, &mut buf))
    });
    g.throughput(Throughput::Elements(words.len() as u64));
    g.bench_function("ospite/32-bit", |b| b.iter(|| ospite_all(&words)));
    g.bench_function("riscv-decode/32-bit", |b| {
        b.iter(|| riscv_decode_all(&words))
    });
    g.bench_function("raki/32-bit", |b| b.iter(|| raki_all(&words)));
    g.finish();
}

/// `criterion_group!` defines an undocumented public function; it lives here with that allowed.
mod group {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(group::benches);
