//! Lists the block a raw RISC-V image holds at an address: its guest instructions, its terminal
//! and the x86-64 code the translator makes of it, as `ospite_dbt::explain` does.
//!
//! `cargo run -p ospite-dbt --example explain -- IMAGE.bin LOAD_ADDR PC [PC...]`
//! (addresses in hex, e.g. `0x80000000`; the image is raw bytes loaded at `LOAD_ADDR`).

use ospite_dbt::explain;
use ospite_isa::Extensions;
use ospite_mmu::{GuestRam, MemoryMap, PhysAddr};
use std::sync::Arc;

fn hex(s: &str) -> Result<u64, String> {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| format!("{s}: {e}"))
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [image, load, pcs @ ..] = args.as_slice() else {
        return Err("usage: explain IMAGE.bin LOAD_ADDR PC [PC...]".into());
    };
    let bytes = std::fs::read(image).map_err(|e| format!("{image}: {e}"))?;
    let load = hex(load)?;
    let size = (bytes.len() as u64 + 0xfff) & !0xfff;
    let ram = Arc::new(GuestRam::new(size.max(0x1000)).map_err(|e| e.to_string())?);
    let map = MemoryMap::builder()
        .ram("ram", PhysAddr(load), ram)
        .build()
        .map_err(|e| e.to_string())?;
    map.write_bytes(PhysAddr(load), &bytes)
        .map_err(|e| format!("{image}: {e:?}"))?;
    for pc in pcs {
        let pc = hex(pc)?;
        let e = explain(&map, pc, pc, Extensions::ALL, 64);
        println!("guest:");
        for line in &e.guest {
            println!("  {line}");
        }
        println!("then: {}", e.terminal);
        println!(
            "host: {} instructions, {} bytes",
            e.host_insts, e.code_bytes
        );
        for line in &e.host {
            println!("  {line}");
        }
    }
    Ok(())
}
