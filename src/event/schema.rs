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
    None = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Uint8 = 5,
    Uint16 = 6,
    Uint32 = 7,
    Uint64 = 8,
    CharBuf = 9,
    ByteBuf = 10,
    Errno = 11,
    SockAddr = 12,
    SockTuple = 13,
    Fd = 14,
    Pid = 15,
    FdList = 16,
    FsPath = 17,
    SyscallId = 18,
    SigType = 19,
    RelTime = 20,
    AbsTime = 21,
    Port = 22,
    L4Proto = 23,
    SockFamily = 24,
    Bool = 25,
    Ipv4Addr = 26,
    Dyn = 27,
    Flags8 = 28,
    Flags16 = 29,
    Flags32 = 30,
    Uid = 31,
    Gid = 32,
    Double = 33,
    SigSet = 34,
    CharBufArray = 35,
    CharBufPairArray = 36,
    Ipv4Net = 37,
    Ipv6Addr = 38,
    Ipv6Net = 39,
    IpAddr = 40,
    IpNet = 41,
    Mode = 42,
    FsRelPath = 43,
    EnumFlags8 = 44,
    EnumFlags16 = 45,
    EnumFlags32 = 46,
    Fd32 = 47,
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
    Na = 0,
    Dec = 1,
    Hex = 2,
    PaddedDec = 3,
    Id = 4,
    Dir = 5,
    Oct = 6,
}

bitflags! {
    /// Event flags (`enum ppm_event_flags`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct EventFlags: u32 {
        const CREATES_FD = 1 << 0;
        const DESTROYS_FD = 1 << 1;
        const USES_FD = 1 << 2;
        const READS_FROM_FD = 1 << 3;
        const WRITES_TO_FD = 1 << 4;
        const MODIFIES_STATE = 1 << 5;
        const UNUSED = 1 << 6;
        const WAITS = 1 << 7;
        const SKIPPARSERESET = 1 << 8;
        const OLD_VERSION = 1 << 9;
        const LARGE_PAYLOAD = 1 << 11;
        const CONVERTER_MANAGED = 1 << 12;
    }
}

bitflags! {
    /// Event category (`enum ppm_event_category`): a syscall category in the low bits (an
    /// enumeration, see [`Category::syscall_category`]) and single-bit event classes above.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Category: u32 {
        const WAIT = 1 << 6;
        const SCHEDULER = 1 << 7;
        const INTERNAL = 1 << 8;
        const SYSCALL = 1 << 9;
        const TRACEPOINT = 1 << 10;
        const PLUGIN = 1 << 11;
        const METAEVENT = 1 << 12;
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
        const USED = 1;
        const NEVER_DROP = 2;
        const ALWAYS_DROP = 4;
        const ATOMIC = 16;
    }
}

/// One name of a flag or enum table (`struct ppm_name_value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagName {
    pub name: &'static str,
    pub value: u32,
}

/// One alternative of a `PT_DYN` parameter, selected by the value's first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynParam {
    pub ty: ParamType,
    pub format: PrintFormat,
}

/// What a parameter's `info` pointer refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamExtra {
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
    pub name: &'static str,
    pub ty: ParamType,
    pub format: PrintFormat,
    pub extra: ParamExtra,
}

/// The schema of one event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventInfo {
    /// The `PPME_*` enumerator name.
    pub code: &'static str,
    /// The event name shown as `evt.type` (shared by all versions of an event).
    pub name: &'static str,
    pub category: Category,
    pub flags: EventFlags,
    pub params: &'static [ParamInfo],
}

/// Direction of an event: enter events have even ids, exit events odd ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Enter,
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
    pub nr: u16,
    pub name: &'static str,
    pub ppm_sc: u16,
    pub enter: u16,
    pub exit: u16,
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
