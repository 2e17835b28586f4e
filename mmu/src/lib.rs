//! `ospite-mmu`: guest-physical memory, the MMIO bus, and Sv39/Sv48 address translation with a
//! software TLB.
//!
//! Not built yet: this crate's work is tracked in its own issue. It exports nothing so far.
