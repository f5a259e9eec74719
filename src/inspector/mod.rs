//! `Inspector`: one source of events, read one at a time with [`Inspector::next`], which lends
//! each event until the next call, as libsinsp's `next()` does.

mod seed;

use std::path::PathBuf;

use crate::capture::file::{FileReader, Metadata, ReadOptions};
use crate::capture::live::{LiveConfig, LiveSource, LiveStats};
use crate::capture::{DF_STATE_ONLY, RawEvent};
use crate::error::{Error, Result};
use crate::event::EventRef;
use crate::event::render::BufferFormat;
use crate::fields::{EventView, Field};
use crate::filter::Filter;
use crate::parse::Parser;
use crate::state::{Limits, State};

enum SourceSpec {
    File(PathBuf),
    Live,
}

/// Where events come from. (The file reader is the common case and is kept inline.)
#[allow(clippy::large_enum_variant)]
enum Source {
    File(FileReader),
    Live(Box<LiveSource>),
}

impl Source {
    fn current(&self) -> Option<RawEvent<'_>> {
        match self {
            Source::File(r) => r.current(),
            Source::Live(l) => l.current(),
        }
    }

    fn metadata(&self) -> &Metadata {
        match self {
            Source::File(r) => r.metadata(),
            Source::Live(l) => l.metadata(),
        }
    }
}

/// Configures and builds an [`Inspector`].
#[derive(Default)]
pub struct InspectorBuilder {
    source: Option<SourceSpec>,
    filter: Option<Filter>,
    limits: Limits,
    buffers: BufferFormat,
    live: LiveConfig,
    read: ReadOptions,
}

impl InspectorBuilder {
    /// Reads events from a scap capture file (plain or gzip).
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = Some(SourceSpec::File(path.into()));
        self
    }

    /// Whether a capture file is read (and decompressed) on a thread of its own, ahead of
    /// the decoding (yes by default; see [`ReadOptions::read_ahead`]).
    pub fn read_ahead(mut self, yes: bool) -> Self {
        self.read.read_ahead = yes;
        self
    }

    /// Captures live from the running kernel (needs root, or CAP_BPF and CAP_PERFMON, and a
    /// kernel with BTF). With a filter, the kernel only captures the syscalls the filter can
    /// match and those that keep the state right.
    pub fn live(mut self) -> Self {
        self.source = Some(SourceSpec::Live);
        self
    }

    /// Live capture: the size of each CPU's ring buffer in bytes (a power of two, 4 KiB to
    /// 1 GiB; 8 MiB by default).
    pub fn buffer_size(mut self, bytes: usize) -> Self {
        self.live.buffer_size = bytes;
        self
    }

    /// Live capture: how many bytes of data buffers (read and write data, ...) each event
    /// keeps (80 by default).
    pub fn snaplen(mut self, bytes: u32) -> Self {
        self.live.snaplen = bytes;
        self
    }

    /// Live capture: stop after this long (`next` then returns `None`).
    pub fn duration(mut self, d: std::time::Duration) -> Self {
        self.live.duration = Some(d);
        self
    }

    /// Live capture: capture only process `pid` (all its threads; children it starts are
    /// other processes).
    pub fn only_process(mut self, pid: u32) -> Self {
        self.live.only_process = Some(pid);
        self
    }

    /// Live capture: capture only what runs on these CPUs.
    pub fn cpus(mut self, cpus: impl IntoIterator<Item = usize>) -> Self {
        self.live.cpus = Some(cpus.into_iter().collect());
        self
    }

    /// Live capture: also send the enter events of open, openat, openat2, creat and connect,
    /// which carry the path or address as the call started, before another thread could
    /// change the memory it names (time of check to time of use); the state then takes the
    /// path from them, as libsinsp does. Off by default: the program that sends them runs
    /// at every syscall's entry, which costs every syscall (see docs/LIVE.md).
    pub fn enter_events(mut self, yes: bool) -> Self {
        self.live.enter_events = yes;
        self
    }

    /// Live capture: capture this process too (it is left out by default).
    pub fn capture_self(mut self, yes: bool) -> Self {
        self.live.capture_self = yes;
        self
    }

    /// Keeps only the events that match a Falco filter expression.
    /// The filter is compiled here: a bad one is an error naming its column.
    pub fn filter(mut self, expr: &str) -> Result<Self> {
        if !expr.trim().is_empty() {
            self.filter = Some(Filter::compile(expr)?);
        }
        Ok(self)
    }

    /// Bounds on the thread and fd tables (libsinsp's defaults otherwise).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// How data buffers show in `evt.info`, `evt.args` and `evt.arg.*` (printable text cut
    /// at 80 bytes by default).
    pub fn buffer_format(mut self, format: BufferFormat) -> Self {
        self.buffers = format;
        self
    }

    /// Opens the source.
    pub fn build(self) -> Result<Inspector> {
        let filter = self.filter;
        let (source, live) = match self.source {
            Some(SourceSpec::File(path)) => (
                Source::File(FileReader::open_with(&path, self.read)?),
                false,
            ),
            Some(SourceSpec::Live) => {
                let types = filter.as_ref().map(|f| f.event_types());
                let live = LiveSource::open(&self.live, types)?;
                (Source::Live(Box::new(live)), true)
            }
            None => {
                return Err(Error::Unsupported(
                    "an inspector without a source: call .file(path) or .live()".into(),
                ));
            }
        };
        let mut state = State::with_limits(self.limits);
        let mut parser = Parser::new();
        // A live capture runs for as long as it is asked to: threads that went silent are
        // purged as libsinsp does, so the table follows the machine.
        parser.set_purge_inactive(live);
        // The probe sends exit events with all their arguments and (almost) no enter events.
        parser.set_exit_args(live);
        seed::seed(&mut state, &mut parser, source.metadata());
        Ok(Inspector {
            source,
            state,
            parser,
            filter,
            buffers: self.buffers,
            num: 0,
            leading: !live,
        })
    }
}

/// Reads events from one source.
pub struct Inspector {
    source: Source,
    state: State,
    parser: Parser,
    filter: Option<Filter>,
    buffers: BufferFormat,
    num: u64,
    /// Still in the container events that open a capture (they describe containers and are
    /// not shown).
    leading: bool,
}

/// A source's next event, for [`next_context`].
trait Events {
    fn next_event(&mut self) -> Result<Option<RawEvent<'_>>>;
}

impl Events for FileReader {
    #[inline(always)]
    fn next_event(&mut self) -> Result<Option<RawEvent<'_>>> {
        FileReader::next_event(self)
    }
}

impl Events for LiveSource {
    #[inline(always)]
    fn next_event(&mut self) -> Result<Option<RawEvent<'_>>> {
        LiveSource::next_event(self)
    }
}

/// Reads and parses events until one is delivered (not state-only, and kept by the filter
/// if there is one); returns its context, or `None` at the end of the source. The event
/// stays the source's current one. `leading` stays true while every event read is a
/// container event (those that open a capture are state, not shown), filtered or not.
#[inline(always)]
fn next_context(
    source: &mut impl Events,
    state: &mut State,
    parser: &mut Parser,
    filter: &Option<Filter>,
    buffers: BufferFormat,
    leading: &mut bool,
) -> Result<Option<crate::fields::EventContext>> {
    loop {
        let raw = match source.next_event() {
            Ok(Some(raw)) => raw,
            Ok(None) => return Ok(None),
            Err(e) => return Err(e),
        };
        if *leading {
            *leading = crate::parse::is_container_event(raw.event.event_type());
        }
        match filter {
            None => {
                let ctx = parser.process(state, &raw);
                // State-only events update state and are never shown; nor is, without a
                // filter, a container event whose lookup had not succeeded (libsinsp's rule).
                if raw.flags & DF_STATE_ONLY == 0
                    && !(crate::parse::is_container_json_event(raw.event.event_type())
                        && state.container_event_hidden())
                {
                    return Ok(Some(ctx));
                }
            }
            Some(filter) => {
                // Types the filter can never match go without building a view.
                let wanted = filter.event_types().contains(raw.event.event_type());
                let mut keep = |state: &State, ctx| {
                    let mut view = EventView::new(raw, raw.number, state, ctx);
                    view.buffers = buffers;
                    filter.matches(&view)
                };
                if let Some(ctx) = parser.process_filtered_typed(state, &raw, wanted, &mut keep) {
                    return Ok(Some(ctx));
                }
            }
        }
    }
}

impl Inspector {
    /// Starts configuring an inspector.
    pub fn builder() -> InspectorBuilder {
        InspectorBuilder::default()
    }

    /// The next event, or `None` at the end of the source. The event borrows the inspector
    /// until the next call.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Event<'_>>> {
        // Each source gets its own copy of the loop, with its reader inlined: through
        // `Source::next_event` the lent event was copied twice on its way out.
        let ctx = match &mut self.source {
            Source::File(r) => next_context(
                r,
                &mut self.state,
                &mut self.parser,
                &self.filter,
                self.buffers,
                &mut self.leading,
            )?,
            Source::Live(l) => next_context(
                &mut **l,
                &mut self.state,
                &mut self.parser,
                &self.filter,
                self.buffers,
                &mut self.leading,
            )?,
        };
        let Some(ctx) = ctx else {
            return Ok(None);
        };
        let Some(raw) = self.source.current() else {
            return Ok(None);
        };
        self.num += 1;
        let number = raw.number;
        let mut view = EventView::new(raw, number, &self.state, ctx);
        view.buffers = self.buffers;
        Ok(Some(Event {
            view,
            initial_state: self.leading,
        }))
    }

    /// What the events have told so far: threads, fds, users, containers.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// What the capture says about the machine, its processes, fds, users and interfaces.
    pub fn metadata(&self) -> &Metadata {
        self.source.metadata()
    }

    /// Number of events delivered so far (state-only events are not delivered).
    pub fn events_read(&self) -> u64 {
        self.num
    }

    /// For a live capture, what the probe produced and dropped so far; `None` for a file.
    pub fn stats(&self) -> Result<Option<LiveStats>> {
        match &self.source {
            Source::File(_) => Ok(None),
            Source::Live(l) => l.stats().map(Some),
        }
    }

    /// For a live capture, a flag that ends it when set (from a signal handler or another
    /// thread): `next` then returns `None`. `None` for a file.
    pub fn stop_flag(&self) -> Option<std::sync::Arc<std::sync::atomic::AtomicBool>> {
        match &self.source {
            Source::File(_) => None,
            Source::Live(l) => Some(l.stop_flag()),
        }
    }
}

/// One event, lent by [`Inspector::next`], with the state as it stands after the event.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    view: EventView<'a>,
    initial_state: bool,
}

impl<'a> Event<'a> {
    /// The event's number in the source (`evt.num`), from 1.
    pub fn number(&self) -> u64 {
        self.view.num
    }

    /// Whether this is an internal event (process info, drop notices, container metadata)
    /// that sysdig shows only in debug mode. Internal means the `EC_INTERNAL` category, plus
    /// the exit slots that sysdig 0.29's table still gave that category.
    pub fn is_internal(&self) -> bool {
        const OLD_INTERNAL_EXITS: [u16; 3] = [197, 229, 235];
        let ty = self.view.raw.event.event_type();
        self.view
            .raw
            .event
            .info()
            .is_some_and(|i| i.category.contains(crate::event::Category::INTERNAL))
            || OLD_INTERNAL_EXITS.contains(&ty)
    }

    /// Whether this is one of the container events that open a capture: state for the
    /// container table, not shown.
    pub fn is_initial_state(&self) -> bool {
        self.initial_state
    }

    /// Whether sysdig shows this event without `-D`: neither internal nor initial state.
    pub fn is_shown_by_default(&self) -> bool {
        !self.is_internal() && !self.initial_state
    }

    /// The event itself: header and parameters.
    pub fn event(&self) -> &EventRef<'a> {
        &self.view.raw.event
    }

    /// The event with its CPU, dump flags and position in the source.
    pub fn raw(&self) -> &RawEvent<'a> {
        &self.view.raw
    }

    /// Everything fields read about the event: the event, its thread, its fd, the state.
    pub fn view(&self) -> &EventView<'a> {
        &self.view
    }

    /// The value of a field (for example `evt.type` or `evt.arg.fd`) as text; `<NA>` when
    /// the field does not apply to this event. Parses the field name on every call: compile
    /// it once with [`Field::parse`] and use [`Event::extract`] in loops.
    pub fn field(&self, name: &str) -> Result<String> {
        let f = Field::parse(name)?;
        let mut out = String::new();
        if !self.extract(&f, &mut out) {
            out.push_str("<NA>");
        }
        Ok(out)
    }

    /// Appends the value of a compiled field to `out`; false if it does not apply.
    pub fn extract(&self, field: &Field, out: &mut String) -> bool {
        field.extract(&self.view, out)
    }
}
