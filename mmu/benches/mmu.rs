//! Benchmarks: TLB-hit translation, full Sv39 and Sv48 walks, and RAM access through the bus.

#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use ospite_mmu::{
    walk, AccessSize, AccessType, Asid, Bus, GuestRam, MemoryMap, Mmu, PhysAddr, Privilege, Pte,
    Satp, SatpMode, TranslateCtx, VirtAddr,
};

const RAM_BASE: u64 = 0x8000_0000;

/// RAM with a 4 KiB mapping of `va` built by hand for `mode`; tables from RAM_BASE + 1 MiB.
fn guest(mode: SatpMode, va: u64) -> (MemoryMap, TranslateCtx) {
    let ram = Arc::new(GuestRam::new(4 << 20).unwrap());
    let map = MemoryMap::builder()
        .ram("ram", PhysAddr(RAM_BASE), ram)
        .build()
        .unwrap();
    let tables = RAM_BASE + (1 << 20);
    let levels = mode.levels();
    for level in (0..levels).rev() {
        let table = tables + u64::from(levels - 1 - level) * 0x1000;
        let vpn = (va >> (12 + 9 * level)) & 0x1ff;
        let pte = if level == 0 {
            Pte::leaf(
                PhysAddr(RAM_BASE + 0x5000),
                Pte::R | Pte::W | Pte::A | Pte::D,
            )
        } else {
            Pte::table(PhysAddr(table + 0x1000))
        };
        map.store(PhysAddr(table + vpn * 8), AccessSize::B8, pte.0)
            .unwrap();
    }
    let satp = Satp::new(mode, Asid(1), PhysAddr(tables));
    (map, TranslateCtx::new(Privilege::Supervisor, satp))
}

fn tlb_hit(c: &mut Criterion) {
    let va = VirtAddr(0x4000_1008);
    let (map, ctx) = guest(SatpMode::Sv39, va.0);
    let mut mmu = Mmu::new();
    mmu.translate(&map, &ctx, va, AccessType::Load).unwrap();
    c.bench_function("tlb_hit_translate", |b| {
        b.iter(|| {
            mmu.translate(&map, black_box(&ctx), black_box(va), AccessType::Load)
                .unwrap()
        })
    });
    c.bench_function("tlb_hit_load_u64", |b| {
        b.iter(|| {
            mmu.load(&map, black_box(&ctx), black_box(va), AccessSize::B8)
                .unwrap()
        })
    });
}

fn walks(c: &mut Criterion) {
    for (name, mode, va) in [
        ("walk_sv39", SatpMode::Sv39, 0x4000_1008u64),
        ("walk_sv48", SatpMode::Sv48, 0x7f12_3456_7008u64),
    ] {
        let (map, ctx) = guest(mode, va);
        c.bench_function(name, |b| {
            b.iter(|| {
                walk(
                    &map,
                    black_box(&ctx),
                    black_box(VirtAddr(va)),
                    AccessType::Load,
                )
                .unwrap()
                .unwrap()
            })
        });
    }
    let va = VirtAddr(0x4000_1008);
    let (map, ctx) = guest(SatpMode::Sv39, va.0);
    let mut mmu = Mmu::new();
    c.bench_function("tlb_miss_sfence_then_translate_sv39", |b| {
        b.iter(|| {
            mmu.sfence_vma(Some(va), None);
            mmu.translate(&map, black_box(&ctx), black_box(va), AccessType::Load)
                .unwrap()
        })
    });
}

fn bus(c: &mut Criterion) {
    let (map, _) = guest(SatpMode::Sv39, 0);
    let pa = PhysAddr(RAM_BASE + 0x2008);
    c.bench_function("bus_ram_load_u64", |b| {
        b.iter(|| map.load(black_box(pa), AccessSize::B8).unwrap())
    });
    c.bench_function("bus_ram_store_u64", |b| {
        b.iter(|| {
            map.store(black_box(pa), AccessSize::B8, black_box(7))
                .unwrap()
        })
    });
    c.bench_function("bus_ram_load_u32_misaligned", |b| {
        b.iter(|| {
            map.load(black_box(PhysAddr(pa.0 + 1)), AccessSize::B4)
                .unwrap()
        })
    });
}

criterion_group!(benches, tlb_hit, walks, bus);
criterion_main!(benches);
