//! The static map of hot guest registers to host registers. Inside translated code a mapped
//! guest register lives only in its host register: the trampoline loads them all from the
//! [`Hart`](ospite_interp::Hart), the epilogue stores them all back, and a helper call stores
//! what the helper may read or clobber and reloads it after. Every exit goes through the
//! epilogue, so the hart is exact whenever the runtime looks.
//!
//! The choice is by use in compiled RISC-V code: GCC allocates `a5`, `a4`, ... first, and `s0`
//! (the frame pointer) and `s1` are the most used callee-saved registers (the nine are the most
//! named in Linux 6.1's code but `ra`, whose uses are mostly its save and restore). The most
//! used sit in callee-saved host registers, which survive helper calls (`r15`, also
//! callee-saved, holds the budget).

use iced_x86::code_asm::*;

/// A host register in its four widths.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Host {
    pub q: AsmRegister64,
    pub d: AsmRegister32,
    pub w: AsmRegister16,
    pub b: AsmRegister8,
    /// Whether a call may clobber it (System V): it is saved around helper calls.
    pub caller_saved: bool,
}

const fn host(q: AsmRegister64, d: AsmRegister32, w: AsmRegister16, b: AsmRegister8) -> Host {
    Host {
        q,
        d,
        w,
        b,
        caller_saved: false,
    }
}

const fn clobbered(mut h: Host) -> Host {
    h.caller_saved = true;
    h
}

/// (guest register, host register), every mapped register.
pub(crate) const MAP: [(u8, Host); 9] = [
    (15, host(r12, r12d, r12w, r12b)),            // a5
    (14, host(r13, r13d, r13w, r13b)),            // a4
    (13, host(r14, r14d, r14w, r14b)),            // a3
    (8, host(rbp, ebp, bp, bpl)),                 // s0
    (12, clobbered(host(rdi, edi, di, dil))),     // a2
    (2, clobbered(host(r8, r8d, r8w, r8b))),      // sp
    (11, clobbered(host(r9, r9d, r9w, r9b))),     // a1
    (10, clobbered(host(r10, r10d, r10w, r10b))), // a0
    (9, clobbered(host(r11, r11d, r11w, r11b))),  // s1
];

/// A tenth host register a block may give a guest register (a self-loop to one of its most
/// used, another block to one outside the static map): `rdx`, scratch elsewhere, is free in a
/// block without the operations that need it (x86's wide multiply and divide).
pub(crate) const LOOP_EXTRA: Host = clobbered(host(rdx, edx, dx, dl));

/// Every host register a guest register may live in.
const HOSTS: [Host; MAP.len() + 1] = {
    let mut hosts = [LOOP_EXTRA; MAP.len() + 1];
    let mut i = 0;
    while i < MAP.len() {
        hosts[i] = MAP[i].1;
        i += 1;
    }
    hosts
};

/// Where each guest register lives in a stretch of translated code: a host register, or `None`
/// for its slot in the hart. Blocks meet at the static map ([`RegMap::STATIC`]); a self-loop
/// may run its iterations under a map of its own ([`RegMap::for_loop`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RegMap([Option<Host>; 32]);

impl RegMap {
    /// The map every block starts and ends with: [`MAP`].
    pub(crate) const STATIC: RegMap = {
        let mut m = [None; 32];
        let mut i = 0;
        while i < MAP.len() {
            m[MAP[i].0 as usize] = Some(MAP[i].1);
            i += 1;
        }
        RegMap(m)
    };

    /// The host register of guest register `r`, if it has one.
    #[inline]
    pub(crate) fn get(&self, r: u8) -> Option<Host> {
        self.0[usize::from(r & 31)]
    }

    /// Every (guest register, host register) pair, in the order of the hosts in [`MAP`] (then
    /// [`LOOP_EXTRA`]).
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (u8, Host)> + '_ {
        HOSTS.iter().filter_map(|h| {
            (0u8..32)
                .find(|&r| self.get(r).is_some_and(|m| m.q == h.q))
                .map(|r| (r, *h))
        })
    }

    /// The map for a loop whose body uses guest register `r` `uses[r]` times: the host
    /// registers (and [`LOOP_EXTRA`] with `extra`) go to the most used registers, those of the
    /// static map keeping their own. Ties go to the lower register number, so the choice is
    /// deterministic.
    pub(crate) fn for_loop(uses: &[u32; 32], extra: bool) -> RegMap {
        let mut order: Vec<u8> = (1u8..32).filter(|&r| uses[usize::from(r)] > 0).collect();
        order.sort_by_key(|&r| std::cmp::Reverse(uses[usize::from(r)]));
        order.truncate(MAP.len() + usize::from(extra));
        let mut m = [None; 32];
        let mut free: Vec<Host> = Vec::new();
        for (g, h) in MAP {
            if order.contains(&g) {
                m[usize::from(g)] = Some(h);
            } else {
                free.push(h);
            }
        }
        // Callee-saved hosts first (they survive helper calls), for the most used; the extra
        // one last.
        free.sort_by_key(|h| h.caller_saved);
        if extra {
            free.push(LOOP_EXTRA);
        }
        let mut free = free.into_iter();
        for g in order {
            if m[usize::from(g)].is_none() {
                m[usize::from(g)] = free.next();
            }
        }
        // Hosts nobody took keep their static register (unused in the loop: no moves).
        for h in free {
            if let Some((g, _)) = MAP.iter().find(|(_, s)| s.q == h.q) {
                m[usize::from(*g)] = Some(h);
            }
        }
        RegMap(m)
    }

    /// This map with guest register `g` in host register `h` (which no other holds).
    pub(crate) fn with(mut self, g: u8, h: Host) -> RegMap {
        self.0[usize::from(g)] = Some(h);
        self
    }

    /// Whether the map is the static one.
    pub(crate) fn is_static(&self) -> bool {
        (0u8..32).all(|r| same(self.get(r), RegMap::STATIC.get(r)))
    }
}

/// Whether two places of a guest register are the same.
pub(crate) fn same(a: Option<Host>, b: Option<Host>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.q == b.q,
        (None, None) => true,
        _ => false,
    }
}
