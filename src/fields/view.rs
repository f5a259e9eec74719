//! What a field reads about one event: the event itself, the state after the event was
//! parsed, and what the parser worked out for it (its thread, its fd, its latency).

use std::cell::OnceCell;

use crate::capture::RawEvent;
use crate::event::render::BufferFormat;
use crate::state::{FdInfo, FdTable, State, Thread};

/// What the parser worked out about one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventContext {
    /// The fd the event is about (`fd.*` fields), if any.
    pub fd: Option<i64>,
    /// For an exit event, ns since its enter event (0 without one).
    pub latency_ns: u64,
    /// Timestamp of the first event (for `evt.reltime`).
    pub first_ts: u64,
    /// The parser found the event's thread (libsinsp's event `tinfo`); some fields differ
    /// between that and a thread looked up only when printing.
    pub tinfo: bool,
    /// A hash of the name the event's fd had when the parser looked it up (`None`: the fd
    /// was made by the event, so its name counts as changed unless empty).
    pub fd_name_hash: Option<u64>,
}

/// One event with everything fields can read about it. Its thread, fd table and fd are
/// looked up in the state when a field first asks for them: a consumer that reads only the
/// event's own values (or nothing, counting events) pays no lookup.
#[derive(Debug, Clone)]
pub struct EventView<'a> {
    /// The event, with its CPU, dump flags and position in the source.
    pub raw: RawEvent<'a>,
    /// `evt.num`.
    pub num: u64,
    /// The state after the event was parsed.
    pub state: &'a State,
    /// What the parser worked out for the event.
    pub ctx: EventContext,
    /// How data buffers are shown in `evt.info`, `evt.args` and `evt.arg.*`.
    pub buffers: BufferFormat,
    thread: OnceCell<Option<&'a Thread>>,
    fds: OnceCell<Option<&'a FdTable>>,
    fd: OnceCell<Option<(i64, &'a FdInfo)>>,
}

impl<'a> EventView<'a> {
    /// A view of `raw`, parsed into `state`, numbered `num`.
    pub fn new(raw: RawEvent<'a>, num: u64, state: &'a State, ctx: EventContext) -> Self {
        EventView {
            raw,
            num,
            state,
            ctx,
            buffers: BufferFormat::Normal,
            thread: OnceCell::new(),
            fds: OnceCell::new(),
            fd: OnceCell::new(),
        }
    }

    /// The thread that made the event, if it is known.
    pub fn thread(&self) -> Option<&'a Thread> {
        *self.thread.get_or_init(|| {
            // A container JSON event has the thread libsinsp makes up for it.
            if crate::parse::is_container_json_event(self.raw.event.event_type()) {
                self.state.container_event_thread.as_ref()
            } else {
                self.state.threads.get(self.raw.event.tid())
            }
        })
    }

    /// The fd table of that thread's process.
    pub fn fds(&self) -> Option<&'a FdTable> {
        *self
            .fds
            .get_or_init(|| self.thread().and_then(|t| self.state.threads.fds_of(t)))
    }

    /// The fd the event is about, with its number.
    pub fn fd(&self) -> Option<(i64, &'a FdInfo)> {
        *self.fd.get_or_init(|| {
            let n = self.ctx.fd?;
            self.fds()?.get(n).map(|f| (n, f))
        })
    }

    /// A view of an event without any state (no thread, no fds).
    pub fn stateless(raw: RawEvent<'a>, num: u64) -> Self {
        static EMPTY: std::sync::OnceLock<State> = std::sync::OnceLock::new();
        let state = EMPTY.get_or_init(State::default);
        EventView {
            raw,
            num,
            state,
            ctx: EventContext::default(),
            buffers: BufferFormat::Normal,
            thread: OnceCell::from(None),
            fds: OnceCell::from(None),
            fd: OnceCell::from(None),
        }
    }

    /// The fd `fd` of the event's process.
    pub fn fd_table_get(&self, fd: i64) -> Option<&'a FdInfo> {
        self.fds()?.get(fd)
    }

    /// Whether parsing the event changed the name of its fd.
    pub fn fd_name_changed(&self) -> bool {
        self.fd().is_some_and(|(_, f)| {
            Some(name_hash(&f.name)) != self.ctx.fd_name_hash.or(Some(name_hash(b"")))
        })
    }

    /// The main thread of the event's process.
    pub fn main_thread(&self) -> Option<&'a Thread> {
        let t = self.thread()?;
        if t.is_main() {
            Some(t)
        } else {
            self.state.threads.get(t.pid)
        }
    }
}

/// A quick hash of an fd name, to tell whether parsing changed it. The parser hashes the
/// name of every fd it looks up, so this takes eight bytes at a step.
pub fn name_hash(b: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let (words, tail) = b.as_chunks::<8>();
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ b.len() as u64;
    for w in words {
        h = (h ^ u64::from_le_bytes(*w)).wrapping_mul(K).rotate_left(29);
    }
    // The tail as a little-endian word, built in a register: copied into a stack buffer
    // (a memcpy call) and loaded back, it stalled on the store (a quarter of look_up_fd).
    let last = tail
        .iter()
        .rev()
        .fold(0u64, |w, &b| (w << 8) | u64::from(b));
    (h ^ last).wrapping_mul(K)
}

#[cfg(test)]
mod tests {
    use super::name_hash;

    /// The hash as first written, with the tail copied into a zeroed word.
    fn reference(b: &[u8]) -> u64 {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let (words, tail) = b.as_chunks::<8>();
        let mut h = 0xcbf2_9ce4_8422_2325u64 ^ b.len() as u64;
        for w in words {
            h = (h ^ u64::from_le_bytes(*w)).wrapping_mul(K).rotate_left(29);
        }
        let mut last = [0u8; 8];
        last[..tail.len()].copy_from_slice(tail);
        (h ^ u64::from_le_bytes(last)).wrapping_mul(K)
    }

    #[test]
    fn name_hash_is_unchanged_for_every_tail_length() {
        let name: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
        for n in 0..=name.len() {
            assert_eq!(name_hash(&name[..n]), reference(&name[..n]), "length {n}");
        }
    }
}
