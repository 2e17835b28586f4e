//! `ospite-mmu`: guest-physical memory, the MMIO bus, and RISC-V address translation (Sv39,
//! Sv48, Sv57) with a software TLB that translated code can read.
//!
//! The crate stands alone: a CPU model of any kind can use it with its own hart type.
//!
//! * [`GuestRam`]: one anonymous, lazily backed host mapping per RAM region, with
//!   little-endian, misaligned, bulk and atomic access (AMOs, compare-and-swap, LR/SC through a
//!   [`Reservation`]) that stays correct when several host threads run harts, and a dirty-page
//!   bitmap per region.
//! * [`Bus`]: what a hart needs from physical memory. [`MemoryMap`] implements it over RAM
//!   regions and MMIO [`Device`]s, which see offsets and real access widths.
//! * [`walk()`]: the page-table walk of the privileged spec (1.12), with hardware A/D updates.
//! * [`Mmu`]: one per hart; translates through its [`Tlb`] and performs guest-virtual loads,
//!   stores, fetches and atomics, reporting the exact [`MemFault`] (cause and `tval`).
//!
//! The hart's state enters as a plain [`TranslateCtx`] (privilege, `satp`, SUM, MXR, MPRV, MPP).
//!
//! # Example
//!
//! A guest with 1 MiB of RAM at `0x8000_0000`, one Sv39 gigapage mapping virtual
//! `0xffff_ffc0_0000_0000` to it, and an S-mode store and load through the MMU:
//!
//! ```
//! use std::sync::Arc;
//! use ospite_mmu::{
//!     AccessSize, Asid, Bus, FaultCause, GuestRam, MemoryMap, Mmu, PhysAddr, Privilege, Pte,
//!     Satp, SatpMode, TranslateCtx, VirtAddr,
//! };
//!
//! let ram = Arc::new(GuestRam::new(1 << 20)?);
//! let map = MemoryMap::builder().ram("ram", PhysAddr(0x8000_0000), ram).build()?;
//!
//! // The root table sits in the first page of RAM; one of its entries maps a 1 GiB page
//! // (superpages must be aligned to their size: 0x8000_0000 is).
//! let root = PhysAddr(0x8000_0000);
//! let va = VirtAddr(0xffff_ffc0_0000_0000 + 0x1234);
//! let vpn2 = (va.0 >> 30) & 0x1ff;
//! let pte = Pte::leaf(PhysAddr(0x8000_0000), Pte::R | Pte::W);
//! map.store(PhysAddr(root.0 + vpn2 * 8), AccessSize::B8, pte.0).unwrap();
//!
//! let satp = Satp::new(SatpMode::Sv39, Asid(1), root);
//! let ctx = TranslateCtx::new(Privilege::Supervisor, satp);
//! let mut mmu = Mmu::new();
//! mmu.store(&map, &ctx, va, AccessSize::B4, 0xdead_beef).unwrap();
//! assert_eq!(mmu.load(&map, &ctx, va, AccessSize::B4), Ok(0xdead_beef));
//! assert_eq!(map.load(PhysAddr(0x8000_1234), AccessSize::B4), Ok(0xdead_beef));
//!
//! // Only the store walked the page table; a second load hits the TLB's fast table.
//! mmu.load(&map, &ctx, va, AccessSize::B4).unwrap();
//! let stats = mmu.tlb().stats();
//! assert_eq!((stats.walks, stats.hits), (1, 1));
//!
//! // The walk set A and D in the PTE.
//! let pte_now = Pte(map.load(PhysAddr(root.0 + vpn2 * 8), AccessSize::B8).unwrap());
//! assert!(pte_now.has(Pte::A | Pte::D));
//!
//! // U-mode may not touch a supervisor page: a load page fault with the address in tval.
//! let user = TranslateCtx::new(Privilege::User, satp);
//! let fault = mmu.load(&map, &user, va, AccessSize::B8).unwrap_err();
//! assert_eq!((fault.cause, fault.tval), (FaultCause::LoadPageFault, va.0));
//! # Ok::<(), ospite_mmu::Error>(())
//! ```

mod access;
mod addr;
mod amo;
mod bitmap;
mod bus;
mod context;
mod device;
mod error;
mod fault;
mod memory_map;
mod mmu;
mod pte;
mod ram;
mod ram_slices;
pub mod remaps;
mod satp;
pub mod tlb;
mod walk;

#[cfg(test)]
mod test_support;

pub use access::{AccessSize, AccessType, Privilege};
pub use addr::{PhysAddr, VirtAddr, PAGE_MASK, PAGE_SHIFT, PAGE_SIZE};
pub use amo::{AmoOp, Reservation};
pub use bitmap::PageBitmap;
pub use bus::{Bus, HostPage};
pub use context::TranslateCtx;
pub use device::{Device, DeviceError};
pub use error::{Error, Result};
pub use fault::{BusFault, FaultCause, MemFault};
pub use memory_map::{MemoryMap, MemoryMapBuilder, RamRegion, SharedDevice};
pub use mmu::Mmu;
pub use pte::Pte;
pub use ram::GuestRam;
pub use ram_slices::RamSlices;
pub use remaps::Remaps;
pub use satp::{Asid, Satp, SatpMode};
pub use tlb::{Tlb, TlbEntry, TlbMode, TlbStats};
pub use walk::{inspect, translate_uncached, walk, Walk};
