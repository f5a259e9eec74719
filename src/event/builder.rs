//! Building events in the Falco layout: for tests, synthetic captures and benchmarks, and
//! sources that produce events themselves.

use super::eventref::{HEADER_LEN, large_lengths};

/// An event under construction: header fields and parameter values, in order.
///
/// ```
/// use peregrine::event::{EventBuilder, EventRef};
///
/// // close exit: res=0, fd=3
/// let bytes = EventBuilder::new(5).ts(10).tid(42).i64(0).i64(3).build();
/// let ev = EventRef::new(&bytes).unwrap();
/// assert_eq!(ev.name(), "close");
/// assert_eq!(ev.param_by_name("fd").unwrap().value().unwrap().as_i64(), Some(3));
/// ```
#[derive(Debug, Clone, Default)]
pub struct EventBuilder {
    ty: u16,
    ts: u64,
    tid: i64,
    values: Vec<u8>,
    lens: Vec<u32>,
}

impl EventBuilder {
    /// An event of type `ty` with no parameters yet.
    pub fn new(ty: u16) -> Self {
        EventBuilder {
            ty,
            ..EventBuilder::default()
        }
    }

    /// Sets the timestamp (ns since the epoch).
    pub fn ts(mut self, ts: u64) -> Self {
        self.ts = ts;
        self
    }

    /// Sets the thread id.
    pub fn tid(mut self, tid: i64) -> Self {
        self.tid = tid;
        self
    }

    /// Appends a parameter with these exact bytes.
    pub fn raw(mut self, b: &[u8]) -> Self {
        self.values.extend_from_slice(b);
        self.lens.push(b.len() as u32);
        self
    }

    /// Appends a 64-bit signed parameter (`PT_INT64`, `PT_ERRNO`, `PT_FD`, `PT_PID`).
    pub fn i64(self, v: i64) -> Self {
        self.raw(&v.to_le_bytes())
    }

    /// Appends a 64-bit unsigned parameter.
    pub fn u64(self, v: u64) -> Self {
        self.raw(&v.to_le_bytes())
    }

    /// Appends a 32-bit parameter (`PT_UINT32`, `PT_FLAGS32`, `PT_UID`, ...).
    pub fn u32(self, v: u32) -> Self {
        self.raw(&v.to_le_bytes())
    }

    /// Appends a 16-bit parameter.
    pub fn u16(self, v: u16) -> Self {
        self.raw(&v.to_le_bytes())
    }

    /// Appends an 8-bit parameter.
    pub fn u8(self, v: u8) -> Self {
        self.raw(&[v])
    }

    /// Appends a C string parameter (`PT_CHARBUF`, `PT_FSPATH`): the text and a NUL.
    pub fn str(mut self, s: &[u8]) -> Self {
        self.values.extend_from_slice(s);
        self.values.push(0);
        self.lens.push(s.len() as u32 + 1);
        self
    }

    /// Appends a list of C strings (`args`, `env`, `cgroups`): each followed by a NUL.
    pub fn list(mut self, items: &[&[u8]]) -> Self {
        let mut len = 0;
        for i in items {
            self.values.extend_from_slice(i);
            self.values.push(0);
            len += i.len() as u32 + 1;
        }
        self.lens.push(len);
        self
    }

    /// Appends an IPv4 socket address (`PT_SOCKADDR`).
    pub fn sockaddr_v4(self, ip: [u8; 4], port: u16) -> Self {
        let mut b = vec![2u8];
        b.extend_from_slice(&ip);
        b.extend_from_slice(&port.to_le_bytes());
        self.raw(&b)
    }

    /// Appends an IPv4 connection (`PT_SOCKTUPLE`): source, then destination.
    pub fn socktuple_v4(self, sip: [u8; 4], sport: u16, dip: [u8; 4], dport: u16) -> Self {
        let mut b = vec![2u8];
        b.extend_from_slice(&sip);
        b.extend_from_slice(&sport.to_le_bytes());
        b.extend_from_slice(&dip);
        b.extend_from_slice(&dport.to_le_bytes());
        self.raw(&b)
    }

    /// Appends an IPv6 connection (`PT_SOCKTUPLE`): source, then destination.
    pub fn socktuple_v6(self, sip: [u8; 16], sport: u16, dip: [u8; 16], dport: u16) -> Self {
        let mut b = vec![10u8];
        b.extend_from_slice(&sip);
        b.extend_from_slice(&sport.to_le_bytes());
        b.extend_from_slice(&dip);
        b.extend_from_slice(&dport.to_le_bytes());
        self.raw(&b)
    }

    /// Appends a unix socket pair with a path (`PT_SOCKTUPLE`).
    pub fn socktuple_unix(self, source: u64, dest: u64, path: &[u8]) -> Self {
        let mut b = vec![1u8];
        b.extend_from_slice(&source.to_le_bytes());
        b.extend_from_slice(&dest.to_le_bytes());
        b.extend_from_slice(path);
        b.push(0);
        self.raw(&b)
    }

    /// The encoded event.
    pub fn build(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_into(&mut out);
        out
    }

    /// Appends the encoded event to `out`.
    pub fn write_into(&self, out: &mut Vec<u8>) {
        let wide = large_lengths(self.ty);
        let width = if wide { 4 } else { 2 };
        let len = HEADER_LEN + self.lens.len() * width + self.values.len();
        out.reserve(len);
        out.extend_from_slice(&self.ts.to_le_bytes());
        out.extend_from_slice(&self.tid.to_le_bytes());
        out.extend_from_slice(&(len as u32).to_le_bytes());
        out.extend_from_slice(&self.ty.to_le_bytes());
        out.extend_from_slice(&(self.lens.len() as u32).to_le_bytes());
        for &l in &self.lens {
            if wide {
                out.extend_from_slice(&l.to_le_bytes());
            } else {
                out.extend_from_slice(&(l as u16).to_le_bytes());
            }
        }
        out.extend_from_slice(&self.values);
    }
}
