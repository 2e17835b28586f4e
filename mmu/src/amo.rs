//! Atomic memory operations (the A extension's AMOs) and LR/SC reservations.

use crate::access::AccessSize;
use crate::addr::PhysAddr;

/// The read-modify-write operation of an AMO instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AmoOp {
    /// `amoswap`: store the operand.
    Swap,
    /// `amoadd`: wrapping add.
    Add,
    /// `amoand`: bitwise and.
    And,
    /// `amoor`: bitwise or.
    Or,
    /// `amoxor`: bitwise exclusive or.
    Xor,
    /// `amomin`: signed minimum.
    Min,
    /// `amomax`: signed maximum.
    Max,
    /// `amominu`: unsigned minimum.
    MinU,
    /// `amomaxu`: unsigned maximum.
    MaxU,
}

impl AmoOp {
    /// The value an AMO stores, given the old memory value and the register operand, both
    /// zero-extended raw bits of `size` bytes. The result is zero-extended to 64 bits.
    ///
    /// Used for AMOs on devices (done under the device lock) and as the reference for RAM.
    pub fn apply(self, size: AccessSize, old: u64, operand: u64) -> u64 {
        let mask = size.value_mask();
        let (old, operand) = (old & mask, operand & mask);
        let bits = 64 - 8 * size.bytes() as u32;
        let signed = |v: u64| ((v << bits) as i64) >> bits;
        let new = match self {
            AmoOp::Swap => operand,
            AmoOp::Add => old.wrapping_add(operand),
            AmoOp::And => old & operand,
            AmoOp::Or => old | operand,
            AmoOp::Xor => old ^ operand,
            AmoOp::Min => signed(old).min(signed(operand)) as u64,
            AmoOp::Max => signed(old).max(signed(operand)) as u64,
            AmoOp::MinU => old.min(operand),
            AmoOp::MaxU => old.max(operand),
        };
        new & mask
    }
}

/// An LR reservation, kept by the hart between an LR and its SC.
///
/// The SC succeeds if memory still holds `value` at `addr`: it is a compare-and-swap against the
/// value the LR saw, as QEMU does. This is correct across host threads; like QEMU it cannot see
/// an "ABA" store that writes the value back, which no RISC-V program can tell apart from a
/// reservation that was not broken except by timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reservation {
    /// The physical address the LR read.
    pub addr: PhysAddr,
    /// The width of the LR (4 or 8 bytes).
    pub size: AccessSize,
    /// The value the LR read (zero-extended raw bits).
    pub value: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_min_compares_signed_32_bit_values() {
        assert_eq!(
            AmoOp::Min.apply(AccessSize::B4, 0xffff_ffff, 1),
            0xffff_ffff
        );
    }

    #[test]
    fn word_maxu_compares_unsigned_32_bit_values() {
        assert_eq!(
            AmoOp::MaxU.apply(AccessSize::B4, 0xffff_ffff, 1),
            0xffff_ffff
        );
    }

    #[test]
    fn word_add_wraps_at_32_bits() {
        assert_eq!(AmoOp::Add.apply(AccessSize::B4, 0xffff_ffff, 2), 1);
    }

    #[test]
    fn double_max_compares_signed() {
        assert_eq!(AmoOp::Max.apply(AccessSize::B8, u64::MAX, 5), 5);
    }
}
