//! Block ids of the scap capture format and the metadata they carry (machine info, process
//! list, fd lists, interfaces, users and groups), with their decoders and encoders.
//!
//! Decoders read a block body that is already in memory; every length is checked against
//! what is left, and an error names the block and the offset in the stream.

use crate::error::{Error, Result};

/// Section header block: starts a capture (and each section of it).
pub const SHB: u32 = 0x0A0D0D0A;
/// The byte-order magic of the section header.
pub const SHB_MAGIC: u32 = 0x1A2B3C4D;
/// Machine info block.
pub const MI: u32 = 0x201;
/// Machine info block, the id libscap used before 2014.
pub const MI_INT: u32 = 0x8002ABCD;
/// Process list, version 1.
pub const PL_V1: u32 = 0x202;
/// Process list, version 1, old id.
pub const PL_V1_INT: u32 = 0x8000ABCD;
/// Process list, version 2.
pub const PL_V2: u32 = 0x207;
/// Process list, version 2, old id.
pub const PL_V2_INT: u32 = 0x8013ABCD;
/// Process list, version 3.
pub const PL_V3: u32 = 0x209;
/// Process list, version 3, old id.
pub const PL_V3_INT: u32 = 0x8014ABCD;
/// Process list, version 4 (pid namespace ids, cgroups).
pub const PL_V4: u32 = 0x210;
/// Process list, version 5 (root).
pub const PL_V5: u32 = 0x211;
/// Process list, version 6 (session id).
pub const PL_V6: u32 = 0x212;
/// Process list, version 7 (executable path).
pub const PL_V7: u32 = 0x213;
/// Process list, version 8 (process group).
pub const PL_V8: u32 = 0x214;
/// Process list, version 9 (a length per entry; newer fields appended).
pub const PL_V9: u32 = 0x215;
/// Fd list block.
pub const FDL: u32 = 0x203;
/// Fd list block, old id.
pub const FDL_INT: u32 = 0x8001ABCD;
/// Fd list, version 2 (a length per entry).
pub const FDL_V2: u32 = 0x218;
/// Event block.
pub const EV: u32 = 0x204;
/// Event block, old id.
pub const EV_INT: u32 = 0x8010ABCD;
/// Event block, version 2 (a CPU and a 26-byte header).
pub const EV_V2: u32 = 0x216;
/// Event block, version 2, with 32-bit parameter lengths.
pub const EV_V2_LARGE: u32 = 0x221;
/// Event block with dump flags.
pub const EVF: u32 = 0x208;
/// Event block with dump flags, version 2.
pub const EVF_V2: u32 = 0x217;
/// Event block with dump flags, version 2, with 32-bit parameter lengths.
pub const EVF_V2_LARGE: u32 = 0x222;
/// Interface list block.
pub const IL: u32 = 0x205;
/// Interface list block, old id.
pub const IL_INT: u32 = 0x8011ABCD;
/// Interface list, version 2.
pub const IL_V2: u32 = 0x219;
/// User list block.
pub const UL: u32 = 0x206;
/// User list block, old id.
pub const UL_INT: u32 = 0x8012ABCD;
/// User list, version 2.
pub const UL_V2: u32 = 0x220;

/// Longest path or name the format allows (`SCAP_MAX_PATH_SIZE`).
pub const MAX_PATH: usize = 1024;
/// Longest argument list (`SCAP_MAX_ARGS_SIZE`).
pub const MAX_ARGS: usize = 4096;
/// Longest environment (`SCAP_MAX_ENV_SIZE`).
pub const MAX_ENV: usize = 4096;
/// Longest cgroups list (`SCAP_MAX_CGROUPS_SIZE`).
pub const MAX_CGROUPS: usize = 4096;
/// Longest user, group, home or shell string (`MAX_CREDENTIALS_STR_LEN`).
pub const MAX_CREDENTIALS: usize = 256;

/// The kind of an event block, from its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventBlockKind {
    /// Old blocks: the event header has no `nparams` field.
    pub v1: bool,
    /// The block carries a u32 of dump flags after the cpu id.
    pub has_flags: bool,
    /// LARGE variant: may exceed 64 KiB.
    pub large: bool,
}

/// Whether `block_type` is an event block, and which kind.
pub fn event_block_kind(block_type: u32) -> Option<EventBlockKind> {
    let k = |v1, has_flags, large| {
        Some(EventBlockKind {
            v1,
            has_flags,
            large,
        })
    };
    match block_type {
        EV | EV_INT => k(true, false, false),
        EVF => k(true, true, false),
        EV_V2 => k(false, false, false),
        EVF_V2 => k(false, true, false),
        EV_V2_LARGE => k(false, false, true),
        EVF_V2_LARGE => k(false, true, true),
        _ => None,
    }
}

/// The section header's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionHeader {
    /// Major version (1).
    pub major: u16,
    /// Minor version (0, 1 or 2).
    pub minor: u16,
}

/// The machine the capture was taken on (`scap_machine_info`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MachineInfo {
    /// Number of CPUs.
    pub num_cpus: u32,
    /// Memory size, in bytes.
    pub memory_size_bytes: u64,
    /// The largest pid (`/proc/sys/kernel/pid_max`).
    pub max_pid: u64,
    /// Host name.
    pub hostname: Vec<u8>,
    /// Boot time, in nanoseconds since the epoch.
    pub boot_ts_epoch: u64,
    /// Flags (`SCAP_OS_*`).
    pub flags: u64,
    /// Reserved.
    pub reserved3: u64,
    /// Reserved.
    pub reserved4: u64,
}

/// One thread of the process list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRecord {
    /// Thread id.
    pub tid: u64,
    /// Process id.
    pub pid: u64,
    /// Parent's thread id.
    pub ptid: u64,
    /// Session id.
    pub sid: i64,
    /// Process group id in the process's pid namespace.
    pub vpgid: i64,
    /// Command name.
    pub comm: Vec<u8>,
    /// Executable as started (`argv[0]`).
    pub exe: Vec<u8>,
    /// Executable's full path.
    pub exepath: Vec<u8>,
    /// Arguments, each NUL-terminated.
    pub args: Vec<u8>,
    /// Working directory.
    pub cwd: Vec<u8>,
    /// Open-file limit.
    pub fdlimit: u64,
    /// Flags (`PPM_CL_*`).
    pub flags: u32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Virtual memory size, KiB.
    pub vmsize_kb: u32,
    /// Resident memory, KiB.
    pub vmrss_kb: u32,
    /// Swapped memory, KiB.
    pub vmswap_kb: u32,
    /// Major page faults.
    pub pfmajor: u64,
    /// Minor page faults.
    pub pfminor: u64,
    /// Environment, each entry NUL-terminated.
    pub env: Vec<u8>,
    /// Thread id in the pid namespace.
    pub vtid: i64,
    /// Process id in the pid namespace.
    pub vpid: i64,
    /// `subsys=path` entries, each NUL-terminated.
    pub cgroups: Vec<u8>,
    /// Root directory.
    pub root: Vec<u8>,
    /// Start time of the pid namespace's init, in nanoseconds.
    pub pidns_init_start_ts: u64,
    /// Controlling terminal.
    pub tty: u32,
    /// Login user id.
    pub loginuid: u32,
    /// The executable is writable by the user.
    pub exe_writable: bool,
    /// Inheritable capabilities.
    pub cap_inheritable: u64,
    /// Permitted capabilities.
    pub cap_permitted: u64,
    /// Effective capabilities.
    pub cap_effective: u64,
    /// The executable is in an overlay's upper layer.
    pub exe_upper_layer: bool,
    /// The executable's inode.
    pub exe_ino: u64,
    /// The executable's inode change time, in nanoseconds.
    pub exe_ino_ctime: u64,
    /// The executable's modification time, in nanoseconds.
    pub exe_ino_mtime: u64,
    /// The executable is a memfd.
    pub exe_from_memfd: bool,
    /// The executable is in an overlay's lower layer.
    pub exe_lower_layer: bool,
    /// Process group id.
    pub pgid: i64,
}

impl Default for ThreadRecord {
    /// The values libscap assumes for fields an older block does not carry.
    fn default() -> Self {
        ThreadRecord {
            tid: 0,
            pid: 0,
            ptid: 0,
            sid: -1,
            vpgid: -1,
            comm: Vec::new(),
            exe: Vec::new(),
            exepath: Vec::new(),
            args: Vec::new(),
            cwd: Vec::new(),
            fdlimit: 0,
            flags: 0,
            uid: 0,
            gid: 0,
            vmsize_kb: 0,
            vmrss_kb: 0,
            vmswap_kb: 0,
            pfmajor: 0,
            pfminor: 0,
            env: Vec::new(),
            vtid: -1,
            vpid: -1,
            cgroups: Vec::new(),
            root: Vec::new(),
            pidns_init_start_ts: 0,
            tty: 0,
            loginuid: u32::MAX,
            exe_writable: false,
            cap_inheritable: 0,
            cap_permitted: 0,
            cap_effective: 0,
            exe_upper_layer: false,
            exe_ino: 0,
            exe_ino_ctime: 0,
            exe_ino_mtime: 0,
            exe_from_memfd: false,
            exe_lower_layer: false,
            pgid: -1,
        }
    }
}

/// Fd types of the fd list (`scap_fd_type`).
pub mod fd_type {
    /// Unknown (`SCAP_FD_UNKNOWN`).
    pub const UNKNOWN: u8 = 0;
    /// A file.
    pub const FILE: u8 = 1;
    /// A directory.
    pub const DIRECTORY: u8 = 2;
    /// An IPv4 socket.
    pub const IPV4_SOCK: u8 = 3;
    /// An IPv6 socket.
    pub const IPV6_SOCK: u8 = 4;
    /// A listening IPv4 socket.
    pub const IPV4_SERVSOCK: u8 = 5;
    /// A listening IPv6 socket.
    pub const IPV6_SERVSOCK: u8 = 6;
    /// A FIFO or pipe.
    pub const FIFO: u8 = 7;
    /// A unix socket.
    pub const UNIX_SOCK: u8 = 8;
    /// An eventfd.
    pub const EVENT: u8 = 9;
    /// Unsupported.
    pub const UNSUPPORTED: u8 = 10;
    /// A signalfd.
    pub const SIGNALFD: u8 = 11;
    /// An epoll fd.
    pub const EVENTPOLL: u8 = 12;
    /// An inotify fd.
    pub const INOTIFY: u8 = 13;
    /// A timerfd.
    pub const TIMERFD: u8 = 14;
    /// A netlink socket.
    pub const NETLINK: u8 = 15;
    /// A file, with its open flags and device.
    pub const FILE_V2: u8 = 16;
    /// A BPF object.
    pub const BPF: u8 = 17;
    /// A userfaultfd.
    pub const USERFAULTFD: u8 = 18;
    /// An io_uring instance.
    pub const IOURING: u8 = 19;
    /// A memfd.
    pub const MEMFD: u8 = 20;
    /// A pidfd.
    pub const PIDFD: u8 = 21;
}

/// What an fd of the fd list refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FdDetail {
    /// An IPv4 socket with a connection.
    Ipv4Sock {
        /// Source address.
        sip: [u8; 4],
        /// Destination address.
        dip: [u8; 4],
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Layer-4 protocol (`SCAP_L4_*`).
        l4proto: u8,
    },
    /// A listening IPv4 socket.
    Ipv4ServSock {
        /// Address listened on.
        ip: [u8; 4],
        /// Port listened on.
        port: u16,
        /// Layer-4 protocol.
        l4proto: u8,
    },
    /// An IPv6 socket with a connection.
    Ipv6Sock {
        /// Source address.
        sip: [u8; 16],
        /// Destination address.
        dip: [u8; 16],
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Layer-4 protocol.
        l4proto: u8,
    },
    /// A listening IPv6 socket.
    Ipv6ServSock {
        /// Address listened on.
        ip: [u8; 16],
        /// Port listened on.
        port: u16,
        /// Layer-4 protocol.
        l4proto: u8,
    },
    /// A unix socket.
    UnixSock {
        /// Kernel address of this end's socket.
        source: u64,
        /// Kernel address of the peer's socket.
        dest: u64,
        /// The socket's path.
        name: Vec<u8>,
    },
    /// A regular file with its open flags and device (0 when the capture predates it).
    File {
        /// Open flags (`PPM_O_*`).
        open_flags: u32,
        /// The path.
        name: Vec<u8>,
        /// The device.
        dev: u32,
    },
    /// Any other type (`fd_type::*`) that carries only a name.
    Named {
        /// The fd type (`fd_type::*`).
        fd_type: u8,
        /// Its name.
        name: Vec<u8>,
    },
    /// `SCAP_FD_UNKNOWN`: no detail.
    Unknown,
}

/// One open fd of a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdRecord {
    /// The fd number.
    pub fd: i64,
    /// Its inode.
    pub ino: u64,
    /// What it refers to.
    pub detail: FdDetail,
}

/// The fd list block of one thread.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FdListRecord {
    /// The thread (the process's main thread).
    pub tid: u64,
    /// Its fds.
    pub fds: Vec<FdRecord>,
}

/// An IPv4 interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Interface {
    /// Address.
    pub addr: [u8; 4],
    /// Netmask.
    pub netmask: [u8; 4],
    /// Broadcast address.
    pub bcast: [u8; 4],
    /// Link speed.
    pub linkspeed: u64,
    /// Interface name.
    pub name: Vec<u8>,
}

/// An IPv6 interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6Interface {
    /// Address.
    pub addr: [u8; 16],
    /// Netmask.
    pub netmask: [u8; 16],
    /// Broadcast address.
    pub bcast: [u8; 16],
    /// Link speed.
    pub linkspeed: u64,
    /// Interface name.
    pub name: Vec<u8>,
}

/// A user of the user list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Login name.
    pub name: Vec<u8>,
    /// Home directory.
    pub homedir: Vec<u8>,
    /// Login shell.
    pub shell: Vec<u8>,
}

/// A group of the user list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// Group id.
    pub gid: u32,
    /// Group name.
    pub name: Vec<u8>,
}

/// Everything a capture says about the machine besides its events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    /// The machine (absent in captures that predate the block).
    pub machine: Option<MachineInfo>,
    /// The process list.
    pub threads: Vec<ThreadRecord>,
    /// The fd lists, one per process.
    pub fd_lists: Vec<FdListRecord>,
    /// IPv4 interfaces.
    pub ipv4_interfaces: Vec<Ipv4Interface>,
    /// IPv6 interfaces.
    pub ipv6_interfaces: Vec<Ipv6Interface>,
    /// Users.
    pub users: Vec<UserRecord>,
    /// Groups.
    pub groups: Vec<GroupRecord>,
}

/// A cursor over a block body, reporting errors at stream offsets.
pub(crate) struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
    /// Stream offset of `b[0]`.
    base: u64,
    block: &'static str,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(b: &'a [u8], base: u64, block: &'static str) -> Self {
        Cursor {
            b,
            pos: 0,
            base,
            block,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub(crate) fn error(&self, what: impl Into<String>) -> Error {
        Error::Malformed {
            offset: self.offset(),
            what: format!("{} block: {}", self.block, what.into()),
        }
    }

    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.error(format!(
                "{what} needs {n} bytes, only {} remain in the block",
                self.remaining()
            )));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn skip(&mut self, n: usize, what: &str) -> Result<()> {
        self.take(n, what).map(|_| ())
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take(2, what)?.try_into().unwrap()))
    }

    pub(crate) fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4, what)?.try_into().unwrap()))
    }

    pub(crate) fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().unwrap()))
    }

    fn arr<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        Ok(self.take(N, what)?.try_into().unwrap())
    }

    /// A `u16` length then that many bytes, at most `max`.
    fn str16(&mut self, what: &str, max: usize) -> Result<Vec<u8>> {
        let len = self.u16(what)? as usize;
        if len > max {
            return Err(self.error(format!("{what} length {len} exceeds the limit of {max}")));
        }
        Ok(self.take(len, what)?.to_vec())
    }
}

/// Reads the machine info block body.
pub(crate) fn read_machine_info(c: &mut Cursor<'_>) -> Result<MachineInfo> {
    Ok(MachineInfo {
        num_cpus: c.u32("num_cpus")?,
        memory_size_bytes: c.u64("memory_size_bytes")?,
        max_pid: c.u64("max_pid")?,
        hostname: crate::event::value::until_nul(c.take(128, "hostname")?).to_vec(),
        boot_ts_epoch: c.u64("boot_ts_epoch")?,
        flags: c.u64("flags")?,
        reserved3: c.u64("reserved3")?,
        reserved4: c.u64("reserved4")?,
    })
}

/// Process list version of a PL block id (1..=9).
pub fn proclist_version(block_type: u32) -> Option<u8> {
    Some(match block_type {
        PL_V1 | PL_V1_INT => 1,
        PL_V2 | PL_V2_INT => 2,
        PL_V3 | PL_V3_INT => 3,
        PL_V4 => 4,
        PL_V5 => 5,
        PL_V6 => 6,
        PL_V7 => 7,
        PL_V8 => 8,
        PL_V9 => 9,
        _ => return None,
    })
}

fn bool_u8(c: &mut Cursor<'_>, what: &str) -> Result<bool> {
    Ok(c.u8(what)? != 0)
}

/// Ensures a NUL-separated list ends with a NUL, as libscap does.
fn terminate_list(mut v: Vec<u8>) -> Vec<u8> {
    if v.last().is_some_and(|&b| b != 0) {
        v.push(0);
    }
    v
}

/// Reads every thread of a process list block body (padding included), refusing to hold
/// more than `max` threads in `out`.
pub(crate) fn read_proclist(
    c: &mut Cursor<'_>,
    version: u8,
    out: &mut Vec<ThreadRecord>,
    max: usize,
) -> Result<()> {
    while c.remaining() >= 4 {
        if out.len() >= max {
            return Err(c.error(format!(
                "more than {max} threads, the reader's limit (FileReader::with_max_threads)"
            )));
        }
        let start = c.pos();
        let sub_len = if version >= 9 {
            let l = c.u32("entry length")? as usize;
            if l < 4 || l - 4 > c.remaining() {
                return Err(c.error(format!(
                    "process entry length {l} does not fit in the block"
                )));
            }
            l
        } else {
            0
        };
        let mut t = ThreadRecord {
            tid: c.u64("tid")?,
            pid: c.u64("pid")?,
            ptid: c.u64("ptid")?,
            ..ThreadRecord::default()
        };
        if version >= 6 {
            t.sid = c.u64("sid")? as i64;
        }
        if version >= 8 {
            t.vpgid = c.u64("vpgid")? as i64;
        }
        t.comm = c.str16("comm", MAX_PATH)?;
        t.exe = c.str16("exe", MAX_PATH)?;
        if version >= 7 {
            t.exepath = c.str16("exepath", MAX_PATH)?;
        }
        t.args = terminate_list(c.str16("args", MAX_ARGS)?);
        t.cwd = c.str16("cwd", MAX_PATH)?;
        t.fdlimit = c.u64("fdlimit")?;
        t.flags = c.u32("flags")?;
        t.uid = c.u32("uid")?;
        t.gid = c.u32("gid")?;
        if version >= 2 {
            t.vmsize_kb = c.u32("vmsize_kb")?;
            t.vmrss_kb = c.u32("vmrss_kb")?;
            t.vmswap_kb = c.u32("vmswap_kb")?;
            t.pfmajor = c.u64("pfmajor")?;
            t.pfminor = c.u64("pfminor")?;
            if version >= 3 {
                t.env = terminate_list(c.str16("env", MAX_ENV)?);
            }
            if version >= 4 {
                t.vtid = c.u64("vtid")? as i64;
                t.vpid = c.u64("vpid")? as i64;
                t.cgroups = c.str16("cgroups", MAX_CGROUPS)?;
                if version >= 5 {
                    t.root = c.str16("root", MAX_PATH)?;
                }
            }
        }
        if sub_len > 0 {
            // Optional tail fields, each present only if the entry is long enough. Entries
            // written before libs 0.10 leave 29 bytes or fewer here and lack the first two.
            let end = start + sub_len;
            let left = |c: &Cursor<'_>| end.saturating_sub(c.pos());
            if left(c) > 29 {
                if left(c) >= 8 {
                    t.pidns_init_start_ts = c.u64("pidns_init_start_ts")?;
                }
                if left(c) >= 4 {
                    t.tty = c.u32("tty")?;
                }
            }
            if left(c) >= 4 {
                t.loginuid = c.u32("loginuid")?;
            }
            if left(c) >= 1 {
                t.exe_writable = bool_u8(c, "exe_writable")?;
            }
            if left(c) >= 8 {
                t.cap_inheritable = c.u64("cap_inheritable")?;
            }
            if left(c) >= 8 {
                t.cap_permitted = c.u64("cap_permitted")?;
            }
            if left(c) >= 8 {
                t.cap_effective = c.u64("cap_effective")?;
            }
            if left(c) >= 1 {
                t.exe_upper_layer = bool_u8(c, "exe_upper_layer")?;
            }
            if left(c) >= 8 {
                t.exe_ino = c.u64("exe_ino")?;
            }
            if left(c) >= 8 {
                t.exe_ino_ctime = c.u64("exe_ino_ctime")?;
            }
            if left(c) >= 8 {
                t.exe_ino_mtime = c.u64("exe_ino_mtime")?;
            }
            if left(c) >= 1 {
                t.exe_from_memfd = bool_u8(c, "exe_from_memfd")?;
            }
            if left(c) >= 1 {
                t.exe_lower_layer = bool_u8(c, "exe_lower_layer")?;
            }
            if left(c) >= 8 {
                t.pgid = c.u64("pgid")? as i64;
            }
            let read = c.pos() - start;
            if read > sub_len {
                return Err(c.error(format!(
                    "process entry of tid {} has length {sub_len} but its fields take {read} bytes",
                    t.tid
                )));
            }
            c.skip(sub_len - read, "unknown process entry fields")?;
        }
        out.push(t);
    }
    Ok(())
}

/// Reads an fd list block body (padding included).
pub(crate) fn read_fdlist(c: &mut Cursor<'_>, v2: bool) -> Result<FdListRecord> {
    let tid = c.u64("tid")?;
    let mut fds = Vec::new();
    while c.remaining() >= 4 {
        let start = c.pos();
        let sub_len = if v2 {
            let l = c.u32("fd entry length")? as usize;
            if l < 4 || l - 4 > c.remaining() {
                return Err(c.error(format!("fd entry length {l} does not fit in the block")));
            }
            l
        } else {
            0
        };
        let fd = c.u64("fd")? as i64;
        let ino = c.u64("ino")?;
        let ty = c.u8("fd type")?;
        let name = |c: &mut Cursor<'_>| c.str16("fd name", MAX_PATH - 1);
        let detail = match ty {
            fd_type::IPV4_SOCK => FdDetail::Ipv4Sock {
                sip: c.arr("sip")?,
                dip: c.arr("dip")?,
                sport: c.u16("sport")?,
                dport: c.u16("dport")?,
                l4proto: c.u8("l4proto")?,
            },
            fd_type::IPV4_SERVSOCK => FdDetail::Ipv4ServSock {
                ip: c.arr("ip")?,
                port: c.u16("port")?,
                l4proto: c.u8("l4proto")?,
            },
            fd_type::IPV6_SOCK => FdDetail::Ipv6Sock {
                sip: c.arr("sip")?,
                dip: c.arr("dip")?,
                sport: c.u16("sport")?,
                dport: c.u16("dport")?,
                l4proto: c.u8("l4proto")?,
            },
            fd_type::IPV6_SERVSOCK => FdDetail::Ipv6ServSock {
                ip: c.arr("ip")?,
                port: c.u16("port")?,
                l4proto: c.u8("l4proto")?,
            },
            fd_type::UNIX_SOCK => FdDetail::UnixSock {
                source: c.u64("source")?,
                dest: c.u64("destination")?,
                name: name(c)?,
            },
            fd_type::FILE_V2 => {
                let open_flags = c.u32("open_flags")?;
                let name = name(c)?;
                let dev = if sub_len > 0 && sub_len >= c.pos() - start + 4 {
                    c.u32("dev")?
                } else {
                    0
                };
                FdDetail::File {
                    open_flags,
                    name,
                    dev,
                }
            }
            fd_type::UNKNOWN => FdDetail::Unknown,
            fd_type::FILE
            | fd_type::DIRECTORY
            | fd_type::FIFO
            | fd_type::EVENT
            | fd_type::UNSUPPORTED
            | fd_type::SIGNALFD
            | fd_type::EVENTPOLL
            | fd_type::INOTIFY
            | fd_type::TIMERFD
            | fd_type::NETLINK
            | fd_type::BPF
            | fd_type::USERFAULTFD
            | fd_type::IOURING
            | fd_type::MEMFD
            | fd_type::PIDFD => FdDetail::Named {
                fd_type: ty,
                name: name(c)?,
            },
            other => FdDetail::Named {
                fd_type: fd_type::UNSUPPORTED,
                name: format!("unknown-type:[{other}]").into_bytes(),
            },
        };
        if sub_len > 0 {
            let read = c.pos() - start;
            if read > sub_len {
                return Err(c.error(format!(
                    "fd entry {fd} has length {sub_len} but its fields take {read} bytes"
                )));
            }
            c.skip(sub_len - read, "unknown fd entry fields")?;
        }
        fds.push(FdRecord { fd, ino, detail });
    }
    Ok(FdListRecord { tid, fds })
}

const IF_IPV4: u16 = 1;
const IF_IPV6: u16 = 2;
const IF_IPV4_NOLINKSPEED: u16 = 3;
const IF_IPV6_NOLINKSPEED: u16 = 4;

/// Reads an interface list block body (padding included).
pub(crate) fn read_iflist(c: &mut Cursor<'_>, v2: bool, md: &mut Metadata) -> Result<()> {
    md.ipv4_interfaces.clear();
    md.ipv6_interfaces.clear();
    while c.remaining() >= 4 {
        let start = c.pos();
        let entry_len = if v2 {
            Some(c.u32("interface entry length")? as usize + 4)
        } else {
            None
        };
        let ty = c.u16("interface type")?;
        let namelen = c.u16("interface name length")? as usize;
        if namelen >= MAX_PATH {
            return Err(c.error(format!("interface name length {namelen} is too long")));
        }
        match ty {
            IF_IPV4 | IF_IPV4_NOLINKSPEED => {
                let addr = c.arr("addr")?;
                let netmask = c.arr("netmask")?;
                let bcast = c.arr("bcast")?;
                let linkspeed = if ty == IF_IPV4 {
                    c.u64("linkspeed")?
                } else {
                    0
                };
                let name = c.take(namelen, "interface name")?.to_vec();
                md.ipv4_interfaces.push(Ipv4Interface {
                    addr,
                    netmask,
                    bcast,
                    linkspeed,
                    name,
                });
            }
            IF_IPV6 | IF_IPV6_NOLINKSPEED => {
                let addr = c.arr("addr")?;
                let netmask = c.arr("netmask")?;
                let bcast = c.arr("bcast")?;
                let linkspeed = if ty == IF_IPV6 {
                    c.u64("linkspeed")?
                } else {
                    0
                };
                let name = c.take(namelen, "interface name")?.to_vec();
                md.ipv6_interfaces.push(Ipv6Interface {
                    addr,
                    netmask,
                    bcast,
                    linkspeed,
                    name,
                });
            }
            other => return Err(c.error(format!("unknown interface type {other}"))),
        }
        if let Some(len) = entry_len {
            let read = c.pos() - start;
            if read > len {
                return Err(c.error(format!(
                    "interface entry has length {len} but its fields take {read} bytes"
                )));
            }
            c.skip(len - read, "unknown interface fields")?;
        }
    }
    Ok(())
}

/// Reads a user list block body (padding included).
pub(crate) fn read_userlist(c: &mut Cursor<'_>, v2: bool, md: &mut Metadata) -> Result<()> {
    while c.remaining() >= 4 {
        let start = c.pos();
        let sub_len = if v2 {
            let l = c.u32("user entry length")? as usize;
            if l < 4 || l - 4 > c.remaining() {
                return Err(c.error(format!("user entry length {l} does not fit in the block")));
            }
            l
        } else {
            0
        };
        let max = MAX_CREDENTIALS - 1;
        if c.u8("user entry type")? == 0 {
            md.users.push(UserRecord {
                uid: c.u32("uid")?,
                gid: c.u32("gid")?,
                name: c.str16("user name", max)?,
                homedir: c.str16("home directory", max)?,
                shell: c.str16("shell", max)?,
            });
        } else {
            md.groups.push(GroupRecord {
                gid: c.u32("gid")?,
                name: c.str16("group name", max)?,
            });
        }
        if sub_len > 0 {
            let read = c.pos() - start;
            if read > sub_len {
                return Err(c.error(format!(
                    "user entry has length {sub_len} but its fields take {read} bytes"
                )));
            }
            c.skip(sub_len - read, "unknown user entry fields")?;
        }
    }
    Ok(())
}

/// Little-endian encoders for the blocks the writer emits (current versions only).
pub(crate) mod encode {
    use super::*;

    fn str16(out: &mut Vec<u8>, s: &[u8]) {
        let n = s.len().min(u16::MAX as usize);
        out.extend_from_slice(&(n as u16).to_le_bytes());
        out.extend_from_slice(&s[..n]);
    }

    /// Appends a length-prefixed entry: `f` writes the fields, the u32 length (including
    /// itself when `inclusive`) is patched in front.
    fn entry(out: &mut Vec<u8>, inclusive: bool, f: impl FnOnce(&mut Vec<u8>)) {
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        f(out);
        let len = (out.len() - at - if inclusive { 0 } else { 4 }) as u32;
        out[at..at + 4].copy_from_slice(&len.to_le_bytes());
    }

    pub fn machine_info(out: &mut Vec<u8>, m: &MachineInfo) {
        out.extend_from_slice(&m.num_cpus.to_le_bytes());
        out.extend_from_slice(&m.memory_size_bytes.to_le_bytes());
        out.extend_from_slice(&m.max_pid.to_le_bytes());
        let mut host = [0u8; 128];
        let n = m.hostname.len().min(127);
        host[..n].copy_from_slice(&m.hostname[..n]);
        out.extend_from_slice(&host);
        for v in [m.boot_ts_epoch, m.flags, m.reserved3, m.reserved4] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }

    pub fn thread(out: &mut Vec<u8>, t: &ThreadRecord) {
        entry(out, true, |o| {
            for v in [t.tid, t.pid, t.ptid, t.sid as u64, t.vpgid as u64] {
                o.extend_from_slice(&v.to_le_bytes());
            }
            for s in [&t.comm, &t.exe, &t.exepath, &t.args, &t.cwd] {
                str16(o, s);
            }
            o.extend_from_slice(&t.fdlimit.to_le_bytes());
            for v in [t.flags, t.uid, t.gid, t.vmsize_kb, t.vmrss_kb, t.vmswap_kb] {
                o.extend_from_slice(&v.to_le_bytes());
            }
            o.extend_from_slice(&t.pfmajor.to_le_bytes());
            o.extend_from_slice(&t.pfminor.to_le_bytes());
            str16(o, &t.env);
            o.extend_from_slice(&t.vtid.to_le_bytes());
            o.extend_from_slice(&t.vpid.to_le_bytes());
            str16(o, &t.cgroups);
            str16(o, &t.root);
            o.extend_from_slice(&t.pidns_init_start_ts.to_le_bytes());
            o.extend_from_slice(&t.tty.to_le_bytes());
            o.extend_from_slice(&t.loginuid.to_le_bytes());
            o.push(t.exe_writable as u8);
            for v in [t.cap_inheritable, t.cap_permitted, t.cap_effective] {
                o.extend_from_slice(&v.to_le_bytes());
            }
            o.push(t.exe_upper_layer as u8);
            for v in [t.exe_ino, t.exe_ino_ctime, t.exe_ino_mtime] {
                o.extend_from_slice(&v.to_le_bytes());
            }
            o.push(t.exe_from_memfd as u8);
            o.push(t.exe_lower_layer as u8);
            o.extend_from_slice(&t.pgid.to_le_bytes());
        });
    }

    pub fn fdlist(out: &mut Vec<u8>, l: &FdListRecord) {
        out.extend_from_slice(&l.tid.to_le_bytes());
        for f in &l.fds {
            if f.detail == FdDetail::Unknown {
                continue;
            }
            entry(out, true, |o| {
                o.extend_from_slice(&f.fd.to_le_bytes());
                o.extend_from_slice(&f.ino.to_le_bytes());
                match &f.detail {
                    FdDetail::Ipv4Sock {
                        sip,
                        dip,
                        sport,
                        dport,
                        l4proto,
                    } => {
                        o.push(fd_type::IPV4_SOCK);
                        o.extend_from_slice(sip);
                        o.extend_from_slice(dip);
                        o.extend_from_slice(&sport.to_le_bytes());
                        o.extend_from_slice(&dport.to_le_bytes());
                        o.push(*l4proto);
                    }
                    FdDetail::Ipv4ServSock { ip, port, l4proto } => {
                        o.push(fd_type::IPV4_SERVSOCK);
                        o.extend_from_slice(ip);
                        o.extend_from_slice(&port.to_le_bytes());
                        o.push(*l4proto);
                    }
                    FdDetail::Ipv6Sock {
                        sip,
                        dip,
                        sport,
                        dport,
                        l4proto,
                    } => {
                        o.push(fd_type::IPV6_SOCK);
                        o.extend_from_slice(sip);
                        o.extend_from_slice(dip);
                        o.extend_from_slice(&sport.to_le_bytes());
                        o.extend_from_slice(&dport.to_le_bytes());
                        o.push(*l4proto);
                    }
                    FdDetail::Ipv6ServSock { ip, port, l4proto } => {
                        o.push(fd_type::IPV6_SERVSOCK);
                        o.extend_from_slice(ip);
                        o.extend_from_slice(&port.to_le_bytes());
                        o.push(*l4proto);
                    }
                    FdDetail::UnixSock { source, dest, name } => {
                        o.push(fd_type::UNIX_SOCK);
                        o.extend_from_slice(&source.to_le_bytes());
                        o.extend_from_slice(&dest.to_le_bytes());
                        str16(o, name);
                    }
                    FdDetail::File {
                        open_flags,
                        name,
                        dev,
                    } => {
                        o.push(fd_type::FILE_V2);
                        o.extend_from_slice(&open_flags.to_le_bytes());
                        str16(o, name);
                        o.extend_from_slice(&dev.to_le_bytes());
                    }
                    FdDetail::Named { fd_type, name } => {
                        o.push(*fd_type);
                        str16(o, name);
                    }
                    FdDetail::Unknown => unreachable!("skipped above"),
                }
            });
        }
    }

    pub fn iflist(out: &mut Vec<u8>, md: &Metadata) {
        for i in &md.ipv4_interfaces {
            entry(out, false, |o| {
                o.extend_from_slice(&IF_IPV4.to_le_bytes());
                o.extend_from_slice(&(i.name.len() as u16).to_le_bytes());
                o.extend_from_slice(&i.addr);
                o.extend_from_slice(&i.netmask);
                o.extend_from_slice(&i.bcast);
                o.extend_from_slice(&i.linkspeed.to_le_bytes());
                o.extend_from_slice(&i.name);
            });
        }
        for i in &md.ipv6_interfaces {
            entry(out, false, |o| {
                o.extend_from_slice(&IF_IPV6.to_le_bytes());
                o.extend_from_slice(&(i.name.len() as u16).to_le_bytes());
                o.extend_from_slice(&i.addr);
                o.extend_from_slice(&i.netmask);
                o.extend_from_slice(&i.bcast);
                o.extend_from_slice(&i.linkspeed.to_le_bytes());
                o.extend_from_slice(&i.name);
            });
        }
    }

    pub fn userlist(out: &mut Vec<u8>, md: &Metadata) {
        for u in &md.users {
            entry(out, true, |o| {
                o.push(0);
                o.extend_from_slice(&u.uid.to_le_bytes());
                o.extend_from_slice(&u.gid.to_le_bytes());
                str16(o, &u.name);
                str16(o, &u.homedir);
                str16(o, &u.shell);
            });
        }
        for g in &md.groups {
            entry(out, true, |o| {
                o.push(1);
                o.extend_from_slice(&g.gid.to_le_bytes());
                str16(o, &g.name);
            });
        }
    }
}
