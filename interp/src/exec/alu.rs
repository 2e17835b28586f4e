//! Integer arithmetic: RV64I, M, Zba, Zbb, Zbc, Zbs and Zicond, as pure functions.

use ospite_isa::Op;

#[inline]
fn sext32(v: u64) -> u64 {
    v as i32 as i64 as u64
}

/// The result of an integer instruction of class `Alu` or `Upper`-free `Alu`: `a` is `rs1`,
/// `b` is `rs2` or the sign-extended immediate (shift amount for shifts). `None` if `op` is not
/// an ALU operation.
#[inline]
pub fn alu(op: Op, a: u64, b: u64) -> Option<u64> {
    use Op::*;
    let (sa, sb) = (a as i64, b as i64);
    Some(match op {
        Add | Addi => a.wrapping_add(b),
        Sub => a.wrapping_sub(b),
        Sll | Slli => a << (b & 63),
        Slt | Slti => u64::from(sa < sb),
        Sltu | Sltiu => u64::from(a < b),
        Xor | Xori => a ^ b,
        Srl | Srli => a >> (b & 63),
        Sra | Srai => (sa >> (b & 63)) as u64,
        Or | Ori => a | b,
        And | Andi => a & b,
        Addw | Addiw => sext32(a.wrapping_add(b)),
        Subw => sext32(a.wrapping_sub(b)),
        Sllw | Slliw => sext32(((a as u32) << (b & 31)) as u64),
        Srlw | Srliw => sext32(((a as u32) >> (b & 31)) as u64),
        Sraw | Sraiw => ((a as i32) >> (b & 31)) as i64 as u64,
        // M
        Mul => a.wrapping_mul(b),
        Mulh => ((i128::from(sa) * i128::from(sb)) >> 64) as u64,
        Mulhsu => ((i128::from(sa) * (b as i128)) >> 64) as u64,
        Mulhu => ((u128::from(a) * u128::from(b)) >> 64) as u64,
        Div => {
            if b == 0 {
                u64::MAX
            } else {
                sa.wrapping_div(sb) as u64
            }
        }
        Divu => a.checked_div(b).unwrap_or(u64::MAX),
        Rem => {
            if b == 0 {
                a
            } else {
                sa.wrapping_rem(sb) as u64
            }
        }
        Remu => {
            if b == 0 {
                a
            } else {
                a % b
            }
        }
        Mulw => sext32((a as u32).wrapping_mul(b as u32) as u64),
        Divw => {
            let (x, y) = (a as i32, b as i32);
            if y == 0 {
                u64::MAX
            } else {
                x.wrapping_div(y) as i64 as u64
            }
        }
        Divuw => {
            let (x, y) = (a as u32, b as u32);
            match x.checked_div(y) {
                Some(q) => sext32(q as u64),
                None => u64::MAX,
            }
        }
        Remw => {
            let (x, y) = (a as i32, b as i32);
            if y == 0 {
                x as i64 as u64
            } else {
                x.wrapping_rem(y) as i64 as u64
            }
        }
        Remuw => {
            let (x, y) = (a as u32, b as u32);
            if y == 0 {
                sext32(x as u64)
            } else {
                sext32((x % y) as u64)
            }
        }
        // Zba
        AddUw => (a & 0xffff_ffff).wrapping_add(b),
        Sh1add => (a << 1).wrapping_add(b),
        Sh2add => (a << 2).wrapping_add(b),
        Sh3add => (a << 3).wrapping_add(b),
        Sh1addUw => ((a & 0xffff_ffff) << 1).wrapping_add(b),
        Sh2addUw => ((a & 0xffff_ffff) << 2).wrapping_add(b),
        Sh3addUw => ((a & 0xffff_ffff) << 3).wrapping_add(b),
        SlliUw => (a & 0xffff_ffff) << (b & 63),
        // Zbb
        Andn => a & !b,
        Orn => a | !b,
        Xnor => !(a ^ b),
        Clz => u64::from(a.leading_zeros()),
        Ctz => u64::from(a.trailing_zeros()),
        Cpop => u64::from(a.count_ones()),
        Clzw => u64::from((a as u32).leading_zeros()),
        Ctzw => u64::from((a as u32).trailing_zeros()),
        Cpopw => u64::from((a as u32).count_ones()),
        Max => sa.max(sb) as u64,
        Maxu => a.max(b),
        Min => sa.min(sb) as u64,
        Minu => a.min(b),
        SextB => a as i8 as i64 as u64,
        SextH => a as i16 as i64 as u64,
        ZextH => a & 0xffff,
        Rol => a.rotate_left((b & 63) as u32),
        Ror | Rori => a.rotate_right((b & 63) as u32),
        Rolw => sext32((a as u32).rotate_left((b & 31) as u32) as u64),
        Rorw | Roriw => sext32((a as u32).rotate_right((b & 31) as u32) as u64),
        OrcB => {
            let mut r = 0;
            for i in 0..8 {
                if (a >> (8 * i)) & 0xff != 0 {
                    r |= 0xff << (8 * i);
                }
            }
            r
        }
        Rev8 => a.swap_bytes(),
        // Zbc
        Clmul => clmul(a, b) as u64,
        Clmulh => (clmul(a, b) >> 64) as u64,
        Clmulr => (clmul(a, b) >> 63) as u64,
        // Zbs
        Bclr | Bclri => a & !(1 << (b & 63)),
        Bext | Bexti => (a >> (b & 63)) & 1,
        Binv | Binvi => a ^ (1 << (b & 63)),
        Bset | Bseti => a | (1 << (b & 63)),
        // Zicond
        CzeroEqz => {
            if b == 0 {
                0
            } else {
                a
            }
        }
        CzeroNez => {
            if b != 0 {
                0
            } else {
                a
            }
        }
        _ => return None,
    })
}

/// The full 128-bit carry-less product.
#[inline]
fn clmul(a: u64, b: u64) -> u128 {
    let mut r = 0u128;
    for i in 0..64 {
        if (b >> i) & 1 != 0 {
            r ^= u128::from(a) << i;
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn div_by_zero_gives_all_ones_and_rem_gives_dividend() {
        assert_eq!(
            [
                alu(Op::Div, 7, 0),
                alu(Op::Divu, 7, 0),
                alu(Op::Rem, 7, 0),
                alu(Op::Remu, 7, 0),
                alu(Op::Divw, 7, 0),
                alu(Op::Remw, 0x1_8000_0000, 0),
            ],
            [
                Some(u64::MAX),
                Some(u64::MAX),
                Some(7),
                Some(7),
                Some(u64::MAX),
                Some(0xffff_ffff_8000_0000)
            ]
        );
    }

    #[test]
    fn signed_overflow_division_returns_dividend_and_zero_remainder() {
        let min = i64::MIN as u64;
        let m1 = u64::MAX;
        assert_eq!(
            [
                alu(Op::Div, min, m1),
                alu(Op::Rem, min, m1),
                alu(Op::Divw, 0x8000_0000, m1),
                alu(Op::Remw, 0x8000_0000, m1)
            ],
            [Some(min), Some(0), Some(0xffff_ffff_8000_0000), Some(0)]
        );
    }

    #[test]
    fn clmul_family_matches_spec_examples() {
        assert_eq!(
            [
                alu(Op::Clmul, 0b1011, 0b11),
                alu(Op::Clmulh, 1 << 63, 1 << 63),
                alu(Op::Clmulr, 1 << 63, 1 << 63)
            ],
            [Some(0b11101), Some(1 << 62), Some(1 << 63)]
        );
    }

    #[test]
    fn mulhsu_treats_rs2_as_unsigned() {
        assert_eq!(alu(Op::Mulhsu, u64::MAX, u64::MAX), Some(u64::MAX));
    }

    #[test]
    fn non_alu_op_is_none() {
        assert_eq!(alu(Op::Ld, 1, 2), None);
    }
}
