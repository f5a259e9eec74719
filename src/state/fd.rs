//! File descriptors: what one fd number of a process refers to, and the table of a process's
//! open fds.

use bitflags::bitflags;
use hashbrown::HashMap;

use super::sock::{SockAddrs, l4};

/// What kind of object an fd refers to. The type character is the one sysdig prints in
/// `fd.typechar` and in `fd=3(<f>/etc/passwd)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FdKind {
    /// A regular file (`f`).
    File,
    /// A directory (`d`).
    Directory,
    /// An IPv4 socket with a connection (`4`).
    Ipv4Socket,
    /// An IPv6 socket with a connection (`6`).
    Ipv6Socket,
    /// A listening IPv4 socket (`4`).
    Ipv4Server,
    /// A listening IPv6 socket (`6`).
    Ipv6Server,
    /// A pipe or FIFO (`p`).
    Fifo,
    /// A unix socket (`u`).
    UnixSocket,
    /// An eventfd (`e`).
    Event,
    /// Of a type not known (`o`).
    Unknown,
    /// Of a type the probe does not describe (`X`).
    Unsupported,
    /// A signalfd (`s`).
    Signalfd,
    /// An epoll fd (`l`).
    Eventpoll,
    /// An inotify fd (`i`).
    Inotify,
    /// A timerfd (`t`).
    Timerfd,
    /// A netlink socket (`n`).
    Netlink,
    /// A BPF map or program (`b`).
    Bpf,
    /// A userfaultfd (`u`).
    Userfaultfd,
    /// An io_uring instance (`r`).
    IoUring,
    /// A memfd (`m`).
    Memfd,
    /// A pidfd (`P`).
    Pidfd,
}

impl FdKind {
    /// The type character: `f`, `d`, `4`, `6`, `p`, `u`, `e`, `o`, `X`, `s`, `l`, `i`, `t`,
    /// `n`, ...
    pub fn type_char(self) -> char {
        match self {
            FdKind::File => 'f',
            FdKind::Directory => 'd',
            FdKind::Ipv4Socket | FdKind::Ipv4Server => '4',
            FdKind::Ipv6Socket | FdKind::Ipv6Server => '6',
            FdKind::Fifo => 'p',
            FdKind::UnixSocket => 'u',
            FdKind::Event => 'e',
            FdKind::Unknown => 'o',
            FdKind::Unsupported => 'X',
            FdKind::Signalfd => 's',
            FdKind::Eventpoll => 'l',
            FdKind::Inotify => 'i',
            FdKind::Timerfd => 't',
            FdKind::Netlink => 'n',
            FdKind::Bpf => 'b',
            FdKind::Userfaultfd => 'u',
            FdKind::IoUring => 'r',
            FdKind::Memfd => 'm',
            FdKind::Pidfd => 'P',
        }
    }

    /// The name `fd.type` prints.
    pub fn type_name(self) -> &'static str {
        match self {
            FdKind::File => "file",
            FdKind::Directory => "directory",
            FdKind::Ipv4Socket | FdKind::Ipv4Server => "ipv4",
            FdKind::Ipv6Socket | FdKind::Ipv6Server => "ipv6",
            FdKind::Fifo => "pipe",
            FdKind::UnixSocket => "unix",
            FdKind::Event => "event",
            FdKind::Unknown => "unknown",
            FdKind::Unsupported => "unsupported",
            FdKind::Signalfd => "signalfd",
            FdKind::Eventpoll => "eventpoll",
            FdKind::Inotify => "inotify",
            FdKind::Timerfd => "timerfd",
            FdKind::Netlink => "netlink",
            FdKind::Bpf => "bpf",
            FdKind::Userfaultfd => "userfaultfd",
            FdKind::IoUring => "io_uring",
            FdKind::Memfd => "memfd",
            FdKind::Pidfd => "pidfd",
        }
    }

    /// Whether this is an IPv4 or IPv6 socket (connected or listening).
    pub fn is_ip(self) -> bool {
        matches!(
            self,
            FdKind::Ipv4Socket | FdKind::Ipv6Socket | FdKind::Ipv4Server | FdKind::Ipv6Server
        )
    }
}

bitflags! {
    /// What is known about an fd beyond its type.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct FdFlags: u32 {
        /// Came from the capture's fd list (or /proc), not from an event.
        const FROM_PROC = 1 << 0;
        /// This side of the socket initiated the connection.
        const ROLE_CLIENT = 1 << 2;
        /// This side accepted the connection.
        const ROLE_SERVER = 1 << 3;
        /// A close of this fd has entered but not returned.
        const CLOSE_IN_PROGRESS = 1 << 4;
        /// The fd was created again while a close of it was in progress: that close's
        /// return must not remove it.
        const CLOSE_CANCELED = 1 << 5;
        /// One end of a socketpair.
        const SOCKET_PIPE = 1 << 6;
        /// `/dev/null` opened for writing tracer events.
        const IS_TRACER_FILE = 1 << 7;
        /// Known not to be the tracer file.
        const IS_NOT_TRACER_FD = 1 << 9;
        /// A socket that connected or transferred data.
        const SOCKET_CONNECTED = 1 << 13;
        /// Inherited from the parent at fork.
        const IS_CLONED = 1 << 14;
        /// A non-blocking connect that has not completed yet.
        const CONNECTION_PENDING = 1 << 15;
        /// A connect that failed.
        const CONNECTION_FAILED = 1 << 16;
    }
}

/// One open fd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdInfo {
    /// What kind of object the fd refers to.
    pub kind: FdKind,
    /// What `fd.name` prints: a path, a socket tuple, a unix socket path.
    pub name: Vec<u8>,
    /// Flags given to open (`PPM_O_*`), including `O_CLOEXEC`.
    pub open_flags: u32,
    /// The device of a file (`fd.dev`), 0 when unknown.
    pub dev: u32,
    /// The inode of a file (`fd.ino`), 0 when unknown.
    pub ino: u64,
    /// Addresses, for sockets.
    pub sock: SockAddrs,
    /// What is known beyond its type.
    pub flags: FdFlags,
}

impl FdInfo {
    /// An fd of `kind` called `name`, with nothing else known.
    pub fn new(kind: FdKind, name: impl Into<Vec<u8>>) -> FdInfo {
        FdInfo {
            kind,
            name: name.into(),
            open_flags: 0,
            dev: 0,
            ino: 0,
            sock: SockAddrs::default(),
            flags: FdFlags::empty(),
        }
    }

    /// Whether the role (client or server) is still unknown.
    pub fn is_role_none(&self) -> bool {
        !self
            .flags
            .intersects(FdFlags::ROLE_CLIENT | FdFlags::ROLE_SERVER)
    }

    /// The layer-4 protocol (`l4::*`): what libsinsp reports, which for a connected socket
    /// of unknown role is `NA`.
    pub fn l4proto(&self) -> u8 {
        match self.kind {
            FdKind::Ipv4Socket | FdKind::Ipv6Socket => {
                let p = if self.kind == FdKind::Ipv4Socket {
                    self.sock.ipv4().l4
                } else {
                    self.sock.ipv6().l4
                };
                if p == l4::RAW {
                    l4::RAW
                } else if self.is_role_none() {
                    l4::NA
                } else {
                    p
                }
            }
            FdKind::Ipv4Server => self.sock.ipv4_server().l4,
            FdKind::Ipv6Server => self.sock.ipv6_server().l4,
            _ => l4::NA,
        }
    }

    /// The protocol character in `<4t>`: `t`, `u`, `i`, `r`, or none.
    pub fn l4_char(&self) -> Option<char> {
        if !self.kind.is_ip() {
            return None;
        }
        match self.l4proto() {
            l4::TCP => Some('t'),
            l4::UDP => Some('u'),
            l4::ICMP => Some('i'),
            l4::RAW => Some('r'),
            _ => None,
        }
    }

    /// Whether this is a TCP socket.
    pub fn is_tcp(&self) -> bool {
        self.kind.is_ip() && self.l4proto() == l4::TCP
    }

    /// Whether this is a UDP socket.
    pub fn is_udp(&self) -> bool {
        self.kind.is_ip() && self.l4proto() == l4::UDP
    }

    /// Whether this fd is a socket the process connected (client) to a server.
    pub fn is_client(&self) -> bool {
        self.flags.contains(FdFlags::ROLE_CLIENT)
    }

    /// Whether this fd is a socket the process accepted (server).
    pub fn is_server(&self) -> bool {
        self.flags.contains(FdFlags::ROLE_SERVER)
    }
}

/// The open fds of one process, with a cap on their number.
#[derive(Debug, Clone, Default)]
pub struct FdTable {
    fds: HashMap<i64, FdInfo>,
}

/// Where an fd whose close was canceled is kept until that close returns.
pub const CANCELED_FD: i64 = i64::MAX;

/// `PPM_O_CLOEXEC`.
pub const O_CLOEXEC: u32 = 1 << 12;

impl FdTable {
    /// The fd numbered `fd`.
    pub fn get(&self, fd: i64) -> Option<&FdInfo> {
        self.fds.get(&fd)
    }

    /// The fd numbered `fd`, to update.
    pub fn get_mut(&mut self, fd: i64) -> Option<&mut FdInfo> {
        self.fds.get_mut(&fd)
    }

    /// Adds or replaces fd `fd`. Returns false (and adds nothing) when the table already
    /// holds `max` other fds. Replacing an fd whose close is in progress keeps the old entry
    /// under [`CANCELED_FD`] and marks the new one, so that the close's return leaves it.
    pub fn insert(&mut self, fd: i64, mut info: FdInfo, max: usize) -> bool {
        match self.fds.get_mut(&fd) {
            None => {
                if self.fds.len() >= max {
                    return false;
                }
                self.fds.insert(fd, info);
            }
            Some(old) => {
                if old.flags.contains(FdFlags::CLOSE_IN_PROGRESS) {
                    info.flags.remove(FdFlags::CLOSE_IN_PROGRESS);
                    info.flags.insert(FdFlags::CLOSE_CANCELED);
                    let old = std::mem::replace(old, info);
                    self.fds.insert(CANCELED_FD, old);
                } else {
                    *old = info;
                }
            }
        }
        true
    }

    /// Removes fd `fd`, returning what it was.
    pub fn remove(&mut self, fd: i64) -> Option<FdInfo> {
        self.fds.remove(&fd)
    }

    /// Number of open fds.
    pub fn len(&self) -> usize {
        self.fds.len()
    }

    /// Whether no fd is open.
    pub fn is_empty(&self) -> bool {
        self.fds.is_empty()
    }

    /// The open fds, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &FdInfo)> {
        self.fds.iter().map(|(&k, v)| (k, v))
    }

    /// Closes every fd opened with `O_CLOEXEC` (what a successful execve does).
    pub fn close_on_exec(&mut self) {
        self.fds.retain(|_, f| f.open_flags & O_CLOEXEC == 0);
    }

    /// Closes everything.
    pub fn clear(&mut self) {
        self.fds.clear();
    }
}
