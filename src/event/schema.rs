//! The types of the Falco event schema: what an event id means and how its parameters are laid
//! out. The table itself (`table.rs`) is generated from the schema data by
//! `tools/gen_schema.py`; this file holds the types it is written in and the look-ups on it.

use bitflags::bitflags;

use super::table;

/// Number of event slots in the schema (`PPM_EVENT_MAX`).
pub const EVENT_MAX: u16 = table::EVENTS.len() as u16;

/// Most parameters any event may carry (`PPM_MAX_EVENT_PARAMS`).
pub const MAX_EVENT_PARAMS: usize = 32;

/// The type of one event parameter (`enum ppm_param_type`); the discriminant is the Falco value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ParamType {
    /// No value (`PT_NONE`).
    None = 0,
    /// `PT_INT8`.
    Int8 = 1,
    /// `PT_INT16`.
    Int16 = 2,
    /// `PT_INT32`.
    Int32 = 3,
    /// `PT_INT64`.
    Int64 = 4,
    /// `PT_UINT8`.
    Uint8 = 5,
    /// `PT_UINT16`.
    Uint16 = 6,
    /// `PT_UINT32`.
    Uint32 = 7,
    /// `PT_UINT64`.
    Uint64 = 8,
    /// A NUL-terminated string (`PT_CHARBUF`).
    CharBuf = 9,
    /// A data buffer (`PT_BYTEBUF`).
    ByteBuf = 10,
    /// A return value: an errno when negative (`PT_ERRNO`).
    Errno = 11,
    /// A socket address (`PT_SOCKADDR`).
    SockAddr = 12,
    /// Both ends of a connection (`PT_SOCKTUPLE`).
    SockTuple = 13,
    /// A file descriptor, 64-bit (`PT_FD`).
    Fd = 14,
    /// A process or thread id, 64-bit (`PT_PID`).
    Pid = 15,
    /// A list of fds with their poll flags (`PT_FDLIST`).
    FdList = 16,
    /// A path (`PT_FSPATH`).
    FsPath = 17,
    /// A syscall code (`PT_SYSCALLID`).
    SyscallId = 18,
    /// A signal number (`PT_SIGTYPE`).
    SigType = 19,
    /// A duration in nanoseconds (`PT_RELTIME`).
    RelTime = 20,
    /// A time in nanoseconds since the epoch (`PT_ABSTIME`).
    AbsTime = 21,
    /// A port (`PT_PORT`).
    Port = 22,
    /// A layer-4 protocol (`PT_L4PROTO`).
    L4Proto = 23,
    /// A socket family (`PT_SOCKFAMILY`).
    SockFamily = 24,
    /// A boolean (`PT_BOOL`).
    Bool = 25,
    /// An IPv4 address (`PT_IPV4ADDR`).
    Ipv4Addr = 26,
    /// One of several types, chosen by its first byte (`PT_DYN`).
    Dyn = 27,
    /// 8-bit flags named by a table (`PT_FLAGS8`).
    Flags8 = 28,
    /// 16-bit flags (`PT_FLAGS16`).
    Flags16 = 29,
    /// 32-bit flags (`PT_FLAGS32`).
    Flags32 = 30,
    /// A user id (`PT_UID`).
    Uid = 31,
    /// A group id (`PT_GID`).
    Gid = 32,
    /// A floating-point number (`PT_DOUBLE`).
    Double = 33,
    /// A signal set (`PT_SIGSET`).
    SigSet = 34,
    /// A list of strings, each NUL-terminated (`PT_CHARBUFARRAY`).
    CharBufArray = 35,
    /// A list of string pairs (`PT_CHARBUF_PAIR_ARRAY`).
    CharBufPairArray = 36,
    /// An IPv4 network (`PT_IPV4NET`).
    Ipv4Net = 37,
    /// An IPv6 address (`PT_IPV6ADDR`).
    Ipv6Addr = 38,
    /// An IPv6 network (`PT_IPV6NET`).
    Ipv6Net = 39,
    /// An IPv4 or IPv6 address (`PT_IPADDR`).
    IpAddr = 40,
    /// An IPv4 or IPv6 network (`PT_IPNET`).
    IpNet = 41,
    /// File mode bits (`PT_MODE`).
    Mode = 42,
    /// A path relative to a dirfd parameter (`PT_FSRELPATH`).
    FsRelPath = 43,
    /// An 8-bit value named by an enum table (`PT_ENUMFLAGS8`).
    EnumFlags8 = 44,
    /// A 16-bit enum value (`PT_ENUMFLAGS16`).
    EnumFlags16 = 45,
    /// A 32-bit enum value (`PT_ENUMFLAGS32`).
    EnumFlags32 = 46,
    /// A file descriptor, 32-bit (`PT_FD32`).
    Fd32 = 47,
    /// A process id, 32-bit (`PT_PID32`).
    Pid32 = 48,
}

impl ParamType {
    /// The encoded size of a fixed-size type, `None` for variable-size types.
    pub const fn fixed_size(self) -> Option<usize> {
        use ParamType::*;
        Some(match self {
            Int8 | Uint8 | SigType | L4Proto | SockFamily | Flags8 | EnumFlags8 => 1,
            Int16 | Uint16 | SyscallId | Port | Flags16 | EnumFlags16 => 2,
            Int32 | Uint32 | Bool | Ipv4Addr | Flags32 | Uid | Gid | SigSet | Mode
            | EnumFlags32 | Fd32 | Pid32 => 4,
            Int64 | Uint64 | Errno | Fd | Pid | RelTime | AbsTime | Double => 8,
            Ipv4Net => 8,
            Ipv6Addr => 16,
            Ipv6Net => 32,
            _ => return Option::None,
        })
    }

    /// The type's name as event listings show it (`FSPATH`, `SOCKTUPLE`, ...).
    pub const fn name(self) -> &'static str {
        use ParamType::*;
        match self {
            None => "NONE",
            Int8 => "INT8",
            Int16 => "INT16",
            Int32 => "INT32",
            Int64 => "INT64",
            Uint8 => "UINT8",
            Uint16 => "UINT16",
            Uint32 => "UINT32",
            Uint64 => "UINT64",
            CharBuf => "CHARBUF",
            ByteBuf => "BYTEBUF",
            Errno => "ERRNO",
            SockAddr => "SOCKADDR",
            SockTuple => "SOCKTUPLE",
            Fd => "FD",
            Pid => "PID",
            FdList => "FDLIST",
            FsPath => "FSPATH",
            SyscallId => "SYSCALLID",
            SigType => "SIGTYPE",
            RelTime => "RELTIME",
            AbsTime => "ABSTIME",
            Port => "PORT",
            L4Proto => "L4PROTO",
            SockFamily => "SOCKFAMILY",
            Bool => "BOOL",
            Ipv4Addr => "IPV4ADDR",
            Dyn => "DYNAMIC",
            Flags8 => "FLAGS8",
            Flags16 => "FLAGS16",
            Flags32 => "FLAGS32",
            Uid => "UID",
            Gid => "GID",
            Double => "DOUBLE",
            SigSet => "SIGSET",
            CharBufArray => "CHARBUFARRAY",
            CharBufPairArray => "CHARBUF_PAIR_ARRAY",
            Ipv4Net => "IPV4NET",
            Ipv6Addr => "IPV6ADDR",
            Ipv6Net => "IPV6NET",
            IpAddr => "IPADDR",
            IpNet => "IPNET",
            Mode => "MODE",
            FsRelPath => "FSRELPATH",
            EnumFlags8 => "ENUMFLAGS8",
            EnumFlags16 => "ENUMFLAGS16",
            EnumFlags32 => "ENUMFLAGS32",
            Fd32 => "FD32",
            Pid32 => "PID32",
        }
    }
}

/// How a numeric parameter is printed (`enum ppm_print_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PrintFormat {
    /// Not a number (`PF_NA`).
    Na = 0,
    /// Decimal (`PF_DEC`).
    Dec = 1,
    /// Hexadecimal (`PF_HEX`).
    Hex = 2,
    /// Decimal, zero-padded (`PF_10_PADDED_DEC`).
    PaddedDec = 3,
    /// An id, shown with the name it stands for (`PF_ID`).
    Id = 4,
    /// A directory fd (`PF_DIR`).
    Dir = 5,
    /// Octal (`PF_OCT`).
    Oct = 6,
}

bitflags! {
    /// Event flags (`enum ppm_event_flags`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct EventFlags: u32 {
        /// Makes an fd (`EF_CREATES_FD`).
        const CREATES_FD = 1 << 0;
        /// Removes an fd.
        const DESTROYS_FD = 1 << 1;
        /// Is about an fd, its first parameter in the enter event.
        const USES_FD = 1 << 2;
        /// Reads data from its fd.
        const READS_FROM_FD = 1 << 3;
        /// Writes data to its fd.
        const WRITES_TO_FD = 1 << 4;
        /// Changes the state (threads, fds) beyond its fd.
        const MODIFIES_STATE = 1 << 5;
        /// No probe sends it any more.
        const UNUSED = 1 << 6;
        /// Waits (sleeps, polls).
        const WAITS = 1 << 7;
        /// Does not go through the parser's per-event bookkeeping.
        const SKIPPARSERESET = 1 << 8;
        /// An old version of an event that has a newer one.
        const OLD_VERSION = 1 << 9;
        /// Its parameter lengths are 32-bit (`EF_LARGE_PAYLOAD`).
        const LARGE_PAYLOAD = 1 << 11;
        /// Converted to the newest version by libscap's converter.
        const CONVERTER_MANAGED = 1 << 12;
    }
}

bitflags! {
    /// Event category (`enum ppm_event_category`): a syscall category in the low bits (an
    /// enumeration, see [`Category::syscall_category`]) and single-bit event classes above.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Category: u32 {
        /// A waiting syscall (`EC_WAIT`).
        const WAIT = 1 << 6;
        /// A scheduler event.
        const SCHEDULER = 1 << 7;
        /// Internal: process lists, drop notices, container metadata.
        const INTERNAL = 1 << 8;
        /// A syscall.
        const SYSCALL = 1 << 9;
        /// A tracepoint other than a syscall's.
        const TRACEPOINT = 1 << 10;
        /// A plugin's event.
        const PLUGIN = 1 << 11;
        /// A meta-event (made by libsinsp, not by the kernel).
        const METAEVENT = 1 << 12;
        /// An iterator event (the state of a task or file at start).
        const ITER = 1 << 13;
        const _ = 0x3f;
    }
}

impl Category {
    /// The low, enumerated part: 0 unknown, 1 other, 2 file, 3 net, ... 32-34 I/O.
    pub fn syscall_category(self) -> u32 {
        self.bits() & 0x3f
    }
}

bitflags! {
    /// Syscall table flags (`UF_*`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct SyscallFlags: u32 {
        /// The probe captures it (`UF_USED`).
        const USED = 1;
        /// Never dropped in sampling mode.
        const NEVER_DROP = 2;
        /// Always dropped in sampling mode.
        const ALWAYS_DROP = 4;
        /// Cannot sleep (`UF_ATOMIC`).
        const ATOMIC = 16;
    }
}

/// One name of a flag or enum table (`struct ppm_name_value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagName {
    /// The name (`O_RDONLY`).
    pub name: &'static str,
    /// Its bits or value.
    pub value: u32,
}

/// One alternative of a `PT_DYN` parameter, selected by the value's first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynParam {
    /// The alternative's type.
    pub ty: ParamType,
    /// How it prints.
    pub format: PrintFormat,
}

/// What a parameter's `info` pointer refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamExtra {
    /// Nothing.
    None,
    /// The flag or enum table that names its bits or values.
    Flags(&'static [FlagName]),
    /// For a relative path: the index of the dirfd parameter it resolves against.
    DirFd(u8),
    /// For `PT_DYN`: the alternatives, indexed by the value's first byte.
    Dynamic(&'static [DynParam]),
}

/// The schema of one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamInfo {
    /// The parameter's name (`fd`, `name`, `flags`).
    pub name: &'static str,
    /// Its type.
    pub ty: ParamType,
    /// How it prints.
    pub format: PrintFormat,
    /// Its flag table, dirfd or alternatives.
    pub extra: ParamExtra,
}

/// The schema of one event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventInfo {
    /// The `PPME_*` enumerator name.
    pub code: &'static str,
    /// The event name shown as `evt.type` (shared by all versions of an event).
    pub name: &'static str,
    /// Its category and class.
    pub category: Category,
    /// Its flags.
    pub flags: EventFlags,
    /// Its parameters, in order.
    pub params: &'static [ParamInfo],
}

/// Direction of an event: enter events have even ids, exit events odd ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The syscall's start (`>`).
    Enter,
    /// Its return (`<`).
    Exit,
}

impl Direction {
    /// The direction of event type `id`.
    pub const fn of(id: u16) -> Direction {
        if id & 1 == 0 {
            Direction::Enter
        } else {
            Direction::Exit
        }
    }

    /// `>` for enter, `<` for exit, as `evt.dir` prints it.
    pub const fn symbol(self) -> &'static str {
        match self {
            Direction::Enter => ">",
            Direction::Exit => "<",
        }
    }
}

impl EventInfo {
    /// The index of the parameter called `name`.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    /// Whether payload lengths of this event are u32 (large payload) rather than u16.
    pub fn large_payload(&self) -> bool {
        self.flags.contains(EventFlags::LARGE_PAYLOAD)
    }
}

/// The index of the `fd` parameter of event type `id`, if it has one: what
/// `param_index("fd")` finds, from a table built once (the parser asks for every event).
pub fn fd_param(id: u16) -> Option<usize> {
    static FD_PARAM: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let table = FD_PARAM.get_or_init(|| {
        table::EVENTS
            .iter()
            .map(|e| e.param_index("fd").map_or(u8::MAX, |i| i as u8))
            .collect()
    });
    table
        .get(id as usize)
        .filter(|&&i| i != u8::MAX)
        .map(|&i| i as usize)
}

/// The schema entry of event type `id`, if the schema knows it.
pub fn event_info(id: u16) -> Option<&'static EventInfo> {
    table::EVENTS.get(id as usize)
}

/// The flag table called `name` in libs (`file_flags`, `clone_flags`, ...).
pub fn flag_table(name: &str) -> Option<&'static [FlagName]> {
    table::FLAG_TABLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
}

/// The name of syscall `ppm_sc` code (as carried by generic events).
pub fn ppm_sc_name(code: u16) -> Option<&'static str> {
    table::PPM_SC_NAMES
        .get(code as usize)
        .copied()
        .filter(|n| !n.is_empty())
}

/// One native syscall of an architecture and the events it produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyscallEntry {
    /// The architecture's syscall number.
    pub nr: u16,
    /// The syscall's name.
    pub name: &'static str,
    /// Its architecture-independent code (`PPM_SC_*`).
    pub ppm_sc: u16,
    /// The event id of its enter event.
    pub enter: u16,
    /// The event id of its exit event.
    pub exit: u16,
    /// Its table flags.
    pub flags: SyscallFlags,
}

/// The native syscall table of the architecture Peregrine was built for.
pub fn native_syscalls() -> &'static [SyscallEntry] {
    if cfg!(target_arch = "aarch64") {
        table::SYSCALLS_AARCH64
    } else {
        table::SYSCALLS_X86_64
    }
}
