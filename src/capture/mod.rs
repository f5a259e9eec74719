//! Event sources: everything that hands out raw events in the Falco layout. Today that is
//! the capture file; live capture joins it behind the same [`RawEvent`].

pub mod file;
pub mod live;

use crate::event::EventRef;

/// Dump flag: the event only updates state and is not shown (`SCAP_DF_STATE_ONLY`).
pub const DF_STATE_ONLY: u32 = 1;

/// One event as a source hands it out.
#[derive(Debug, Clone, Copy)]
pub struct RawEvent<'a> {
    /// The event: header and parameters.
    pub event: EventRef<'a>,
    /// The CPU that produced it.
    pub cpu: u16,
    /// Dump flags (`DF_STATE_ONLY`), 0 for an ordinary event.
    pub flags: u32,
    /// 1-based position in the source.
    pub number: u64,
    /// Byte offset of the event's block in the (uncompressed) stream; 0 for live events.
    pub offset: u64,
}
