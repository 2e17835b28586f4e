//! The device tree of the actual board, written with `vm-fdt`, laid out as QEMU virt's: the
//! same node names, addresses, compatible strings, interrupt numbers and phandle wiring, so
//! firmware and kernels that run on QEMU find the same machine.

use vm_fdt::FdtWriter;

use crate::board::{map, Irq};
use crate::error::{Error, Result};

/// What the tree describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdtConfig {
    /// RAM's base and size.
    pub ram_base: u64,
    /// RAM's size in bytes.
    pub ram_size: u64,
    /// The number of harts.
    pub harts: u32,
    /// `riscv,isa`, such as `rv64imac_zicsr_zifencei`.
    pub isa: String,
    /// `mmu-type`, such as `riscv,sv39`.
    pub mmu_type: String,
    /// `/chosen/bootargs`.
    pub bootargs: Option<String>,
    /// `/chosen/linux,initrd-start` and `-end`.
    pub initrd: Option<(u64, u64)>,
}

const PHANDLE_TEST: u32 = 1;
const PHANDLE_PLIC: u32 = 2;
/// CPU `h` is `PHANDLE_CPU0 + 2h`, its interrupt controller one more.
const PHANDLE_CPU0: u32 = 16;

fn fdt_err(e: vm_fdt::Error) -> Error {
    Error::Fdt(e.to_string())
}

/// The flattened device tree blob.
pub fn build(cfg: &FdtConfig) -> Result<Vec<u8>> {
    write(cfg).map_err(fdt_err)
}

/// The length of `/chosen/rng-seed`, QEMU's.
pub const RNG_SEED_LEN: usize = 32;

/// Fresh bytes from the host's random source for `/chosen/rng-seed`, or none if it cannot be
/// read (the guest then gathers its own entropy, only later).
fn rng_seed() -> Option<[u8; RNG_SEED_LEN]> {
    use std::io::Read;
    let mut seed = [0u8; RNG_SEED_LEN];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .ok()?;
    Some(seed)
}

fn reg(base: u64, size: u64) -> [u64; 2] {
    [base, size]
}

fn write(cfg: &FdtConfig) -> std::result::Result<Vec<u8>, vm_fdt::Error> {
    let mut f = FdtWriter::new()?;
    let root = f.begin_node("")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_string("compatible", "riscv-virtio")?;
    f.property_string("model", "riscv-virtio,qemu")?;

    let chosen = f.begin_node("chosen")?;
    if let Some(args) = &cfg.bootargs {
        f.property_string("bootargs", args)?;
    }
    f.property_string("stdout-path", "/soc/serial@10000000")?;
    // As QEMU does: without a seed, Linux's random pool is ready only once the guest has
    // gathered entropy itself (about 31 s into a Debian boot), and whatever waits for it waits.
    if let Some(seed) = rng_seed() {
        f.property("rng-seed", &seed)?;
    }
    if let Some((start, end)) = cfg.initrd {
        f.property_u64("linux,initrd-start", start)?;
        f.property_u64("linux,initrd-end", end)?;
    }
    f.end_node(chosen)?;

    for (name, value) in [("poweroff", 0x5555u32), ("reboot", 0x7777)] {
        let n = f.begin_node(name)?;
        f.property_u32("value", value)?;
        f.property_u32("offset", 0)?;
        f.property_u32("regmap", PHANDLE_TEST)?;
        f.property_string("compatible", &format!("syscon-{name}"))?;
        f.end_node(n)?;
    }

    let mem = f.begin_node(&format!("memory@{:x}", cfg.ram_base))?;
    f.property_string("device_type", "memory")?;
    f.property_array_u64("reg", &reg(cfg.ram_base, cfg.ram_size))?;
    f.end_node(mem)?;

    let cpus = f.begin_node("cpus")?;
    f.property_u32("#address-cells", 1)?;
    f.property_u32("#size-cells", 0)?;
    f.property_u32(
        "timebase-frequency",
        crate::devices::clint::TIMEBASE_HZ as u32,
    )?;
    for h in 0..cfg.harts {
        let cpu = f.begin_node(&format!("cpu@{h}"))?;
        f.property_phandle(PHANDLE_CPU0 + 2 * h)?;
        f.property_string("device_type", "cpu")?;
        f.property_u32("reg", h)?;
        f.property_string("status", "okay")?;
        f.property_string("compatible", "riscv")?;
        f.property_string("riscv,isa", &cfg.isa)?;
        f.property_string("mmu-type", &cfg.mmu_type)?;
        let intc = f.begin_node("interrupt-controller")?;
        f.property_u32("#address-cells", 0)?;
        f.property_u32("#interrupt-cells", 1)?;
        f.property_null("interrupt-controller")?;
        f.property_string("compatible", "riscv,cpu-intc")?;
        f.property_phandle(PHANDLE_CPU0 + 2 * h + 1)?;
        f.end_node(intc)?;
        f.end_node(cpu)?;
    }
    let cpu_map = f.begin_node("cpu-map")?;
    let cluster = f.begin_node("cluster0")?;
    for h in 0..cfg.harts {
        let core = f.begin_node(&format!("core{h}"))?;
        f.property_u32("cpu", PHANDLE_CPU0 + 2 * h)?;
        f.end_node(core)?;
    }
    f.end_node(cluster)?;
    f.end_node(cpu_map)?;
    f.end_node(cpus)?;

    let soc = f.begin_node("soc")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_string("compatible", "simple-bus")?;
    f.property_null("ranges")?;

    let rtc = f.begin_node(&format!("rtc@{:x}", map::RTC))?;
    f.property_u32("interrupts", Irq::RTC)?;
    f.property_u32("interrupt-parent", PHANDLE_PLIC)?;
    f.property_array_u64("reg", &reg(map::RTC, 0x1000))?;
    f.property_string("compatible", "google,goldfish-rtc")?;
    f.end_node(rtc)?;

    let uart = f.begin_node(&format!("serial@{:x}", map::UART0))?;
    f.property_u32("interrupts", Irq::UART0)?;
    f.property_u32("interrupt-parent", PHANDLE_PLIC)?;
    f.property_u32("clock-frequency", 0x38_4000)?;
    f.property_array_u64("reg", &reg(map::UART0, 0x100))?;
    f.property_string("compatible", "ns16550a")?;
    f.end_node(uart)?;

    let test = f.begin_node(&format!("test@{:x}", map::TEST))?;
    f.property_phandle(PHANDLE_TEST)?;
    f.property_array_u64("reg", &reg(map::TEST, 0x1000))?;
    f.property_string_list(
        "compatible",
        vec![
            "sifive,test1".into(),
            "sifive,test0".into(),
            "syscon".into(),
        ],
    )?;
    f.end_node(test)?;

    for slot in (0..map::VIRTIO_SLOTS).rev() {
        let base = map::VIRTIO0 + slot * map::VIRTIO_STRIDE;
        let v = f.begin_node(&format!("virtio_mmio@{base:x}"))?;
        f.property_u32("interrupts", Irq::VIRTIO0 + slot as u32)?;
        f.property_u32("interrupt-parent", PHANDLE_PLIC)?;
        f.property_array_u64("reg", &reg(base, map::VIRTIO_STRIDE))?;
        f.property_string("compatible", "virtio,mmio")?;
        f.end_node(v)?;
    }

    let plic = f.begin_node(&format!("plic@{:x}", map::PLIC))?;
    f.property_phandle(PHANDLE_PLIC)?;
    f.property_u32("riscv,ndev", crate::devices::plic::NUM_SOURCES)?;
    f.property_array_u64("reg", &reg(map::PLIC, crate::devices::plic::SIZE))?;
    let mut ext = Vec::new();
    for h in 0..cfg.harts {
        ext.extend([PHANDLE_CPU0 + 2 * h + 1, 11, PHANDLE_CPU0 + 2 * h + 1, 9]);
    }
    f.property_array_u32("interrupts-extended", &ext)?;
    f.property_null("interrupt-controller")?;
    f.property_string_list(
        "compatible",
        vec!["sifive,plic-1.0.0".into(), "riscv,plic0".into()],
    )?;
    f.property_u32("#address-cells", 0)?;
    f.property_u32("#interrupt-cells", 1)?;
    f.end_node(plic)?;

    let clint = f.begin_node(&format!("clint@{:x}", map::CLINT))?;
    let mut ext = Vec::new();
    for h in 0..cfg.harts {
        ext.extend([PHANDLE_CPU0 + 2 * h + 1, 3, PHANDLE_CPU0 + 2 * h + 1, 7]);
    }
    f.property_array_u32("interrupts-extended", &ext)?;
    f.property_array_u64("reg", &reg(map::CLINT, 0x10000))?;
    f.property_string_list(
        "compatible",
        vec!["sifive,clint0".into(), "riscv,clint0".into()],
    )?;
    f.end_node(clint)?;

    f.end_node(soc)?;
    f.end_node(root)?;
    f.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> FdtConfig {
        FdtConfig {
            ram_base: 0x8000_0000,
            ram_size: 128 << 20,
            harts: 1,
            isa: "rv64imafdc".into(),
            mmu_type: "riscv,sv39".into(),
            bootargs: Some("console=ttyS0".into()),
            initrd: None,
        }
    }

    /// Two trees of one board differ only in their seeds: one run of at most
    /// [`RNG_SEED_LEN`] bytes (equal bytes at its ends shorten it).
    #[test]
    fn each_tree_has_its_own_rng_seed_and_nothing_else_differs() {
        let (a, b) = (build(&config()).unwrap(), build(&config()).unwrap());
        assert_eq!(a.len(), b.len());
        let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        let (first, last) = (differ[0], differ[differ.len() - 1]);
        assert!(last - first < RNG_SEED_LEN, "{first}..={last}");
    }

    #[test]
    fn chosen_has_a_rng_seed_of_eight_cells_as_qemu_gives() {
        let blob = build(&config()).unwrap();
        let mut dtc = std::process::Command::new("dtc")
            .args(["-I", "dtb", "-O", "dts", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("dtc (Debian's device-tree-compiler) is installed");
        std::io::Write::write_all(&mut dtc.stdin.take().unwrap(), &blob).unwrap();
        let out = dtc.wait_with_output().unwrap();
        let dts = String::from_utf8_lossy(&out.stdout);
        let line = dts
            .lines()
            .find(|l| l.trim_start().starts_with("rng-seed = <"))
            .unwrap_or_else(|| panic!("no rng-seed in\n{dts}"));
        assert_eq!(line.matches("0x").count(), RNG_SEED_LEN / 4, "{line}");
    }
}
