//! The field registry: every field's name, type and description, and its extractor. Fields
//! are looked up once (when a format or filter is compiled) and then extracted per event
//! without name look-ups.
//!
//! Values are rendered as sysdig 0.29 prints them (the same numbers, the same empty strings,
//! the same `<NA>` texts), so that output compares byte for byte.

mod args;
mod evt;
mod fd;
mod fspath;
mod proc;
mod sc_category;
mod time;

pub use time::{push_iso8601, push_time};
pub(crate) mod view;

pub(crate) use proc::glob_match;
pub use view::{EventContext, EventView};

use std::cell::RefCell;

use crate::error::{Error, Result};
use crate::event::Value;

/// The type of a field's value, as `-l` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A signed 16-bit integer.
    Int16,
    /// A signed 32-bit integer.
    Int32,
    /// A signed 64-bit integer.
    Int64,
    /// An unsigned 32-bit integer.
    Uint32,
    /// An unsigned 64-bit integer.
    Uint64,
    /// Text.
    CharBuf,
    /// Bytes, shown as text.
    ByteBuf,
    /// `true` or `false`.
    Bool,
    /// A point in time, in nanoseconds since the epoch.
    AbsTime,
    /// A duration, in nanoseconds.
    RelTime,
    /// A floating-point number.
    Double,
    /// An IPv4 or IPv6 address.
    IpAddr,
    /// An address with a prefix length (a network).
    IpNet,
    /// A port number.
    Port,
    /// A type that depends on the argument (`evt.arg.*`, `evt.rawarg.*`).
    Dynamic,
}

impl FieldType {
    /// The libsinsp name of the type.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Int16 => "INT16",
            FieldType::Int32 => "INT32",
            FieldType::Int64 => "INT64",
            FieldType::Uint32 => "UINT32",
            FieldType::Uint64 => "UINT64",
            FieldType::CharBuf => "CHARBUF",
            FieldType::ByteBuf => "BYTEBUF",
            FieldType::Bool => "BOOL",
            FieldType::AbsTime => "ABSTIME",
            FieldType::RelTime => "RELTIME",
            FieldType::Double => "DOUBLE",
            FieldType::IpAddr => "IPADDR",
            FieldType::IpNet => "IPNET",
            FieldType::Port => "PORT",
            FieldType::Dynamic => "DYNAMIC",
        }
    }
}

/// What a field takes after its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// Nothing.
    None,
    /// `.NAME` or `[N]`: a parameter of the event (required).
    Param,
    /// `[N]`: an ancestor level (optional; none means the process itself).
    Level,
    /// `.NAME`: a cgroup subsystem (required).
    Subsys,
    /// `[N]` or `[GLOB]` (required).
    Bracket,
}

/// Where a field may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// In formats and filters, listed by `-l`.
    Any,
    /// Only in filters (`fd.ip`, `fd.port`, ...).
    FilterOnly,
    /// Usable, not listed (libsinsp's table-only fields).
    Hidden,
}

/// One entry of the registry.
#[derive(Debug, Clone, Copy)]
pub struct FieldInfo {
    /// The field's name (`proc.name`).
    pub name: &'static str,
    /// The type of its value.
    pub ty: FieldType,
    /// What it takes after its name.
    pub arg: ArgKind,
    /// Where it may be used: filters, output, or both.
    pub usage: Usage,
    /// What it gives, in a sentence (`-l` prints it).
    pub description: &'static str,
    kind: Kind,
}

impl FieldInfo {
    /// The fields that show the event's time as text; JSON output gives them as the
    /// timestamp in nanoseconds instead.
    pub fn is_event_time(&self) -> bool {
        matches!(
            self.kind,
            K::Time | K::TimeS | K::TimeIso8601 | K::DateTime | K::DateTimeS | K::OutputTime
        )
    }
}

impl FieldInfo {
    /// Integer fields printed in hexadecimal (`fd.dev`), which JSON gives as strings.
    pub fn is_hex(&self) -> bool {
        self.kind == K::FdDev
    }
}

/// Every extractor. The registry maps names to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    // evt
    Num,
    Time,
    TimeS,
    TimeIso8601,
    DateTime,
    DateTimeS,
    RawTime,
    RawTimeS,
    RawTimeNs,
    RelTime,
    RelTimeS,
    RelTimeNs,
    PluginName,
    PluginInfo,
    Latency,
    LatencyS,
    LatencyNs,
    LatencyQuantized,
    LatencyHuman,
    DeltaTime,
    DeltaTimeS,
    DeltaTimeNs,
    OutputTime,
    Dir,
    Type,
    TypeIs,
    SyscallType,
    Category,
    Cpu,
    Args,
    Arg,
    RawArg,
    Info,
    Buffer,
    BufLen,
    Res,
    RawRes,
    Failed,
    IsIo,
    IsIoRead,
    IsIoWrite,
    IoDir,
    IsWait,
    WaitLatency,
    IsSyslog,
    Count,
    CountError,
    CountErrorFile,
    CountErrorNet,
    CountErrorMemory,
    CountErrorOther,
    CountExit,
    CountProcinfo,
    CountThreadinfo,
    Around,
    AbsPath,
    AbsPathSrc,
    AbsPathDst,
    BufLenIn,
    BufLenOut,
    BufLenFile,
    BufLenFileIn,
    BufLenFileOut,
    BufLenNet,
    BufLenNetIn,
    BufLenNetOut,
    IsOpenRead,
    IsOpenWrite,
    IsOpenExec,
    // proc / thread
    Pid,
    Exe,
    Name,
    ProcArgs,
    Env,
    Cmdline,
    Exeline,
    Cwd,
    NThreads,
    NChilds,
    PPid,
    PName,
    PCmdline,
    APid,
    AName,
    LoginShellId,
    Duration,
    FdOpenCount,
    FdLimit,
    FdUsage,
    VmSize,
    VmRss,
    VmSwap,
    PfMajor,
    PfMinor,
    Tid,
    IsMain,
    ExecTime,
    TotExecTime,
    Cgroups,
    Cgroup,
    VTid,
    VPid,
    ThreadCpu,
    ThreadCpuUser,
    ThreadCpuSystem,
    ThreadVmSize,
    ThreadVmRss,
    ThreadVmSizeB,
    ThreadVmRssB,
    Sid,
    SName,
    Tty,
    ExePath,
    NameTid,
    VPgid,
    IsHealthcheck,
    IsLivenessProbe,
    IsReadinessProbe,
    IsExeWritable,
    IsExeUpperLayer,
    IsExeFromMemfd,
    ExeIno,
    ExeInoCtime,
    ExeInoMtime,
    ExeInoCtimeDurationProcStart,
    PExe,
    PExePath,
    AExePath,
    PPidDuration,
    IsVpgidLeader,
    VpgidName,
    VpgidExe,
    CapPermitted,
    CapEffective,
    CapInheritable,
    // user / group
    Uid,
    UserName,
    HomeDir,
    Shell,
    LoginUid,
    LoginName,
    Gid,
    GroupName,
    // container
    ContainerId,
    ContainerName,
    ContainerImage,
    ContainerImageId,
    ContainerType,
    ContainerPrivileged,
    ContainerImageRepo,
    ContainerImageTag,
    ContainerImageDigest,
    ContainerMounts,
    ContainerMount,
    ContainerMountSource,
    ContainerMountDest,
    ContainerMountMode,
    ContainerMountRdwr,
    ContainerMountPropagation,
    ContainerHealthcheck,
    ContainerLivenessProbe,
    ContainerReadinessProbe,
    ContainerStartTs,
    K8sNsName,
    K8sPodName,
    K8sPodUid,
    // fd
    FdNum,
    FdType,
    FdTypeChar,
    FdName,
    FdNameRaw,
    FdDirectory,
    FdFilename,
    FdIp,
    FdCip,
    FdSip,
    FdLip,
    FdRip,
    FdPort,
    FdCport,
    FdSport,
    FdLport,
    FdRport,
    FdL4Proto,
    FdSockFamily,
    FdIsServer,
    FdUid,
    FdContainerName,
    FdContainerDirectory,
    FdProto,
    FdCproto,
    FdSproto,
    FdLproto,
    FdRproto,
    FdNet,
    FdConnected,
    FdNameChanged,
    FdCipName,
    FdSipName,
    FdLipName,
    FdRipName,
    FdDev,
    FdDevMajor,
    FdDevMinor,
    // fs.path
    FsPathName,
    FsPathNameRaw,
    FsPathSource,
    FsPathSourceRaw,
    FsPathTarget,
    FsPathTargetRaw,
    // fdlist
    FdListNums,
    FdListNames,
    FdListCips,
    FdListSips,
    FdListCports,
    FdListSports,
}

use ArgKind as A;
use FieldType as T;
use Kind as K;
use Usage as U;

const fn f(name: &'static str, ty: FieldType, kind: Kind, description: &'static str) -> FieldInfo {
    FieldInfo {
        name,
        ty,
        arg: ArgKind::None,
        usage: Usage::Any,
        description,
        kind,
    }
}

const fn fa(
    name: &'static str,
    ty: FieldType,
    arg: ArgKind,
    kind: Kind,
    description: &'static str,
) -> FieldInfo {
    FieldInfo {
        name,
        ty,
        arg,
        usage: Usage::Any,
        description,
        kind,
    }
}

const fn fu(
    name: &'static str,
    ty: FieldType,
    usage: Usage,
    kind: Kind,
    description: &'static str,
) -> FieldInfo {
    FieldInfo {
        name,
        ty,
        arg: ArgKind::None,
        usage,
        description,
        kind,
    }
}

/// Every field Peregrine knows, in `-l` order.
#[rustfmt::skip]
pub static FIELDS: &[FieldInfo] = &[
    f("evt.num", T::Uint64, K::Num, "number of the event in the capture, from 1"),
    f("evt.time", T::CharBuf, K::Time, "local time of the event, with nanoseconds"),
    f("evt.time.s", T::CharBuf, K::TimeS, "local time of the event, whole seconds"),
    f("evt.time.iso8601", T::CharBuf, K::TimeIso8601, "UTC date and time of the event in ISO 8601 form, with nanoseconds"),
    f("evt.datetime", T::CharBuf, K::DateTime, "local date and time of the event, with nanoseconds"),
    f("evt.datetime.s", T::CharBuf, K::DateTimeS, "local date and time of the event, whole seconds"),
    f("evt.rawtime", T::AbsTime, K::RawTime, "timestamp in nanoseconds since the epoch"),
    f("evt.rawtime.s", T::AbsTime, K::RawTimeS, "whole seconds of the timestamp"),
    f("evt.rawtime.ns", T::AbsTime, K::RawTimeNs, "nanosecond part of the timestamp"),
    f("evt.reltime", T::RelTime, K::RelTime, "nanoseconds since the first event of the capture"),
    f("evt.reltime.s", T::RelTime, K::RelTimeS, "whole seconds since the first event"),
    f("evt.reltime.ns", T::RelTime, K::RelTimeNs, "nanosecond part of the time since the first event"),
    f("evt.pluginname", T::CharBuf, K::PluginName, "name of the plugin that made the event (plugin events only)"),
    f("evt.plugininfo", T::CharBuf, K::PluginInfo, "the plugin's summary of the event (plugin events only)"),
    f("evt.latency", T::RelTime, K::Latency, "for an exit event, nanoseconds since its enter event"),
    f("evt.latency.s", T::RelTime, K::LatencyS, "whole seconds of evt.latency"),
    f("evt.latency.ns", T::RelTime, K::LatencyNs, "nanosecond part of evt.latency"),
    fu("evt.latency.quantized", T::Uint64, U::Hidden, K::LatencyQuantized, "evt.latency on a logarithmic scale"),
    f("evt.latency.human", T::CharBuf, K::LatencyHuman, "evt.latency in human units (10.3ms)"),
    f("evt.deltatime", T::RelTime, K::DeltaTime, "nanoseconds since the previous event shown"),
    f("evt.deltatime.s", T::RelTime, K::DeltaTimeS, "whole seconds of evt.deltatime"),
    f("evt.deltatime.ns", T::RelTime, K::DeltaTimeNs, "nanosecond part of evt.deltatime"),
    f("evt.outputtime", T::CharBuf, K::OutputTime, "the event time as the output is set to show it"),
    f("evt.dir", T::CharBuf, K::Dir, "direction: '>' for enter events, '<' for exit events"),
    f("evt.type", T::CharBuf, K::Type, "name of the event (open, execve, ...), the syscall name for generic events"),
    fa("evt.type.is", T::Uint32, A::Subsys, K::TypeIs, "1 if the event is of the named type (evt.type.is.open)"),
    f("syscall.type", T::CharBuf, K::SyscallType, "for system call events, the name of the call"),
    f("evt.category", T::CharBuf, K::Category, "category of the event: file, net, process, memory, IPC, ..."),
    f("evt.cpu", T::Int16, K::Cpu, "CPU the event happened on"),
    f("evt.args", T::CharBuf, K::Args, "all arguments, as name=value pairs"),
    fa("evt.arg", T::CharBuf, A::Param, K::Arg, "one argument, by name (evt.arg.fd) or number (evt.arg[0]), rendered"),
    fa("evt.rawarg", T::Dynamic, A::Param, K::RawArg, "one argument by name, unrendered (evt.rawarg.res)"),
    f("evt.info", T::CharBuf, K::Info, "what the event says, as the default output shows it"),
    f("evt.buffer", T::ByteBuf, K::Buffer, "the data buffer of a read or write"),
    f("evt.buflen", T::Uint64, K::BufLen, "bytes transferred by a read or write"),
    f("evt.res", T::CharBuf, K::Res, "result as text: SUCCESS or the error code (ENOENT)"),
    f("evt.rawres", T::Int64, K::RawRes, "result as a number"),
    f("evt.failed", T::Bool, K::Failed, "true for events that returned an error"),
    f("evt.is_io", T::Bool, K::IsIo, "true for events that read or write data"),
    f("evt.is_io_read", T::Bool, K::IsIoRead, "true for events that read data"),
    f("evt.is_io_write", T::Bool, K::IsIoWrite, "true for events that write data"),
    f("evt.io_dir", T::CharBuf, K::IoDir, "'read' or 'write' for events that transfer data"),
    f("evt.is_wait", T::Bool, K::IsWait, "true for events that make the thread wait (sleep, poll)"),
    f("evt.wait_latency", T::RelTime, K::WaitLatency, "for exits of waiting events, the time waited"),
    f("evt.is_syslog", T::Bool, K::IsSyslog, "true for writes to /dev/log"),
    f("evt.count", T::Uint32, K::Count, "1 for every event (for counting)"),
    f("evt.count.error", T::Uint32, K::CountError, "1 for events that returned an error"),
    f("evt.count.error.file", T::Uint32, K::CountErrorFile, "1 for failed file events"),
    f("evt.count.error.net", T::Uint32, K::CountErrorNet, "1 for failed network events"),
    f("evt.count.error.memory", T::Uint32, K::CountErrorMemory, "1 for failed memory events"),
    f("evt.count.error.other", T::Uint32, K::CountErrorOther, "1 for other failed events"),
    f("evt.count.exit", T::Uint32, K::CountExit, "1 for exit events"),
    fu("evt.count.procinfo", T::Uint32, U::Hidden, K::CountProcinfo, "1 for procinfo events of main threads"),
    fu("evt.count.threadinfo", T::Uint32, U::Hidden, K::CountThreadinfo, "1 for procinfo events"),
    fu("evt.around", T::Uint64, U::FilterOnly, K::Around, "events within a time window around a timestamp"),
    f("evt.abspath", T::CharBuf, K::AbsPath, "absolute path of the file an *at call names"),
    f("evt.abspath.src", T::CharBuf, K::AbsPathSrc, "absolute source path of rename/link calls"),
    f("evt.abspath.dst", T::CharBuf, K::AbsPathDst, "absolute destination path of rename/link calls"),
    fu("evt.buflen.in", T::Uint64, U::Hidden, K::BufLenIn, "bytes read"),
    fu("evt.buflen.out", T::Uint64, U::Hidden, K::BufLenOut, "bytes written"),
    fu("evt.buflen.file", T::Uint64, U::Hidden, K::BufLenFile, "bytes transferred to or from files"),
    fu("evt.buflen.file.in", T::Uint64, U::Hidden, K::BufLenFileIn, "bytes read from files"),
    fu("evt.buflen.file.out", T::Uint64, U::Hidden, K::BufLenFileOut, "bytes written to files"),
    fu("evt.buflen.net", T::Uint64, U::Hidden, K::BufLenNet, "bytes transferred over the network"),
    fu("evt.buflen.net.in", T::Uint64, U::Hidden, K::BufLenNetIn, "bytes received"),
    fu("evt.buflen.net.out", T::Uint64, U::Hidden, K::BufLenNetOut, "bytes sent"),
    f("evt.is_open_read", T::Bool, K::IsOpenRead, "true for opens for reading"),
    f("evt.is_open_write", T::Bool, K::IsOpenWrite, "true for opens for writing"),
    f("evt.is_open_exec", T::Bool, K::IsOpenExec, "true for opens that create an executable file"),
    f("proc.pid", T::Int64, K::Pid, "id of the process"),
    f("proc.exe", T::CharBuf, K::Exe, "first argument of the command line (usually the program path)"),
    f("proc.name", T::CharBuf, K::Name, "name of the program (the kernel's comm)"),
    f("proc.args", T::CharBuf, K::ProcArgs, "arguments after the program name"),
    f("proc.env", T::CharBuf, K::Env, "environment of the process"),
    f("proc.cmdline", T::CharBuf, K::Cmdline, "name and arguments"),
    f("proc.exeline", T::CharBuf, K::Exeline, "first argument and the others"),
    f("proc.cwd", T::CharBuf, K::Cwd, "working directory of the process"),
    f("proc.nthreads", T::Uint32, K::NThreads, "number of threads of the process"),
    f("proc.nchilds", T::Uint32, K::NChilds, "number of threads of the process besides the main one"),
    f("proc.ppid", T::Int64, K::PPid, "id of the parent process"),
    f("proc.pname", T::CharBuf, K::PName, "name of the parent"),
    f("proc.pcmdline", T::CharBuf, K::PCmdline, "name and arguments of the parent"),
    fa("proc.apid", T::Int64, A::Level, K::APid, "id of an ancestor: proc.apid[1] is the parent"),
    fa("proc.aname", T::CharBuf, A::Level, K::AName, "name of an ancestor: proc.aname[1] is the parent"),
    f("proc.loginshellid", T::Int64, K::LoginShellId, "id of the oldest shell among the ancestors"),
    f("proc.duration", T::RelTime, K::Duration, "nanoseconds since the process started"),
    f("proc.fdopencount", T::Uint64, K::FdOpenCount, "number of open fds of the process"),
    f("proc.fdlimit", T::Int64, K::FdLimit, "most fds the process may open"),
    f("proc.fdusage", T::Double, K::FdUsage, "open fds as a percentage of the limit"),
    f("proc.vmsize", T::Uint64, K::VmSize, "virtual memory size (kB)"),
    f("proc.vmrss", T::Uint64, K::VmRss, "resident memory (kB)"),
    f("proc.vmswap", T::Uint64, K::VmSwap, "swapped memory (kB)"),
    f("thread.pfmajor", T::Uint64, K::PfMajor, "major page faults of the thread"),
    f("thread.pfminor", T::Uint64, K::PfMinor, "minor page faults of the thread"),
    f("thread.tid", T::Int64, K::Tid, "id of the thread"),
    f("thread.ismain", T::Bool, K::IsMain, "true for the main thread of a process"),
    f("thread.exectime", T::RelTime, K::ExecTime, "on a context switch, how long the thread ran"),
    f("thread.totexectime", T::RelTime, K::TotExecTime, "total running time of the thread seen so far"),
    f("thread.cgroups", T::CharBuf, K::Cgroups, "all cgroups of the thread"),
    fa("thread.cgroup", T::CharBuf, A::Subsys, K::Cgroup, "the cgroup of one subsystem (thread.cgroup.cpuacct)"),
    f("thread.vtid", T::Int64, K::VTid, "id of the thread in its pid namespace"),
    f("proc.vpid", T::Int64, K::VPid, "id of the process in its pid namespace"),
    f("thread.cpu", T::Double, K::ThreadCpu, "CPU used by the thread (procinfo events)"),
    f("thread.cpu.user", T::Double, K::ThreadCpuUser, "user CPU used by the thread (procinfo events)"),
    f("thread.cpu.system", T::Double, K::ThreadCpuSystem, "system CPU used by the thread (procinfo events)"),
    f("thread.vmsize", T::Uint64, K::ThreadVmSize, "virtual memory of the process for its main thread, 0 for others (kB)"),
    f("thread.vmrss", T::Uint64, K::ThreadVmRss, "resident memory of the process for its main thread, 0 for others (kB)"),
    fu("thread.vmsize.b", T::Uint64, U::Hidden, K::ThreadVmSizeB, "thread.vmsize in bytes"),
    fu("thread.vmrss.b", T::Uint64, U::Hidden, K::ThreadVmRssB, "thread.vmrss in bytes"),
    f("proc.sid", T::Int64, K::Sid, "session id of the process"),
    f("proc.sname", T::CharBuf, K::SName, "name of the session leader"),
    f("proc.tty", T::Int32, K::Tty, "controlling terminal of the process"),
    f("proc.exepath", T::CharBuf, K::ExePath, "full path of the executable"),
    fu("thread.nametid", T::CharBuf, U::Hidden, K::NameTid, "name and thread id together"),
    f("proc.vpgid", T::Int64, K::VPgid, "process group id in the pid namespace"),
    f("proc.is_container_healthcheck", T::Bool, K::IsHealthcheck, "true if the process is a container health check"),
    f("proc.is_container_liveness_probe", T::Bool, K::IsLivenessProbe, "true if the process is a container liveness probe"),
    f("proc.is_container_readiness_probe", T::Bool, K::IsReadinessProbe, "true if the process is a container readiness probe"),
    f("proc.is_exe_writable", T::Bool, K::IsExeWritable, "true if the executable is writable by the process's user"),
    f("proc.is_exe_upper_layer", T::Bool, K::IsExeUpperLayer, "true if the executable is in the upper (writable) layer of an overlay file system"),
    f("proc.is_exe_from_memfd", T::Bool, K::IsExeFromMemfd, "true if the executable is a memfd (a file that only exists in memory)"),
    f("proc.exe_ino", T::Int64, K::ExeIno, "inode number of the executable"),
    f("proc.exe_ino.ctime", T::AbsTime, K::ExeInoCtime, "last status change time of the executable's inode, ns since the epoch"),
    f("proc.exe_ino.mtime", T::AbsTime, K::ExeInoMtime, "last modification time of the executable's inode, ns since the epoch"),
    f("proc.exe_ino.ctime_duration_proc_start", T::RelTime, K::ExeInoCtimeDurationProcStart, "ns between the executable's last status change and the process's start"),
    f("proc.pexe", T::CharBuf, K::PExe, "the parent's proc.exe"),
    f("proc.pexepath", T::CharBuf, K::PExePath, "the parent's full executable path"),
    fa("proc.aexepath", T::CharBuf, A::Level, K::AExePath, "full executable path of an ancestor: proc.aexepath[1] is the parent"),
    f("proc.ppid.duration", T::RelTime, K::PPidDuration, "ns since the parent process started"),
    f("proc.is_vpgid_leader", T::Bool, K::IsVpgidLeader, "true if the process leads its process group (vpid = vpgid)"),
    f("proc.vpgid.name", T::CharBuf, K::VpgidName, "name of the process group leader"),
    f("proc.vpgid.exe", T::CharBuf, K::VpgidExe, "proc.exe of the process group leader"),
    f("thread.cap_permitted", T::CharBuf, K::CapPermitted, "permitted capabilities, by name"),
    f("thread.cap_effective", T::CharBuf, K::CapEffective, "effective capabilities, by name"),
    f("thread.cap_inheritable", T::CharBuf, K::CapInheritable, "inheritable capabilities, by name"),
    f("user.uid", T::Uint32, K::Uid, "user id"),
    f("user.name", T::CharBuf, K::UserName, "user name"),
    f("user.homedir", T::CharBuf, K::HomeDir, "home directory of the user"),
    f("user.shell", T::CharBuf, K::Shell, "shell of the user"),
    f("user.loginuid", T::Int32, K::LoginUid, "audit login user id (-1 if none)"),
    f("user.loginname", T::CharBuf, K::LoginName, "name of the login user"),
    f("group.gid", T::Uint64, K::Gid, "group id"),
    f("group.name", T::CharBuf, K::GroupName, "group name"),
    f("container.id", T::CharBuf, K::ContainerId, "container id ('host' outside containers)"),
    f("container.name", T::CharBuf, K::ContainerName, "container name ('host' outside containers)"),
    f("container.image", T::CharBuf, K::ContainerImage, "container image"),
    f("container.image.id", T::CharBuf, K::ContainerImageId, "container image id"),
    f("container.type", T::CharBuf, K::ContainerType, "container engine: docker, cri, lxc, ..."),
    f("container.privileged", T::Bool, K::ContainerPrivileged, "true for privileged containers"),
    f("container.image.repository", T::CharBuf, K::ContainerImageRepo, "repository of the container image"),
    f("container.image.tag", T::CharBuf, K::ContainerImageTag, "tag of the container image"),
    f("container.image.digest", T::CharBuf, K::ContainerImageDigest, "digest of the container image"),
    f("container.mounts", T::CharBuf, K::ContainerMounts, "mounts of the container, as source:dest:mode:rdwr:propagation, comma-separated"),
    fa("container.mount", T::CharBuf, A::Bracket, K::ContainerMount, "one mount, by number or source glob: container.mount[0]"),
    fa("container.mount.source", T::CharBuf, A::Bracket, K::ContainerMountSource, "source of a mount, by number or destination glob"),
    fa("container.mount.dest", T::CharBuf, A::Bracket, K::ContainerMountDest, "destination of a mount, by number or source glob"),
    fa("container.mount.mode", T::CharBuf, A::Bracket, K::ContainerMountMode, "mode of a mount, by number or source glob"),
    fa("container.mount.rdwr", T::CharBuf, A::Bracket, K::ContainerMountRdwr, "whether a mount is writable, by number or source glob"),
    fa("container.mount.propagation", T::CharBuf, A::Bracket, K::ContainerMountPropagation, "propagation of a mount, by number or source glob"),
    f("container.healthcheck", T::CharBuf, K::ContainerHealthcheck, "the container's health check command, NONE if it has none"),
    f("container.liveness_probe", T::CharBuf, K::ContainerLivenessProbe, "the container's liveness probe command, NONE if it has none"),
    f("container.readiness_probe", T::CharBuf, K::ContainerReadinessProbe, "the container's readiness probe command, NONE if it has none"),
    f("container.start_ts", T::AbsTime, K::ContainerStartTs, "when the container was created, ns since the epoch"),
    f("k8s.ns.name", T::CharBuf, K::K8sNsName, "Kubernetes namespace of the pod (from the container's labels)"),
    f("k8s.pod.name", T::CharBuf, K::K8sPodName, "Kubernetes pod name (from the container's labels)"),
    f("k8s.pod.uid", T::CharBuf, K::K8sPodUid, "Kubernetes pod uid (from the container's labels)"),
    f("fd.num", T::Int64, K::FdNum, "number of the fd"),
    f("fd.type", T::CharBuf, K::FdType, "type of the fd: file, directory, ipv4, ipv6, unix, pipe, event, ..."),
    f("fd.typechar", T::CharBuf, K::FdTypeChar, "type of the fd as one character"),
    f("fd.name", T::CharBuf, K::FdName, "full name of the fd: path, socket tuple, unix path"),
    f("fd.nameraw", T::CharBuf, K::FdNameRaw, "the path as the process gave it to the call that opened the fd (on that call), else fd.name"),
    f("fd.directory", T::CharBuf, K::FdDirectory, "directory of a file fd"),
    f("fd.filename", T::CharBuf, K::FdFilename, "file name of a file fd, without its directory"),
    fu("fd.ip", T::IpAddr, U::FilterOnly, K::FdIp, "either ip of a socket"),
    f("fd.cip", T::IpAddr, K::FdCip, "client ip of a connected socket"),
    f("fd.sip", T::IpAddr, K::FdSip, "server ip of a socket"),
    f("fd.lip", T::IpAddr, K::FdLip, "local ip of a connected socket"),
    f("fd.rip", T::IpAddr, K::FdRip, "remote ip of a connected socket"),
    fu("fd.port", T::Port, U::FilterOnly, K::FdPort, "either port of a socket"),
    f("fd.cport", T::Port, K::FdCport, "client port of a connected socket"),
    f("fd.sport", T::Port, K::FdSport, "server port of a socket"),
    f("fd.lport", T::Port, K::FdLport, "local port of a connected socket"),
    f("fd.rport", T::Port, K::FdRport, "remote port of a connected socket"),
    f("fd.l4proto", T::CharBuf, K::FdL4Proto, "layer-4 protocol of a socket: tcp, udp, icmp, raw"),
    f("fd.sockfamily", T::CharBuf, K::FdSockFamily, "socket family: ip or unix"),
    f("fd.is_server", T::Bool, K::FdIsServer, "true if the process is the server end of the socket"),
    f("fd.uid", T::CharBuf, K::FdUid, "thread id and fd number together"),
    f("fd.containername", T::CharBuf, K::FdContainerName, "container id and fd name together"),
    f("fd.containerdirectory", T::CharBuf, K::FdContainerDirectory, "container id and fd directory together"),
    fu("fd.proto", T::Port, U::FilterOnly, K::FdProto, "either protocol of a socket"),
    f("fd.cproto", T::CharBuf, K::FdCproto, "client port of a connected socket, as a service name when known"),
    f("fd.sproto", T::CharBuf, K::FdSproto, "server port of a socket, as a service name when known"),
    f("fd.lproto", T::CharBuf, K::FdLproto, "local port of a connected socket, as a service name when known"),
    f("fd.rproto", T::CharBuf, K::FdRproto, "remote port of a connected socket, as a service name when known"),
    fu("fd.net", T::IpNet, U::FilterOnly, K::FdNet, "either ip of a socket, matched against a network"),
    fu("fd.cnet", T::IpNet, U::FilterOnly, K::FdNet, "client ip matched against a network"),
    fu("fd.snet", T::IpNet, U::FilterOnly, K::FdNet, "server ip matched against a network"),
    fu("fd.lnet", T::IpNet, U::FilterOnly, K::FdNet, "local ip matched against a network"),
    fu("fd.rnet", T::IpNet, U::FilterOnly, K::FdNet, "remote ip matched against a network"),
    f("fd.connected", T::Bool, K::FdConnected, "true for connected sockets"),
    f("fd.name_changed", T::Bool, K::FdNameChanged, "true if the event changed the fd's name"),
    f("fd.cip.name", T::CharBuf, K::FdCipName, "domain name of the client ip"),
    f("fd.sip.name", T::CharBuf, K::FdSipName, "domain name of the server ip"),
    f("fd.lip.name", T::CharBuf, K::FdLipName, "domain name of the local ip"),
    f("fd.rip.name", T::CharBuf, K::FdRipName, "domain name of the remote ip"),
    f("fd.dev", T::Int32, K::FdDev, "device number of the file (hex)"),
    f("fd.dev.major", T::Int32, K::FdDevMajor, "major device number of the file"),
    f("fd.dev.minor", T::Int32, K::FdDevMinor, "minor device number of the file"),
    f("fs.path.name", T::CharBuf, K::FsPathName, "absolute path of the file a filesystem call names (open, mkdir, unlink, chmod, ...)"),
    f("fs.path.nameraw", T::CharBuf, K::FsPathNameRaw, "that path as the call gave it"),
    f("fs.path.source", T::CharBuf, K::FsPathSource, "absolute source path of a rename, link, symlink or mount"),
    f("fs.path.sourceraw", T::CharBuf, K::FsPathSourceRaw, "that source path as the call gave it"),
    f("fs.path.target", T::CharBuf, K::FsPathTarget, "absolute target path of a rename, link, symlink or mount"),
    f("fs.path.targetraw", T::CharBuf, K::FsPathTargetRaw, "that target path as the call gave it"),
    f("fdlist.nums", T::CharBuf, K::FdListNums, "numbers of the fds of a poll, comma-separated"),
    f("fdlist.names", T::CharBuf, K::FdListNames, "names of the fds of a poll"),
    f("fdlist.cips", T::CharBuf, K::FdListCips, "client ips of the sockets of a poll"),
    f("fdlist.sips", T::CharBuf, K::FdListSips, "server ips of the sockets of a poll"),
    f("fdlist.cports", T::CharBuf, K::FdListCports, "client ports of the sockets of a poll"),
    f("fdlist.sports", T::CharBuf, K::FdListSports, "server ports of the sockets of a poll"),
];

/// What follows a field's name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sel {
    None,
    Name(String),
    Index(i64),
}

/// Per-field memory, for the fields whose value depends on earlier events (each use of a
/// field in a format keeps its own, as in sysdig).
#[derive(Debug, Clone, Default)]
struct FieldMemory {
    prev_ts: u64,
    last_text: String,
    per_cpu: hashbrown::HashMap<u16, u64>,
    per_thread: hashbrown::HashMap<i64, u64>,
}

/// A field resolved once, ready to extract from any event.
#[derive(Debug, Clone)]
pub struct Field {
    info: &'static FieldInfo,
    sel: Sel,
    text: String,
    memory: RefCell<FieldMemory>,
}

fn is_field_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.'
}

impl Field {
    /// Parses a whole field name such as `evt.type` or `evt.arg.fd`.
    pub fn parse(text: &str) -> Result<Field> {
        let (f, used) = Field::parse_prefix(text)?;
        if used != text.len() {
            return Err(Error::UnknownField { name: text.into() });
        }
        Ok(f)
    }

    /// Parses the field at the start of `text` (as in a format string): the longest known
    /// name that `text` starts with, and its argument. Returns it and the bytes it took.
    pub fn parse_prefix(text: &str) -> Result<(Field, usize)> {
        let b = text.as_bytes();
        let name_len = b.iter().position(|&c| !is_field_char(c)).unwrap_or(b.len());
        // The unknown name to report: the name-like prefix, or else the first character
        // (whole, even when it is not ASCII).
        let shown = match name_len {
            0 => text.chars().next().map_or(0, char::len_utf8),
            n => n,
        };
        let unknown = || Error::UnknownField {
            name: text[..shown].into(),
        };
        let info = FIELDS
            .iter()
            .filter(|f| text.starts_with(f.name))
            .max_by_key(|f| f.name.len())
            .ok_or_else(unknown)?;
        let rest = &text[info.name.len()..];
        let bad = |why: String| Error::InvalidField {
            field: info.name.into(),
            why,
        };
        let (sel, used) = match info.arg {
            ArgKind::None => (Sel::None, info.name.len()),
            ArgKind::Param => {
                if let Some(r) = rest.strip_prefix('[') {
                    let close = r
                        .find(']')
                        .ok_or_else(|| bad("missing ']' after the argument index".into()))?;
                    let idx: i64 = r[..close]
                        .parse()
                        .map_err(|_| bad(format!("'{}' is not an argument index", &r[..close])))?;
                    (Sel::Index(idx), info.name.len() + close + 2)
                } else if let Some(r) = rest.strip_prefix('.') {
                    let n = r
                        .bytes()
                        .position(|c| !(c.is_ascii_alphanumeric() || c == b'_'))
                        .unwrap_or(r.len());
                    if n == 0 {
                        return Err(bad("needs an argument name after the dot".into()));
                    }
                    (Sel::Name(r[..n].into()), info.name.len() + 1 + n)
                } else {
                    return Err(bad(format!(
                        "needs an argument name or index: {0}.NAME or {0}[N]",
                        info.name
                    )));
                }
            }
            ArgKind::Level => {
                if let Some(r) = rest.strip_prefix('[') {
                    let close = r
                        .find(']')
                        .ok_or_else(|| bad("missing ']' after the ancestor level".into()))?;
                    let idx: i64 = r[..close]
                        .parse()
                        .map_err(|_| bad(format!("'{}' is not an ancestor level", &r[..close])))?;
                    (Sel::Index(idx), info.name.len() + close + 2)
                } else {
                    (Sel::None, info.name.len())
                }
            }
            ArgKind::Bracket => {
                let Some(r) = rest.strip_prefix('[') else {
                    return Err(bad(format!(
                        "needs an index or a pattern: {}[N]",
                        info.name
                    )));
                };
                let close = r
                    .find(']')
                    .ok_or_else(|| bad("missing ']' after the index".into()))?;
                let arg = &r[..close];
                let sel = match arg.parse::<i64>() {
                    Ok(n) => Sel::Index(n),
                    Err(_) => Sel::Name(arg.into()),
                };
                (sel, info.name.len() + close + 2)
            }
            ArgKind::Subsys => {
                let Some(r) = rest.strip_prefix('.') else {
                    return Err(bad(format!("needs a name: {}.NAME", info.name)));
                };
                let n = r
                    .bytes()
                    .position(|c| !(c.is_ascii_alphanumeric() || c == b'_'))
                    .unwrap_or(r.len());
                (Sel::Name(r[..n].into()), info.name.len() + 1 + n)
            }
        };
        Ok((
            Field {
                info,
                sel,
                text: text[..used].to_owned(),
                memory: RefCell::default(),
            },
            used,
        ))
    }

    /// The field as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Registry entry of the field.
    pub fn info(&self) -> &'static FieldInfo {
        self.info
    }

    /// The field's value as an integer, for the integer fields that have one without
    /// rendering text: `Some(None)` when the field does not apply, `None` for fields that
    /// need [`Field::extract`].
    pub fn extract_int(&self, v: &EventView<'_>) -> Option<Option<i64>> {
        // The thread only for the fields that read it: the view looks it up when asked.
        let t = || v.thread();
        let main = || t().and_then(|t| v.state.threads.main_of_opt(t));
        Some(match self.info.kind {
            K::Num => Some(v.num as i64),
            K::Cpu => Some(i64::from(v.raw.cpu)),
            K::Tid => Some(v.raw.event.tid()),
            K::RawTime => Some(v.raw.event.ts() as i64),
            K::Pid => t().map(|t| t.pid),
            K::Uid => t().map(|t| i64::from(t.uid)),
            K::Sid => t().map(|t| t.sid),
            K::VPgid => t().map(|t| t.vpgid),
            K::NChilds => t().map(|t| i64::from(t.nchilds)),
            K::PPid => main().map(|m| m.ptid),
            K::NThreads => main().map(|m| i64::from(m.nchilds) + 1),
            K::FdLimit => main().map(|m| m.fdlimit),
            K::FdOpenCount => main().map(|m| m.fds.len() as i64),
            _ => return None,
        })
    }

    /// The field's value as text borrowed from the state or the schema, for the fields kept
    /// as they print (`proc.name`, `evt.dir`, `fd.name`, `fd.typechar`), when it applies and
    /// is valid UTF-8: what [`Field::extract`] would append, without the copy. `None`
    /// otherwise (use `extract` then).
    #[inline]
    pub fn extract_str<'v>(&self, v: &EventView<'v>) -> Option<&'v str> {
        match self.info.kind {
            K::Name => std::str::from_utf8(&v.thread()?.comm).ok(),
            K::Dir => Some(v.raw.event.direction().symbol()),
            K::FdName | K::FdTypeChar => fd::extract_str(self.info.kind, v),
            _ => None,
        }
    }

    /// The field's value as bytes borrowed from the state or the schema, for the fields
    /// [`Field::extract_str`] serves, when it applies: for `evt.dir`, `fd.name` and
    /// `fd.typechar`, exactly the text [`Field::extract`] would append (printable ASCII);
    /// for `proc.name`, the command name, which [`Field::extract`] decodes as UTF-8 with
    /// U+FFFD for what is not. Comparing these bytes for equality, prefix or membership
    /// with texts that have no U+FFFD gives what comparing the text gives, without
    /// checking the UTF-8. `None` when the field does not apply or needs
    /// [`Field::extract`].
    #[inline]
    pub fn text_bytes<'v>(&self, v: &EventView<'v>) -> Option<&'v [u8]> {
        match self.info.kind {
            K::Name => Some(&v.thread()?.comm),
            K::Dir => Some(v.raw.event.direction().symbol().as_bytes()),
            K::FdName | K::FdTypeChar => fd::extract_bytes(self.info.kind, v),
            _ => None,
        }
    }

    /// Appends the field's value for the event to `out`; false when the field does not apply
    /// to the event (nothing is appended then).
    pub fn extract(&self, v: &EventView<'_>, out: &mut String) -> bool {
        let start = out.len();
        let ok = match self.info.kind {
            k if (k as u16) < (K::Pid as u16) => evt::extract(self, k, v, out),
            k if (k as u16) < (K::FdNum as u16) => proc::extract(self, k, v, out),
            k => fd::extract(self, k, v, out),
        };
        if !ok {
            out.truncate(start);
        }
        ok
    }
}

/// The event name, except for generic syscall events, which are named after their syscall
/// (`<unknown>` for an id the syscall table lacks).
pub fn event_type_name(e: &crate::event::EventRef<'_>) -> &'static str {
    if e.event_type() <= 1 {
        return match e.param(0).map(|p| p.value()) {
            Some(Ok(Value::Unsigned(id))) if id != 0 => {
                crate::event::schema::ppm_sc_name(id as u16).unwrap_or("<unknown>")
            }
            _ => "<unknown>",
        };
    }
    e.name()
}

/// The registry entry called `name`, for listing.
pub fn lookup(name: &str) -> Option<&'static FieldInfo> {
    FIELDS.iter().find(|f| f.name == name)
}
