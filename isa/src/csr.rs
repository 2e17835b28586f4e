//! CSR numbers and names: the names objdump (binutils 2.40) prints under each privileged spec
//! version it knows, so a disassembled CSR instruction reads the same in both. Objdump names
//! CSRs by the version an ELF's attributes ask for (Debian's OpenSBI and U-Boot say 1.11), 1.12
//! when they say nothing.

use core::fmt;

/// A control and status register number, 0 to 0xfff.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct Csr(pub u16);

impl Csr {
    /// The CSR's name under privileged spec 1.12, if it has one.
    pub fn name(self) -> Option<&'static str> {
        self.name_in(PrivSpec::V1_12)
    }

    /// The CSR's name under privileged spec `spec`, if it has one.
    pub fn name_in(self, spec: PrivSpec) -> Option<&'static str> {
        let first = NAMES.partition_point(|&(n, _, _)| n < self.0);
        NAMES[first..]
            .iter()
            .take_while(|&&(n, _, _)| n == self.0)
            .find(|&&(_, _, specs)| specs & spec.bit() != 0)
            .map(|&(_, name, _)| name)
    }

    /// The CSR with this name under privileged spec 1.12.
    pub fn from_name(name: &str) -> Option<Csr> {
        NAMES
            .iter()
            .find(|&&(_, n, specs)| n == name && specs & PrivSpec::V1_12.bit() != 0)
            .map(|&(num, _, _)| Csr(num))
    }

    /// This CSR printed as objdump prints it under `spec`: its name, or its number in hex.
    pub fn display_in(self, spec: PrivSpec) -> CsrName {
        CsrName(self, spec)
    }

    /// Whether the CSR is read-only (number bits 11:10 are `11`).
    #[inline]
    pub const fn is_read_only(self) -> bool {
        self.0 >> 10 == 3
    }

    /// The lowest privilege level that may access the CSR (number bits 9:8): 0 user,
    /// 1 supervisor, 2 hypervisor, 3 machine.
    #[inline]
    pub const fn min_privilege(self) -> u8 {
        ((self.0 >> 8) & 3) as u8
    }
}

impl fmt::Display for Csr {
    /// The 1.12 name, or the number in hex as objdump prints an unnamed CSR.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.display_in(PrivSpec::V1_12).fmt(f)
    }
}

/// A version of the privileged spec, which decides some CSR names.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum PrivSpec {
    /// Version 1.9.1.
    V1_9_1,
    /// Version 1.10.
    V1_10,
    /// Version 1.11 (user-mode trap CSRs such as `ustatus` still named).
    V1_11,
    /// Version 1.12, the default.
    #[default]
    V1_12,
}

impl PrivSpec {
    const fn bit(self) -> u8 {
        1 << self as u8
    }

    /// The version with this major, minor and revision number, as an ELF's
    /// `Tag_RISCV_priv_spec*` attributes give them.
    pub const fn from_version(major: u64, minor: u64, revision: u64) -> Option<PrivSpec> {
        match (major, minor, revision) {
            (1, 9, 1) => Some(PrivSpec::V1_9_1),
            (1, 10, 0) => Some(PrivSpec::V1_10),
            (1, 11, 0) => Some(PrivSpec::V1_11),
            (1, 12, 0) => Some(PrivSpec::V1_12),
            _ => None,
        }
    }
}

/// A CSR as objdump prints it under one privileged spec version.
#[derive(Clone, Copy, Debug)]
pub struct CsrName(Csr, PrivSpec);

impl fmt::Display for CsrName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.name_in(self.1) {
            Some(name) => f.write_str(name),
            None => write!(f, "0x{:x}", self.0 .0),
        }
    }
}

#[allow(missing_docs)]
impl Csr {
    pub const FFLAGS: Csr = Csr(0x001);
    pub const FRM: Csr = Csr(0x002);
    pub const FCSR: Csr = Csr(0x003);
    pub const CYCLE: Csr = Csr(0xc00);
    pub const TIME: Csr = Csr(0xc01);
    pub const INSTRET: Csr = Csr(0xc02);
    pub const SSTATUS: Csr = Csr(0x100);
    pub const SIE: Csr = Csr(0x104);
    pub const STVEC: Csr = Csr(0x105);
    pub const SCOUNTEREN: Csr = Csr(0x106);
    pub const SENVCFG: Csr = Csr(0x10a);
    pub const SSCRATCH: Csr = Csr(0x140);
    pub const SEPC: Csr = Csr(0x141);
    pub const SCAUSE: Csr = Csr(0x142);
    pub const STVAL: Csr = Csr(0x143);
    pub const SIP: Csr = Csr(0x144);
    pub const SATP: Csr = Csr(0x180);
    pub const STIMECMP: Csr = Csr(0x14d);
    pub const MVENDORID: Csr = Csr(0xf11);
    pub const MARCHID: Csr = Csr(0xf12);
    pub const MIMPID: Csr = Csr(0xf13);
    pub const MHARTID: Csr = Csr(0xf14);
    pub const MCONFIGPTR: Csr = Csr(0xf15);
    pub const MSTATUS: Csr = Csr(0x300);
    pub const MISA: Csr = Csr(0x301);
    pub const MEDELEG: Csr = Csr(0x302);
    pub const MIDELEG: Csr = Csr(0x303);
    pub const MIE: Csr = Csr(0x304);
    pub const MTVEC: Csr = Csr(0x305);
    pub const MCOUNTEREN: Csr = Csr(0x306);
    pub const MENVCFG: Csr = Csr(0x30a);
    pub const MSCRATCH: Csr = Csr(0x340);
    pub const MEPC: Csr = Csr(0x341);
    pub const MCAUSE: Csr = Csr(0x342);
    pub const MTVAL: Csr = Csr(0x343);
    pub const MIP: Csr = Csr(0x344);
    pub const MCYCLE: Csr = Csr(0xb00);
    pub const MINSTRET: Csr = Csr(0xb02);
    pub const PMPCFG0: Csr = Csr(0x3a0);
    pub const PMPCFG2: Csr = Csr(0x3a2);
    pub const PMPADDR0: Csr = Csr(0x3b0);
    pub const MCOUNTINHIBIT: Csr = Csr(0x320);
    pub const TSELECT: Csr = Csr(0x7a0);
    pub const TDATA1: Csr = Csr(0x7a1);
    pub const DCSR: Csr = Csr(0x7b0);
    pub const DPC: Csr = Csr(0x7b1);
}

/// Every CSR name, sorted by number, with the spec versions using it (bit 0 for 1.9.1 up to
/// bit 3 for 1.12), as objdump 2.40 prints them with `-M priv-spec=`.
static NAMES: [(u16, &str, u8); 430] = [
    (0x000, "ustatus", 0b0111),
    (0x001, "fflags", 0b1111),
    (0x002, "frm", 0b1111),
    (0x003, "fcsr", 0b1111),
    (0x004, "uie", 0b0111),
    (0x005, "utvec", 0b0111),
    (0x008, "vstart", 0b1111),
    (0x009, "vxsat", 0b1111),
    (0x00a, "vxrm", 0b1111),
    (0x00f, "vcsr", 0b1111),
    (0x015, "seed", 0b1111),
    (0x040, "uscratch", 0b0111),
    (0x041, "uepc", 0b0111),
    (0x042, "ucause", 0b0111),
    (0x043, "ubadaddr", 0b0001),
    (0x043, "utval", 0b0110),
    (0x044, "uip", 0b0111),
    (0x100, "sstatus", 0b1111),
    (0x102, "sedeleg", 0b0111),
    (0x103, "sideleg", 0b0111),
    (0x104, "sie", 0b1111),
    (0x105, "stvec", 0b1111),
    (0x106, "scounteren", 0b1110),
    (0x10a, "senvcfg", 0b1000),
    (0x10c, "sstateen0", 0b1111),
    (0x10d, "sstateen1", 0b1111),
    (0x10e, "sstateen2", 0b1111),
    (0x10f, "sstateen3", 0b1111),
    (0x114, "sieh", 0b1111),
    (0x140, "sscratch", 0b1111),
    (0x141, "sepc", 0b1111),
    (0x142, "scause", 0b1111),
    (0x143, "sbadaddr", 0b0001),
    (0x143, "stval", 0b1110),
    (0x144, "sip", 0b1111),
    (0x14d, "stimecmp", 0b1111),
    (0x150, "siselect", 0b1111),
    (0x151, "sireg", 0b1111),
    (0x154, "siph", 0b1111),
    (0x15c, "stopei", 0b1111),
    (0x15d, "stimecmph", 0b1111),
    (0x180, "satp", 0b1110),
    (0x180, "sptbr", 0b0001),
    (0x200, "vsstatus", 0b1111),
    (0x204, "vsie", 0b1111),
    (0x205, "vstvec", 0b1111),
    (0x214, "vsieh", 0b1111),
    (0x240, "vsscratch", 0b1111),
    (0x241, "vsepc", 0b1111),
    (0x242, "vscause", 0b1111),
    (0x243, "vstval", 0b1111),
    (0x244, "vsip", 0b1111),
    (0x24d, "vstimecmp", 0b1111),
    (0x250, "vsiselect", 0b1111),
    (0x251, "vsireg", 0b1111),
    (0x254, "vsiph", 0b1111),
    (0x25c, "vstopei", 0b1111),
    (0x25d, "vstimecmph", 0b1111),
    (0x280, "vsatp", 0b1111),
    (0x300, "mstatus", 0b1111),
    (0x301, "misa", 0b1111),
    (0x302, "medeleg", 0b1111),
    (0x303, "mideleg", 0b1111),
    (0x304, "mie", 0b1111),
    (0x305, "mtvec", 0b1111),
    (0x306, "mcounteren", 0b1110),
    (0x308, "mvien", 0b1111),
    (0x309, "mvip", 0b1111),
    (0x30a, "menvcfg", 0b1000),
    (0x30c, "mstateen0", 0b1111),
    (0x30d, "mstateen1", 0b1111),
    (0x30e, "mstateen2", 0b1111),
    (0x30f, "mstateen3", 0b1111),
    (0x310, "mstatush", 0b1000),
    (0x313, "midelegh", 0b1111),
    (0x314, "mieh", 0b1111),
    (0x318, "mvienh", 0b1111),
    (0x319, "mviph", 0b1111),
    (0x31a, "menvcfgh", 0b1000),
    (0x31c, "mstateen0h", 0b1111),
    (0x31d, "mstateen1h", 0b1111),
    (0x31e, "mstateen2h", 0b1111),
    (0x31f, "mstateen3h", 0b1111),
    (0x320, "mcountinhibit", 0b1100),
    (0x320, "mucounteren", 0b0001),
    (0x321, "mscounteren", 0b0001),
    (0x322, "mhcounteren", 0b0001),
    (0x323, "mhpmevent3", 0b1111),
    (0x324, "mhpmevent4", 0b1111),
    (0x325, "mhpmevent5", 0b1111),
    (0x326, "mhpmevent6", 0b1111),
    (0x327, "mhpmevent7", 0b1111),
    (0x328, "mhpmevent8", 0b1111),
    (0x329, "mhpmevent9", 0b1111),
    (0x32a, "mhpmevent10", 0b1111),
    (0x32b, "mhpmevent11", 0b1111),
    (0x32c, "mhpmevent12", 0b1111),
    (0x32d, "mhpmevent13", 0b1111),
    (0x32e, "mhpmevent14", 0b1111),
    (0x32f, "mhpmevent15", 0b1111),
    (0x330, "mhpmevent16", 0b1111),
    (0x331, "mhpmevent17", 0b1111),
    (0x332, "mhpmevent18", 0b1111),
    (0x333, "mhpmevent19", 0b1111),
    (0x334, "mhpmevent20", 0b1111),
    (0x335, "mhpmevent21", 0b1111),
    (0x336, "mhpmevent22", 0b1111),
    (0x337, "mhpmevent23", 0b1111),
    (0x338, "mhpmevent24", 0b1111),
    (0x339, "mhpmevent25", 0b1111),
    (0x33a, "mhpmevent26", 0b1111),
    (0x33b, "mhpmevent27", 0b1111),
    (0x33c, "mhpmevent28", 0b1111),
    (0x33d, "mhpmevent29", 0b1111),
    (0x33e, "mhpmevent30", 0b1111),
    (0x33f, "mhpmevent31", 0b1111),
    (0x340, "mscratch", 0b1111),
    (0x341, "mepc", 0b1111),
    (0x342, "mcause", 0b1111),
    (0x343, "mbadaddr", 0b0001),
    (0x343, "mtval", 0b1110),
    (0x344, "mip", 0b1111),
    (0x34a, "mtinst", 0b1000),
    (0x34b, "mtval2", 0b1000),
    (0x350, "miselect", 0b1111),
    (0x351, "mireg", 0b1111),
    (0x354, "miph", 0b1111),
    (0x35c, "mtopei", 0b1111),
    (0x380, "mbase", 0b0001),
    (0x381, "mbound", 0b0001),
    (0x382, "mibase", 0b0001),
    (0x383, "mibound", 0b0001),
    (0x384, "mdbase", 0b0001),
    (0x385, "mdbound", 0b0001),
    (0x3a0, "pmpcfg0", 0b1110),
    (0x3a1, "pmpcfg1", 0b1110),
    (0x3a2, "pmpcfg2", 0b1110),
    (0x3a3, "pmpcfg3", 0b1110),
    (0x3a4, "pmpcfg4", 0b1000),
    (0x3a5, "pmpcfg5", 0b1000),
    (0x3a6, "pmpcfg6", 0b1000),
    (0x3a7, "pmpcfg7", 0b1000),
    (0x3a8, "pmpcfg8", 0b1000),
    (0x3a9, "pmpcfg9", 0b1000),
    (0x3aa, "pmpcfg10", 0b1000),
    (0x3ab, "pmpcfg11", 0b1000),
    (0x3ac, "pmpcfg12", 0b1000),
    (0x3ad, "pmpcfg13", 0b1000),
    (0x3ae, "pmpcfg14", 0b1000),
    (0x3af, "pmpcfg15", 0b1000),
    (0x3b0, "pmpaddr0", 0b1110),
    (0x3b1, "pmpaddr1", 0b1110),
    (0x3b2, "pmpaddr2", 0b1110),
    (0x3b3, "pmpaddr3", 0b1110),
    (0x3b4, "pmpaddr4", 0b1110),
    (0x3b5, "pmpaddr5", 0b1110),
    (0x3b6, "pmpaddr6", 0b1110),
    (0x3b7, "pmpaddr7", 0b1110),
    (0x3b8, "pmpaddr8", 0b1110),
    (0x3b9, "pmpaddr9", 0b1110),
    (0x3ba, "pmpaddr10", 0b1110),
    (0x3bb, "pmpaddr11", 0b1110),
    (0x3bc, "pmpaddr12", 0b1110),
    (0x3bd, "pmpaddr13", 0b1110),
    (0x3be, "pmpaddr14", 0b1110),
    (0x3bf, "pmpaddr15", 0b1110),
    (0x3c0, "pmpaddr16", 0b1000),
    (0x3c1, "pmpaddr17", 0b1000),
    (0x3c2, "pmpaddr18", 0b1000),
    (0x3c3, "pmpaddr19", 0b1000),
    (0x3c4, "pmpaddr20", 0b1000),
    (0x3c5, "pmpaddr21", 0b1000),
    (0x3c6, "pmpaddr22", 0b1000),
    (0x3c7, "pmpaddr23", 0b1000),
    (0x3c8, "pmpaddr24", 0b1000),
    (0x3c9, "pmpaddr25", 0b1000),
    (0x3ca, "pmpaddr26", 0b1000),
    (0x3cb, "pmpaddr27", 0b1000),
    (0x3cc, "pmpaddr28", 0b1000),
    (0x3cd, "pmpaddr29", 0b1000),
    (0x3ce, "pmpaddr30", 0b1000),
    (0x3cf, "pmpaddr31", 0b1000),
    (0x3d0, "pmpaddr32", 0b1000),
    (0x3d1, "pmpaddr33", 0b1000),
    (0x3d2, "pmpaddr34", 0b1000),
    (0x3d3, "pmpaddr35", 0b1000),
    (0x3d4, "pmpaddr36", 0b1000),
    (0x3d5, "pmpaddr37", 0b1000),
    (0x3d6, "pmpaddr38", 0b1000),
    (0x3d7, "pmpaddr39", 0b1000),
    (0x3d8, "pmpaddr40", 0b1000),
    (0x3d9, "pmpaddr41", 0b1000),
    (0x3da, "pmpaddr42", 0b1000),
    (0x3db, "pmpaddr43", 0b1000),
    (0x3dc, "pmpaddr44", 0b1000),
    (0x3dd, "pmpaddr45", 0b1000),
    (0x3de, "pmpaddr46", 0b1000),
    (0x3df, "pmpaddr47", 0b1000),
    (0x3e0, "pmpaddr48", 0b1000),
    (0x3e1, "pmpaddr49", 0b1000),
    (0x3e2, "pmpaddr50", 0b1000),
    (0x3e3, "pmpaddr51", 0b1000),
    (0x3e4, "pmpaddr52", 0b1000),
    (0x3e5, "pmpaddr53", 0b1000),
    (0x3e6, "pmpaddr54", 0b1000),
    (0x3e7, "pmpaddr55", 0b1000),
    (0x3e8, "pmpaddr56", 0b1000),
    (0x3e9, "pmpaddr57", 0b1000),
    (0x3ea, "pmpaddr58", 0b1000),
    (0x3eb, "pmpaddr59", 0b1000),
    (0x3ec, "pmpaddr60", 0b1000),
    (0x3ed, "pmpaddr61", 0b1000),
    (0x3ee, "pmpaddr62", 0b1000),
    (0x3ef, "pmpaddr63", 0b1000),
    (0x5a8, "scontext", 0b1111),
    (0x600, "hstatus", 0b1111),
    (0x602, "hedeleg", 0b1111),
    (0x603, "hideleg", 0b1111),
    (0x604, "hie", 0b1111),
    (0x605, "htimedelta", 0b1111),
    (0x606, "hcounteren", 0b1111),
    (0x607, "hgeie", 0b1111),
    (0x608, "hvien", 0b1111),
    (0x609, "hvictl", 0b1111),
    (0x60a, "henvcfg", 0b1111),
    (0x60c, "hstateen0", 0b1111),
    (0x60d, "hstateen1", 0b1111),
    (0x60e, "hstateen2", 0b1111),
    (0x60f, "hstateen3", 0b1111),
    (0x613, "hidelegh", 0b1111),
    (0x615, "htimedeltah", 0b1111),
    (0x618, "hvienh", 0b1111),
    (0x61a, "henvcfgh", 0b1111),
    (0x61c, "hstateen0h", 0b1111),
    (0x61d, "hstateen1h", 0b1111),
    (0x61e, "hstateen2h", 0b1111),
    (0x61f, "hstateen3h", 0b1111),
    (0x643, "htval", 0b1111),
    (0x644, "hip", 0b1111),
    (0x645, "hvip", 0b1111),
    (0x646, "hviprio1", 0b1111),
    (0x647, "hviprio2", 0b1111),
    (0x64a, "htinst", 0b1111),
    (0x655, "hviph", 0b1111),
    (0x656, "hviprio1h", 0b1111),
    (0x657, "hviprio2h", 0b1111),
    (0x680, "hgatp", 0b1111),
    (0x6a8, "hcontext", 0b1111),
    (0x723, "mhpmevent3h", 0b1111),
    (0x724, "mhpmevent4h", 0b1111),
    (0x725, "mhpmevent5h", 0b1111),
    (0x726, "mhpmevent6h", 0b1111),
    (0x727, "mhpmevent7h", 0b1111),
    (0x728, "mhpmevent8h", 0b1111),
    (0x729, "mhpmevent9h", 0b1111),
    (0x72a, "mhpmevent10h", 0b1111),
    (0x72b, "mhpmevent11h", 0b1111),
    (0x72c, "mhpmevent12h", 0b1111),
    (0x72d, "mhpmevent13h", 0b1111),
    (0x72e, "mhpmevent14h", 0b1111),
    (0x72f, "mhpmevent15h", 0b1111),
    (0x730, "mhpmevent16h", 0b1111),
    (0x731, "mhpmevent17h", 0b1111),
    (0x732, "mhpmevent18h", 0b1111),
    (0x733, "mhpmevent19h", 0b1111),
    (0x734, "mhpmevent20h", 0b1111),
    (0x735, "mhpmevent21h", 0b1111),
    (0x736, "mhpmevent22h", 0b1111),
    (0x737, "mhpmevent23h", 0b1111),
    (0x738, "mhpmevent24h", 0b1111),
    (0x739, "mhpmevent25h", 0b1111),
    (0x73a, "mhpmevent26h", 0b1111),
    (0x73b, "mhpmevent27h", 0b1111),
    (0x73c, "mhpmevent28h", 0b1111),
    (0x73d, "mhpmevent29h", 0b1111),
    (0x73e, "mhpmevent30h", 0b1111),
    (0x73f, "mhpmevent31h", 0b1111),
    (0x747, "mseccfg", 0b1000),
    (0x757, "mseccfgh", 0b1000),
    (0x7a0, "tselect", 0b1111),
    (0x7a1, "tdata1", 0b1111),
    (0x7a2, "tdata2", 0b1111),
    (0x7a3, "tdata3", 0b1111),
    (0x7a4, "tinfo", 0b1111),
    (0x7a5, "tcontrol", 0b1111),
    (0x7a8, "mcontext", 0b1111),
    (0x7aa, "mscontext", 0b1111),
    (0x7b0, "dcsr", 0b1111),
    (0x7b1, "dpc", 0b1111),
    (0x7b2, "dscratch0", 0b1111),
    (0x7b3, "dscratch1", 0b1111),
    (0xb00, "mcycle", 0b1111),
    (0xb02, "minstret", 0b1111),
    (0xb03, "mhpmcounter3", 0b1111),
    (0xb04, "mhpmcounter4", 0b1111),
    (0xb05, "mhpmcounter5", 0b1111),
    (0xb06, "mhpmcounter6", 0b1111),
    (0xb07, "mhpmcounter7", 0b1111),
    (0xb08, "mhpmcounter8", 0b1111),
    (0xb09, "mhpmcounter9", 0b1111),
    (0xb0a, "mhpmcounter10", 0b1111),
    (0xb0b, "mhpmcounter11", 0b1111),
    (0xb0c, "mhpmcounter12", 0b1111),
    (0xb0d, "mhpmcounter13", 0b1111),
    (0xb0e, "mhpmcounter14", 0b1111),
    (0xb0f, "mhpmcounter15", 0b1111),
    (0xb10, "mhpmcounter16", 0b1111),
    (0xb11, "mhpmcounter17", 0b1111),
    (0xb12, "mhpmcounter18", 0b1111),
    (0xb13, "mhpmcounter19", 0b1111),
    (0xb14, "mhpmcounter20", 0b1111),
    (0xb15, "mhpmcounter21", 0b1111),
    (0xb16, "mhpmcounter22", 0b1111),
    (0xb17, "mhpmcounter23", 0b1111),
    (0xb18, "mhpmcounter24", 0b1111),
    (0xb19, "mhpmcounter25", 0b1111),
    (0xb1a, "mhpmcounter26", 0b1111),
    (0xb1b, "mhpmcounter27", 0b1111),
    (0xb1c, "mhpmcounter28", 0b1111),
    (0xb1d, "mhpmcounter29", 0b1111),
    (0xb1e, "mhpmcounter30", 0b1111),
    (0xb1f, "mhpmcounter31", 0b1111),
    (0xb80, "mcycleh", 0b1111),
    (0xb82, "minstreth", 0b1111),
    (0xb83, "mhpmcounter3h", 0b1111),
    (0xb84, "mhpmcounter4h", 0b1111),
    (0xb85, "mhpmcounter5h", 0b1111),
    (0xb86, "mhpmcounter6h", 0b1111),
    (0xb87, "mhpmcounter7h", 0b1111),
    (0xb88, "mhpmcounter8h", 0b1111),
    (0xb89, "mhpmcounter9h", 0b1111),
    (0xb8a, "mhpmcounter10h", 0b1111),
    (0xb8b, "mhpmcounter11h", 0b1111),
    (0xb8c, "mhpmcounter12h", 0b1111),
    (0xb8d, "mhpmcounter13h", 0b1111),
    (0xb8e, "mhpmcounter14h", 0b1111),
    (0xb8f, "mhpmcounter15h", 0b1111),
    (0xb90, "mhpmcounter16h", 0b1111),
    (0xb91, "mhpmcounter17h", 0b1111),
    (0xb92, "mhpmcounter18h", 0b1111),
    (0xb93, "mhpmcounter19h", 0b1111),
    (0xb94, "mhpmcounter20h", 0b1111),
    (0xb95, "mhpmcounter21h", 0b1111),
    (0xb96, "mhpmcounter22h", 0b1111),
    (0xb97, "mhpmcounter23h", 0b1111),
    (0xb98, "mhpmcounter24h", 0b1111),
    (0xb99, "mhpmcounter25h", 0b1111),
    (0xb9a, "mhpmcounter26h", 0b1111),
    (0xb9b, "mhpmcounter27h", 0b1111),
    (0xb9c, "mhpmcounter28h", 0b1111),
    (0xb9d, "mhpmcounter29h", 0b1111),
    (0xb9e, "mhpmcounter30h", 0b1111),
    (0xb9f, "mhpmcounter31h", 0b1111),
    (0xc00, "cycle", 0b1111),
    (0xc01, "time", 0b1111),
    (0xc02, "instret", 0b1111),
    (0xc03, "hpmcounter3", 0b1111),
    (0xc04, "hpmcounter4", 0b1111),
    (0xc05, "hpmcounter5", 0b1111),
    (0xc06, "hpmcounter6", 0b1111),
    (0xc07, "hpmcounter7", 0b1111),
    (0xc08, "hpmcounter8", 0b1111),
    (0xc09, "hpmcounter9", 0b1111),
    (0xc0a, "hpmcounter10", 0b1111),
    (0xc0b, "hpmcounter11", 0b1111),
    (0xc0c, "hpmcounter12", 0b1111),
    (0xc0d, "hpmcounter13", 0b1111),
    (0xc0e, "hpmcounter14", 0b1111),
    (0xc0f, "hpmcounter15", 0b1111),
    (0xc10, "hpmcounter16", 0b1111),
    (0xc11, "hpmcounter17", 0b1111),
    (0xc12, "hpmcounter18", 0b1111),
    (0xc13, "hpmcounter19", 0b1111),
    (0xc14, "hpmcounter20", 0b1111),
    (0xc15, "hpmcounter21", 0b1111),
    (0xc16, "hpmcounter22", 0b1111),
    (0xc17, "hpmcounter23", 0b1111),
    (0xc18, "hpmcounter24", 0b1111),
    (0xc19, "hpmcounter25", 0b1111),
    (0xc1a, "hpmcounter26", 0b1111),
    (0xc1b, "hpmcounter27", 0b1111),
    (0xc1c, "hpmcounter28", 0b1111),
    (0xc1d, "hpmcounter29", 0b1111),
    (0xc1e, "hpmcounter30", 0b1111),
    (0xc1f, "hpmcounter31", 0b1111),
    (0xc20, "vl", 0b1111),
    (0xc21, "vtype", 0b1111),
    (0xc22, "vlenb", 0b1111),
    (0xc80, "cycleh", 0b1111),
    (0xc81, "timeh", 0b1111),
    (0xc82, "instreth", 0b1111),
    (0xc83, "hpmcounter3h", 0b1111),
    (0xc84, "hpmcounter4h", 0b1111),
    (0xc85, "hpmcounter5h", 0b1111),
    (0xc86, "hpmcounter6h", 0b1111),
    (0xc87, "hpmcounter7h", 0b1111),
    (0xc88, "hpmcounter8h", 0b1111),
    (0xc89, "hpmcounter9h", 0b1111),
    (0xc8a, "hpmcounter10h", 0b1111),
    (0xc8b, "hpmcounter11h", 0b1111),
    (0xc8c, "hpmcounter12h", 0b1111),
    (0xc8d, "hpmcounter13h", 0b1111),
    (0xc8e, "hpmcounter14h", 0b1111),
    (0xc8f, "hpmcounter15h", 0b1111),
    (0xc90, "hpmcounter16h", 0b1111),
    (0xc91, "hpmcounter17h", 0b1111),
    (0xc92, "hpmcounter18h", 0b1111),
    (0xc93, "hpmcounter19h", 0b1111),
    (0xc94, "hpmcounter20h", 0b1111),
    (0xc95, "hpmcounter21h", 0b1111),
    (0xc96, "hpmcounter22h", 0b1111),
    (0xc97, "hpmcounter23h", 0b1111),
    (0xc98, "hpmcounter24h", 0b1111),
    (0xc99, "hpmcounter25h", 0b1111),
    (0xc9a, "hpmcounter26h", 0b1111),
    (0xc9b, "hpmcounter27h", 0b1111),
    (0xc9c, "hpmcounter28h", 0b1111),
    (0xc9d, "hpmcounter29h", 0b1111),
    (0xc9e, "hpmcounter30h", 0b1111),
    (0xc9f, "hpmcounter31h", 0b1111),
    (0xda0, "scountovf", 0b1111),
    (0xdb0, "stopi", 0b1111),
    (0xe12, "hgeip", 0b1111),
    (0xeb0, "vstopi", 0b1111),
    (0xf11, "mvendorid", 0b1111),
    (0xf12, "marchid", 0b1111),
    (0xf13, "mimpid", 0b1111),
    (0xf14, "mhartid", 0b1111),
    (0xf15, "mconfigptr", 0b1000),
    (0xfb0, "mtopi", 0b1111),
];

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_privileged_spec_version() {
        assert_eq!(Csr(0x34b).name(), Some("mtval2"));
        assert_eq!(Csr(0x34b).name_in(PrivSpec::V1_11), None);
        assert_eq!(Csr(0x000).name_in(PrivSpec::V1_11), Some("ustatus"));
        assert_eq!(
            alloc::format!("{}", Csr(0x000).display_in(PrivSpec::V1_12)),
            "0x0"
        );
        assert_eq!(Csr::from_name("satp"), Some(Csr(0x180)));
    }
}
