//! Property: for random page tables, random accesses, and random interleavings of PTE writes
//! with the `sfence.vma` the privileged spec requires after them, translating through the TLB
//! gives the same result (physical address or exact fault) as a fresh page-table walk.
//!
//! Two address spaces (ASIDs 1 and 2, each with its own root) share a pool of table pages, so
//! tables end up shared, looped and used at several levels; leaves point at RAM pages, aligned
//! and misaligned superpages, a device and a hole, with random permissions, G, A, D and
//! reserved bits. Only a small set of probe addresses is accessed, so the fences needed are
//! those for the probes whose current walk goes through the written PTE: `sfence.vma` with an
//! address inside the page for a leaf, with `rs1 = x0` for a non-leaf, and with `rs2 = x0` when
//! the translation is global. Each write picks one of the fences that satisfy that at random.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use ospite_mmu::{
    inspect, translate_uncached, AccessSize, AccessType, Asid, Bus, Device, DeviceError, GuestRam,
    MemoryMap, Mmu, PhysAddr, Privilege, Pte, Satp, SatpMode, TranslateCtx, VirtAddr,
};
use proptest::prelude::*;

const RAM_BASE: u64 = 0x8000_0000;
const TABLE_BASE: u64 = RAM_BASE + (4 << 20);
const TABLES: usize = 8;
/// The table slots the probe addresses use.
const SLOTS: [u64; 3] = [0, 1, 511];
/// Physical targets of leaves: 4 KiB pages, a 2 MiB-aligned page, a 1 GiB-aligned page,
/// a device, and nothing.
const TARGETS: [u64; 7] = [
    RAM_BASE + 0x1000,
    RAM_BASE + 0x2000,
    RAM_BASE + 0x3000,
    RAM_BASE + (2 << 20),
    RAM_BASE,
    0x1000_0000,
    0x3000_0000,
];

struct Nop;

impl Device for Nop {
    fn read(&mut self, _offset: u64, _size: AccessSize) -> Result<u64, DeviceError> {
        Ok(0)
    }

    fn write(&mut self, _offset: u64, _size: AccessSize, _value: u64) -> Result<(), DeviceError> {
        Ok(())
    }
}

/// A PTE, described so that proptest can shrink it.
#[derive(Clone, Copy, Debug)]
enum PteSpec {
    Empty,
    /// A pointer to a table, with extra flag bits (G, and rarely reserved A/D/U).
    Table {
        table: usize,
        flags: u8,
    },
    /// A leaf to a target with flag bits (V added unless `invalid`), rarely a reserved bit.
    Leaf {
        target: usize,
        flags: u8,
        invalid: bool,
        reserved: bool,
    },
}

impl PteSpec {
    fn value(self) -> u64 {
        match self {
            PteSpec::Empty => 0,
            PteSpec::Table { table, flags } => {
                Pte::table(PhysAddr(TABLE_BASE + table as u64 * 0x1000)).0 | u64::from(flags)
            }
            PteSpec::Leaf {
                target,
                flags,
                invalid,
                reserved,
            } => {
                let mut v = Pte::leaf(PhysAddr(TARGETS[target]), u64::from(flags)).0;
                if invalid {
                    v &= !Pte::V;
                }
                if reserved {
                    v |= 1 << 60;
                }
                v
            }
        }
    }
}

fn leaf_spec() -> impl Strategy<Value = PteSpec> {
    let bit = |p: f64, flag: u64| {
        prop::bool::weighted(p).prop_map(move |b| if b { flag as u8 } else { 0 })
    };
    (
        0..TARGETS.len(),
        // Mostly permissive leaves, so that many walks succeed; W without R stays possible.
        (
            bit(0.85, Pte::R),
            bit(0.6, Pte::W),
            bit(0.6, Pte::X),
            bit(0.5, Pte::U),
        ),
        (bit(0.1, Pte::G), bit(0.5, Pte::A), bit(0.5, Pte::D)),
        prop::bool::weighted(0.03),
        prop::bool::weighted(0.03),
    )
        .prop_map(
            |(target, (r, w, x, u), (g, a, d), invalid, reserved)| PteSpec::Leaf {
                target,
                flags: r | w | x | u | g | a | d,
                invalid,
                reserved,
            },
        )
}

fn table_spec(tables: std::ops::Range<usize>) -> impl Strategy<Value = PteSpec> {
    let flags = prop_oneof![12 => Just(0u8), 2 => Just(Pte::G as u8), 1 => Just(Pte::A as u8)];
    (tables, flags).prop_map(|(table, flags)| PteSpec::Table { table, flags })
}

/// A PTE for a slot of `table`: tables 0 and 1 are the roots and mostly point at the middle
/// tables 2..5, which point at each other or at the last tables 5..8, which mostly hold leaves.
/// Any PTE can still be anything, so tables are shared across levels and loop.
fn pte_spec(table: usize) -> impl Strategy<Value = PteSpec> {
    let (to_table, to_leaf, empty) = match table {
        0 | 1 => (18, 2, 1),
        2..=4 => (14, 5, 1),
        _ => (3, 16, 1),
    };
    let (mid, last) = match table {
        0 | 1 => (to_table, 0),
        _ => (to_table / 3, to_table - to_table / 3),
    };
    prop_oneof![
        empty => Just(PteSpec::Empty),
        mid => table_spec(2..5),
        last => table_spec(5..TABLES),
        1 => table_spec(0..TABLES),
        to_leaf => leaf_spec(),
    ]
}

fn init_tables() -> impl Strategy<Value = Vec<PteSpec>> {
    (0..TABLES * SLOTS.len())
        .map(|i| pte_spec(i / SLOTS.len()).boxed())
        .collect::<Vec<_>>()
}

#[derive(Clone, Debug)]
enum Op {
    Access {
        va: usize,
        access: usize,
        ctx: usize,
    },
    /// A `satp` write to the other address space.
    SwitchAsid,
    Write {
        table: usize,
        slot: usize,
        pte: PteSpec,
        /// Which of the allowed fences to use, and where in the page to point it.
        style: u8,
        offset: u64,
    },
    ExtraFence {
        va: Option<usize>,
        asid: Option<u16>,
    },
}

fn op(probes: usize) -> impl Strategy<Value = Op> {
    // A few hot addresses and mostly S and U contexts, so that the TLB gets hits.
    let va = prop_oneof![4 => 0..3usize, 1 => 0..probes];
    let ctx = prop_oneof![4 => Just(0usize), 2 => Just(1), 1 => Just(2), 4 => Just(3), 1 => Just(4), 1 => Just(5)];
    prop_oneof![
        24 => (va, 0..3usize, ctx).prop_map(|(va, access, ctx)| Op::Access { va, access, ctx }),
        1 => Just(Op::SwitchAsid),
        2 => (0..TABLES)
            .prop_flat_map(|t| (Just(t), 0..SLOTS.len(), pte_spec(t), any::<u8>(), any::<u64>()))
            .prop_map(|(table, slot, pte, style, offset)| Op::Write { table, slot, pte, style, offset }),
        1 => (prop::option::of(0..probes), prop::option::of(1..3u16))
            .prop_map(|(va, asid)| Op::ExtraFence { va, asid }),
    ]
}

/// The probe addresses: every combination of the slots at each level, canonical, with a few
/// page offsets, and one non-canonical address.
fn probes(mode: SatpMode) -> Vec<VirtAddr> {
    let levels = mode.levels();
    let bits = mode.va_bits();
    let mut out = Vec::new();
    let combos = 3usize.pow(levels);
    for c in 0..combos {
        let mut va = 0u64;
        let mut k = c;
        for level in 0..levels {
            va |= SLOTS[k % 3] << (12 + 9 * level);
            k /= 3;
        }
        let off = [0x0, 0x8, 0xff8][c % 3];
        let va = va | off;
        let canonical = (((va << (64 - bits)) as i64) >> (64 - bits)) as u64;
        out.push(VirtAddr(canonical));
    }
    out.push(VirtAddr(1 << (bits + 1)));
    out
}

fn contexts(satp: Satp) -> [TranslateCtx; 6] {
    let s = TranslateCtx::new(Privilege::Supervisor, satp);
    [
        s,
        TranslateCtx { sum: true, ..s },
        TranslateCtx { mxr: true, ..s },
        TranslateCtx::new(Privilege::User, satp),
        TranslateCtx {
            mprv: true,
            mpp: Privilege::User,
            ..TranslateCtx::new(Privilege::Machine, satp)
        },
        TranslateCtx::new(Privilege::Machine, satp),
    ]
}

struct World {
    map: MemoryMap,
    mode: SatpMode,
}

impl World {
    fn satp(&self, asid: u16) -> Satp {
        // ASID 1 uses table 0 as root, ASID 2 table 1.
        Satp::new(
            self.mode,
            Asid(asid),
            PhysAddr(TABLE_BASE + (u64::from(asid) - 1) * 0x1000),
        )
    }

    fn pte_addr(table: usize, slot: usize) -> PhysAddr {
        PhysAddr(TABLE_BASE + table as u64 * 0x1000 + SLOTS[slot] * 8)
    }

    /// The walk path of (va, asid) if some access can succeed there, with whether it is global
    /// and the size of its page.
    fn cached_path(&self, va: VirtAddr, asid: u16) -> Option<(Vec<PhysAddr>, bool, u64)> {
        let satp = self.satp(asid);
        let s = TranslateCtx {
            sum: true,
            mxr: true,
            ..TranslateCtx::new(Privilege::Supervisor, satp)
        };
        let u = TranslateCtx {
            mxr: true,
            ..TranslateCtx::new(Privilege::User, satp)
        };
        [s, u].iter().find_map(|ctx| {
            AccessType::ALL
                .iter()
                .find_map(|&a| match inspect(&self.map, ctx, va, a) {
                    Ok(Some(w)) => Some((w.path().to_vec(), w.global, w.page_size())),
                    _ => None,
                })
        })
    }
}

fn run(mode: SatpMode, init: Vec<PteSpec>, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let ram = Arc::new(GuestRam::new(8 << 20).unwrap());
    let map = MemoryMap::builder()
        .ram("ram", PhysAddr(RAM_BASE), ram)
        .device(
            "dev",
            PhysAddr(0x1000_0000),
            0x1000,
            Arc::new(Mutex::new(Nop)),
        )
        .build()
        .unwrap();
    let world = World { map, mode };
    for (i, pte) in init.iter().enumerate() {
        let addr = World::pte_addr(i / SLOTS.len(), i % SLOTS.len());
        world.map.store(addr, AccessSize::B8, pte.value()).unwrap();
    }
    let probes = probes(mode);
    let mut mmu = Mmu::new();
    let mut oks = 0u64;
    let mut asid = 1u16;
    for op in ops {
        match op {
            Op::SwitchAsid => asid = 3 - asid,
            Op::Access { va, access, ctx } => {
                let ctx = contexts(world.satp(asid))[ctx];
                let access = AccessType::ALL[access];
                let va = probes[va];
                let through_tlb = mmu.translate(&world.map, &ctx, va, access);
                let current = inspect(&world.map, &ctx, va, access);
                // A global mapping must be the same in every address space; where the random
                // tables break that rule, the spec lets the hart use either mapping (and the
                // other space's PTE is the one whose A/D bits were set).
                let other = TranslateCtx {
                    satp: world.satp(3 - asid),
                    ..ctx
                };
                let other_global = match inspect(&world.map, &other, va, access) {
                    Ok(Some(w)) if w.global => Some(Ok(w.pa)),
                    _ => None,
                };
                if other_global == Some(through_tlb) {
                    continue;
                }
                // A translation is used only once its PTE has A set, and D for a store.
                if let (Ok(_), Ok(Some(w))) = (through_tlb, current) {
                    let needed = if access == AccessType::Store {
                        Pte::A | Pte::D
                    } else {
                        Pte::A
                    };
                    prop_assert!(
                        w.pte.has(needed),
                        "{:?} used before A/D were set: {:?}",
                        access,
                        w.pte
                    );
                }
                let fresh = translate_uncached(&world.map, &ctx, va, access);
                prop_assert_eq!(through_tlb, fresh, "{:?} {:?} at {}", access, ctx, va);
                oks += u64::from(fresh.is_ok());
            }
            Op::Write {
                table,
                slot,
                pte,
                style,
                offset,
            } => {
                let addr = World::pte_addr(table, slot);
                // The fences the spec requires, for the translations the TLB may hold.
                let mut fences = BTreeSet::new();
                for &va in &probes {
                    for asid in [1, 2] {
                        let Some((path, global, page)) = world.cached_path(va, asid) else {
                            continue;
                        };
                        let Some(pos) = path.iter().position(|&p| p == addr) else {
                            continue;
                        };
                        let leaf = pos == path.len() - 1;
                        let in_page = VirtAddr((va.0 & !(page - 1)) | (offset & (page - 1)));
                        let asid = (!global).then_some(asid);
                        let fence = match (leaf, style % 3) {
                            (true, 0) => (Some(in_page), asid),
                            (true, 1) => (Some(in_page), None),
                            (false, 0) | (true, 2) => (None, asid),
                            _ => (None, None),
                        };
                        fences.insert(fence);
                    }
                }
                world.map.store(addr, AccessSize::B8, pte.value()).unwrap();
                for (va, asid) in fences {
                    mmu.sfence_vma(va, asid.map(Asid));
                }
            }
            Op::ExtraFence { va, asid } => {
                mmu.sfence_vma(va.map(|i| probes[i]), asid.map(Asid));
            }
        }
    }
    if std::env::var_os("TLB_PROP_STATS").is_some() {
        eprintln!("ok translations {oks}, {:?}", mmu.tlb().stats());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn sv39_tlb_agrees_with_a_fresh_walk(
        init in init_tables(),
        ops in prop::collection::vec(op(3usize.pow(3) + 1), 1..120),
    ) {
        run(SatpMode::Sv39, init, ops)?;
    }

    #[test]
    fn sv48_tlb_agrees_with_a_fresh_walk(
        init in init_tables(),
        ops in prop::collection::vec(op(3usize.pow(4) + 1), 1..120),
    ) {
        run(SatpMode::Sv48, init, ops)?;
    }
}
