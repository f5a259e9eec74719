//! The Falco event schema and zero-copy access to raw events: the event table (ids, names,
//! directions, categories, flags, parameter types), [`EventRef`] over one event's bytes,
//! parameter decoding ([`Value`]) and rendering as sysdig prints arguments.

mod builder;
mod eventref;
pub mod render;
pub mod schema;
/// The event table generated from the Falco schema (tools/gen_schema.py): every event's\nid, name, direction, category, flags and parameters.
#[rustfmt::skip]
#[allow(clippy::all)]
pub mod table;
pub mod value;

pub use builder::EventBuilder;
pub(crate) use eventref::EventShape;
pub use eventref::{EventError, EventRef, HEADER_LEN, Param, Params, large_lengths};
pub use schema::{
    Category, Direction, EVENT_MAX, EventFlags, EventInfo, FlagName, MAX_EVENT_PARAMS, ParamExtra,
    ParamInfo, ParamType, PrintFormat, event_info,
};
pub use value::{DecodeError, FdList, SockAddr, SockTuple, Value};
