//! Live capture: Peregrine's eBPF probe (bpf/probe.bpf.c, built into this crate by build.rs)
//! on the `sys_exit` tracepoint, one BPF ring buffer per CPU read through Peregrine's own
//! mmap reader ([`ring`]), and a merge of the rings in timestamp order.
//!
//! The probe submits without waking anyone (`BPF_RB_NO_WAKEUP`); the reader polls the rings
//! and, when all are empty, sleeps with a short back-off. Every event the probe produces is
//! counted, and so is every event it could not deliver ([`LiveStats`]).

mod procfs;
mod ring;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use libbpf_rs::{Link, MapCore, MapFlags, MapHandle, MapType, Object, ObjectBuilder};

use super::RawEvent;
use super::file::Metadata;
use crate::error::{Error, Result};
use crate::event::schema::native_syscalls;
use crate::event::{EventFlags, EventRef, event_info};
use crate::filter::EventTypes;

use ring::Ring;

/// How long the reader sleeps when every ring is empty, at first: the probe never wakes it,
/// so this bounds how late an event is seen once the system goes quiet. Each empty look
/// doubles it, up to [`IDLE_SLEEP_MAX`]. Waking costs the reader a few microseconds, which
/// on a busy machine is taken from the programs being watched: measured with redis-benchmark
/// on two cores (3.8 M events), the reader used 2.6 to 2.9 s of CPU starting at 20 µs, 1.6 s
/// at 200 µs and 1.4 s at 500 µs, which is also where libscap starts (it goes up to 30 ms).
pub const IDLE_SLEEP_START: Duration = Duration::from_micros(500);
/// The longest the reader sleeps between looks at empty rings.
pub const IDLE_SLEEP_MAX: Duration = Duration::from_millis(2);

/// The compiled probe.
static PROBE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/probe.bpf.o"));

/// Default size of each CPU's ring buffer.
pub const DEFAULT_BUFFER_SIZE: usize = 8 << 20;
/// Default number of bytes of data buffers kept (read/write data and the like).
pub const DEFAULT_SNAPLEN: u32 = 80;

/// `PPME_GENERIC_X`: the event of syscalls the probe has no filler for.
const GENERIC_X: u16 = 1;
/// Exit events the probe fills itself (bpf/probe.bpf.c); other syscalls go out as
/// `GENERIC_X`.
const FILLED: &[u16] = &[
    3,   // open
    5,   // close
    7,   // read
    9,   // write
    19,  // socket
    21,  // bind
    23,  // connect
    25,  // listen
    31,  // sendto
    35,  // recvfrom
    37,  // shutdown
    43,  // socketpair
    45,  // setsockopt
    47,  // getsockopt
    49,  // sendmsg
    51,  // sendmmsg
    53,  // recvmsg
    55,  // recvmmsg
    59,  // creat
    61,  // pipe
    63,  // eventfd
    95,  // chdir
    97,  // fchdir
    113, // pread64
    115, // pwrite64
    117, // readv
    119, // writev
    121, // preadv
    123, // pwritev
    127, // signalfd
    129, // kill
    131, // tkill
    133, // tgkill
    137, // timerfd_create
    139, // inotify_init
    151, // fcntl
    161, // mmap
    169, // ptrace
    171, // ioctl
    175, // rename
    177, // renameat
    179, // symlink
    181, // symlinkat
    189, // sendfile
    193, // setresuid
    195, // setresgid
    199, // setuid
    201, // setgid
    223, // clone
    225, // fork
    227, // vfork
    241, // setns
    247, // accept
    257, // mount
    267, // chroot
    275, // setsid
    277, // mkdir
    279, // rmdir
    285, // unshare
    293, // execve
    295, // setpgid
    301, // unlink
    303, // unlinkat
    305, // mkdirat
    307, // openat
    309, // link
    311, // linkat
    313, // fchmodat
    315, // chmod
    317, // fchmod
    319, // renameat2
    321, // userfaultfd
    327, // openat2
    329, // mprotect
    331, // execveat
    335, // clone3
    339, // io_uring_setup
    353, // capset
    363, // dup2
    365, // dup3
    367, // dup
    369, // bpf
    375, // epoll_create
    377, // epoll_create1
    379, // chown
    381, // lchown
    383, // fchown
    385, // fchownat
    389, // accept4
    391, // umount2
    393, // pipe2
    395, // inotify_init1
    397, // eventfd2
    399, // signalfd4
    401, // prctl
    405, // memfd_create
    411, // init_module
    413, // finit_module
    425, // delete_module
    427, // setreuid
    429, // setregid
];

/// Exit events of the syscalls whose enter events the probe can send too
/// ([`LiveConfig::enter_events`]): open, openat, openat2, creat, connect.
const WITH_ENTER: &[u16] = &[3, 23, 59, 307, 327];

/// How to capture.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Bytes of each CPU's ring buffer: a power of two, at least a page.
    pub buffer_size: usize,
    /// Bytes of data buffers kept per event.
    pub snaplen: u32,
    /// Capture Peregrine's own process too.
    pub capture_self: bool,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Capture this process (all its threads) only.
    pub only_process: Option<u32>,
    /// Capture only what runs on these CPUs (numbers below 256).
    pub cpus: Option<Vec<usize>>,
    /// Also send the enter events of open, openat, openat2, creat and connect (their
    /// arguments as the call started, before user memory could change them).
    pub enter_events: bool,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            buffer_size: DEFAULT_BUFFER_SIZE,
            snaplen: DEFAULT_SNAPLEN,
            capture_self: false,
            duration: None,
            only_process: None,
            cpus: None,
            enter_events: false,
        }
    }
}

/// What the probe produced and what it lost, summed over CPUs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Events the probe produced (delivered to a ring or dropped).
    pub events: u64,
    /// Events dropped because a ring was full.
    pub drops_buffer: u64,
    /// Events dropped because they did not fit the probe's scratch buffer.
    pub drops_size: u64,
    /// Events read from the rings so far.
    pub delivered: u64,
    /// Events the reader refused as malformed (a probe bug if ever non-zero).
    pub invalid: u64,
}

impl LiveStats {
    /// All events lost, for whatever reason.
    pub fn drops(&self) -> u64 {
        self.drops_buffer + self.drops_size + self.invalid
    }
}

/// A running capture of the live system.
pub struct LiveSource {
    rings: Vec<Ring>,
    /// Rings with an event at their head, by the event's timestamp.
    heads: BinaryHeap<Reverse<(u64, usize)>>,
    /// Rings last seen empty.
    idle: Vec<usize>,
    /// The ring of the event handed out last, consumed on the next call.
    current: Option<usize>,
    number: u64,
    invalid: u64,
    deadline: Option<Instant>,
    stop: Arc<AtomicBool>,
    metadata: Metadata,
    object: Object,
    _links: Vec<Link>,
    _ring_maps: Vec<MapHandle>,
}

fn live_err(what: &str, e: impl std::fmt::Display) -> Error {
    let why = e.to_string();
    let hint = if why.contains("Operation not permitted") || why.contains("EPERM") {
        " (live capture needs root, or CAP_BPF and CAP_PERFMON)"
    } else {
        ""
    };
    Error::Live {
        what: what.to_string(),
        why: format!("{why}{hint}"),
    }
}

impl LiveSource {
    /// Loads the probe, maps one ring per CPU, reads the initial state from /proc and starts
    /// capturing the syscalls whose events are in `types` (and those that keep state right).
    pub fn open(config: &LiveConfig, types: Option<&EventTypes>) -> Result<LiveSource> {
        let page = 4096;
        if !config.buffer_size.is_power_of_two()
            || config.buffer_size < page
            || config.buffer_size > (1 << 30)
        {
            return Err(Error::Live {
                what: "ring buffer size".into(),
                why: format!(
                    "{} bytes: it must be a power of two from 4 KiB to 1 GiB",
                    config.buffer_size
                ),
            });
        }
        if config.snaplen > 65_535 {
            return Err(Error::Live {
                what: "snaplen".into(),
                why: format!("{} bytes: at most 65535", config.snaplen),
            });
        }
        if !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
            return Err(Error::Live {
                what: "kernel support".into(),
                why: "this kernel has no BTF (/sys/kernel/btf/vmlinux); the probe needs \
                      CONFIG_DEBUG_INFO_BTF"
                    .into(),
            });
        }
        let ncpu = libbpf_rs::num_possible_cpus().map_err(|e| live_err("counting CPUs", e))?;
        let size = config.buffer_size as u32;
        let opts = libbpf_rs::libbpf_sys::bpf_map_create_opts {
            sz: std::mem::size_of::<libbpf_rs::libbpf_sys::bpf_map_create_opts>() as _,
            ..Default::default()
        };
        let template = MapHandle::create(MapType::RingBuf, Some("pg_ring"), 0, 0, size, &opts)
            .map_err(|e| live_err("creating a ring buffer", e))?;

        // libbpf reports through our errors, not on stderr (PEREGRINE_LIBBPF_LOG=1 shows
        // its own messages, for debugging the probe).
        if std::env::var_os("PEREGRINE_LIBBPF_LOG").is_none() {
            libbpf_rs::set_print(None);
        }
        let mut open = ObjectBuilder::default()
            .open_memory(PROBE)
            .map_err(|e| live_err("opening the probe", e))?;
        for mut m in open.maps_mut() {
            if m.name() == "rings" {
                m.set_max_entries(ncpu as u32)
                    .and_then(|_| m.set_inner_map_fd(template.as_fd()))
                    .map_err(|e| live_err("sizing the ring table", e))?;
            } else if m.name() == "aux_map" {
                m.set_max_entries(ncpu as u32)
                    .map_err(|e| live_err("sizing the scratch buffers", e))?;
            }
        }
        // PEREGRINE_VERIFIER_STATS=1 prints the verifier's statistics for each program
        // (instructions processed, against its limit of a million, and time): the budget
        // the probe's fillers share.
        if std::env::var_os("PEREGRINE_VERIFIER_STATS").is_some() {
            for mut p in open.progs_mut() {
                p.set_log_level(4);
            }
            fn print(_: libbpf_rs::PrintLevel, msg: String) {
                eprint!("{msg}");
            }
            libbpf_rs::set_print(Some((libbpf_rs::PrintLevel::Debug, print)));
        }
        let object = open.load().map_err(|e| live_err("loading the probe", e))?;

        let map = |name: &str| {
            object
                .maps()
                .find(|m| m.name() == name)
                .ok_or_else(|| live_err("finding the probe's maps", format!("no map {name}")))
        };

        // Settings: the epoch offset of the boot clock, our own process, the snaplen.
        let own = if config.capture_self {
            0
        } else {
            std::process::id()
        };
        let mut mask = [0u64; 4];
        if let Some(cpus) = &config.cpus {
            for &c in cpus {
                if c >= ncpu.min(256) {
                    return Err(Error::Live {
                        what: "CPU selection".into(),
                        why: format!("CPU {c} does not exist (this machine has {ncpu})"),
                    });
                }
                mask[c / 64] |= 1 << (c % 64);
            }
        }
        let mut settings = Vec::with_capacity(64);
        settings.extend_from_slice(&boot_time_offset().to_ne_bytes());
        settings.extend_from_slice(&own.to_ne_bytes());
        settings.extend_from_slice(&config.snaplen.to_ne_bytes());
        settings.extend_from_slice(&config.only_process.unwrap_or(0).to_ne_bytes());
        settings.extend_from_slice(&u32::from(config.cpus.is_some()).to_ne_bytes());
        for m in mask {
            settings.extend_from_slice(&m.to_ne_bytes());
        }
        // SAFETY: sysconf has no memory-safety preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let page_kb = u32::try_from(page / 1024).unwrap_or(4).max(1);
        settings.extend_from_slice(&page_kb.to_ne_bytes());
        settings.extend_from_slice(&0u32.to_ne_bytes());
        map("settings_map")?
            .update(&0u32.to_ne_bytes(), &settings, MapFlags::ANY)
            .map_err(|e| live_err("writing the probe's settings", e))?;

        // The syscall table: which native syscalls to capture, and as what.
        let table = map("syscall_table")?;
        for s in native_syscalls() {
            if s.nr >= 512 || s.ppm_sc == 0 {
                continue;
            }
            let emits = if FILLED.contains(&s.exit) {
                s.exit
            } else {
                GENERIC_X
            };
            let keeps_state = event_info(s.exit)
                .is_some_and(|i| i.flags.contains(EventFlags::MODIFIES_STATE))
                && FILLED.contains(&s.exit);
            let wanted = |t: &EventTypes| {
                if emits == GENERIC_X {
                    t.contains_generic(s.ppm_sc)
                } else {
                    t.contains(emits)
                }
            };
            let enabled = keeps_state || types.is_none_or(wanted);
            let mut v = [0u8; 8];
            v[0..2].copy_from_slice(&s.ppm_sc.to_ne_bytes());
            v[2..4].copy_from_slice(&s.exit.to_ne_bytes());
            v[4] = u8::from(enabled);
            v[5] = u8::from(enabled && config.enter_events && WITH_ENTER.contains(&s.exit));
            table
                .update(&u32::from(s.nr).to_ne_bytes(), &v, MapFlags::ANY)
                .map_err(|e| live_err("writing the syscall table", e))?;
        }

        // One ring per CPU.
        let rings_map = map("rings")?;
        let mut rings = Vec::with_capacity(ncpu);
        let mut ring_maps = Vec::with_capacity(ncpu);
        for cpu in 0..ncpu {
            let h = MapHandle::create(MapType::RingBuf, Some("pg_ring"), 0, 0, size, &opts)
                .map_err(|e| live_err("creating a ring buffer", e))?;
            let fd = h.as_fd().as_raw_fd() as u32;
            rings_map
                .update(
                    &(cpu as u32).to_ne_bytes(),
                    &fd.to_ne_bytes(),
                    MapFlags::ANY,
                )
                .map_err(|e| live_err("installing a ring buffer", e))?;
            rings.push(
                Ring::map(h.as_fd(), config.buffer_size)
                    .map_err(|e| live_err("mapping a ring buffer", e))?,
            );
            ring_maps.push(h);
        }

        // The state before the first event, then the probe.
        let metadata = procfs::scan();
        let mut links = Vec::new();
        let programs: &[&str] = if config.enter_events {
            &["sched_process_exit", "sys_exit", "sys_enter"]
        } else {
            &["sched_process_exit", "sys_exit"]
        };
        for &name in programs {
            let link = object
                .progs_mut()
                .find(|p| p.name() == name)
                .ok_or_else(|| live_err("attaching the probe", format!("no program {name}")))?
                .attach()
                .map_err(|e| live_err(&format!("attaching the probe to {name}"), e))?;
            links.push(link);
        }

        Ok(LiveSource {
            idle: (0..rings.len()).collect(),
            rings,
            heads: BinaryHeap::new(),
            current: None,
            number: 0,
            invalid: 0,
            deadline: config.duration.map(|d| Instant::now() + d),
            stop: Arc::new(AtomicBool::new(false)),
            metadata,
            object,
            _links: links,
            _ring_maps: ring_maps,
        })
    }

    /// The state read from /proc when the capture started.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// A flag that, once set (from a signal handler or another thread), ends the capture:
    /// `next_event` returns `None` when no event is waiting.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// The next event in timestamp order, waiting for one; `None` once the duration has
    /// passed or the stop flag is set.
    pub fn next_event(&mut self) -> Result<Option<RawEvent<'_>>> {
        if let Some(i) = self.current.take() {
            self.rings[i].consume();
            self.idle.push(i);
        }
        let mut backoff = IDLE_SLEEP_START;
        loop {
            let mut k = 0;
            while k < self.idle.len() {
                let i = self.idle[k];
                if let Some(sample) = self.rings[i].peek() {
                    let ts = sample
                        .get(..8)
                        .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap()));
                    self.heads.push(Reverse((ts, i)));
                    self.idle.swap_remove(k);
                } else {
                    k += 1;
                }
            }
            if let Some(Reverse((_, i))) = self.heads.pop() {
                let ok = self.rings[i]
                    .peek()
                    .is_some_and(|s| EventRef::new(s).is_ok());
                if !ok {
                    self.invalid += 1;
                    self.rings[i].consume();
                    self.idle.push(i);
                    continue;
                }
                self.current = Some(i);
                self.number += 1;
                return Ok(self.current());
            }
            // Every ring is empty: all the space read so far goes back to the kernel.
            for ring in &mut self.rings {
                ring.release();
            }
            if self.stop.load(Ordering::Relaxed)
                || self.deadline.is_some_and(|d| Instant::now() >= d)
            {
                return Ok(None);
            }
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(IDLE_SLEEP_MAX);
        }
    }

    /// The event `next_event` returned last.
    pub fn current(&self) -> Option<RawEvent<'_>> {
        let i = self.current?;
        let sample = self.rings[i].head()?;
        let event = EventRef::new(sample).ok()?;
        Some(RawEvent {
            event,
            cpu: i as u16,
            flags: 0,
            number: self.number,
            offset: 0,
        })
    }

    /// Counters of the probe, summed over CPUs, and of the reader.
    pub fn stats(&self) -> Result<LiveStats> {
        let mut s = LiveStats {
            delivered: self.number,
            invalid: self.invalid,
            ..LiveStats::default()
        };
        let map = self
            .object
            .maps()
            .find(|m| m.name() == "counters_map")
            .ok_or_else(|| live_err("reading counters", "no counters map"))?;
        let per_cpu = map
            .lookup_percpu(&0u32.to_ne_bytes(), MapFlags::ANY)
            .map_err(|e| live_err("reading counters", e))?
            .unwrap_or_default();
        for v in per_cpu {
            let word = |i: usize| {
                v.get(i * 8..i * 8 + 8)
                    .map_or(0, |b| u64::from_ne_bytes(b.try_into().unwrap()))
            };
            s.events += word(0);
            s.drops_buffer += word(1);
            s.drops_size += word(2);
        }
        Ok(s)
    }
}

/// Nanoseconds from the epoch to boot: what turns the probe's boot-clock timestamps into
/// wall-clock ones.
fn boot_time_offset() -> u64 {
    let now = |clock| {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec.
        unsafe { libc::clock_gettime(clock, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    };
    now(libc::CLOCK_REALTIME).saturating_sub(now(libc::CLOCK_BOOTTIME))
}
