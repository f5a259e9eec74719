//! Peregrine's error type: every failure names what was wrong and where (file offset, event
//! number, field name), so that one line tells a person what to fix.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::event::EventError;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in Peregrine.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system error on a named file.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// An I/O error while reading or writing a capture stream (offsets are in the
    /// uncompressed stream).
    Stream {
        /// Where in the stream, in bytes.
        offset: u64,
        /// What the operating system (or the decompressor) said.
        source: io::Error,
    },
    /// The capture ended in the middle of a block.
    Truncated {
        /// Where the unfinished piece starts, in bytes of the uncompressed stream.
        offset: u64,
        /// What was being read (a block or a part of one).
        what: &'static str,
        /// How many bytes it needs.
        needed: u64,
        /// How many were left.
        got: u64,
    },
    /// A capture block is malformed.
    Malformed {
        /// Where the block (or the bad part of it) is, in bytes of the uncompressed stream.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// An event failed validation.
    BadEvent {
        /// 1-based number of the event in the capture (counting every event block).
        number: u64,
        /// Offset of the event's block in the uncompressed stream.
        offset: u64,
        /// What is wrong with the event.
        source: EventError,
    },
    /// Rules content that does not load: the file, place, item and problem.
    BadRules(String),
    /// A field name that Peregrine does not know.
    UnknownField {
        /// The name as given.
        name: String,
    },
    /// A field or format that is known but used wrongly.
    InvalidField {
        /// The field as given.
        field: String,
        /// What is wrong with its use.
        why: String,
    },
    /// An output format string that cannot be parsed.
    BadFormat {
        /// The 1-based column of the problem in the format.
        column: usize,
        /// What the problem is.
        why: String,
    },
    /// A filter expression that cannot be parsed or compiled: the 1-based column where the
    /// problem is, and what it is.
    BadFilter {
        /// The 1-based column of the problem in the filter.
        column: usize,
        /// What the problem is.
        why: String,
    },
    /// Live capture could not start or go on: what was being done, and why.
    Live {
        /// What was being done (loading the probe, reading a ring, ...).
        what: String,
        /// Why it failed, with what to do about it where that is known.
        why: String,
    },
    /// A feature that this build does not have yet.
    Unsupported(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            Error::Stream { offset, source } => write!(f, "at byte offset {offset}: {source}"),
            Error::Truncated {
                offset,
                what,
                needed,
                got,
            } => write!(
                f,
                "truncated capture: {what} at byte offset {offset} needs {needed} bytes, \
                 only {got} remain"
            ),
            Error::Malformed { offset, what } => {
                write!(f, "malformed capture at byte offset {offset}: {what}")
            }
            Error::BadEvent {
                number,
                offset,
                source,
            } => write!(
                f,
                "invalid event #{number} (block at byte offset {offset}): {source}"
            ),
            Error::BadRules(why) => write!(f, "rules: {why}"),
            Error::UnknownField { name } => write!(f, "unknown field: {name}"),
            Error::InvalidField { field, why } => write!(f, "field {field}: {why}"),
            Error::Live { what, why } => write!(f, "live capture: {what}: {why}"),
            Error::BadFormat { column, why } => {
                write!(f, "bad output format at column {column}: {why}")
            }
            Error::BadFilter { column, why } => {
                write!(f, "filter error at column {column}: {why}")
            }
            Error::Unsupported(what) => write!(f, "not supported yet: {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } | Error::Stream { source, .. } => Some(source),
            Error::BadEvent { source, .. } => Some(source),
            _ => None,
        }
    }
}
