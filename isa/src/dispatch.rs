//! Compile-time dispatch tables built from the pattern tables: the word's key bits (major opcode
//! and `funct3`) pick a short list of candidate rows, most specific first, so decoding looks at
//! a handful of rows rather than all of them.

/// Candidate rows for every key value. `slots[start[k]..start[k] + len[k]]` are row numbers.
pub(crate) struct Dispatch<const B: usize, const S: usize> {
    pub start: [u16; B],
    pub len: [u8; B],
    pub slots: [u16; S],
}

impl<const B: usize, const S: usize> Dispatch<B, S> {
    /// The candidate rows for key `k`.
    #[inline(always)]
    pub fn candidates(&self, k: usize) -> &[u16] {
        let start = self.start[k] as usize;
        &self.slots[start..start + self.len[k] as usize]
    }
}

/// Gathers the bits of `w` under `keymask` into a dense key, lowest bit first (like `pext`).
/// The decoder uses written-out forms of this for speed; tests hold them equal.
#[cfg(test)]
pub(crate) const fn gather(w: u32, keymask: u32) -> usize {
    let mut out = 0;
    let mut bit = 0;
    let mut m = keymask;
    while m != 0 {
        let low = m & m.wrapping_neg();
        if w & low != 0 {
            out |= 1 << bit;
        }
        bit += 1;
        m &= m - 1;
    }
    out
}

/// Scatters the key `k` back into the bit positions of `keymask` (like `pdep`).
const fn scatter(k: usize, keymask: u32) -> u32 {
    let mut out = 0;
    let mut bit = 0;
    let mut m = keymask;
    while m != 0 {
        let low = m & m.wrapping_neg();
        if k & (1 << bit) != 0 {
            out |= low;
        }
        bit += 1;
        m &= m - 1;
    }
    out
}

/// Whether a row (`mat` under `mask`) can match some word whose key bits are `keybits`.
const fn compatible(keybits: u32, keymask: u32, mat: u32, mask: u32) -> bool {
    (keybits ^ mat) & mask & keymask == 0
}

/// How many slots the dispatch table for `rows` needs.
pub(crate) const fn slot_count(rows: &[(u32, u32)], keymask: u32) -> usize {
    let buckets = 1usize << keymask.count_ones();
    let mut n = 0;
    let mut k = 0;
    while k < buckets {
        let keybits = scatter(k, keymask);
        let mut r = 0;
        while r < rows.len() {
            if compatible(keybits, keymask, rows[r].0, rows[r].1) {
                n += 1;
            }
            r += 1;
        }
        k += 1;
    }
    n
}

/// Builds the dispatch table: for each key, the compatible rows ordered by how many bits their
/// mask fixes, most first (table order among equals), so that a special case (`fence.tso`) is
/// tried before the general one (`fence`).
pub(crate) const fn build<const B: usize, const S: usize>(
    rows: &[(u32, u32)],
    keymask: u32,
) -> Dispatch<B, S> {
    assert!(B == 1 << keymask.count_ones());
    let mut d = Dispatch {
        start: [0; B],
        len: [0; B],
        slots: [0; S],
    };
    let mut n = 0;
    let mut k = 0;
    while k < B {
        let keybits = scatter(k, keymask);
        let first = n;
        let mut r = 0;
        while r < rows.len() {
            let (mat, mask) = rows[r];
            if compatible(keybits, keymask, mat, mask) {
                // Insertion sort by descending mask popcount, stable.
                let ones = mask.count_ones();
                let mut at = n;
                while at > first && rows[d.slots[at - 1] as usize].1.count_ones() < ones {
                    d.slots[at] = d.slots[at - 1];
                    at -= 1;
                }
                d.slots[at] = r as u16;
                n += 1;
            }
            r += 1;
        }
        d.start[k] = first as u16;
        d.len[k] = (n - first) as u8;
        k += 1;
    }
    assert!(n == S);
    d
}
