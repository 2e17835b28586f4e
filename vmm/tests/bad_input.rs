//! The ELF loader and the `ospite` command fed random bytes, truncations of real ELF files
//! (Debian's OpenSBI) and ELF headers with random fields: never a panic; always a successful
//! load or one line naming the file and the problem.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use ospite_vmm::loader::{image_from_bytes, Image, Placement};
use ospite_vmm::{Firmware, Vm, VmConfig};
use proptest::prelude::*;
use support::*;

const OSPITE: &str = env!("CARGO_BIN_EXE_ospite");
const RAM: u64 = 0x8000_0000;
/// Where `fw_jump.elf`'s one `PT_LOAD` program header is (the second, after its attributes).
const LOAD_PHDR: usize = 64 + 56;

fn fw_jump() -> &'static [u8] {
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    DATA.get_or_init(|| std::fs::read(FW_JUMP).expect("Debian's opensbi is installed"))
}

fn fw_dynamic() -> &'static [u8] {
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    DATA.get_or_init(|| std::fs::read(FW_DYNAMIC).expect("Debian's opensbi is installed"))
}

/// Loads `data` as `input.elf` and places the image in 128 MiB of RAM, as `ospite run` does.
/// Returns the image, or the error's message after checking that it is one line naming the
/// file.
fn load(data: &[u8]) -> Result<Image, String> {
    let path = Path::new("input.elf");
    let result = image_from_bytes(path, data, RAM).and_then(|image| {
        Placement::new(RAM, 128 << 20).place(&image)?;
        Ok(image)
    });
    result.map_err(|e| {
        let msg = e.to_string();
        assert_eq!(msg.lines().count(), 1, "not one line: {msg:?}");
        assert!(
            msg.starts_with("input.elf"),
            "does not name the file: {msg:?}"
        );
        msg
    })
}

/// What every loaded image must satisfy: segments inside RAM, no more bytes than their size.
fn check_loaded(image: &Image) {
    for s in &image.segments {
        assert!(s.data.len() as u64 <= s.size);
        assert!(s.addr >= RAM && s.addr + s.size <= RAM + (128 << 20));
    }
}

/// A field of the ELF header or of the first program headers, where `put` writes a random
/// value: (offset, width in bytes).
fn header_field() -> impl Strategy<Value = (usize, usize)> {
    let elf_header = prop::sample::select(vec![
        (4, 1),  // EI_CLASS
        (5, 1),  // EI_DATA
        (6, 1),  // EI_VERSION
        (16, 2), // e_type
        (18, 2), // e_machine
        (24, 8), // e_entry
        (32, 8), // e_phoff
        (40, 8), // e_shoff
        (52, 2), // e_ehsize
        (54, 2), // e_phentsize
        (56, 2), // e_phnum
        (58, 2), // e_shentsize
        (60, 2), // e_shnum
        (62, 2), // e_shstrndx
    ]);
    // Program header fields: p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz.
    let program_header = (
        0usize..4,
        prop::sample::select(vec![
            (0, 4),
            (4, 4),
            (8, 8),
            (16, 8),
            (24, 8),
            (32, 8),
            (40, 8),
        ]),
    )
        .prop_map(|(n, (off, width))| (64 + 56 * n + off, width));
    prop_oneof![elf_header, program_header]
}

/// A value for a field: small, near a boundary, or anything.
fn field_value() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..256,
        prop::sample::select(vec![
            u64::MAX,
            u64::MAX - 7,
            1 << 63,
            0x8000_0000,
            0x7fff_ffff,
            0xffff,
            0x10000,
            116_776
        ]),
        any::<u64>(),
    ]
}

fn put(data: &mut [u8], (off, width): (usize, usize), value: u64) {
    data[off..off + width].copy_from_slice(&value.to_le_bytes()[..width]);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_load_or_give_one_line(
        magic in any::<bool>(),
        class in 0u8..4,
        rest in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut data = if magic { b"\x7fELF".to_vec() } else { Vec::new() };
        if magic {
            data.push(class);
        }
        data.extend(rest);
        if let Ok(image) = load(&data) {
            check_loaded(&image);
            // Without the magic number, a file is a raw image at the start of RAM.
            prop_assert!(image.is_elf || image.entry == RAM);
        }
    }

    #[test]
    fn truncated_real_elfs_load_or_give_one_line(which in any::<bool>(), cut in 0.0f64..1.0) {
        let full = if which { fw_jump() } else { fw_dynamic() };
        let len = (full.len() as f64 * cut) as usize;
        match load(&full[..len]) {
            Ok(image) => check_loaded(&image),
            // A cut before the end of the last segment loses part of the image.
            Err(msg) => prop_assert!(len < full.len(), "{msg}"),
        }
    }

    #[test]
    fn elf_headers_with_random_fields_load_or_give_one_line(
        edits in prop::collection::vec((header_field(), field_value()), 1..6),
    ) {
        let mut data = fw_jump().to_vec();
        for (field, value) in edits {
            put(&mut data, field, value);
        }
        if let Ok(image) = load(&data) {
            check_loaded(&image);
        }
    }
}

proptest! {
    // Building a whole VM costs more: fewer cases.
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn vms_from_damaged_kernels_build_or_give_one_line(
        edits in prop::collection::vec((header_field(), field_value()), 1..4),
    ) {
        let dir = scratch("bad-vm");
        let mut data = fw_jump().to_vec();
        for (field, value) in edits {
            put(&mut data, field, value);
        }
        let path = dir.join("damaged.elf");
        std::fs::write(&path, &data).unwrap();
        let built = Vm::new(
            VmConfig {
                bios: Firmware::None,
                kernel: Some(path),
                memory: 16 << 20,
                ..VmConfig::default()
            },
            Box::new(std::io::sink()),
        );
        if let Err(e) = built {
            let msg = e.to_string();
            prop_assert_eq!(msg.lines().count(), 1, "{}", msg);
            prop_assert!(msg.contains("damaged.elf") || msg.contains("device tree"), "{}", msg);
        }
    }
}

/// Files that are not usable ELF images, each with a name saying why.
fn bad_files(dir: &Path) -> Vec<PathBuf> {
    let full = fw_jump();
    let mut files: Vec<(String, Vec<u8>)> = [0usize, 5, 20, 64, 100, 0x200, 0x1000, 50_000]
        .iter()
        .map(|&n| (format!("cut-{n}.elf"), full[..n].to_vec()))
        .collect();
    let mut garbage = b"\x7fELF\x02\x01\x01".to_vec();
    garbage.extend((0u32..3000).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
    files.push(("garbage.elf".into(), garbage));
    let mut far = full.to_vec();
    put(&mut far, (LOAD_PHDR + 8, 8), 1 << 40); // p_offset past the end of the file
    files.push(("segment-outside.elf".into(), far));
    let mut x86 = full.to_vec();
    put(&mut x86, (18, 2), 62); // EM_X86_64
    files.push(("x86.elf".into(), x86));
    let mut high = full.to_vec();
    put(&mut high, (LOAD_PHDR + 24, 8), 0xffff_ffff_ffff_0000); // p_paddr: far from RAM
    files.push(("high.elf".into(), high));
    files
        .into_iter()
        .map(|(name, data)| {
            let path = dir.join(name);
            std::fs::write(&path, data).unwrap();
            path
        })
        .collect()
}

/// Runs `ospite` with `args` and no input; returns the status and standard error.
fn ospite(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = Command::new(OSPITE)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ospite_run_and_disasm_refuse_bad_files_with_one_line_and_status_1() {
    let dir = scratch("bad-cli");
    let mut checked = 0;
    for path in bad_files(&dir) {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        // A time limit, so that a file loaded by mistake fails the test instead of hanging it.
        let run: [&std::ffi::OsStr; 7] = [
            "run".as_ref(),
            "--timeout".as_ref(),
            "10s".as_ref(),
            "--bios".as_ref(),
            "none".as_ref(),
            "--kernel".as_ref(),
            path.as_os_str(),
        ];
        let bios: [&std::ffi::OsStr; 5] = [
            "run".as_ref(),
            "--timeout".as_ref(),
            "10s".as_ref(),
            "--bios".as_ref(),
            path.as_os_str(),
        ];
        let mut cases = vec![&run[..], &bios[..]];
        let disasm: [&std::ffi::OsStr; 2] = ["disasm".as_ref(), path.as_os_str()];
        // A file whose headers are whole still lists (objdump lists it too); the rest cannot.
        if !matches!(name.as_str(), "segment-outside.elf" | "high.elf") {
            cases.push(&disasm[..]);
        }
        for args in cases {
            let (status, err) = ospite(args);
            println!("{args:?}: {status:?}: {}", err.trim_end());
            assert_eq!(status, Some(1), "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err}");
            assert!(
                err.starts_with("ospite: ") && err.contains(&name),
                "{args:?}: {err}"
            );
            assert!(!err.contains("panicked"), "{err}");
            checked += 1;
        }
    }
    assert_eq!(checked, 34);
}

#[test]
fn ospite_run_refuses_missing_empty_and_directory_disks_with_one_line_and_status_1() {
    let dir = scratch("bad-drive");
    let empty = dir.join("empty.img");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.join("missing.img");
    for (drive, name, why) in [
        (missing.display().to_string(), "missing.img", "cannot read"),
        (
            empty.display().to_string(),
            "empty.img",
            "at least one 512-byte sector",
        ),
        (dir.display().to_string(), "bad-drive", "not a regular file"),
        (
            format!("file={},format=qcow2", empty.display()),
            "empty.img",
            "only raw images",
        ),
    ] {
        // With the built-in guest: the disk is checked before anything runs.
        let args: [&std::ffi::OsStr; 5] = [
            "run".as_ref(),
            "--timeout".as_ref(),
            "10s".as_ref(),
            "--drive".as_ref(),
            drive.as_ref(),
        ];
        let (status, err) = ospite(&args);
        assert_eq!(status, Some(1), "{drive}: {err}");
        assert_eq!(err.lines().count(), 1, "{drive}: not one line: {err}");
        assert!(
            err.starts_with("ospite: ") && err.contains(name) && err.contains(why),
            "{drive}: {err}"
        );
    }
}
