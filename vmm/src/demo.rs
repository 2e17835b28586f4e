//! The built-in guest `ospite run` starts when given no file: a small M-mode program,
//! assembled at start-up with `ospite-isa`'s assembler, that prints a banner and what it reads
//! from `misa`, computes Fibonacci numbers and counts primes (about two million instructions),
//! prints how much guest time that took, and powers off through the test finisher.

use ospite_isa::asm::{Assembler, Label};
use ospite_isa::{Csr, XReg};

use crate::board::map;

const BANNER: &str = "\r\nospite: a RISC-V RV64 machine on a QEMU-virt-compatible board.\r\n\
This is the built-in guest, running in M-mode at 0x80000000.\r\n";

/// The guest's code and data, to be loaded at [`map::RAM`] and entered there.
pub fn program() -> Vec<u8> {
    use XReg as R;
    let mut a = Assembler::new(map::RAM);
    let putc = a.new_label();
    let puts = a.new_label();
    let putdec = a.new_label();
    let strings: Vec<(Label, &str)> = [
        BANNER,
        "misa: rv64",
        "\r\nFibonacci: ",
        "\r\nprimes below 20000: ",
        "\r\nthat took ",
        " us of guest time; powering off.\r\n",
    ]
    .into_iter()
    .map(|s| (a.new_label(), s))
    .collect();
    let numbuf_end = a.new_label();

    // Entry: a stack at the top of the first MiB.
    a.li(R::SP, (map::RAM + 0x10_0000) as i64);
    a.la(R::A0, strings[0].0);
    a.call(puts);

    // misa's extension letters.
    a.la(R::A0, strings[1].0);
    a.call(puts);
    a.csrr(R::S0, Csr::MISA);
    a.li(R::S1, 0);
    let (letters, skip, letters_done) = (a.new_label(), a.new_label(), a.new_label());
    a.li(R::S2, 26);
    a.bind(letters);
    a.bge(R::S1, R::S2, letters_done);
    a.srl(R::T0, R::S0, R::S1);
    a.andi(R::T0, R::T0, 1);
    a.beqz(R::T0, skip);
    a.addi(R::A0, R::S1, i32::from(b'a'));
    a.call(putc);
    a.bind(skip);
    a.addi(R::S1, R::S1, 1);
    a.j(letters);
    a.bind(letters_done);

    // Time the computation.
    a.csrr(R::S11, Csr::TIME);

    // The first 40 Fibonacci numbers.
    a.la(R::A0, strings[2].0);
    a.call(puts);
    a.li(R::S0, 0);
    a.li(R::S1, 1);
    a.li(R::S2, 40);
    let fib = a.here();
    a.mv(R::A0, R::S0);
    a.call(putdec);
    a.li(R::A0, i64::from(b' '));
    a.call(putc);
    a.add(R::T0, R::S0, R::S1);
    a.mv(R::S0, R::S1);
    a.mv(R::S1, R::T0);
    a.addi(R::S2, R::S2, -1);
    a.bnez(R::S2, fib);

    // Count primes below 20000 by trial division.
    a.la(R::A0, strings[3].0);
    a.call(puts);
    a.li(R::S0, 0); // count
    a.li(R::S1, 2); // n
    a.li(R::S2, 20000);
    let (next_n, try_d, prime, composite, primes_done) = (
        a.new_label(),
        a.new_label(),
        a.new_label(),
        a.new_label(),
        a.new_label(),
    );
    a.bind(next_n);
    a.bge(R::S1, R::S2, primes_done);
    a.li(R::T1, 2); // d
    a.bind(try_d);
    a.mul(R::T2, R::T1, R::T1);
    a.bgtu(R::T2, R::S1, prime);
    a.remu(R::T3, R::S1, R::T1);
    a.beqz(R::T3, composite);
    a.addi(R::T1, R::T1, 1);
    a.j(try_d);
    a.bind(prime);
    a.addi(R::S0, R::S0, 1);
    a.bind(composite);
    a.addi(R::S1, R::S1, 1);
    a.j(next_n);
    a.bind(primes_done);
    a.mv(R::A0, R::S0);
    a.call(putdec);

    // Elapsed guest time in microseconds (mtime runs at 10 MHz).
    a.csrr(R::T0, Csr::TIME);
    a.sub(R::S11, R::T0, R::S11);
    a.la(R::A0, strings[4].0);
    a.call(puts);
    a.li(R::T0, 10);
    a.divu(R::A0, R::S11, R::T0);
    a.call(putdec);
    a.la(R::A0, strings[5].0);
    a.call(puts);

    // Power off: the SiFive test finisher's "pass".
    a.li(R::T0, map::TEST as i64);
    a.li(R::T1, 0x5555);
    a.sw(R::T1, 0, R::T0);
    let spin = a.here();
    a.j(spin);

    // putc(a0): poll LSR.THRE, then write THR. Clobbers t5, t6.
    a.bind(putc);
    a.li(R::T5, map::UART0 as i64);
    let wait = a.here();
    a.lbu(R::T6, 5, R::T5);
    a.andi(R::T6, R::T6, 0x20);
    a.beqz(R::T6, wait);
    a.sb(R::A0, 0, R::T5);
    a.ret();

    // puts(a0): a NUL-terminated string. Clobbers a1, a3, t5, t6.
    a.bind(puts);
    a.mv(R::A3, R::RA);
    a.mv(R::A1, R::A0);
    let (puts_loop, puts_done) = (a.here(), a.new_label());
    a.lbu(R::A0, 0, R::A1);
    a.beqz(R::A0, puts_done);
    a.call(putc);
    a.addi(R::A1, R::A1, 1);
    a.j(puts_loop);
    a.bind(puts_done);
    a.jr(R::A3);

    // putdec(a0): unsigned decimal. Clobbers a0..a5, t0, t5, t6.
    a.bind(putdec);
    a.mv(R::A4, R::RA);
    a.mv(R::A1, R::A0);
    a.la(R::A2, numbuf_end);
    a.li(R::A5, 10);
    let digits = a.here();
    a.remu(R::T0, R::A1, R::A5);
    a.divu(R::A1, R::A1, R::A5);
    a.addi(R::T0, R::T0, i32::from(b'0'));
    a.addi(R::A2, R::A2, -1);
    a.sb(R::T0, 0, R::A2);
    a.bnez(R::A1, digits);
    a.la(R::A3, numbuf_end);
    let out = a.here();
    a.lbu(R::A0, 0, R::A2);
    a.call(putc);
    a.addi(R::A2, R::A2, 1);
    a.bne(R::A2, R::A3, out);
    a.jr(R::A4);

    for (label, text) in &strings {
        a.bind(*label);
        a.bytes(text.as_bytes());
        a.bytes(&[0]);
    }
    a.bytes(&[0; 24]);
    a.bind(numbuf_end);
    a.align(8);
    a.finish()
        .expect("the built-in guest is a fixed, valid program")
        .bytes
}
