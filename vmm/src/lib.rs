//! `ospite-vmm`: the virtual machine monitor — the board, its devices, loaders, and many VMs at
//! once.
//!
//! Not built yet: this crate's work is tracked in its own issue. It exports nothing so far.
