//! The scap capture-file writer: version 1.2 blocks (section header, machine info, interface
//! list V2, user list V2, process list V9, fd lists V2, then EV/EVF V2 event blocks), plain
//! or gzip.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use super::blocks::{self, Metadata, encode};
use crate::error::{Error, Result};
use crate::event::EventRef;

/// Writes a scap capture.
pub struct FileWriter {
    out: Box<dyn Write + Send>,
    path: PathBuf,
    offset: u64,
    block: Vec<u8>,
}

/// Builds one block in `buf`: header, body written by `body`, padding, trailer.
fn build_block(buf: &mut Vec<u8>, ty: u32, body: impl FnOnce(&mut Vec<u8>)) {
    buf.clear();
    buf.extend_from_slice(&ty.to_le_bytes());
    buf.extend_from_slice(&[0; 4]);
    body(buf);
    while !buf.len().is_multiple_of(4) {
        buf.push(0);
    }
    let total = (buf.len() + 4) as u32;
    buf.extend_from_slice(&total.to_le_bytes());
    buf[4..8].copy_from_slice(&total.to_le_bytes());
}

impl FileWriter {
    /// Creates `path` (gzip-compressed if `gzip`) and writes the header and `metadata`.
    pub fn create(path: impl AsRef<Path>, gzip: bool, metadata: &Metadata) -> Result<Self> {
        let path = path.as_ref().to_owned();
        let file = File::create(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let buffered = BufWriter::with_capacity(256 * 1024, file);
        let out: Box<dyn Write + Send> = if gzip {
            Box::new(GzEncoder::new(buffered, Compression::default()))
        } else {
            Box::new(buffered)
        };
        Self::new(out, path, metadata)
    }

    /// Writes to any stream; `name` is used in error messages.
    pub fn new(out: Box<dyn Write + Send>, name: PathBuf, metadata: &Metadata) -> Result<Self> {
        let mut w = FileWriter {
            out,
            path: name,
            offset: 0,
            block: Vec::with_capacity(64 * 1024),
        };
        w.write_block(blocks::SHB, |b| {
            b.extend_from_slice(&blocks::SHB_MAGIC.to_le_bytes());
            b.extend_from_slice(&1u16.to_le_bytes());
            b.extend_from_slice(&2u16.to_le_bytes());
            b.extend_from_slice(&u64::MAX.to_le_bytes());
        })?;
        if let Some(m) = &metadata.machine {
            w.write_block(blocks::MI, |b| encode::machine_info(b, m))?;
        }
        w.write_block(blocks::IL_V2, |b| encode::iflist(b, metadata))?;
        w.write_block(blocks::UL_V2, |b| encode::userlist(b, metadata))?;
        if !metadata.threads.is_empty() {
            w.write_block(blocks::PL_V9, |b| {
                for t in &metadata.threads {
                    encode::thread(b, t);
                }
            })?;
        }
        for l in &metadata.fd_lists {
            w.write_block(blocks::FDL_V2, |b| encode::fdlist(b, l))?;
        }
        Ok(w)
    }

    fn write_block(&mut self, ty: u32, body: impl FnOnce(&mut Vec<u8>)) -> Result<()> {
        let mut buf = std::mem::take(&mut self.block);
        build_block(&mut buf, ty, body);
        let r = self.out.write_all(&buf);
        self.offset += buf.len() as u64;
        self.block = buf;
        r.map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Appends one event as it was captured on `cpu`, with dump `flags` (0 for a plain
    /// event; 1 marks a state-only event).
    pub fn write_event(&mut self, cpu: u16, flags: u32, event: &EventRef<'_>) -> Result<()> {
        let large = crate::event::large_lengths(event.event_type());
        let ty = match (flags != 0, large) {
            (false, false) => blocks::EV_V2,
            (false, true) => blocks::EV_V2_LARGE,
            (true, false) => blocks::EVF_V2,
            (true, true) => blocks::EVF_V2_LARGE,
        };
        self.write_block(ty, |b| {
            b.extend_from_slice(&cpu.to_le_bytes());
            if flags != 0 {
                b.extend_from_slice(&flags.to_le_bytes());
            }
            b.extend_from_slice(event.as_bytes());
        })
    }

    /// Flushes and closes the file (and the gzip stream).
    pub fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }
}
