//! Scap capture files (the format of sysdig and Falco): a streaming reader for every block
//! type and version, and a writer of the current version.

pub mod blocks;
mod input;
mod reader;
mod writer;

pub use blocks::{
    FdDetail, FdListRecord, FdRecord, GroupRecord, Ipv4Interface, Ipv6Interface, MachineInfo,
    Metadata, SectionHeader, ThreadRecord, UserRecord,
};
pub use reader::{DEFAULT_MAX_BLOCK, DEFAULT_MAX_THREADS, FileReader, ReadOptions};
pub use writer::FileWriter;
