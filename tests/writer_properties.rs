//! Property tests of the capture writer and reader: any events, and any metadata of every
//! block type the writer writes (machine info, interface list, user list, process list,
//! fd lists), written and read back give exactly what was written, plain and gzip.

use std::io::{Cursor, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use peregrine::capture::file::blocks::fd_type;
use peregrine::capture::file::{
    FdDetail, FdListRecord, FdRecord, FileReader, FileWriter, GroupRecord, Ipv4Interface,
    Ipv6Interface, MachineInfo, Metadata, ThreadRecord, UserRecord,
};
use peregrine::event::{EVENT_MAX, EventBuilder, EventRef};
use proptest::collection::vec;
use proptest::prelude::*;

/// A `Write` whose bytes can be taken back after the writer that owns it is finished.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

type Events = Vec<(u16, u32, Vec<u8>)>;

/// Writes `md` and `events` to memory (gzip or plain) and reads them back.
fn round_trip(md: &Metadata, events: &Events, gzip: bool) -> (Metadata, Events) {
    let sink = Shared::default();
    let out: Box<dyn Write + Send> = if gzip {
        Box::new(flate2::write::GzEncoder::new(
            sink.clone(),
            flate2::Compression::fast(),
        ))
    } else {
        Box::new(sink.clone())
    };
    let mut w = FileWriter::new(out, PathBuf::from("memory"), md).unwrap();
    for (cpu, flags, bytes) in events {
        w.write_event(*cpu, *flags, &EventRef::new(bytes).unwrap())
            .unwrap();
    }
    w.finish().unwrap();
    // Finishing flushed the gzip stream; dropping it wrote the trailer.
    let bytes = sink.0.lock().unwrap().clone();
    let mut r = FileReader::new(Cursor::new(bytes)).unwrap();
    assert_eq!(r.is_compressed(), gzip);
    let mut back = Vec::new();
    while let Some(e) = r.next_event().unwrap() {
        back.push((e.cpu, e.flags, e.event.as_bytes().to_vec()));
    }
    (r.take_metadata(), back)
}

/// Bytes without a NUL (strings the format stores NUL-terminated or NUL-padded).
fn text(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(1u8..=255, 0..=max)
}

/// A NUL-separated list as the process list stores it: empty, or ending with a NUL.
fn nul_list(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(text(12), 0..4).prop_map(move |items| {
        let mut out = Vec::new();
        for i in items {
            if out.len() + i.len() < max {
                out.extend_from_slice(&i);
                out.push(0);
            }
        }
        out
    })
}

fn machine() -> impl Strategy<Value = MachineInfo> {
    (any::<[u64; 7]>(), any::<u32>(), text(127)).prop_map(|(v, num_cpus, hostname)| MachineInfo {
        num_cpus,
        memory_size_bytes: v[0],
        max_pid: v[1],
        hostname,
        boot_ts_epoch: v[2],
        flags: v[3],
        reserved3: v[4],
        reserved4: v[5],
    })
}

fn thread() -> impl Strategy<Value = ThreadRecord> {
    (
        (any::<[u64; 12]>(), any::<[u32; 9]>(), any::<[bool; 4]>()),
        (text(64), text(64), text(64), nul_list(4096), text(64)),
        (nul_list(4096), text(200), text(64)),
    )
        .prop_map(
            |((n, w, b), (comm, exe, exepath, args, cwd), (env, cgroups, root))| ThreadRecord {
                tid: n[0],
                pid: n[1],
                ptid: n[2],
                sid: n[3] as i64,
                vpgid: n[4] as i64,
                comm,
                exe,
                exepath,
                args,
                cwd,
                fdlimit: n[5],
                flags: w[0],
                uid: w[1],
                gid: w[2],
                vmsize_kb: w[3],
                vmrss_kb: w[4],
                vmswap_kb: w[5],
                pfmajor: n[6],
                pfminor: n[7],
                env,
                vtid: n[8] as i64,
                vpid: n[9] as i64,
                cgroups,
                root,
                pidns_init_start_ts: n[10],
                tty: w[6],
                loginuid: w[7],
                exe_writable: b[0],
                cap_inheritable: n[11],
                cap_permitted: n[0] ^ n[1],
                cap_effective: n[2] ^ n[3],
                exe_upper_layer: b[1],
                exe_ino: n[4] ^ n[5],
                exe_ino_ctime: n[6] ^ n[7],
                exe_ino_mtime: n[8] ^ n[9],
                exe_from_memfd: b[2],
                exe_lower_layer: b[3],
                pgid: (n[10] ^ n[11]) as i64,
            },
        )
}

/// Every fd kind the writer writes (`Unknown` carries nothing and is not written).
fn fd_detail() -> impl Strategy<Value = FdDetail> {
    let named = [
        fd_type::FILE,
        fd_type::DIRECTORY,
        fd_type::FIFO,
        fd_type::EVENT,
        fd_type::UNSUPPORTED,
        fd_type::SIGNALFD,
        fd_type::EVENTPOLL,
        fd_type::INOTIFY,
        fd_type::TIMERFD,
        fd_type::NETLINK,
        fd_type::BPF,
        fd_type::USERFAULTFD,
        fd_type::IOURING,
        fd_type::MEMFD,
        fd_type::PIDFD,
    ];
    prop_oneof![
        (any::<([u8; 4], [u8; 4], u16, u16, u8)>()).prop_map(
            |(sip, dip, sport, dport, l4proto)| FdDetail::Ipv4Sock {
                sip,
                dip,
                sport,
                dport,
                l4proto
            }
        ),
        (any::<([u8; 4], u16, u8)>()).prop_map(|(ip, port, l4proto)| FdDetail::Ipv4ServSock {
            ip,
            port,
            l4proto
        }),
        (any::<([u8; 16], [u8; 16], u16, u16, u8)>()).prop_map(
            |(sip, dip, sport, dport, l4proto)| FdDetail::Ipv6Sock {
                sip,
                dip,
                sport,
                dport,
                l4proto
            }
        ),
        (any::<([u8; 16], u16, u8)>()).prop_map(|(ip, port, l4proto)| FdDetail::Ipv6ServSock {
            ip,
            port,
            l4proto
        }),
        (any::<(u64, u64)>(), text(108)).prop_map(|((source, dest), name)| FdDetail::UnixSock {
            source,
            dest,
            name
        }),
        (any::<(u32, u32)>(), text(1023)).prop_map(|((open_flags, dev), name)| {
            FdDetail::File {
                open_flags,
                name,
                dev,
            }
        }),
        (proptest::sample::select(named.to_vec()), text(200))
            .prop_map(|(fd_type, name)| FdDetail::Named { fd_type, name }),
    ]
}

fn fd_list() -> impl Strategy<Value = FdListRecord> {
    (any::<u64>(), vec((any::<(i64, u64)>(), fd_detail()), 0..6)).prop_map(|(tid, fds)| {
        FdListRecord {
            tid,
            fds: fds
                .into_iter()
                .map(|((fd, ino), detail)| FdRecord { fd, ino, detail })
                .collect(),
        }
    })
}

fn metadata() -> impl Strategy<Value = Metadata> {
    (
        proptest::option::of(machine()),
        vec(thread(), 0..4),
        vec(fd_list(), 0..4),
        vec((any::<([u8; 4], [u8; 4], [u8; 4], u64)>(), text(30)), 0..3),
        vec(
            (any::<([u8; 16], [u8; 16], [u8; 16], u64)>(), text(30)),
            0..3,
        ),
        vec((any::<(u32, u32)>(), text(255), text(255), text(255)), 0..4),
        vec((any::<u32>(), text(255)), 0..4),
    )
        .prop_map(
            |(machine, threads, fd_lists, v4, v6, users, groups)| Metadata {
                machine,
                threads,
                fd_lists,
                ipv4_interfaces: v4
                    .into_iter()
                    .map(|((addr, netmask, bcast, linkspeed), name)| Ipv4Interface {
                        addr,
                        netmask,
                        bcast,
                        linkspeed,
                        name,
                    })
                    .collect(),
                ipv6_interfaces: v6
                    .into_iter()
                    .map(|((addr, netmask, bcast, linkspeed), name)| Ipv6Interface {
                        addr,
                        netmask,
                        bcast,
                        linkspeed,
                        name,
                    })
                    .collect(),
                users: users
                    .into_iter()
                    .map(|((uid, gid), name, homedir, shell)| UserRecord {
                        uid,
                        gid,
                        name,
                        homedir,
                        shell,
                    })
                    .collect(),
                groups: groups
                    .into_iter()
                    .map(|(gid, name)| GroupRecord { gid, name })
                    .collect(),
            },
        )
}

/// User and group events (354..=361) are merged into the metadata rather than lent.
const USER_EVENTS: std::ops::RangeInclusive<u16> = 354..=361;

fn event() -> impl Strategy<Value = (u16, u32, Vec<u8>)> {
    (
        (0..EVENT_MAX).prop_filter("user and group events are metadata", |t| {
            !USER_EVENTS.contains(t)
        }),
        any::<(u64, i64, u16)>(),
        proptest::sample::select(vec![0u32, 1]),
        vec(vec(any::<u8>(), 0..64), 0..10),
    )
        .prop_map(|(ty, (ts, tid, cpu), flags, params)| {
            let mut b = EventBuilder::new(ty).ts(ts).tid(tid);
            for p in &params {
                b = b.raw(p);
            }
            (cpu, flags, b.build())
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Metadata of every block type, and events of every type, with and without dump
    /// flags, come back exactly as written.
    #[test]
    fn written_captures_read_back_exactly(
        md in metadata(),
        events in vec(event(), 0..20),
        gzip in any::<bool>(),
    ) {
        let (md2, events2) = round_trip(&md, &events, gzip);
        prop_assert_eq!(md2, md);
        prop_assert_eq!(events2, events);
    }

    /// Any prefix of a written capture reads without a panic: its complete events, then a
    /// clean end or an error.
    #[test]
    fn every_prefix_of_a_written_capture_reads_without_panic(
        md in metadata(),
        events in vec(event(), 1..6),
        cut in any::<proptest::sample::Index>(),
    ) {
        let sink = Shared::default();
        let mut w = FileWriter::new(Box::new(sink.clone()), PathBuf::from("memory"), &md).unwrap();
        for (cpu, flags, bytes) in &events {
            w.write_event(*cpu, *flags, &EventRef::new(bytes).unwrap()).unwrap();
        }
        w.finish().unwrap();
        let bytes = sink.0.lock().unwrap().clone();
        let cut = cut.index(bytes.len() + 1);
        if let Ok(mut r) = FileReader::new(Cursor::new(bytes[..cut].to_vec())) {
            let mut n = 0;
            while let Ok(Some(e)) = r.next_event() {
                prop_assert_eq!(e.event.as_bytes(), events[n].2.as_slice());
                n += 1;
            }
        }
    }
}
