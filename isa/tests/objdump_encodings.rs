//! Every 16-bit parcel and a large sample of 32-bit words, disassembled by GNU objdump and by us:
//! the same text for each, an error from us exactly where objdump prints data, and every decoded
//! instruction re-encoding to its bits.

mod support;

use ospite_isa::OPS;
use support::{assemble_insns, compare_all, objdump};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 16) as u32
    }
}

#[test]
fn every_compressed_parcel_matches_objdump() {
    let parcels: Vec<u32> = (0..=0xffffu32).filter(|p| p & 3 != 3).collect();
    let lines = objdump(&assemble_insns("parcels", &parcels));
    assert_eq!(lines.len(), parcels.len());
    let n = compare_all(&lines);
    println!("compared {n} compressed parcels with objdump");
}

#[test]
fn random_operands_of_every_opcode_match_objdump() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut words = Vec::new();
    for info in OPS.iter() {
        for _ in 0..300 {
            words.push(info.mat | (rng.next() & !info.mask));
        }
    }
    let lines = objdump(&assemble_insns("ops", &words));
    assert_eq!(lines.len(), words.len());
    let n = compare_all(&lines);
    println!("compared {n} words with objdump");
}

#[test]
fn random_words_match_objdump() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let words: Vec<u32> = (0..200_000)
        .map(|_| rng.next() | 3)
        .filter(|w| w & 0x1c != 0x1c)
        .collect();
    let lines = objdump(&assemble_insns("random", &words));
    assert_eq!(lines.len(), words.len());
    let n = compare_all(&lines);
    println!("compared {n} random words with objdump");
}
