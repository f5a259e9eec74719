//! How each event changes the state: threads appear with clone and exit with procexit, fds
//! appear with open and socket and go with close, sockets get addresses, processes change
//! program, user and directory.
//!
//! The rules follow libsinsp (the version in sysdig 0.29), so that what Peregrine rebuilds
//! from a capture is what sysdig rebuilds: same names, same fds, same guesses where the
//! capture is incomplete. Where an event is newer than that version, the newer libsinsp's
//! rules apply.

pub(crate) mod ids;
mod net;
mod proc;

pub(crate) use net::{ipv4_server_name, ipv4_tuple_name, ipv6_server_name, ipv6_tuple_name};
pub(crate) use proc::{resolve_container, trim_env};

use hashbrown::HashSet;

use crate::capture::{DF_STATE_ONLY, RawEvent};
use crate::event::{EventFlags, EventRef};
use crate::fields::EventContext;
use crate::state::fd::{CANCELED_FD, FdFlags, FdInfo, FdKind};
use crate::state::thread::{NO_EVENT, clone_flags};
use crate::state::{State, Thread, path};
use ids::*;

/// Events whose thread is not looked up and which keep no enter/exit bookkeeping
/// (`EF_SKIPPARSERESET` in sysdig 0.29's table).
const SKIP_PARSE_RESET_OLD: [u16; 13] = [
    146, 147, 148, 149, 196, 228, 234, 244, 260, 270, 280, 286, 290,
];

/// Ids below this are the ones sysdig 0.29's table knows.
const OLD_TABLE_END: u16 = 336;

/// Exit events that gained their enter event's arguments in the current schema, with the
/// number of parameters they had before (sysdig 0.29's table). One that carries more was
/// written by a current probe, whose exits carry their arguments.
const EXITS_WITH_ARGS_SINCE: [(u16, usize); 5] = [
    (CLOSE_X, 1),
    (SYSCALL_READ_X, 2),
    (SYSCALL_WRITE_X, 2),
    (SOCKET_SOCKET_X, 1),
    (SOCKET_CONNECT_X, 2),
];

/// Whether `ev` (an exit of type `ty`) shows that its writer puts the arguments in exit
/// events (see `EXITS_WITH_ARGS_SINCE`).
fn carries_exit_args(ty: u16, ev: &EventRef<'_>) -> bool {
    EXITS_WITH_ARGS_SINCE
        .iter()
        .any(|&(t, old)| t == ty && ev.nparams() > old)
}

/// `PPME_PROCINFO_E`.
const PROCINFO_E: u16 = 234;
/// `PPME_TRACER_E`.
const TRACER_E: u16 = 268;
/// `PPME_SYSCALL_COPY_FILE_RANGE_X`.
const COPY_FILE_RANGE_X: u16 = 333;
/// `PPM_RLIMIT_NOFILE`.
const RLIMIT_NOFILE: u8 = 7;
/// `PPM_O_DIRECTORY`.
const O_DIRECTORY: u32 = 1 << 10;
/// `PPM_AT_FDCWD`.
pub(crate) const AT_FDCWD: i64 = -100;
/// A clone child older than this (ns) is taken for a stale entry of a reused tid.
const CLONE_STALE_TIME_NS: u64 = 2_000_000_000;

fn is_enter(ty: u16) -> bool {
    ty & 1 == 0
}

const fn is_clone_exit(ty: u16) -> bool {
    matches!(
        ty,
        SYSCALL_CLONE_11_X
            | SYSCALL_CLONE_16_X
            | SYSCALL_CLONE_17_X
            | SYSCALL_CLONE_20_X
            | SYSCALL_FORK_X
            | SYSCALL_FORK_17_X
            | SYSCALL_FORK_20_X
            | SYSCALL_VFORK_X
            | SYSCALL_VFORK_17_X
            | SYSCALL_VFORK_20_X
            | SYSCALL_CLONE3_X
    )
}

/// The flags of an event type as the parser and fields use them: the schema's, corrected
/// for the few ids whose flags sysdig 0.29's table had otherwise (mmap and the `*at` calls
/// name no fd of theirs in their first parameter; sendmmsg/recvmmsg were not fd events).
#[inline]
/// Whether `ty` is a container event: `PPME_CONTAINER_E`, `PPME_CONTAINER_JSON_E` or
/// `PPME_CONTAINER_JSON_2_E`.
pub(crate) fn is_container_event(ty: u16) -> bool {
    matches!(ty, CONTAINER_E | CONTAINER_JSON_E | CONTAINER_JSON_2_E)
}

/// Whether `ty` is a container JSON event (`PPME_CONTAINER_JSON_E`, `_2_E`), which is shown
/// with the thread libsinsp makes up for it, whatever its header's tid.
pub(crate) fn is_container_json_event(ty: u16) -> bool {
    matches!(ty, CONTAINER_JSON_E | CONTAINER_JSON_2_E)
}

pub(crate) fn event_flags(ty: u16) -> EventFlags {
    type_info(ty).flags
}

/// What the parser needs to know of each event type.
#[derive(Clone, Copy)]
struct TypeInfo {
    /// [`event_flags`].
    flags: EventFlags,
    /// The event's thread is not looked up and it keeps no enter/exit bookkeeping
    /// (`EF_SKIPPARSERESET` in sysdig 0.29's table).
    skips_reset: bool,
    /// A container description: it has no thread, and does not start the capture's clock.
    container_json: bool,
    /// An unknown thread of the event is looked for (`/proc` for live sources) and the
    /// thread counts as active: not for clone exits and context switches.
    query_os: bool,
}

/// [`TypeInfo`] by type id, for the ids of the schema, worked out at compile time (a table
/// read once per event, without the check a lazily built one needs).
static TYPE_TABLE: [TypeInfo; crate::event::schema::EVENT_MAX as usize] = {
    let mut t = [TypeInfo {
        flags: EventFlags::empty(),
        skips_reset: false,
        container_json: false,
        query_os: false,
    }; crate::event::schema::EVENT_MAX as usize];
    let mut ty = 0;
    while ty < t.len() {
        t[ty] = type_info_of(ty as u16);
        ty += 1;
    }
    t
};

/// The [`TypeInfo`] of type `ty`.
#[inline(always)]
fn type_info(ty: u16) -> TypeInfo {
    match TYPE_TABLE.get(usize::from(ty)) {
        Some(t) => *t,
        None => type_info_of(ty),
    }
}

const fn type_info_of(ty: u16) -> TypeInfo {
    TypeInfo {
        flags: corrected_flags(ty),
        skips_reset: skips_parse_reset_uncached(ty),
        container_json: matches!(ty, CONTAINER_JSON_E | CONTAINER_JSON_2_E),
        query_os: !(is_clone_exit(ty) || ty == SCHEDSWITCH_6_E),
    }
}

const fn corrected_flags(ty: u16) -> EventFlags {
    let all = &crate::event::table::EVENTS;
    let f = if (ty as usize) < all.len() {
        all[ty as usize].flags.bits()
    } else {
        0
    };
    let f = match ty {
        51 | 55 => {
            f & !(EventFlags::MODIFIES_STATE.bits()
                | EventFlags::USES_FD.bits()
                | EventFlags::READS_FROM_FD.bits()
                | EventFlags::WRITES_TO_FD.bits())
        }
        77 => f | EventFlags::USES_FD.bits(),
        160..=163 | 181 | 303 | 305 | 313 | 317 => f & !EventFlags::USES_FD.bits(),
        // Container events fill the container table and make the thread they are shown with.
        294 | 295 | CONTAINER_E | CONTAINER_JSON_E | CONTAINER_JSON_2_E => {
            f | EventFlags::MODIFIES_STATE.bits()
        }
        _ => f,
    };
    EventFlags::from_bits_retain(f)
}

const fn skips_parse_reset_uncached(ty: u16) -> bool {
    if ty < OLD_TABLE_END {
        let mut i = 0;
        while i < SKIP_PARSE_RESET_OLD.len() {
            if SKIP_PARSE_RESET_OLD[i] == ty {
                return true;
            }
            i += 1;
        }
        false
    } else {
        corrected_flags(ty).bits() & EventFlags::SKIPPARSERESET.bits() != 0
    }
}

/// Parameter `i` as a signed 64-bit number.
fn p_i64(ev: &EventRef<'_>, i: usize) -> Option<i64> {
    let b = ev.param_bytes(i)?;
    Some(i64::from_le_bytes(b.try_into().ok()?))
}

/// Parameter `i` as an unsigned 64-bit number.
fn p_u64(ev: &EventRef<'_>, i: usize) -> Option<u64> {
    p_i64(ev, i).map(|v| v as u64)
}

/// Parameter `i` as a 32-bit number.
fn p_u32(ev: &EventRef<'_>, i: usize) -> Option<u32> {
    let b = ev.param_bytes(i)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

/// Parameter `i` as a byte.
fn p_u8(ev: &EventRef<'_>, i: usize) -> Option<u8> {
    match ev.param_bytes(i)? {
        [b] => Some(*b),
        _ => None,
    }
}

/// Parameter `i` as bytes.
fn p_bytes<'e>(ev: &EventRef<'e>, i: usize) -> Option<&'e [u8]> {
    ev.param_bytes(i)
}

/// Parameter `i` as a C string: the bytes before the first NUL.
fn p_str<'e>(ev: &EventRef<'e>, i: usize) -> Option<&'e [u8]> {
    let b = ev.param_bytes(i)?;
    Some(crate::event::value::until_nul(b))
}

/// What the parser knows about the event being parsed (libsinsp keeps this in the event).
struct Cur<'e> {
    ev: EventRef<'e>,
    ty: u16,
    /// [`event_flags`] of the type.
    flags: EventFlags,
    /// The rest of what the type table says of the type.
    info: TypeInfo,
    tid: i64,
    ts: u64,
    /// The event's thread is in the table.
    has_thread: bool,
    /// The fd entry the event is about, in the thread's table.
    fd: Option<i64>,
    /// A hash of that fd's name when it was looked up (`None`: the fd is new).
    fd_name_hash: Option<u64>,
    /// The thread's latency as reset left it, when the thread was found there.
    latency: Option<u64>,
    /// Reset already broke the thread's enter/exit pairing for an event rejected unparsed.
    unpaired: bool,
}

impl<'e> Cur<'e> {
    /// The cursor of an event of type `ty` before [`Parser::begin`] (`info`: its entry of
    /// the type table).
    #[inline(always)]
    fn new(ev: EventRef<'e>, ty: u16, info: TypeInfo) -> Self {
        Cur {
            ev,
            ty,
            flags: info.flags,
            info,
            tid: ev.tid(),
            ts: ev.ts(),
            has_thread: false,
            fd: None,
            fd_name_hash: None,
            latency: None,
            unpaired: false,
        }
    }

    /// Makes fd `fd` of the thread's table the event's fd, if it is there, remembering its
    /// name as it was found (libsinsp notes an fd's name at every lookup).
    fn look_up_fd(&mut self, state: &State, fd: i64) {
        self.set_fd(fd, state.fd(self.tid, fd));
    }

    /// Makes `f`, fd `fd` of the thread's table if there, the event's fd.
    fn set_fd(&mut self, fd: i64, f: Option<&FdInfo>) {
        match f {
            Some(f) => {
                self.fd = Some(fd);
                self.fd_name_hash = Some(name_hash(&f.name));
            }
            None => {
                self.fd = None;
                self.fd_name_hash = None;
            }
        }
    }
}

use crate::fields::view::name_hash;

/// What became of an event given to a filter.
enum Outcome {
    Kept(EventContext),
    Rejected(EventContext),
    /// Rejected for its type, without a context.
    RejectedByType,
}

/// Parses events into a [`State`], one at a time, in order.
#[derive(Debug, Default)]
pub struct Parser {
    /// A thread that exited; removed when the next event starts.
    tid_to_remove: Option<i64>,
    /// The thread that adopts the children of that thread, when the kernel said.
    reaper: Option<i64>,
    /// Fds closed by the last event, removed when the next event starts...
    fds_to_remove: Vec<i64>,
    /// ...from this thread's table.
    fd_remove_tid: i64,
    /// The retrieved enter event of the exit being parsed.
    enter: Vec<u8>,
    /// Ports that listening sockets of the process list are bound to.
    server_ports: HashSet<u16>,
    /// Timestamp of the first event that is not a container description.
    first_ts: u64,
    /// Drop threads that have been silent for `Limits::thread_timeout_ns` (live sources:
    /// their exits can be lost; a file's threads are kept, as sysdig keeps them).
    purge_inactive: bool,
    /// Event time of the last look for silent threads.
    last_scan: u64,
    /// Exit events carry their own arguments and come without enter events (live capture
    /// with the current schema): an exit's fd, ids and commands are read from it.
    exit_args: bool,
}

impl Parser {
    /// A parser for a fresh state.
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Reads exit events' own arguments (fd, ids, commands) when no enter event came before
    /// them, as current libsinsp does; for live capture, whose probe sends exit events only.
    /// Off for files, where sysdig 0.29's behaviour (the enter event's arguments only) is
    /// the reference, until an exit shows that its writer put the arguments there (a file
    /// written from a current probe, ours or Falco's).
    pub fn set_exit_args(&mut self, on: bool) {
        self.exit_args = on;
    }

    /// Makes the parser drop threads silent for longer than the state's
    /// `thread_timeout_ns`, looking every `inactive_scan_interval_ns` of event time.
    pub fn set_purge_inactive(&mut self, on: bool) {
        self.purge_inactive = on;
    }

    /// Drops the threads that exited or have been silent too long (see
    /// [`Parser::set_purge_inactive`]).
    fn purge_inactive_threads(&mut self, state: &mut State, now: u64) {
        if self.last_scan == 0 {
            self.last_scan = now;
            return;
        }
        if now
            < self
                .last_scan
                .saturating_add(state.limits.inactive_scan_interval_ns)
        {
            return;
        }
        self.last_scan = now;
        let timeout = state.limits.thread_timeout_ns;
        let mut gone = Vec::new();
        for t in state.threads.iter_mut() {
            if t.last_event_ts == 0 {
                // Listed at start and silent since: counts from now.
                t.last_event_ts = now;
            }
            let closed = t.flags & clone_flags::CLOSED != 0;
            if closed || t.last_event_ts.saturating_add(timeout) < now {
                gone.push((t.tid, closed));
            }
        }
        for (tid, closed) in gone {
            remove_thread(state, tid, true);
            if !closed {
                state.evictions.threads_timed_out += 1;
            }
        }
        create_child_dependencies(state);
    }

    /// Notes a port that a listening socket of the initial process list is bound to.
    pub fn add_server_port(&mut self, port: u16) {
        self.server_ports.insert(port);
    }

    /// After the initial process list is loaded: counts each main thread's threads, and
    /// turns around the IPv4 connections of the list whose local port is a listening port
    /// (the process is the server of those).
    pub fn finish_initial_state(&mut self, state: &mut State) {
        create_child_dependencies(state);
        let ports = &self.server_ports;
        for t in state.threads.iter_mut() {
            let names: Vec<(i64, FdInfo)> = t
                .fds
                .iter()
                .filter(|(_, f)| f.kind == FdKind::Ipv4Socket)
                .map(|(n, f)| (n, f.clone()))
                .collect();
            for (n, mut f) in names {
                let mut tuple = f.sock.ipv4();
                if ports.contains(&tuple.sport) {
                    std::mem::swap(&mut tuple.sip, &mut tuple.dip);
                    std::mem::swap(&mut tuple.sport, &mut tuple.dport);
                    f.sock.set_ipv4(tuple);
                    f.name = net::ipv4_tuple_name(&tuple).into_bytes();
                    f.flags.insert(FdFlags::ROLE_SERVER);
                } else {
                    f.flags.insert(FdFlags::ROLE_CLIENT);
                }
                if let Some(slot) = t.fds.get_mut(n) {
                    *slot = f;
                }
            }
        }
    }

    /// Parses one event: applies what the previous event left pending, then what this
    /// event changes. Returns what fields need to know about the event.
    pub fn process(&mut self, state: &mut State, raw: &RawEvent<'_>) -> EventContext {
        let ty = raw.event.event_type();
        let mut cur = Cur::new(raw.event, ty, type_info(ty));
        self.begin(state, &mut cur, false);
        self.dispatch(state, &mut cur);
        let ctx = self.context(state, &cur);
        if raw.flags & DF_STATE_ONLY == 0 {
            self.end(state, &cur);
        }
        ctx
    }

    /// [`Parser::process`] with a filter, applied as sysdig applies one: an event that
    /// changes no state is filtered before it is parsed (and, rejected, breaks its thread's
    /// enter/exit pairing); an event that changes state is parsed first. `keep` sees the
    /// state and the event's context at that point. Returns the context, and whether the
    /// event is kept.
    pub fn process_filtered(
        &mut self,
        state: &mut State,
        raw: &RawEvent<'_>,
        keep: &mut dyn FnMut(&State, EventContext) -> bool,
    ) -> (EventContext, bool) {
        match self.filter_event(state, raw, true, keep) {
            Outcome::Kept(ctx) => (ctx, true),
            Outcome::Rejected(ctx) => (ctx, false),
            Outcome::RejectedByType => (EventContext::default(), false),
        }
    }

    /// [`Parser::process_filtered`] for a filter that can match only some event types:
    /// `type_wanted` says whether this event's type is one of them. An event of another
    /// type is rejected without calling `keep` (and without working out its context, which
    /// is then the default); it still changes the state as it would have. Returns the
    /// context of a kept event, `None` for a rejected one.
    #[inline(always)]
    pub fn process_filtered_typed(
        &mut self,
        state: &mut State,
        raw: &RawEvent<'_>,
        type_wanted: bool,
        keep: &mut dyn FnMut(&State, EventContext) -> bool,
    ) -> Option<EventContext> {
        match self.filter_event(state, raw, type_wanted, keep) {
            Outcome::Kept(ctx) => Some(ctx),
            Outcome::Rejected(_) | Outcome::RejectedByType => None,
        }
    }

    #[inline(always)]
    fn filter_event(
        &mut self,
        state: &mut State,
        raw: &RawEvent<'_>,
        type_wanted: bool,
        keep: &mut dyn FnMut(&State, EventContext) -> bool,
    ) -> Outcome {
        let ty = raw.event.event_type();
        let info = type_info(ty);
        let flags = info.flags;
        // An event that is rejected unparsed needs no fd: only the bookkeeping that changes
        // state is done for it.
        let unparsed = !type_wanted && !flags.contains(EventFlags::MODIFIES_STATE);
        let mut cur = Cur::new(raw.event, ty, info);
        self.begin(state, &mut cur, unparsed);
        if cur.ty == SYSCALL_WRITE_X && cur.fd.is_none() {
            // libsinsp gives a filtered write exit the thread's last fd even when its enter
            // was filtered out (which broke the pairing).
            if let Some(fd) = state.threads.get(cur.tid).map(|t| t.lastevent_fd) {
                cur.look_up_fd(state, fd);
            }
        }
        if !type_wanted {
            if flags.contains(EventFlags::MODIFIES_STATE) {
                self.dispatch(state, &mut cur);
            } else if !cur.unpaired {
                self.reject_unparsed(state, &cur);
            }
            return Outcome::RejectedByType;
        }
        if !flags.contains(EventFlags::MODIFIES_STATE) {
            let ctx = self.context(state, &cur);
            if !keep(state, ctx) {
                self.reject_unparsed(state, &cur);
                return Outcome::Rejected(ctx);
            }
        } else {
            self.dispatch(state, &mut cur);
            let ctx = self.context(state, &cur);
            if !keep(state, ctx) {
                return Outcome::Rejected(ctx);
            }
        }
        if flags.contains(EventFlags::MODIFIES_STATE) {
            // Parsed already.
        } else {
            self.dispatch(state, &mut cur);
        }
        let ctx = self.context(state, &cur);
        if raw.flags & DF_STATE_ONLY != 0 {
            return Outcome::Rejected(ctx);
        }
        self.end(state, &cur);
        Outcome::Kept(ctx)
    }

    /// What a filtered-out event that changes no state still does: it breaks its thread's
    /// enter/exit pairing, as in libsinsp, where it is dropped before being parsed.
    fn reject_unparsed(&self, state: &mut State, cur: &Cur<'_>) {
        if cur.has_thread
            && !cur.flags.contains(EventFlags::SKIPPARSERESET)
            && cur.ty != SCHEDSWITCH_6_E
            && let Some(t) = state.threads.get_mut(cur.tid)
        {
            t.lastevent_type = NO_EVENT;
        }
    }

    /// Applies pending removals, finds the event's thread and fd (`no_fd`: the event is
    /// rejected unparsed, its fd is not looked up unless the bookkeeping changes it, and
    /// its thread's enter/exit pairing is broken when the thread is found).
    #[inline(always)]
    fn begin(&mut self, state: &mut State, cur: &mut Cur<'_>, no_fd: bool) {
        self.apply_pending(state);
        if self.purge_inactive {
            self.purge_inactive_threads(state, cur.ts);
        }
        self.reset(state, cur, no_fd);
        if self.first_ts == 0 && !cur.info.container_json {
            self.first_ts = cur.ts;
        }
    }

    /// What fields need to know about the event as parsed so far.
    fn context(&self, state: &State, cur: &Cur<'_>) -> EventContext {
        let latency_ns = if is_enter(cur.ty) {
            0
        } else {
            match cur.latency {
                // Only reset sets the latency, and parsing an event that changes no state
                // neither replaces nor removes its thread.
                Some(l) if !cur.flags.contains(EventFlags::MODIFIES_STATE) => l,
                _ => state.threads.get(cur.tid).map_or(0, |t| t.latency),
            }
        };
        EventContext {
            fd: cur.fd,
            fd_name_hash: cur.fd_name_hash,
            latency_ns,
            first_ts: self.first_ts,
            tinfo: cur.has_thread,
        }
    }

    /// Bookkeeping for an event that is delivered: its exit consumed the stored enter, and
    /// the thread's last-event time moves on.
    fn end(&mut self, state: &mut State, cur: &Cur<'_>) {
        if cur.has_thread
            && let Some(t) = state.threads.get_mut(cur.tid)
        {
            if !is_enter(cur.ty) {
                t.last_enter.clear();
                t.last_enter_valid = false;
            }
            if cur.ty != SCHEDSWITCH_6_E {
                t.prev_event_ts = t.last_event_ts;
                t.last_event_ts = cur.ts;
            }
        }
    }

    /// Removals that libsinsp delays until the next event, so that the exit or close
    /// itself can still be shown with its thread and fd.
    #[inline(always)]
    fn apply_pending(&mut self, state: &mut State) {
        if self.tid_to_remove.is_some() || !self.fds_to_remove.is_empty() {
            self.apply_pending_removals(state);
        }
    }

    #[cold]
    #[inline(never)]
    fn apply_pending_removals(&mut self, state: &mut State) {
        if let Some(tid) = self.tid_to_remove.take() {
            remove_thread(state, tid, false);
            if let Some(reaper) = self.reaper.take()
                && !state.threads.contains(tid)
            {
                reparent_children(state, tid, reaper);
            }
        }
        if !self.fds_to_remove.is_empty() {
            let tid = self.fd_remove_tid;
            if get_or_make_thread(state, tid, true) {
                for fd in self.fds_to_remove.drain(..) {
                    if let Some(table) = state.threads.fds_mut(tid) {
                        table.remove(fd);
                    }
                }
            }
            self.fds_to_remove.clear();
        }
    }

    fn schedule_fd_removal(&mut self, tid: i64, fd: i64) {
        self.fd_remove_tid = tid;
        self.fds_to_remove.push(fd);
    }

    /// Finds the event's thread (making one up for most events of an unknown thread),
    /// keeps the enter/exit bookkeeping, and finds the event's fd.
    #[inline(always)]
    fn reset(&mut self, state: &mut State, cur: &mut Cur<'_>, no_fd: bool) {
        let ev = &cur.ev;
        if cur.info.skips_reset {
            cur.has_thread = cur.ty == PROCINFO_E && state.threads.contains(cur.tid);
            return;
        }
        if cur.info.container_json {
            return;
        }
        let query_os = cur.info.query_os;
        let uses_fd = cur.flags.contains(EventFlags::USES_FD);
        let t = match state.threads.get_mut(cur.tid) {
            // One lookup for the common case: a known main thread.
            Some(t) if t.is_main() && cur.ty != SCHEDSWITCH_6_E => {
                cur.has_thread = true;
                t
            }
            _ => {
                let main_known = state
                    .threads
                    .get(cur.tid)
                    .map(|t| t.is_main() || state.threads.contains(t.pid));
                cur.has_thread =
                    main_known.is_some() || get_or_make_thread(state, cur.tid, query_os);
                if cur.ty == SCHEDSWITCH_6_E || !cur.has_thread {
                    return;
                }
                if main_known != Some(true) {
                    ensure_main_thread(state, cur.tid);
                }
                let Some(t) = state.threads.get_mut(cur.tid) else {
                    return;
                };
                t
            }
        };
        if query_os {
            t.flags |= clone_flags::ACTIVE;
        }
        // An event rejected unparsed breaks the pairing (see `reject_unparsed`); done here,
        // the thread is not looked up again for it.
        let unpair = no_fd && !cur.flags.contains(EventFlags::SKIPPARSERESET);
        cur.unpaired = unpair;
        if is_enter(cur.ty) {
            t.lastevent_fd = -1;
            t.lastevent_type = if unpair { NO_EVENT } else { cur.ty };
            if uses_fd {
                t.lastevent_fd = p_i64(ev, 0).unwrap_or(-1);
            }
            t.latency = 0;
            cur.latency = Some(0);
            t.last_latency_entertime = cur.ts;
            if uses_fd && !no_fd {
                let fd = t.lastevent_fd;
                if t.shares_fds() {
                    cur.look_up_fd(state, fd);
                } else {
                    // The thread's own table: what `look_up_fd` would find, without looking
                    // the thread up again.
                    cur.set_fd(fd, t.fds.get(fd));
                }
            }
            return;
        }
        if t.last_latency_entertime != 0 {
            t.latency = cur.ts.wrapping_sub(t.last_latency_entertime);
        }
        cur.latency = Some(t.latency);
        let last = t.lastevent_type;
        let paired = last != NO_EVENT && last.wrapping_add(1) == cur.ty;
        t.last_enter_valid = paired;
        if unpair {
            t.lastevent_type = NO_EVENT;
        }
        if !paired && last != TRACER_E {
            // A capture whose exits carry their arguments (written from a current probe,
            // which sends no enter events) is read as the live capture is, from then on.
            if !self.exit_args && carries_exit_args(cur.ty, ev) {
                self.exit_args = true;
            }
            // The enter event was lost: without it the exit's fd is unknown, unless the
            // exit names it (events newer than the old enter/exit pairs).
            if uses_fd
                && (cur.ty >= OLD_TABLE_END || self.exit_args)
                && let Some(fd) = crate::event::schema::fd_param(cur.ty)
                    .and_then(|i| ev.param(i)?.value().ok()?.as_i64())
            {
                t.lastevent_fd = fd;
                if !no_fd {
                    if t.shares_fds() {
                        cur.look_up_fd(state, fd);
                    } else {
                        // As for enter events above: the thread's own table.
                        cur.set_fd(fd, t.fds.get(fd));
                    }
                }
            }
            return;
        }
        if !uses_fd {
            return;
        }
        if cur.ty == COPY_FILE_RANGE_X {
            t.lastevent_fd = p_i64(ev, 1).unwrap_or(-1);
        }
        let fd = t.lastevent_fd;
        let entry = if t.shares_fds() {
            state.threads.fds_mut(cur.tid).and_then(|tb| tb.get_mut(fd))
        } else {
            t.fds.get_mut(fd)
        };
        let canceled = match entry {
            None => return,
            Some(f) => {
                let c = f.flags.contains(FdFlags::CLOSE_CANCELED);
                f.flags.remove(FdFlags::CLOSE_CANCELED);
                // What `look_up_fd` would find: this very entry.
                cur.fd = Some(fd);
                if !no_fd {
                    cur.fd_name_hash = Some(name_hash(&f.name));
                }
                c
            }
        };
        if canceled && state.fd(cur.tid, CANCELED_FD).is_some() {
            self.schedule_fd_removal(cur.tid, CANCELED_FD);
        }
    }

    /// Copies an enter event into its thread, for its exit.
    fn store_event(&self, state: &mut State, cur: &Cur<'_>) {
        if !cur.has_thread {
            return;
        }
        const MAX_STORED_EVENT: usize = 4096;
        let bytes = cur.ev.as_bytes();
        if bytes.len() > MAX_STORED_EVENT {
            return;
        }
        if let Some(t) = state.threads.get_mut(cur.tid) {
            t.last_enter.clear();
            t.last_enter.extend_from_slice(bytes);
        }
    }

    /// The enter event of the exit being parsed, if it was stored and matches.
    fn retrieve_enter(&mut self, state: &mut State, cur: &Cur<'_>) -> Option<EventRef<'_>> {
        if !cur.has_thread {
            return None;
        }
        let t = state.threads.get_mut(cur.tid)?;
        if !t.last_enter_valid || t.last_enter.is_empty() {
            return None;
        }
        self.enter.clear();
        self.enter.extend_from_slice(&t.last_enter);
        let enter = EventRef::new(&self.enter).ok()?;
        if enter.event_type().wrapping_add(1) != cur.ty {
            t.last_enter_valid = false;
            return None;
        }
        Some(enter)
    }

    fn dispatch(&mut self, state: &mut State, cur: &mut Cur<'_>) {
        match cur.ty {
            SOCKET_SENDTO_E => {
                if cur.fd.is_none() && cur.has_thread {
                    net::infer_sendto_fdinfo(state, cur);
                }
                self.store_event(state, cur);
            }
            OPEN_E | CREAT_E | OPENAT_E | OPENAT_2_E | OPENAT2_E | SOCKET_SOCKET_E
            | SYSCALL_EVENTFD_E | SYSCALL_CHDIR_E | SYSCALL_FCHDIR_E | SOCKET_SHUTDOWN_E
            | SYSCALL_GETRLIMIT_E | SYSCALL_SETRLIMIT_E | SYSCALL_PRLIMIT_E | SOCKET_SENDMSG_E
            | SYSCALL_SETRESUID_E | SYSCALL_SETRESGID_E | SYSCALL_SETUID_E | SYSCALL_SETGID_E
            | SYSCALL_EXECVE_18_E | SYSCALL_EXECVE_19_E | SYSCALL_EXECVEAT_E
            | SYSCALL_SETPGID_E | SENDFILE_E => self.store_event(state, cur),
            SYSCALL_READ_X | SYSCALL_WRITE_X | SOCKET_RECV_X | SOCKET_SEND_X
            | SOCKET_RECVFROM_X | SOCKET_RECVMSG_X | SOCKET_SENDTO_X | SOCKET_SENDMSG_X
            | SYSCALL_READV_X | SYSCALL_WRITEV_X | SYSCALL_PREAD_X | SYSCALL_PWRITE_X
            | SYSCALL_PREADV_X | SYSCALL_PWRITEV_X => self.parse_rw_exit(state, cur),
            OPEN_X | CREAT_X | OPENAT_X | OPENAT_2_X | OPENAT2_X => {
                self.parse_open_exit(state, cur)
            }
            ty if is_clone_exit(ty) => proc::parse_clone_exit(self, state, cur),
            SYSCALL_EXECVE_8_X | SYSCALL_EXECVE_13_X | SYSCALL_EXECVE_14_X
            | SYSCALL_EXECVE_15_X | SYSCALL_EXECVE_16_X | SYSCALL_EXECVE_17_X
            | SYSCALL_EXECVE_18_X | SYSCALL_EXECVE_19_X | SYSCALL_EXECVEAT_X => {
                proc::parse_execve_exit(self, state, cur)
            }
            PROCEXIT_E | PROCEXIT_1_E => {
                if cur.has_thread
                    && let Some(t) = state.threads.get_mut(cur.tid)
                {
                    t.flags |= clone_flags::CLOSED;
                    self.tid_to_remove = Some(cur.tid);
                    // Newer probes name the thread that adopts the orphans (sysdig 0.29's
                    // events did not: their children keep pointing at the dead parent).
                    self.reaper = p_i64(&cur.ev, 4).filter(|&r| r > 0 && cur.ev.nparams() >= 5);
                }
            }
            SYSCALL_PIPE_X | SYSCALL_PIPE2_X => self.parse_pipe_exit(state, cur),
            SOCKET_SOCKET_X => net::parse_socket_exit(self, state, cur),
            SOCKET_BIND_X => net::parse_bind_exit(state, cur),
            SOCKET_CONNECT_E => net::parse_connect_enter(state, cur),
            SOCKET_CONNECT_X => net::parse_connect_exit(state, cur),
            SOCKET_ACCEPT_X | SOCKET_ACCEPT_5_X | SOCKET_ACCEPT4_X | SOCKET_ACCEPT4_5_X
            | SOCKET_ACCEPT4_6_X => net::parse_accept_exit(state, cur),
            CLOSE_E => {
                if let Some(f) = cur
                    .fd
                    .and_then(|fd| state.threads.fds_mut(cur.tid)?.get_mut(fd))
                {
                    f.flags.insert(FdFlags::CLOSE_IN_PROGRESS);
                }
            }
            CLOSE_X => self.parse_close_exit(state, cur),
            SYSCALL_FCNTL_E => {
                if matches!(p_u8(&cur.ev, 1), Some(1 | 26)) {
                    self.store_event(state, cur);
                }
            }
            SYSCALL_FCNTL_X => self.parse_fcntl_exit(state, cur),
            SYSCALL_EVENTFD_X | SYSCALL_EVENTFD2_X => self.add_simple_fd(state, cur, FdKind::Event),
            SYSCALL_SIGNALFD_X | SYSCALL_SIGNALFD4_X => {
                self.add_simple_fd(state, cur, FdKind::Signalfd)
            }
            SYSCALL_TIMERFD_CREATE_X => self.add_simple_fd(state, cur, FdKind::Timerfd),
            SYSCALL_INOTIFY_INIT_X | SYSCALL_INOTIFY_INIT1_X => {
                self.add_simple_fd(state, cur, FdKind::Inotify)
            }
            SYSCALL_EPOLL_CREATE_X | SYSCALL_EPOLL_CREATE1_X => {
                self.add_simple_fd(state, cur, FdKind::Eventpoll)
            }
            SYSCALL_USERFAULTFD_X => self.add_simple_fd(state, cur, FdKind::Userfaultfd),
            SYSCALL_IO_URING_SETUP_X => self.add_simple_fd(state, cur, FdKind::IoUring),
            SYSCALL_PIDFD_OPEN_X => self.add_simple_fd(state, cur, FdKind::Pidfd),
            SYSCALL_BPF_2_X => self.add_simple_fd(state, cur, FdKind::Bpf),
            SYSCALL_MEMFD_CREATE_X => self.parse_memfd_create_exit(state, cur),
            SYSCALL_OPEN_BY_HANDLE_AT_X => self.parse_open_by_handle_at_exit(state, cur),
            SYSCALL_PIDFD_GETFD_X => self.parse_pidfd_getfd_exit(state, cur),
            SYSCALL_CHDIR_X => {
                if p_i64(&cur.ev, 0).is_some_and(|r| r >= 0)
                    && let Some(dir) = p_str(&cur.ev, 1)
                {
                    set_cwd(state, cur.tid, dir);
                }
            }
            SYSCALL_FCHDIR_X => {
                if p_i64(&cur.ev, 0).is_some_and(|r| r >= 0)
                    && let Some(name) = cur
                        .fd
                        .and_then(|fd| state.fd(cur.tid, fd))
                        .map(|f| f.name.clone())
                {
                    set_cwd(state, cur.tid, &name);
                }
            }
            SYSCALL_GETCWD_X => {
                if p_i64(&cur.ev, 0).is_some_and(|r| r >= 0)
                    && let Some(dir) = p_str(&cur.ev, 1)
                {
                    set_cwd(state, cur.tid, dir);
                }
            }
            SYSCALL_DUP_X | SYSCALL_DUP_1_X | SYSCALL_DUP2_X | SYSCALL_DUP3_X => {
                self.parse_dup_exit(state, cur)
            }
            SYSCALL_GETRLIMIT_X | SYSCALL_SETRLIMIT_X => self.parse_rlimit_exit(state, cur, false),
            SYSCALL_PRLIMIT_X => self.parse_rlimit_exit(state, cur, true),
            SOCKET_SOCKETPAIR_X => net::parse_socketpair_exit(state, cur),
            SCHEDSWITCH_6_E => proc::parse_context_switch(state, cur),
            SYSCALL_BRK_4_X | SYSCALL_MMAP_X | SYSCALL_MMAP2_X | SYSCALL_MUNMAP_X => {
                proc::parse_memory_exit(state, cur)
            }
            SYSCALL_SETRESUID_X | SYSCALL_SETRESGID_X | SYSCALL_SETUID_X | SYSCALL_SETGID_X
            | SYSCALL_SETREUID_X | SYSCALL_SETREGID_X => proc::parse_setid_exit(self, state, cur),
            SYSCALL_CAPSET_X => proc::parse_capset_exit(state, cur),
            SYSCALL_PRCTL_X => proc::parse_prctl_exit(state, cur),
            CONTAINER_E => proc::parse_container_event(state, cur),
            CONTAINER_JSON_E | CONTAINER_JSON_2_E => proc::parse_container_json(state, cur),
            SYSCALL_CHROOT_X => proc::parse_chroot_exit(state, cur),
            SYSCALL_SETSID_X => {
                if let Some(res) = p_i64(&cur.ev, 0).filter(|&r| r >= 0)
                    && let Some(t) = state.threads.get_mut(cur.tid)
                {
                    t.sid = res;
                }
            }
            SYSCALL_SETPGID_X => proc::parse_setpgid_exit(self, state, cur),
            SOCKET_GETSOCKOPT_X => {
                if cur.ev.nparams() > 0
                    && cur.has_thread
                    && let Some(t) = state.threads.get_mut(cur.tid)
                {
                    let fd = p_i64(&cur.ev, 1).unwrap_or(-1);
                    t.lastevent_fd = fd;
                    cur.look_up_fd(state, fd);
                }
            }
            _ => {}
        }
    }

    /// Adds an fd of `kind` with an empty name for the `res`/`fd` of a successful
    /// fd-creating exit (eventfd, signalfd, timerfd, inotify, epoll, ...).
    fn add_simple_fd(&mut self, state: &mut State, cur: &mut Cur<'_>, kind: FdKind) {
        if !cur.has_thread {
            return;
        }
        let Some(fd) = p_i64(&cur.ev, 0).filter(|&fd| fd >= 0) else {
            return;
        };
        add_fd(state, cur, fd, FdInfo::new(kind, Vec::new()));
    }

    fn parse_open_exit(&mut self, state: &mut State, cur: &mut Cur<'_>) {
        if !cur.has_thread {
            return;
        }
        let ev = cur.ev;
        let ty = cur.ty;
        let fd = p_i64(&ev, 0).unwrap_or(-1);
        let mut dev = 0;
        let enter = self.retrieve_enter(state, cur);
        let usable = |e: &EventRef<'_>, name_idx: usize| {
            e.param_bytes(name_idx)
                .is_some_and(|b| !b.is_empty() && until_nul_ne(b, b"(NULL)"))
        };
        let (name, flags, base): (Vec<u8>, u32, Vec<u8>) = match ty {
            OPEN_X => {
                let mut name = p_str(&ev, 1).unwrap_or_default();
                let mut flags = p_u32(&ev, 2).unwrap_or(0);
                if ev.nparams() > 4 {
                    dev = p_u32(&ev, 4).unwrap_or(0);
                }
                if let Some(e) = &enter
                    && e.nparams() >= 2
                    && usable(e, 0)
                {
                    name = p_str(e, 0).unwrap_or_default();
                    flags = p_u32(e, 1).unwrap_or(0);
                }
                (name.to_vec(), flags, cwd_of(state, cur.tid))
            }
            CREAT_X => {
                let mut name = p_str(&ev, 1).unwrap_or_default();
                if ev.nparams() > 3 {
                    dev = p_u32(&ev, 3).unwrap_or(0);
                }
                if let Some(e) = &enter
                    && e.nparams() >= 1
                    && usable(e, 0)
                {
                    name = p_str(e, 0).unwrap_or_default();
                }
                (name.to_vec(), 0, cwd_of(state, cur.tid))
            }
            OPENAT_X => {
                // The old openat exit carries only the fd: everything is in the enter.
                let Some(e) = &enter else {
                    return;
                };
                let name = p_str(e, 1).unwrap_or_default().to_vec();
                let flags = p_u32(e, 2).unwrap_or(0);
                let dirfd = p_i64(e, 0).unwrap_or(AT_FDCWD);
                let base = parse_dirfd(state, cur, &name, dirfd);
                (name, flags, base)
            }
            _ => {
                // openat (new layout) and openat2: the exit has it all.
                let mut name = p_str(&ev, 2).unwrap_or_default();
                let mut flags = p_u32(&ev, 3).unwrap_or(0);
                let mut dirfd = p_i64(&ev, 1).unwrap_or(AT_FDCWD);
                if ty == OPENAT_2_X && ev.nparams() > 5 {
                    dev = p_u32(&ev, 5).unwrap_or(0);
                }
                if ty == OPENAT2_X && ev.nparams() > 6 {
                    dev = p_u32(&ev, 6).unwrap_or(0);
                }
                if let Some(e) = &enter
                    && e.nparams() >= 3
                    && usable(e, 1)
                {
                    name = p_str(e, 1).unwrap_or_default();
                    flags = p_u32(e, 2).unwrap_or(0);
                    dirfd = p_i64(e, 0).unwrap_or(AT_FDCWD);
                }
                let name = name.to_vec();
                let base = parse_dirfd(state, cur, &name, dirfd);
                (name, flags, base)
            }
        };
        let fullpath = path::join(&base, &name);
        if fd >= 0 {
            let kind = if flags & O_DIRECTORY != 0 {
                FdKind::Directory
            } else {
                FdKind::File
            };
            let mut f = FdInfo::new(kind, fullpath);
            f.open_flags = flags;
            f.dev = dev;
            if ty == OPENAT_2_X || ty == OPENAT2_X || ty == OPEN_X || ty == CREAT_X {
                let ino_idx = match ty {
                    OPEN_X => 5,
                    CREAT_X => 4,
                    OPENAT_2_X => 6,
                    _ => 7,
                };
                f.ino = p_u64(&ev, ino_idx).unwrap_or(0);
            }
            f.flags |= if f.name == b"/dev/null" {
                FdFlags::IS_TRACER_FILE
            } else {
                FdFlags::IS_NOT_TRACER_FD
            };
            add_fd(state, cur, fd, f);
        }
    }

    fn parse_close_exit(&mut self, state: &mut State, cur: &mut Cur<'_>) {
        let res = p_i64(&cur.ev, 0).unwrap_or(-1);
        let Some(fd) = cur.fd else {
            return;
        };
        if !cur.has_thread {
            return;
        }
        let Some(f) = state.threads.fds_mut(cur.tid).and_then(|t| t.get_mut(fd)) else {
            return;
        };
        if res >= 0 {
            let target = if f.flags.contains(FdFlags::CLOSE_CANCELED) {
                f.flags.remove(FdFlags::CLOSE_CANCELED);
                CANCELED_FD
            } else {
                fd
            };
            if target == fd || state.fd(cur.tid, CANCELED_FD).is_some() {
                self.schedule_fd_removal(cur.tid, target);
            }
        } else {
            f.flags.remove(FdFlags::CLOSE_IN_PROGRESS);
        }
    }

    fn parse_pipe_exit(&mut self, state: &mut State, cur: &mut Cur<'_>) {
        if p_i64(&cur.ev, 0).is_none_or(|r| r < 0) || !cur.has_thread {
            return;
        }
        let (Some(fd1), Some(fd2)) = (p_i64(&cur.ev, 1), p_i64(&cur.ev, 2)) else {
            return;
        };
        let ino = p_u64(&cur.ev, 3).unwrap_or(0);
        for fd in [fd1, fd2] {
            let mut f = FdInfo::new(FdKind::Fifo, Vec::new());
            f.ino = ino;
            if cur.ty == SYSCALL_PIPE2_X {
                f.open_flags = p_u32(&cur.ev, 4).unwrap_or(0);
            }
            add_fd(state, cur, fd, f);
        }
    }

    fn parse_fcntl_exit(&mut self, state: &mut State, cur: &mut Cur<'_>) {
        let res = p_i64(&cur.ev, 0).unwrap_or(-1);
        // Only F_DUPFD and F_DUPFD_CLOEXEC make an fd: their enter events are the ones
        // stored, or, with exit arguments, the exit names the command.
        const F_DUPFD: u32 = 1;
        const F_DUPFD_CLOEXEC: u32 = 26;
        let dup = self.retrieve_enter(state, cur).is_some()
            || (self.exit_args
                && p_u8(&cur.ev, 2)
                    .is_some_and(|c| u32::from(c) == F_DUPFD || u32::from(c) == F_DUPFD_CLOEXEC));
        if !dup || res < 0 {
            return;
        }
        let Some(src) = cur.fd.and_then(|fd| state.fd(cur.tid, fd)).cloned() else {
            return;
        };
        let h = name_hash(&src.name);
        add_fd(state, cur, res, src);
        cur.fd_name_hash = Some(h);
    }

    fn parse_dup_exit(&mut self, state: &mut State, cur: &mut Cur<'_>) {
        if !cur.has_thread {
            return;
        }
        let Some(res) = p_i64(&cur.ev, 0).filter(|&r| r >= 0) else {
            return;
        };
        if let Some(t) = state.threads.get_mut(cur.tid) {
            match res {
                0 => t.flags |= clone_flags::PIPE_DST,
                1 => t.flags |= clone_flags::PIPE_SRC,
                _ => {}
            }
        }
        // The newer dup events name the old fd in the exit.
        if cur.fd.is_none() && cur.ty != SYSCALL_DUP_X {
            let old = p_i64(&cur.ev, 1).unwrap_or(-1);
            cur.look_up_fd(state, old);
        }
        let Some(mut src) = cur.fd.and_then(|fd| state.fd(cur.tid, fd)).cloned() else {
            return;
        };
        if cur.ty == SYSCALL_DUP3_X {
            // dup3 sets the new fd's close-on-exec from its flags, not from the old fd.
            const DUP3_CLOEXEC: u32 = 1;
            src.open_flags &= !crate::state::fd::O_CLOEXEC;
            if p_u32(&cur.ev, 3).unwrap_or(0) & DUP3_CLOEXEC != 0 {
                src.open_flags |= crate::state::fd::O_CLOEXEC;
            }
        } else if cur.ty != SYSCALL_DUP_X {
            src.open_flags &= !crate::state::fd::O_CLOEXEC;
        }
        let h = name_hash(&src.name);
        add_fd(state, cur, res, src);
        cur.fd_name_hash = Some(h);
    }

    fn parse_memfd_create_exit(&mut self, state: &mut State, cur: &mut Cur<'_>) {
        let Some(fd) = p_i64(&cur.ev, 0).filter(|&fd| fd >= 0) else {
            return;
        };
        if !cur.has_thread {
            return;
        }
        let mut name = b"memfd:".to_vec();
        name.extend_from_slice(p_str(&cur.ev, 1).unwrap_or_default());
        let mut f = FdInfo::new(FdKind::Memfd, name);
        f.open_flags = p_u32(&cur.ev, 2).unwrap_or(0);
        add_fd(state, cur, fd, f);
    }

    fn parse_open_by_handle_at_exit(&mut self, state: &mut State, cur: &mut Cur<'_>) {
        let Some(fd) = p_i64(&cur.ev, 0).filter(|&fd| fd >= 0) else {
            return;
        };
        if !cur.has_thread {
            return;
        }
        let flags = p_u32(&cur.ev, 2).unwrap_or(0);
        let name = p_str(&cur.ev, 3).unwrap_or_default();
        let kind = if flags & O_DIRECTORY != 0 {
            FdKind::Directory
        } else {
            FdKind::File
        };
        let mut f = FdInfo::new(kind, path::join(b"", name));
        f.open_flags = flags;
        f.dev = p_u32(&cur.ev, 4).unwrap_or(0);
        f.ino = p_u64(&cur.ev, 5).unwrap_or(0);
        add_fd(state, cur, fd, f);
    }

    fn parse_pidfd_getfd_exit(&mut self, state: &mut State, cur: &mut Cur<'_>) {
        let Some(fd) = p_i64(&cur.ev, 0).filter(|&fd| fd >= 0) else {
            return;
        };
        let (Some(pidfd), Some(target)) = (p_i64(&cur.ev, 1), p_i64(&cur.ev, 2)) else {
            return;
        };
        // The pidfd names a process only if we saw it opened; its fd table is the source.
        let _ = pidfd;
        if let Some(src) = state.fd(cur.tid, target).cloned() {
            add_fd(state, cur, fd, src);
        }
    }

    fn parse_rlimit_exit(&mut self, state: &mut State, cur: &mut Cur<'_>, prlimit: bool) {
        if !cur.has_thread && !prlimit {
            return;
        }
        if p_i64(&cur.ev, 0).is_none_or(|r| r < 0) {
            return;
        }
        let Some(enter) = self.retrieve_enter(state, cur) else {
            return;
        };
        let resource = p_u8(&enter, usize::from(prlimit));
        let target = if prlimit {
            match p_i64(&enter, 0) {
                Some(0) | None => cur.tid,
                Some(t) => t,
            }
        } else {
            cur.tid
        };
        if resource != Some(RLIMIT_NOFILE) {
            return;
        }
        let Some(cur_val) = p_i64(&cur.ev, 1).filter(|&v| v != -1) else {
            return;
        };
        if prlimit && !get_or_make_thread(state, target, true) {
            return;
        }
        let main = state.threads.get(target).map(|t| t.pid);
        if let Some(m) = main.and_then(|pid| {
            if pid == target {
                state.threads.get_mut(target)
            } else {
                state.threads.get_mut(pid)
            }
        }) {
            m.fdlimit = cur_val;
        }
    }
}

/// Whether the C string in `b` differs from `s`.
fn until_nul_ne(b: &[u8], s: &[u8]) -> bool {
    crate::event::value::until_nul(b) != s
}

/// The working directory of `tid` (its main thread's), `./` without one.
fn cwd_of(state: &State, tid: i64) -> Vec<u8> {
    match state.threads.get(tid) {
        Some(t) => state.threads.cwd_of(t).to_vec(),
        None => b"./".to_vec(),
    }
}

/// The directory a path given with `dirfd` is relative to: `.` for an absolute path (it is
/// not used), the cwd for `AT_FDCWD`, else the dirfd's name with a `/` (which also becomes
/// the event's fd); `<UNKNOWN>` for an unknown dirfd.
fn parse_dirfd(state: &State, cur: &mut Cur<'_>, name: &[u8], dirfd: i64) -> Vec<u8> {
    if name.first() == Some(&b'/') {
        return b".".to_vec();
    }
    if dirfd == AT_FDCWD {
        return cwd_of(state, cur.tid);
    }
    match state.fd(cur.tid, dirfd) {
        None => {
            cur.fd = None;
            b"<UNKNOWN>".to_vec()
        }
        Some(f) => {
            let mut d = f.name.clone();
            cur.look_up_fd(state, dirfd);
            d.push(b'/');
            d
        }
    }
}

/// Adds `info` as fd `fd` of the event's thread; it becomes the event's fd (none if the
/// table is full) and the thread's last fd.
fn add_fd(state: &mut State, cur: &mut Cur<'_>, fd: i64, info: FdInfo) {
    cur.fd = state.add_fd(cur.tid, fd, info).then_some(fd);
    cur.fd_name_hash = None;
    if let Some(t) = state.threads.get_mut(cur.tid) {
        t.lastevent_fd = fd;
    }
}

/// Changes the working directory of `tid`'s process: `dir` joined to the current one,
/// ending with `/`.
fn set_cwd(state: &mut State, tid: i64, dir: &[u8]) {
    let Some(t) = state.threads.get(tid) else {
        return;
    };
    let main = if t.is_main() { tid } else { t.pid };
    let Some(m) = state.threads.get_mut(main) else {
        return;
    };
    let mut cwd = path::join(&m.cwd, dir);
    if cwd.last() != Some(&b'/') {
        cwd.push(b'/');
    }
    m.cwd = cwd;
}

/// Looks up `tid`; when it is unknown and `make` is set, adds a thread that only has its
/// id (libsinsp's stand-in for a thread it has no information about). Returns whether the
/// thread is (now) in the table.
fn get_or_make_thread(state: &mut State, tid: i64, make: bool) -> bool {
    if state.threads.contains(tid) {
        return true;
    }
    if !make || state.threads.len() >= state.limits.max_threads {
        if make {
            state.evictions.threads_dropped += 1;
        }
        return false;
    }
    let mut t = Thread::unknown(tid);
    t.nchilds = state.threads.iter().filter(|o| o.pid == tid).count() as u32;
    add_thread(state, t)
}

/// libsinsp reaches a thread's process (fd table, cwd) through its main thread, making one
/// up when it is unknown; so does the parser, before the event touches either.
fn ensure_main_thread(state: &mut State, tid: i64) {
    if let Some(t) = state.threads.get(tid)
        && !t.is_main()
        && !state.threads.contains(t.pid)
    {
        let pid = t.pid;
        get_or_make_thread(state, pid, true);
    }
}

/// Adds a thread made from an event: counts it in its main thread when it is one of
/// several threads of a process.
fn add_thread(state: &mut State, t: Thread) -> bool {
    if state.threads.len() >= state.limits.max_threads {
        state.evictions.threads_dropped += 1;
        return false;
    }
    let (is_thread, pid) = (t.flags & clone_flags::CLONE_THREAD != 0, t.pid);
    if is_thread
        && get_or_make_thread(state, pid, true)
        && let Some(main) = state.threads.get_mut(pid)
    {
        main.nchilds += 1;
    }
    state.threads.insert(t);
    true
}

/// Removes thread `tid`, unless other threads of its process still count on it (`force`
/// removes it anyway and recounts).
pub(crate) fn remove_thread(state: &mut State, tid: i64, force: bool) {
    let Some(t) = state.threads.get(tid) else {
        return;
    };
    let nchilds = t.nchilds;
    if nchilds != 0 && !force {
        return;
    }
    if t.flags & clone_flags::CLONE_THREAD != 0 {
        let pid = t.pid;
        if get_or_make_thread(state, pid, true)
            && let Some(main) = state.threads.get_mut(pid)
            && main.nchilds > 0
        {
            main.nchilds -= 1;
        }
    }
    state.threads.remove(tid);
    if nchilds != 0 {
        create_child_dependencies(state);
    }
}

/// Gives the children of the removed thread `tid` to `reaper`.
fn reparent_children(state: &mut State, tid: i64, reaper: i64) {
    for t in state.threads.iter_mut() {
        if t.ptid == tid {
            t.ptid = reaper;
        }
    }
}

/// Recounts, for every main thread, the other threads of its process.
fn create_child_dependencies(state: &mut State) {
    for t in state.threads.iter_mut() {
        t.nchilds = 0;
    }
    let pids: Vec<i64> = state
        .threads
        .iter()
        .filter(|t| t.flags & clone_flags::CLONE_THREAD != 0)
        .map(|t| t.pid)
        .collect();
    for pid in pids {
        if get_or_make_thread(state, pid, true)
            && let Some(main) = state.threads.get_mut(pid)
        {
            main.nchilds += 1;
        }
    }
}
