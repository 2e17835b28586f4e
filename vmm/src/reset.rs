//! The boot ROM at 0x1000, laid out as QEMU's `riscv_setup_rom_reset_vec` lays it out: a
//! reset stub that sets `a0 = mhartid`, `a1 = fdt address`, `a2 = &fw_dynamic_info` and jumps
//! to the firmware, followed by the jump target, the FDT address, and OpenSBI's
//! `fw_dynamic_info` (magic, version 2, next address, next mode S, options, boot hart).

use ospite_isa::asm::Assembler;
use ospite_isa::{Csr, XReg};

/// Where the ROM sits (QEMU virt's `mrom`).
pub const ROM_BASE: u64 = 0x1000;
/// The ROM's size (QEMU virt's `mrom` is 0xf000 bytes).
pub const ROM_SIZE: u64 = 0xf000;

/// OpenSBI's `FW_DYNAMIC_INFO_MAGIC_VALUE` ("OSBI").
const FW_DYNAMIC_MAGIC: u64 = 0x4942_534f;
/// The `fw_dynamic_info` version QEMU 7.2 writes.
const FW_DYNAMIC_VERSION: u64 = 2;
/// `FW_DYNAMIC_INFO_NEXT_MODE_S`.
const NEXT_MODE_S: u64 = 1;

/// What the stub needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResetVector {
    /// Where the stub jumps: the firmware's entry, or the kernel's with `--bios none`.
    pub start: u64,
    /// The device tree's guest address (into `a1`).
    pub fdt: u64,
    /// The payload fw_dynamic starts in S-mode (0 when there is none).
    pub next: u64,
}

impl ResetVector {
    /// The ROM's bytes, to be written at [`ROM_BASE`].
    pub fn rom(&self) -> Vec<u8> {
        let mut asm = Assembler::new(ROM_BASE);
        let (start, fdt, info) = (asm.new_label(), asm.new_label(), asm.new_label());
        asm.auipc(XReg::T0, 0);
        asm.addi(XReg::A2, XReg::T0, 40); // &fw_dynamic_info, 40 bytes from the stub's start
        asm.csrr(XReg::A0, Csr::MHARTID);
        asm.ld(XReg::A1, 32, XReg::T0); // the FDT address
        asm.ld(XReg::T0, 24, XReg::T0); // the start address
        asm.jalr(XReg::ZERO, 0, XReg::T0);
        asm.bind(start);
        asm.dword(self.start);
        asm.bind(fdt);
        asm.dword(self.fdt);
        asm.bind(info);
        for word in [
            FW_DYNAMIC_MAGIC,
            FW_DYNAMIC_VERSION,
            self.next,
            NEXT_MODE_S,
            0,
            0,
        ] {
            asm.dword(word);
        }
        let program = asm
            .finish()
            .expect("the reset stub is a fixed, valid program");
        debug_assert_eq!(program.address(start), ROM_BASE + 24);
        debug_assert_eq!(program.address(info), ROM_BASE + 40);
        program.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rom_matches_qemu_reset_vector_words() {
        let rom = ResetVector {
            start: 0x8000_0000,
            fdt: 0x87e0_0000,
            next: 0x8020_0000,
        }
        .rom();
        let word = |i: usize| u32::from_le_bytes(rom[4 * i..4 * i + 4].try_into().unwrap());
        // The instruction words of QEMU 7.2's hw/riscv/boot.c reset_vec.
        let qemu = [
            0x0000_0297,
            0x0282_8613,
            0xf140_2573,
            0x0202_b583,
            0x0182_b283,
            0x0002_8067,
        ];
        assert_eq!((0..6).map(word).collect::<Vec<_>>(), qemu);
        assert_eq!(
            u64::from_le_bytes(rom[24..32].try_into().unwrap()),
            0x8000_0000
        );
        assert_eq!(
            u64::from_le_bytes(rom[40..48].try_into().unwrap()),
            FW_DYNAMIC_MAGIC
        );
    }
}
