//! `EventRef`: a validated, zero-copy view over one raw event in the Falco layout
//! (26-byte header, then the parameter lengths, then the parameter values).

use std::fmt;

use super::schema::{self, Direction, EventInfo, MAX_EVENT_PARAMS, ParamInfo};
use super::value::{DecodeError, Value};

/// Size of the event header (`struct ppm_evt_hdr`): ts u64, tid u64, len u32, type u16,
/// nparams u32.
pub const HEADER_LEN: usize = 26;

/// Why a raw event was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// Fewer bytes than a header.
    TooShort {
        /// The bytes there are.
        available: usize,
    },
    /// The header's length field is below the header size or beyond the bytes available.
    BadLength {
        /// The header's length field.
        len: u32,
        /// The bytes there are.
        available: usize,
    },
    /// More parameters than any event may have.
    TooManyParams {
        /// The header's parameter count.
        nparams: u32,
    },
    /// The parameter length array does not fit in the event.
    LengthsOverflow {
        /// The header's parameter count.
        nparams: u32,
        /// The event's length.
        len: u32,
    },
    /// A parameter's length runs past the end of the event.
    ParamOverflow {
        /// The parameter's 0-based index.
        index: usize,
        /// Its length.
        param_len: u32,
        /// The event's length.
        len: u32,
    },
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::TooShort { available } => write!(
                f,
                "{available} bytes is shorter than the {HEADER_LEN}-byte event header"
            ),
            EventError::BadLength { len, available } => write!(
                f,
                "event length {len} is invalid ({available} bytes available, header is {HEADER_LEN})"
            ),
            EventError::TooManyParams { nparams } => write!(
                f,
                "{nparams} parameters, more than the maximum of {MAX_EVENT_PARAMS}"
            ),
            EventError::LengthsOverflow { nparams, len } => write!(
                f,
                "the lengths of {nparams} parameters do not fit in event length {len}"
            ),
            EventError::ParamOverflow {
                index,
                param_len,
                len,
            } => write!(
                f,
                "parameter {index} of length {param_len} runs past the end of the event (length {len})"
            ),
        }
    }
}

impl std::error::Error for EventError {}

/// The validated layout of an event, without its bytes.
#[derive(Clone, Copy)]
pub(crate) struct EventShape {
    values_start: u32,
    nparams: u8,
    wide: bool,
    len: u32,
}

impl EventShape {
    /// The event again over `buf`, which must start with the very bytes the shape was taken
    /// from. `None` if `buf` is too short (the layout is then not trusted).
    pub(crate) fn attach<'a>(&self, buf: &'a [u8]) -> Option<EventRef<'a>> {
        Some(self.attach_proven(buf.get(..self.len as usize)?))
    }

    /// As [`EventShape::attach`], for a `buf` known to hold the event: it must be at least
    /// the event's length (a shorter one panics).
    #[inline]
    pub(crate) fn attach_proven<'a>(&self, buf: &'a [u8]) -> EventRef<'a> {
        EventRef {
            bytes: &buf[..self.len as usize],
            values_start: self.values_start,
            nparams: self.nparams,
            wide: self.wide,
        }
    }
}

/// A borrowed, validated raw event. Constructing it checks every length, so parameter access
/// afterwards cannot read out of bounds.
#[derive(Clone, Copy)]
pub struct EventRef<'a> {
    bytes: &'a [u8],
    /// Offset of the first parameter's value (after the length array).
    values_start: u32,
    nparams: u8,
    /// Parameter lengths are u32 (large-payload events), not u16.
    wide: bool,
}

#[inline]
fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

#[inline]
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

#[inline]
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Whether events of type `ty` carry u32 parameter lengths (the large-payload events).
#[inline]
pub fn large_lengths(ty: u16) -> bool {
    schema::event_info(ty).is_some_and(EventInfo::large_payload)
}

impl<'a> EventRef<'a> {
    /// Validates `buf` as one event. `buf` may be longer than the event (block padding); the
    /// view covers exactly the header's `len` bytes.
    #[inline]
    pub fn new(buf: &'a [u8]) -> Result<Self, EventError> {
        if buf.len() < HEADER_LEN {
            return Err(EventError::TooShort {
                available: buf.len(),
            });
        }
        let len = u32_at(buf, 16);
        if (len as usize) < HEADER_LEN || len as usize > buf.len() {
            return Err(EventError::BadLength {
                len,
                available: buf.len(),
            });
        }
        let bytes = &buf[..len as usize];
        let nparams = u32_at(bytes, 22);
        if nparams as usize > MAX_EVENT_PARAMS {
            return Err(EventError::TooManyParams { nparams });
        }
        let ty = u16_at(bytes, 20);
        let width = if large_lengths(ty) { 4 } else { 2 };
        let values_start = HEADER_LEN + nparams as usize * width;
        if values_start > bytes.len() {
            return Err(EventError::LengthsOverflow { nparams, len });
        }
        // Sum the lengths in one pass (no overflow: at most 32 lengths of at most 32 bits,
        // in 64 bits); only a sum past the end needs the pass that names the parameter.
        let lens = &bytes[HEADER_LEN..values_start];
        let mut sum = 0u64;
        if width == 2 {
            for c in lens.as_chunks::<2>().0 {
                sum += u16::from_le_bytes(*c) as u64;
            }
        } else {
            for c in lens.as_chunks::<4>().0 {
                sum += u32::from_le_bytes(*c) as u64;
            }
        }
        if values_start as u64 + sum > len as u64 {
            return Err(Self::param_overflow(bytes, width, values_start, len));
        }
        Ok(EventRef {
            bytes,
            values_start: values_start as u32,
            nparams: nparams as u8,
            wide: width == 4,
        })
    }

    /// The first parameter whose length runs past the end of the event.
    #[cold]
    fn param_overflow(bytes: &[u8], width: usize, values_start: usize, len: u32) -> EventError {
        let mut end = values_start as u64;
        let nparams = (values_start - HEADER_LEN) / width;
        for i in 0..nparams {
            let at = HEADER_LEN + i * width;
            let plen = if width == 2 {
                u16_at(bytes, at) as u32
            } else {
                u32_at(bytes, at)
            };
            end += plen as u64;
            if end > len as u64 {
                return EventError::ParamOverflow {
                    index: i,
                    param_len: plen,
                    len,
                };
            }
        }
        // Not reached (the lengths add up past the end, so one of them crosses it).
        EventError::LengthsOverflow {
            nparams: nparams as u32,
            len,
        }
    }

    /// What validation found, to lend the same bytes again later without checking them
    /// twice.
    pub(crate) fn shape(&self) -> EventShape {
        EventShape {
            values_start: self.values_start,
            nparams: self.nparams,
            wide: self.wide,
            len: self.bytes.len() as u32,
        }
    }

    /// The event's bytes, exactly `len` of them.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Timestamp in nanoseconds since the epoch.
    #[inline]
    pub fn ts(&self) -> u64 {
        u64_at(self.bytes, 0)
    }

    /// Thread id that produced the event.
    #[inline]
    pub fn tid(&self) -> i64 {
        u64_at(self.bytes, 8) as i64
    }

    /// Total length of the event in bytes.
    #[inline]
    pub fn len(&self) -> u32 {
        self.bytes.len() as u32
    }

    /// Always false: an event has at least its header.
    #[inline]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Event type id.
    #[inline]
    pub fn event_type(&self) -> u16 {
        u16_at(self.bytes, 20)
    }

    /// Number of parameters the event carries (may be fewer than its schema lists, for events
    /// written by older drivers).
    #[inline]
    pub fn nparams(&self) -> usize {
        self.nparams as usize
    }

    /// The schema of this event's type, or `None` for an id beyond the schema.
    #[inline]
    pub fn info(&self) -> Option<&'static EventInfo> {
        schema::event_info(self.event_type())
    }

    /// The event name (`evt.type`), or `"UNKNOWN"` for an id beyond the schema.
    pub fn name(&self) -> &'static str {
        self.info().map_or("UNKNOWN", |i| i.name)
    }

    /// Enter or exit.
    #[inline]
    pub fn direction(&self) -> Direction {
        Direction::of(self.event_type())
    }

    /// The raw bytes of parameter `i`. (The event holds lengths, not offsets: the start is
    /// the sum of the lengths before, at most 31 additions, which keeps the view small.)
    #[inline]
    pub fn param_bytes(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.nparams as usize {
            return None;
        }
        // Validation checked the length array and every end against the length; `get`
        // keeps this panic-free regardless.
        let (before, len) = if self.wide {
            let lens = self.bytes.get(HEADER_LEN..HEADER_LEN + 4 * (i + 1))?;
            let (this, before) = lens.as_chunks::<4>().0.split_last()?;
            let before: usize = before.iter().map(|l| u32::from_le_bytes(*l) as usize).sum();
            (before, u32::from_le_bytes(*this) as usize)
        } else {
            let lens = self.bytes.get(HEADER_LEN..HEADER_LEN + 2 * (i + 1))?;
            let (this, before) = lens.as_chunks::<2>().0.split_last()?;
            let before: usize = before.iter().map(|l| u16::from_le_bytes(*l) as usize).sum();
            (before, u16::from_le_bytes(*this) as usize)
        };
        let start = self.values_start as usize + before;
        self.bytes.get(start..start + len)
    }

    /// Parameter `i` with its schema, if the event has it.
    pub fn param(&self, i: usize) -> Option<Param<'a>> {
        let bytes = self.param_bytes(i)?;
        let info = self.info()?.params.get(i)?;
        Some(Param { info, bytes })
    }

    /// The parameter called `name` in this event's schema, if the event has it.
    pub fn param_by_name(&self, name: &str) -> Option<Param<'a>> {
        let i = self.info()?.param_index(name)?;
        self.param(i)
    }

    /// Every parameter the event carries that its schema describes, in order.
    #[inline]
    pub fn params(&self) -> Params<'a> {
        let infos = self.info().map_or(&[][..], |i| i.params);
        let infos = &infos[..infos.len().min(self.nparams as usize)];
        // Validation proved `HEADER_LEN <= values_start <= len`; the checked splits keep
        // this panic-free regardless.
        let (head, values) = self
            .bytes
            .split_at_checked(self.values_start as usize)
            .unwrap_or_default();
        Params {
            infos: infos.iter(),
            lens: head.get(HEADER_LEN..).unwrap_or_default(),
            values,
            wide: self.wide,
        }
    }
}

/// The parameters of an event with their schema, in order: the iterator of
/// [`EventRef::params`]. One pass over the length array and the values together.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    /// The schema of the parameters left (no more than the event carries).
    infos: std::slice::Iter<'static, ParamInfo>,
    /// The length entries left.
    lens: &'a [u8],
    /// The values left.
    values: &'a [u8],
    /// Lengths are u32, not u16.
    wide: bool,
}

impl<'a> Iterator for Params<'a> {
    type Item = Param<'a>;

    #[inline]
    fn next(&mut self) -> Option<Param<'a>> {
        let info = self.infos.next()?;
        let len = if self.wide {
            let (l, rest) = self.lens.split_first_chunk::<4>()?;
            self.lens = rest;
            u32::from_le_bytes(*l) as usize
        } else {
            let (l, rest) = self.lens.split_first_chunk::<2>()?;
            self.lens = rest;
            u16::from_le_bytes(*l) as usize
        };
        // Validation proved that every value ends within the event; the checked split
        // keeps this panic-free regardless.
        let (bytes, rest) = self.values.split_at_checked(len)?;
        self.values = rest;
        Some(Param { info, bytes })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.infos.len()))
    }
}

impl fmt::Debug for EventRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("EventRef");
        d.field("ts", &self.ts())
            .field("tid", &self.tid())
            .field("type", &self.event_type())
            .field("name", &self.name())
            .field("nparams", &self.nparams());
        for p in self.params() {
            d.field(p.info.name, &p.value());
        }
        d.finish()
    }
}

/// One parameter of an event: its schema and its raw bytes.
#[derive(Debug, Clone, Copy)]
pub struct Param<'a> {
    /// The parameter's name, type and print format in the schema.
    pub info: &'static ParamInfo,
    /// Its bytes, as the event carries them.
    pub bytes: &'a [u8],
}

impl<'a> Param<'a> {
    /// The parameter's name in the schema.
    pub fn name(&self) -> &'static str {
        self.info.name
    }

    /// Decodes the value according to the schema type.
    #[inline]
    pub fn value(&self) -> Result<Value<'a>, DecodeError> {
        Value::decode_param(self.info, self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Builds an event of type `ty` with the given parameter values (u16 lengths).
    fn event(ty: u16, params: &[&[u8]]) -> Vec<u8> {
        let len = HEADER_LEN + 2 * params.len() + params.iter().map(|p| p.len()).sum::<usize>();
        let mut b = Vec::with_capacity(len);
        b.extend_from_slice(&7u64.to_le_bytes());
        b.extend_from_slice(&42u64.to_le_bytes());
        b.extend_from_slice(&(len as u32).to_le_bytes());
        b.extend_from_slice(&ty.to_le_bytes());
        b.extend_from_slice(&(params.len() as u32).to_le_bytes());
        for p in params {
            b.extend_from_slice(&(p.len() as u16).to_le_bytes());
        }
        for p in params {
            b.extend_from_slice(p);
        }
        b
    }

    #[test]
    fn close_exit_params_decode_by_index_and_name() {
        // close exit (5): res ERRNO, fd FD.
        let bytes = event(5, &[&(-9i64).to_le_bytes(), &3i64.to_le_bytes()]);
        let ev = EventRef::new(&bytes).unwrap();
        assert_eq!((ev.ts(), ev.tid(), ev.name()), (7, 42, "close"));
        assert_eq!(ev.direction(), Direction::Exit);
        assert_eq!(ev.param(0).unwrap().value(), Ok(Value::Signed(-9)));
        assert_eq!(
            ev.param_by_name("fd").unwrap().value(),
            Ok(Value::Signed(3))
        );
        assert!(ev.param(2).is_none());
    }

    #[test]
    fn param_running_past_the_end_is_rejected() {
        let mut bytes = event(5, &[&(-9i64).to_le_bytes()]);
        bytes[26] = 9; // length 9 for an 8-byte value
        assert_eq!(
            EventRef::new(&bytes).unwrap_err(),
            EventError::ParamOverflow {
                index: 0,
                param_len: 9,
                len: 36
            }
        );
    }

    #[test]
    fn wrong_size_integer_is_a_decode_error() {
        let bytes = event(5, &[&[1, 2, 3]]);
        let ev = EventRef::new(&bytes).unwrap();
        assert_eq!(
            ev.param(0).unwrap().value(),
            Err(DecodeError::WrongSize {
                ty: super::super::ParamType::Errno,
                expected: 8,
                got: 3
            })
        );
    }

    proptest! {
        /// No byte string makes validation or decoding panic or read out of bounds.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(ev) = EventRef::new(&bytes) {
                for p in ev.params() {
                    let _ = p.value();
                }
                prop_assert!(ev.len() as usize <= bytes.len());
            }
        }

        /// Well-formed events of any type decode every parameter they carry, and the lengths
        /// give back the bytes that were encoded.
        #[test]
        fn encoded_params_come_back(ty in 0u16..454, params in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..40), 0..8)) {
            prop_assume!(!large_lengths(ty));
            let slices: Vec<&[u8]> = params.iter().map(|p| p.as_slice()).collect();
            let bytes = event(ty, &slices);
            let ev = EventRef::new(&bytes).unwrap();
            prop_assert_eq!(ev.nparams(), params.len());
            for (i, p) in params.iter().enumerate() {
                prop_assert_eq!(ev.param_bytes(i).unwrap(), p.as_slice());
            }
        }
    }
}
