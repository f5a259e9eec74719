//! Live capture: Peregrine's eBPF probe (bpf/probe.bpf.c, built into this crate by build.rs,
//! loaded by `probe.rs`) on the `sys_exit` tracepoint, one BPF ring buffer per CPU read
//! through Peregrine's own mmap reader (`ring.rs`), and a merge of the rings in timestamp
//! order.
//!
//! The probe submits without waking anyone (`BPF_RB_NO_WAKEUP`); the reader polls the rings
//! and, when all are empty, sleeps with a short back-off. Every event the probe produces is
//! counted, and so is every event it could not deliver ([`LiveStats`]).

mod probe;
mod procfs;
mod ring;

pub use probe::{MIN_KERNEL, PROBE_COMPILER, ProgramStats, VERIFIER_LIMIT, probe_stats};

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use libbpf_rs::{Link, MapCore, MapFlags, MapHandle, MapType, Object};

use super::RawEvent;
use super::file::Metadata;
use crate::error::{Error, Result};
use crate::event::schema::native_syscalls;
use crate::event::{EventFlags, EventRef, EventShape, event_info};
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

/// How long after its timestamp an event can still be committed to its ring, at most: the
/// probe runs with preemption off, so this is its own run time and an interrupt or two, far
/// below a millisecond. An idle ring seen empty at time `t` can only get events stamped after
/// `t - COMMIT_LAG`, so older events of the other rings go out without looking at it again.
const COMMIT_LAG: u64 = 10_000_000;
/// Idle rings are checked this many times between readings of the clock that lets the
/// reader skip checking them (see [`COMMIT_LAG`]).
const CLOCK_EVERY: u32 = 256;

/// Default size of each CPU's ring buffer.
pub const DEFAULT_BUFFER_SIZE: usize = 8 << 20;
/// Default number of bytes of data buffers kept (read/write data and the like).
pub const DEFAULT_SNAPLEN: u32 = 80;

/// The schema's name of the generic event (`PPME_GENERIC_X`), which syscalls without an
/// event of their own send; the probe's exit dispatcher writes it, with no program of its
/// own.
const GENERIC_EVENT: &str = "syscall";

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

/// The timestamp at the start of a sample (0 for one too short to have it, which the
/// validation that follows refuses).
fn timestamp(sample: &[u8]) -> u64 {
    sample
        .get(..8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap()))
}

/// A running capture of the live system.
pub struct LiveSource {
    rings: Vec<Ring>,
    /// Rings with an event at their head, by the event's timestamp.
    heads: BinaryHeap<Reverse<(u64, usize)>>,
    /// Rings last seen empty.
    idle: Vec<usize>,
    /// Every ring in `idle` was seen empty after the clock read this plus [`COMMIT_LAG`]:
    /// events older than this cannot arrive there any more, and the last ring's head, if
    /// older, goes out without looking at them (what makes a backlog drain at the speed of
    /// one ring however many CPUs are idle).
    idle_quiet_before: u64,
    /// Looks at the idle rings left before the next reading of the clock.
    clock_in: u32,
    /// The probe's offset of the boot clock (its timestamps are boot time plus this).
    boot_offset: u64,
    /// The ring of the event handed out last, consumed on the next call, and that event's
    /// layout as validated when it was handed out (records do not change once committed).
    current: Option<(usize, EventShape)>,
    number: u64,
    invalid: u64,
    deadline: Option<Instant>,
    stop: Arc<AtomicBool>,
    metadata: Metadata,
    object: Object,
    _links: Vec<Link>,
    _ring_maps: Vec<MapHandle>,
}

use probe::live_err;

/// Fails unless the kernel has BTF, which the probe's CO-RE relocations and its BTF-typed
/// tracepoints need.
fn check_btf() -> Result<()> {
    if std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
        return Ok(());
    }
    Err(Error::Live {
        what: "kernel support".into(),
        why: "this kernel has no BTF (/sys/kernel/btf/vmlinux); the probe needs \
              CONFIG_DEBUG_INFO_BTF"
            .into(),
    })
}

/// A ring buffer of `size` bytes: the rings themselves, and the template the ring table
/// is created with.
fn ring_template(size: u32) -> Result<MapHandle> {
    let opts = libbpf_rs::libbpf_sys::bpf_map_create_opts {
        sz: std::mem::size_of::<libbpf_rs::libbpf_sys::bpf_map_create_opts>() as _,
        ..Default::default()
    };
    MapHandle::create(MapType::RingBuf, Some("pg_ring"), 0, 0, size, &opts)
        .map_err(|e| live_err("creating a ring buffer", e))
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
        check_btf()?;
        let ncpu = libbpf_rs::num_possible_cpus().map_err(|e| live_err("counting CPUs", e))?;
        let size = config.buffer_size as u32;
        let template = ring_template(size)?;
        let object = probe::load(ncpu, &template, false)?.object;

        let map = |name: &str| find_map(&object, name);

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
        let boot_offset = boot_time_offset();
        let mut settings = Vec::with_capacity(64);
        settings.extend_from_slice(&boot_offset.to_ne_bytes());
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

        install_programs(&object, types, config.enter_events)?;

        // One ring per CPU.
        let rings_map = map("rings")?;
        let mut rings = Vec::with_capacity(ncpu);
        let mut ring_maps = Vec::with_capacity(ncpu);
        for cpu in 0..ncpu {
            let h = ring_template(size)?;
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
            idle_quiet_before: 0,
            clock_in: 0,
            boot_offset,
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
        // The ring of the last event: its next event goes out at once, without the heap,
        // when no other ring's head is older (the common case: one busy CPU, or a run of
        // events on one).
        let mut last = None;
        if let Some((i, _)) = self.current.take() {
            self.rings[i].consume();
            // The common case, a backlog read from one ring: its next event is older than
            // anything the idle rings can still get and than every other ring's head, so it
            // goes out at once, checked once.
            let quiet_before = self.idle_quiet_before;
            let first = self.heads.peek().map_or(u64::MAX, |h| h.0.0);
            if let Some(s) = self.rings[i].peek() {
                let ts = timestamp(s);
                if ts < quiet_before
                    && ts <= first
                    && let Ok(e) = EventRef::new(s)
                {
                    let shape = e.shape();
                    return Ok(self.hand_out(i, shape));
                }
            }
            last = Some(i);
        }
        let mut backoff = IDLE_SLEEP_START;
        loop {
            let last_head = last
                .take()
                .map(|i| (i, self.rings[i].peek().map(timestamp)));
            let quiet = matches!(last_head, Some((_, Some(ts))) if ts < self.idle_quiet_before);
            if !quiet {
                self.look_at_idle_rings();
            }
            let mut next = None;
            if let Some((i, head)) = last_head {
                match head {
                    Some(ts) if self.heads.peek().is_none_or(|h| ts <= h.0.0) => next = Some(i),
                    Some(ts) => self.heads.push(Reverse((ts, i))),
                    None => self.idle.push(i),
                }
            }
            if let Some(i) = next.or_else(|| self.heads.pop().map(|h| h.0.1)) {
                let shape = self.rings[i]
                    .peek()
                    .and_then(|s| EventRef::new(s).ok())
                    .map(|e| e.shape());
                let Some(shape) = shape else {
                    self.invalid += 1;
                    self.rings[i].consume();
                    self.idle.push(i);
                    continue;
                };
                return Ok(self.hand_out(i, shape));
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

    /// Hands out the head of ring `i`, whose layout is `shape`; it is consumed on the next
    /// call.
    fn hand_out(&mut self, i: usize, shape: EventShape) -> Option<RawEvent<'_>> {
        self.current = Some((i, shape));
        self.number += 1;
        self.current()
    }

    /// Moves the idle rings that have an event to the heap. Every [`CLOCK_EVERY`] looks, the
    /// clock is read first, so that those still empty are known empty since then.
    fn look_at_idle_rings(&mut self) {
        let now = if self.clock_in == 0 {
            self.clock_in = CLOCK_EVERY;
            Some(boot_clock() + self.boot_offset)
        } else {
            self.clock_in -= 1;
            None
        };
        let mut k = 0;
        while k < self.idle.len() {
            let i = self.idle[k];
            if let Some(ts) = self.rings[i].peek().map(timestamp) {
                self.heads.push(Reverse((ts, i)));
                self.idle.swap_remove(k);
            } else {
                k += 1;
            }
        }
        if let Some(now) = now {
            self.idle_quiet_before = now.saturating_sub(COMMIT_LAG);
        }
    }

    /// The event `next_event` returned last.
    pub fn current(&self) -> Option<RawEvent<'_>> {
        let (i, shape) = self.current?;
        let event = shape.attach(self.rings[i].head()?)?;
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

/// The map called `name` of the loaded probe.
fn find_map<'o>(object: &'o Object, name: &str) -> Result<libbpf_rs::Map<'o>> {
    object
        .maps()
        .find(|m| m.name() == name)
        .ok_or_else(|| live_err("finding the probe's maps", format!("no map {name}")))
}

/// Fills the probe's tables, by native syscall number. A syscall is captured when `types`
/// (the event types a filter can match; `None`: all) has its event, or when its event keeps
/// the state right; it then gets, in the table the exit dispatcher tail-calls, the program
/// of its exit event, `NAME_x` where NAME is the event's name in the schema, or, when the
/// probe has none, its schema code in `syscall_codes`, which makes the dispatcher write the
/// generic event itself; and, with `enter_events`, the program of its enter event (`NAME_e`)
/// if the probe has one. Every other syscall has neither and is not captured.
fn install_programs(object: &Object, types: Option<&EventTypes>, enter_events: bool) -> Result<()> {
    let program = |name: &str| {
        object
            .progs()
            .find(|p| p.name() == name)
            .map(|p| p.as_fd().as_raw_fd() as u32)
    };
    let codes = find_map(object, "syscall_codes")?;
    let exits = find_map(object, "exit_programs")?;
    let enters = find_map(object, "enter_programs")?;
    let put = |map: &libbpf_rs::Map<'_>, key: u16, value: &[u8]| {
        map.update(&u32::from(key).to_ne_bytes(), value, MapFlags::ANY)
            .map_err(|e| live_err("writing the probe's syscall tables", e))
    };
    for s in native_syscalls() {
        let Some(info) = event_info(s.exit) else {
            continue;
        };
        if s.nr >= 512 || s.ppm_sc == 0 {
            continue;
        }
        // Syscalls the schema itself has no event for have the generic one as theirs.
        let filler = (info.name != GENERIC_EVENT)
            .then(|| program(&format!("{}_x", info.name)))
            .flatten();
        let keeps_state = filler.is_some() && info.flags.contains(EventFlags::MODIFIES_STATE);
        let wanted = |t: &EventTypes| match filler {
            Some(_) => t.contains(s.exit),
            None => t.contains_generic(s.ppm_sc),
        };
        if !keeps_state && !types.is_none_or(wanted) {
            continue;
        }
        match filler {
            Some(fd) => put(&exits, s.nr, &fd.to_ne_bytes())?,
            None => put(&codes, s.nr, &s.ppm_sc.to_ne_bytes())?,
        }
        if enter_events && let Some(fd) = program(&format!("{}_e", info.name)) {
            put(&enters, s.nr, &fd.to_ne_bytes())?;
        }
    }
    Ok(())
}

/// Nanoseconds from the epoch to boot: what turns the probe's boot-clock timestamps into
/// wall-clock ones.
fn boot_time_offset() -> u64 {
    clock_ns(libc::CLOCK_REALTIME).saturating_sub(boot_clock())
}

/// The boot clock, the probe's (`bpf_ktime_get_boot_ns`), in nanoseconds.
fn boot_clock() -> u64 {
    clock_ns(libc::CLOCK_BOOTTIME)
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
