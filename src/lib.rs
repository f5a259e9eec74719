//! Peregrine watches what programs do on a Linux machine, one system call at a time, and reads
//! and writes the capture files of sysdig and Falco.
//!
//! Events follow the Falco event schema ([`event`]); they come from a source ([`capture`]) and
//! reach the embedder through [`Inspector::next`].
//!
//! ```no_run
//! use peregrine::Inspector;
//!
//! let mut inspector = Inspector::builder().file("capture.scap").build()?;
//! while let Some(event) = inspector.next()? {
//!     println!("{} {}", event.number(), event.field("evt.type")?);
//! }
//! # Ok::<(), peregrine::Error>(())
//! ```

#![warn(missing_docs)]

pub mod capture;
mod error;
pub mod event;
#[cfg(feature = "capi")]
pub mod ffi;
pub mod fields;
pub mod filter;
pub mod format;
mod inspector;
pub mod parse;
pub mod rules;
pub mod state;

pub use error::{Error, Result};
pub use inspector::{Event, Inspector, InspectorBuilder};
