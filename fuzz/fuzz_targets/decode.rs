//! Fuzz target `decode`: for any bytes, decoding never panics, printing never panics, and every
//! instruction that decodes encodes back to exactly its bits and decodes again to itself.

#![no_main]

use std::fmt::Write as _;

use libfuzzer_sys::fuzz_target;
use ospite_isa::{decode, decode_bytes, decode_compressed, Extensions};

/// The decoder settings tried on every input.
const SETTINGS: [Extensions; 4] = [
    Extensions::ALL,
    Extensions::RV64GC,
    Extensions::RV64IMAC,
    Extensions::RV64I,
];

fuzz_target!(|data: &[u8]| {
    let mut text = String::new();
    for ext in SETTINGS {
        // Walk the bytes as an instruction stream, as a front end would.
        let mut at = 0;
        while at < data.len() {
            let step = match decode_bytes(&data[at..], ext) {
                Ok(inst) => {
                    check(inst, ext, at as u64, &mut text);
                    inst.size() as usize
                }
                Err(e) => {
                    text.clear();
                    let _ = write!(text, "{e}");
                    2
                }
            };
            at += step;
        }
        // Every 32-bit window and every 16-bit window, directly.
        for w in data.windows(4) {
            let bits = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            if let Ok(inst) = decode(bits, ext) {
                check(inst, ext, u64::from(bits), &mut text);
            }
        }
        for w in data.windows(2) {
            let parcel = u16::from_le_bytes([w[0], w[1]]);
            if let Ok(inst) = decode_compressed(parcel, ext) {
                check(inst, ext, u64::from(parcel), &mut text);
                assert_eq!(inst.size(), 2);
            }
        }
    }
});

/// Prints `inst` and checks that it re-encodes to bits that decode to it again.
fn check(inst: ospite_isa::Inst, ext: Extensions, pc: u64, text: &mut String) {
    text.clear();
    let _ = write!(text, "{}", inst.display(pc));
    let _ = write!(text, "{inst} {inst:?}");
    let bits = inst
        .encode()
        .unwrap_or_else(|e| panic!("{inst:?} decoded but does not encode: {e}"));
    let again = decode(bits, ext).unwrap_or_else(|e| panic!("{inst:?} -> {bits:#x}: {e}"));
    assert_eq!(again, inst, "{bits:#x} decodes differently");
    assert_eq!(again.encode(), Ok(bits));
}
