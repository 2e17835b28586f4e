//! The virtio block device (virtio 1.2, section 5.2) over an image file: one request queue,
//! reads (`IN`), writes (`OUT`), `FLUSH` and `GET_ID`, 512-byte sectors.
//!
//! Writes go to the file with `pwrite` as they arrive, so they are in the host's page cache
//! (and visible to other readers of the file) when the request completes; `FLUSH` makes them
//! durable with `fdatasync`. A read-only image is offered with `VIRTIO_BLK_F_RO` and refuses
//! writes with `IOERR`.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::{Budget, Chain, GuestMemory, Queue, QueueError, Served, VirtioDevice};
use crate::config::DriveConfig;
use crate::error::Error;

/// The virtio device ID of a block device.
pub const DEVICE_ID: u32 = 2;
/// Feature: `seg_max` in config space is the most segments a request may have.
pub const F_SEG_MAX: u64 = 1 << 2;
/// Feature: the device is read-only.
pub const F_RO: u64 = 1 << 5;
/// Feature: `blk_size` in config space is the block size.
pub const F_BLK_SIZE: u64 = 1 << 6;
/// Feature: the device takes `FLUSH`.
pub const F_FLUSH: u64 = 1 << 9;

/// Request type: read sectors.
pub const T_IN: u32 = 0;
/// Request type: write sectors.
pub const T_OUT: u32 = 1;
/// Request type: make written data durable.
pub const T_FLUSH: u32 = 4;
/// Request type: the device's ID string (20 bytes).
pub const T_GET_ID: u32 = 8;

/// Request status: done.
pub const S_OK: u8 = 0;
/// Request status: an I/O error (or a request outside the disk, or a write to a read-only disk).
pub const S_IOERR: u8 = 1;
/// Request status: an unknown request type.
pub const S_UNSUPP: u8 = 2;

/// The sector size.
pub const SECTOR: u64 = 512;
/// The size of the request queue.
pub const QUEUE_SIZE: u16 = 256;
/// The length of the ID string `GET_ID` returns.
pub const ID_LEN: usize = 20;
/// The length of the request header (type, reserved, sector).
const HEADER: u64 = 16;
/// The most bytes moved between file and guest at a time.
const CHUNK: usize = 64 << 10;

/// A block device backed by an image file.
#[derive(Debug)]
pub struct Blk {
    file: File,
    readonly: bool,
    capacity: u64,
    id: [u8; ID_LEN],
    /// The request being served, when the last piece of work ended inside it.
    current: Option<Request>,
    /// One chunk of data on its way between the file and the guest.
    buf: Vec<u8>,
}

impl Blk {
    /// Opens the image of `drive`: read-write unless the drive is read-only. A missing file,
    /// or one that cannot be written when it should be, is an error that names it.
    pub fn open(drive: &DriveConfig) -> crate::Result<Blk> {
        let path = &drive.path;
        let meta = std::fs::metadata(path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        if !meta.is_file() {
            return Err(Error::BadImage {
                path: path.clone(),
                why: "not a regular file (a disk image is a file)".into(),
            });
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(!drive.readonly)
            .open(path)
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
                    if !drive.readonly && std::fs::File::open(path).is_ok() =>
                {
                    Error::BadImage {
                        path: path.clone(),
                        why: format!(
                            "cannot open the disk image for writing ({source}); attach it \
                             read-only with `--drive file=PATH,readonly`"
                        ),
                    }
                }
                _ => Error::Read {
                    path: path.clone(),
                    source,
                },
            })?;
        let capacity = meta.len() / SECTOR;
        if capacity == 0 {
            return Err(Error::BadImage {
                path: path.clone(),
                why: "a disk image needs at least one 512-byte sector".into(),
            });
        }
        Ok(Blk::from_file(file, drive.readonly, capacity, &drive.path))
    }

    /// A device over `file`, `capacity` sectors long, whose ID is the file's name.
    fn from_file(file: File, readonly: bool, capacity: u64, path: &Path) -> Blk {
        let mut id = [0u8; ID_LEN];
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let n = name.len().min(ID_LEN);
        id[..n].copy_from_slice(&name.as_bytes()[..n]);
        Blk {
            file,
            readonly,
            capacity,
            id,
            current: None,
            buf: vec![0; CHUNK],
        }
    }

    /// The capacity in 512-byte sectors.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Reads a chain's header: the request it makes, with the length of its data.
    fn start(&self, chain: Chain, mem: &GuestMemory) -> Result<Request, QueueError> {
        let writable = chain.writable_len();
        let mut header = [0u8; HEADER as usize];
        let kind = if chain.read(mem, 0, &mut header)? == header.len() {
            let kind = u32::from_le_bytes(header[0..4].try_into().unwrap_or_default());
            let sector = u64::from_le_bytes(header[8..16].try_into().unwrap_or_default());
            Some((kind, sector))
        } else {
            None
        };
        // The status byte is the last writable byte; a chain with none gets no answer.
        let status_at = writable.checked_sub(1);
        let (op, len) = match (kind, status_at) {
            (_, None) => (Op::Silent, 0),
            (Some((T_IN, sector)), Some(at)) => (Op::In { sector }, at),
            (Some((T_OUT, sector)), Some(_)) => (
                Op::Out { sector },
                chain.readable_len().saturating_sub(HEADER),
            ),
            (Some((T_FLUSH, _)), Some(_)) => (Op::Flush, 0),
            (Some((T_GET_ID, _)), Some(at)) => (Op::GetId, at.min(ID_LEN as u64)),
            (Some(_), Some(_)) => (Op::Unsupported, 0),
            (None, Some(_)) => (Op::Malformed, 0),
        };
        Ok(Request {
            chain,
            op,
            len,
            done: 0,
        })
    }

    /// Serves one piece of `req` (at most [`CHUNK`] bytes of data); returns its status and
    /// the data bytes it wrote into the chain once it is over.
    fn step(
        &mut self,
        req: &mut Request,
        mem: &GuestMemory,
        budget: &mut Budget,
    ) -> Result<Option<(u8, u64)>, QueueError> {
        let (sector, inbound) = match req.op {
            Op::Silent => return Ok(Some((S_OK, 0))),
            Op::Flush => {
                let status = if self.file.sync_data().is_ok() {
                    S_OK
                } else {
                    S_IOERR
                };
                return Ok(Some((status, 0)));
            }
            Op::GetId => {
                let n = req.len as usize;
                req.chain.write(mem, 0, &self.id[..n])?;
                return Ok(Some((S_OK, req.len)));
            }
            Op::Unsupported => return Ok(Some((S_UNSUPP, 0))),
            Op::Malformed => return Ok(Some((S_IOERR, 0))),
            Op::In { sector } => (sector, true),
            Op::Out { sector } => (sector, false),
        };
        if req.done == 0 && (!self.in_range(sector, req.len) || (!inbound && self.readonly)) {
            return Ok(Some((S_IOERR, 0)));
        }
        if req.done == req.len {
            return Ok(Some((S_OK, if inbound { req.len } else { 0 })));
        }
        let n = (req.len - req.done).min(CHUNK as u64) as usize;
        let buf = &mut self.buf[..n];
        // In range: sector * SECTOR + len was checked not to overflow.
        let at = sector * SECTOR + req.done;
        if inbound {
            if self.file.read_exact_at(buf, at).is_err() {
                return Ok(Some((S_IOERR, req.done)));
            }
            req.chain.write(mem, req.done, buf)?;
        } else {
            req.chain.read(mem, HEADER + req.done, buf)?;
            if self.file.write_all_at(buf, at).is_err() {
                return Ok(Some((S_IOERR, 0)));
            }
        }
        req.done += n as u64;
        budget.spend_bytes(n as u64);
        Ok(None)
    }

    /// Whether `len` bytes from `sector` lie on the disk.
    fn in_range(&self, sector: u64, len: u64) -> bool {
        sector
            .checked_mul(SECTOR)
            .and_then(|start| start.checked_add(len))
            .is_some_and(|end| end <= self.capacity * SECTOR)
    }

    /// Serves chains until the queue has none left or `budget` is spent.
    fn serve(
        &mut self,
        queue: &mut Queue,
        mem: &GuestMemory,
        budget: &mut Budget,
    ) -> Result<Served, QueueError> {
        let mut used = false;
        loop {
            if budget.spent() {
                let more = self.current.is_some() || queue.has_more();
                return Ok(Served { used, more });
            }
            let mut req = match self.current.take() {
                Some(req) => req,
                None => match queue.pop(mem)? {
                    Some(chain) => self.start(chain, mem)?,
                    None => return Ok(Served { used, more: false }),
                },
            };
            match self.step(&mut req, mem, budget)? {
                Some((status, data)) => {
                    let written = if matches!(req.op, Op::Silent) {
                        0
                    } else {
                        let status_at = req.chain.writable_len() - 1;
                        req.chain.write(mem, status_at, &[status])?;
                        u32::try_from(data + 1).unwrap_or(u32::MAX)
                    };
                    queue.push_used(mem, req.chain.head, written)?;
                    budget.spend_chain();
                    used = true;
                }
                None => self.current = Some(req),
            }
        }
    }
}

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// A read of sectors from `sector`.
    In { sector: u64 },
    /// A write of sectors from `sector`.
    Out { sector: u64 },
    /// A flush.
    Flush,
    /// The ID string.
    GetId,
    /// An unknown type.
    Unsupported,
    /// A header shorter than 16 bytes.
    Malformed,
    /// No writable byte for a status: the chain goes back unanswered.
    Silent,
}

/// A request in flight, served a piece at a time.
#[derive(Debug)]
struct Request {
    chain: Chain,
    op: Op,
    /// The data bytes to move (or the ID bytes to write).
    len: u64,
    /// The data bytes moved so far.
    done: u64,
}

impl VirtioDevice for Blk {
    fn device_id(&self) -> u32 {
        DEVICE_ID
    }

    fn features(&self) -> u64 {
        let ro = if self.readonly { F_RO } else { 0 };
        F_SEG_MAX | F_BLK_SIZE | F_FLUSH | ro
    }

    fn queue_max_sizes(&self) -> &[u16] {
        &[QUEUE_SIZE]
    }

    fn read_config(&self, offset: u64, data: &mut [u8]) {
        // struct virtio_blk_config: capacity, size_max, seg_max, geometry, blk_size; the rest
        // (topology, writeback, discard...) is zero.
        let mut config = [0u8; 64];
        config[0..8].copy_from_slice(&self.capacity.to_le_bytes());
        // A request is a header, data segments and a status byte, all in one queue.
        config[12..16].copy_from_slice(&(u32::from(QUEUE_SIZE) - 2).to_le_bytes());
        config[20..24].copy_from_slice(&(SECTOR as u32).to_le_bytes());
        for (i, b) in data.iter_mut().enumerate() {
            *b = usize::try_from(offset)
                .ok()
                .and_then(|o| config.get(o + i))
                .copied()
                .unwrap_or(0);
        }
    }

    fn process(
        &mut self,
        _index: usize,
        queue: &mut Queue,
        mem: &GuestMemory,
        budget: &mut Budget,
    ) -> Result<Served, QueueError> {
        let served = self.serve(queue, mem, budget);
        if served.is_err() {
            self.abandon();
        }
        served
    }

    fn abandon(&mut self) {
        self.current = None;
    }
}

#[cfg(test)]
mod tests {
    use super::super::mmio::{MmioTransport, INT_USED_BUFFER};
    use super::super::queue::tests::{make_available, memory, put_desc, AVAIL, DESC, RAM, USED};
    use super::super::{status, F_VERSION_1};
    use super::*;
    use crate::devices::IrqLevels;
    use ospite_mmu::{AccessSize, Device};
    use std::path::PathBuf;
    use std::sync::Arc;

    const SOURCE: u32 = 8;
    const HDR: u64 = RAM + 0x4000;
    const DATA: u64 = RAM + 0x5000;
    const STATUS: u64 = RAM + 0x7000;

    /// A disk image of `sectors` sectors, sector `n` filled with byte `n`.
    fn image(name: &str, sectors: u64) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("ospite-blk-{}-{name}.img", std::process::id()));
        let data: Vec<u8> = (0..sectors * SECTOR).map(|i| (i / SECTOR) as u8).collect();
        std::fs::write(&path, data).unwrap();
        path
    }

    struct Rig {
        dev: MmioTransport<Blk>,
        mem: GuestMemory,
        irq: IrqLevels,
        requests: u16,
    }

    impl Rig {
        fn w(&mut self, offset: u64, v: u32) {
            self.dev
                .write(offset, AccessSize::B4, u64::from(v))
                .unwrap();
        }
        fn r(&mut self, offset: u64) -> u32 {
            self.dev.read(offset, AccessSize::B4).unwrap() as u32
        }

        /// A driver's setup: reset, acknowledge, negotiate `features`, one queue of 8.
        fn new(path: &std::path::Path, readonly: bool, features: u64) -> Rig {
            Rig::with_memory(path, readonly, features, memory())
        }

        /// [`Rig::new`] over `mem`.
        fn with_memory(
            path: &std::path::Path,
            readonly: bool,
            features: u64,
            mem: GuestMemory,
        ) -> Rig {
            let irq = IrqLevels::new();
            let blk = Blk::open(&DriveConfig {
                path: path.to_owned(),
                readonly,
            })
            .unwrap();
            let dev = MmioTransport::new(blk, mem.clone(), irq.clone(), SOURCE);
            let mut rig = Rig {
                dev,
                mem,
                irq,
                requests: 0,
            };
            rig.w(0x070, 0);
            rig.w(0x070, status::ACKNOWLEDGE | status::DRIVER);
            rig.w(0x024, 0);
            rig.w(0x020, features as u32);
            rig.w(0x024, 1);
            rig.w(0x020, (features >> 32) as u32);
            rig.w(
                0x070,
                status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK,
            );
            rig.w(0x030, 0);
            rig.w(0x038, 8);
            for (reg, addr) in [(0x080, DESC), (0x090, AVAIL), (0x0a0, USED)] {
                rig.w(reg, addr as u32);
                rig.w(reg + 4, (addr >> 32) as u32);
            }
            rig.w(0x044, 1);
            let s = rig.r(0x070) | status::DRIVER_OK;
            rig.w(0x070, s);
            rig
        }

        /// Submits a request (header, `data_len` bytes of data, status) and notifies.
        fn submit(&mut self, kind: u32, sector: u64, data_len: u32, data_writable: bool) {
            let mut hdr = [0u8; 16];
            hdr[0..4].copy_from_slice(&kind.to_le_bytes());
            hdr[8..16].copy_from_slice(&sector.to_le_bytes());
            self.mem.write(HDR, &hdr).unwrap();
            self.mem.write(STATUS, &[0xff]).unwrap();
            put_desc(&self.mem, 0, HDR, 16, 1, 1);
            let flags = 1 | if data_writable { 2 } else { 0 };
            put_desc(&self.mem, 1, DATA, data_len, flags, 2);
            put_desc(&self.mem, 2, STATUS, 1, 2, 0);
            make_available(&self.mem, self.requests, 0, 8);
            self.requests += 1;
            self.slice();
            self.w(0x050, 0);
        }

        /// The run loop's turn between two slices: a fresh piece of work, if work is left.
        fn slice(&mut self) -> bool {
            self.dev.resume()
        }

        fn status_byte(&self) -> u8 {
            let mut b = [0u8];
            self.mem.read(STATUS, &mut b).unwrap();
            b[0]
        }

        fn data(&self, len: usize) -> Vec<u8> {
            let mut v = vec![0u8; len];
            self.mem.read(DATA, &mut v).unwrap();
            v
        }
    }

    const FEATURES: u64 = F_VERSION_1 | F_FLUSH | F_SEG_MAX;

    #[test]
    fn registers_identify_a_modern_block_device() {
        let path = image("ident", 16);
        let mut rig = Rig::new(&path, false, FEATURES);
        assert_eq!(
            [rig.r(0x000), rig.r(0x004), rig.r(0x008), rig.r(0x034)],
            [0x7472_6976, 2, 2, 256]
        );
        rig.w(0x014, 1);
        assert_eq!(rig.r(0x010), 1, "VERSION_1 in the high page");
        assert_eq!(rig.dev.read(0x100, AccessSize::B8).unwrap(), 16, "capacity");
        assert_eq!(rig.r(0x070) & status::FEATURES_OK, status::FEATURES_OK);
    }

    #[test]
    fn legacy_driver_without_version_1_is_refused_features_ok() {
        let path = image("legacy", 4);
        let mut rig = Rig::new(&path, false, F_FLUSH);
        assert_eq!(rig.r(0x070) & status::FEATURES_OK, 0);
    }

    #[test]
    fn read_fills_the_buffer_and_raises_the_line_until_acked() {
        let path = image("read", 16);
        let mut rig = Rig::new(&path, false, FEATURES);
        rig.submit(T_IN, 3, 1024, true);
        assert_eq!(rig.status_byte(), S_OK);
        let data = rig.data(1024);
        assert!(data[..512].iter().all(|&b| b == 3) && data[512..].iter().all(|&b| b == 4));
        assert_eq!(
            rig.mem.read_u32(USED + 8),
            Ok(1025),
            "bytes written, status included"
        );
        assert_eq!(rig.r(0x060), INT_USED_BUFFER);
        assert_eq!(rig.irq.get(), 1 << SOURCE);
        rig.w(0x064, INT_USED_BUFFER);
        assert_eq!((rig.r(0x060), rig.irq.get()), (0, 0));
    }

    #[test]
    fn write_reaches_the_file_and_flush_succeeds() {
        let path = image("write", 16);
        let mut rig = Rig::new(&path, false, FEATURES);
        rig.mem.write(DATA, &[0xab; 512]).unwrap();
        rig.submit(T_OUT, 5, 512, false);
        assert_eq!(rig.status_byte(), S_OK);
        rig.submit(T_FLUSH, 0, 0, false);
        assert_eq!(rig.status_byte(), S_OK);
        let file = std::fs::read(&path).unwrap();
        assert!(file[5 * 512..6 * 512].iter().all(|&b| b == 0xab));
        assert!(file[6 * 512..7 * 512].iter().all(|&b| b == 6));
    }

    #[test]
    fn request_past_the_end_is_an_io_error() {
        let path = image("end", 4);
        let mut rig = Rig::new(&path, false, FEATURES);
        rig.submit(T_IN, 3, 1024, true);
        assert_eq!(rig.status_byte(), S_IOERR);
    }

    #[test]
    fn unknown_request_type_is_unsupported() {
        let path = image("unsupp", 4);
        let mut rig = Rig::new(&path, false, FEATURES);
        rig.submit(11, 0, 16, false);
        assert_eq!(rig.status_byte(), S_UNSUPP);
    }

    #[test]
    fn get_id_returns_the_file_name() {
        let path = image("id", 4);
        let mut rig = Rig::new(&path, false, FEATURES);
        rig.submit(T_GET_ID, 0, 20, true);
        assert_eq!(rig.status_byte(), S_OK);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(rig.data(20), name.as_bytes()[..20.min(name.len())]);
    }

    #[test]
    fn read_only_drive_offers_ro_and_refuses_writes() {
        let path = image("ro", 4);
        let mut rig = Rig::new(&path, true, FEATURES | F_RO);
        assert_eq!(rig.r(0x010) & F_RO as u32, F_RO as u32);
        rig.submit(T_OUT, 0, 512, false);
        assert_eq!(rig.status_byte(), S_IOERR);
        assert_eq!(std::fs::read(&path).unwrap()[0], 0);
    }

    #[test]
    fn no_interrupt_flag_is_respected() {
        let path = image("noint", 4);
        let mut rig = Rig::new(&path, false, FEATURES);
        rig.mem.write_u16(AVAIL, 1).unwrap();
        rig.submit(T_IN, 0, 512, true);
        assert_eq!(rig.status_byte(), S_OK);
        assert_eq!(rig.irq.get(), 0);
    }

    #[test]
    fn broken_chain_asks_for_a_reset() {
        let path = image("broken", 4);
        let mut rig = Rig::new(&path, false, FEATURES);
        make_available(&rig.mem, 0, 9, 8);
        rig.w(0x050, 0);
        assert_ne!(rig.r(0x070) & status::DEVICE_NEEDS_RESET, 0);
        rig.w(0x070, 0);
        assert_eq!((rig.r(0x070), rig.irq.get()), (0, 0));
    }

    #[test]
    fn available_index_far_ahead_asks_for_a_reset_without_serving() {
        let path = image("ahead", 4);
        let mut rig = Rig::new(&path, false, FEATURES);
        rig.mem.write_u16(AVAIL + 2, 60_000).unwrap();
        rig.w(0x050, 0);
        assert_ne!(rig.r(0x070) & status::DEVICE_NEEDS_RESET, 0);
        assert_eq!(rig.dev.work().chains, 0);
    }

    #[test]
    fn long_read_is_served_in_pieces_that_keep_to_the_budget() {
        let path = image("pieces", 2048);
        let mut blk = Blk::open(&DriveConfig {
            path: path.clone(),
            readonly: false,
        })
        .unwrap();
        let mem = memory();
        let mut hdr = [0u8; 16];
        hdr[8..16].copy_from_slice(&1u64.to_le_bytes());
        mem.write(HDR, &hdr).unwrap();
        mem.write(STATUS, &[0xff]).unwrap();
        put_desc(&mem, 0, HDR, 16, 1, 1);
        put_desc(&mem, 1, RAM + 0x1_0000, 512 << 10, 3, 2);
        put_desc(&mem, 2, STATUS, 1, 2, 0);
        make_available(&mem, 0, 0, 8);
        let mut q = Queue::new(8);
        (q.desc, q.driver, q.device, q.ready) = (DESC, AVAIL, USED, true);
        q.begin(&mem).unwrap();

        let mut piece = Budget::new(std::time::Duration::from_secs(60), 128 << 10);
        let first = blk.process(0, &mut q, &mem, &mut piece).unwrap();
        let status_then = rig_status(&mem);
        let mut rest = Budget::new(std::time::Duration::from_secs(60), u64::MAX);
        let second = blk.process(0, &mut q, &mem, &mut rest).unwrap();

        assert_eq!(
            first,
            Served {
                used: false,
                more: true
            }
        );
        assert_eq!(piece.done().bytes, 128 << 10);
        assert_eq!(status_then, 0xff, "no status before the request is over");
        assert_eq!(
            second,
            Served {
                used: true,
                more: false
            }
        );
        assert_eq!(rest.done().bytes, 384 << 10);
        let mut got = [0u8; 2];
        mem.read(RAM + 0x1_0000 + (512 << 10) - 1, &mut got[..1])
            .unwrap();
        assert_eq!((got[0], rig_status(&mem)), (1024u16 as u8, S_OK));
    }

    fn rig_status(mem: &GuestMemory) -> u8 {
        let mut b = [0u8];
        mem.read(STATUS, &mut b).unwrap();
        b[0]
    }

    #[test]
    fn spent_budget_serves_nothing_and_keeps_the_chain_for_later() {
        let path = image("spent", 4);
        let rig = Rig::new(&path, false, FEATURES);
        let mut blk = Blk::open(&DriveConfig {
            path: path.clone(),
            readonly: false,
        })
        .unwrap();
        rig.mem.write(STATUS, &[0xff]).unwrap();
        put_desc(&rig.mem, 0, HDR, 16, 1, 1);
        put_desc(&rig.mem, 1, STATUS, 1, 2, 0);
        make_available(&rig.mem, 0, 0, 8);
        let mut q = Queue::new(8);
        (q.desc, q.driver, q.device, q.ready) = (DESC, AVAIL, USED, true);
        q.begin(&rig.mem).unwrap();
        let mut spent = Budget::new(std::time::Duration::ZERO, 0);
        let served = blk.process(0, &mut q, &rig.mem, &mut spent).unwrap();
        assert_eq!(
            served,
            Served {
                used: false,
                more: true
            }
        );
        assert_eq!(rig_status(&rig.mem), 0xff);
        assert_eq!(rig.mem.read_u16(USED + 2), Ok(0));
    }

    #[test]
    fn notification_while_work_is_left_is_served_after_it() {
        // 48 MiB in one request: more than one piece's 16 MiB, whatever the host's speed.
        let path = std::env::temp_dir().join(format!("ospite-blk-{}-left.img", std::process::id()));
        std::fs::File::create(&path)
            .unwrap()
            .set_len(64 << 20)
            .unwrap();
        let ram = Arc::new(ospite_mmu::GuestRam::new(16 << 20).unwrap());
        let mem = GuestMemory::new(ospite_mmu::PhysAddr(RAM), ram);
        let mut rig = Rig::with_memory(&path, false, FEATURES, mem);
        rig.mem.write(HDR, &[0; 16]).unwrap();
        put_desc(&rig.mem, 0, HDR, 16, 1, 1);
        for i in 1..=6 {
            put_desc(&rig.mem, i, RAM + (8 << 20), 8 << 20, 3, i + 1);
        }
        put_desc(&rig.mem, 7, STATUS, 1, 2, 0);
        make_available(&rig.mem, 0, 0, 8);
        rig.slice();
        rig.w(0x050, 0);
        let left_after_notify = rig.dev.busy();
        let used_then = rig.mem.read_u16(USED + 2).unwrap();
        make_available(&rig.mem, 1, 0, 8);
        rig.w(0x050, 0);
        let mut turns = 0;
        while rig.slice() {
            turns += 1;
        }
        assert!(left_after_notify);
        assert_eq!(used_then, 0);
        assert!(turns >= 4, "{turns} turns for 96 MiB in pieces of 16 MiB");
        assert_eq!(rig.mem.read_u16(USED + 2), Ok(2), "both chains served");
        assert_eq!(rig.dev.work().bytes, 96 << 20);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn missing_image_is_named() {
        let err = Blk::open(&DriveConfig {
            path: PathBuf::from("/nonexistent/disk.img"),
            readonly: false,
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("/nonexistent/disk.img: cannot read"),
            "{err}"
        );
    }
}
