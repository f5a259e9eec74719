//! The addresses of a socket, stored the way libsinsp stores them: one 37-byte area read
//! through several views (IPv4 tuple, IPv6 tuple, IPv4 and IPv6 server address, unix pair).
//! The views overlap, so writing one changes what another reads, exactly as in libsinsp;
//! keeping that is what makes socket names and fields come out as sysdig prints them when a
//! socket changes role (bound, then connected, then given a tuple by recvfrom).
//!
//! Ports are in host order, addresses in network order, as in the events.

/// Layer-4 protocols (`SCAP_L4_*`).
pub mod l4 {
    /// Not known (`SCAP_L4_UNKNOWN`).
    pub const UNKNOWN: u8 = 0;
    /// Not applicable (`SCAP_L4_NA`).
    pub const NA: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 2;
    /// UDP.
    pub const UDP: u8 = 3;
    /// ICMP.
    pub const ICMP: u8 = 4;
    /// A raw socket.
    pub const RAW: u8 = 5;
}

/// The overlapping address views of one socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SockAddrs {
    b: [u8; 40],
}

impl Default for SockAddrs {
    fn default() -> Self {
        SockAddrs { b: [0; 40] }
    }
}

/// An IPv4 connection: source (client) and destination (server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ipv4Tuple {
    /// Source (client) address.
    pub sip: [u8; 4],
    /// Destination (server) address.
    pub dip: [u8; 4],
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Layer-4 protocol (`l4::*`).
    pub l4: u8,
}

/// An IPv6 connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ipv6Tuple {
    /// Source (client) address.
    pub sip: [u8; 16],
    /// Destination (server) address.
    pub dip: [u8; 16],
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Layer-4 protocol (`l4::*`).
    pub l4: u8,
}

/// A listening IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ipv4Server {
    /// The address listened on (0.0.0.0 for any).
    pub ip: [u8; 4],
    /// The port listened on.
    pub port: u16,
    /// Layer-4 protocol (`l4::*`).
    pub l4: u8,
}

/// A listening IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ipv6Server {
    /// The address listened on (:: for any).
    pub ip: [u8; 16],
    /// The port listened on.
    pub port: u16,
    /// Layer-4 protocol (`l4::*`).
    pub l4: u8,
}

impl SockAddrs {
    fn u16_at(&self, at: usize) -> u16 {
        u16::from_ne_bytes([self.b[at], self.b[at + 1]])
    }

    fn set_u16(&mut self, at: usize, v: u16) {
        self.b[at..at + 2].copy_from_slice(&v.to_ne_bytes());
    }

    fn u64_at(&self, at: usize) -> u64 {
        let mut a = [0; 8];
        a.copy_from_slice(&self.b[at..at + 8]);
        u64::from_ne_bytes(a)
    }

    fn arr<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut a = [0; N];
        a.copy_from_slice(&self.b[at..at + N]);
        a
    }

    /// The IPv4 tuple view (sip @0, dip @4, sport @8, dport @10, l4 @12).
    pub fn ipv4(&self) -> Ipv4Tuple {
        Ipv4Tuple {
            sip: self.arr(0),
            dip: self.arr(4),
            sport: self.u16_at(8),
            dport: self.u16_at(10),
            l4: self.b[12],
        }
    }

    /// Writes the whole IPv4 tuple view.
    pub fn set_ipv4(&mut self, t: Ipv4Tuple) {
        self.b[0..4].copy_from_slice(&t.sip);
        self.b[4..8].copy_from_slice(&t.dip);
        self.set_u16(8, t.sport);
        self.set_u16(10, t.dport);
        self.b[12] = t.l4;
    }

    /// The IPv6 tuple view (sip @0, dip @16, sport @32, dport @34, l4 @36).
    pub fn ipv6(&self) -> Ipv6Tuple {
        Ipv6Tuple {
            sip: self.arr(0),
            dip: self.arr(16),
            sport: self.u16_at(32),
            dport: self.u16_at(34),
            l4: self.b[36],
        }
    }

    /// Writes the whole IPv6 tuple view.
    pub fn set_ipv6(&mut self, t: Ipv6Tuple) {
        self.b[0..16].copy_from_slice(&t.sip);
        self.b[16..32].copy_from_slice(&t.dip);
        self.set_u16(32, t.sport);
        self.set_u16(34, t.dport);
        self.b[36] = t.l4;
    }

    /// The IPv4 server view (ip @0, port @4, l4 @6).
    pub fn ipv4_server(&self) -> Ipv4Server {
        Ipv4Server {
            ip: self.arr(0),
            port: self.u16_at(4),
            l4: self.b[6],
        }
    }

    /// Writes the IPv4 server view.
    pub fn set_ipv4_server(&mut self, s: Ipv4Server) {
        self.b[0..4].copy_from_slice(&s.ip);
        self.set_u16(4, s.port);
        self.b[6] = s.l4;
    }

    /// The IPv6 server view (ip @0, port @16, l4 @18).
    pub fn ipv6_server(&self) -> Ipv6Server {
        Ipv6Server {
            ip: self.arr(0),
            port: self.u16_at(16),
            l4: self.b[18],
        }
    }

    /// Writes the IPv6 server view.
    pub fn set_ipv6_server(&mut self, s: Ipv6Server) {
        self.b[0..16].copy_from_slice(&s.ip);
        self.set_u16(16, s.port);
        self.b[18] = s.l4;
    }

    /// The unix view: the kernel addresses of this end and of its peer.
    pub fn unix(&self) -> (u64, u64) {
        (self.u64_at(0), self.u64_at(8))
    }

    /// Writes the unix view.
    pub fn set_unix(&mut self, source: u64, dest: u64) {
        self.b[0..8].copy_from_slice(&source.to_ne_bytes());
        self.b[8..16].copy_from_slice(&dest.to_ne_bytes());
    }

    /// Zeroes the first `n` bytes (what libsinsp's `memset` of one view does).
    pub fn clear_prefix(&mut self, n: usize) {
        self.b[..n.min(40)].fill(0);
    }
}

/// Whether libsinsp takes a 16-byte address for an IPv4 one: `::ffff:a.b.c.d`, or an
/// address that is all zero from byte 10 on too (so `::` counts).
pub fn is_ipv4_mapped(a: &[u8; 16]) -> bool {
    a[..10].iter().all(|&b| b == 0)
        && ((a[10] == 0xff && a[11] == 0xff) || a[10..].iter().all(|&b| b == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_view_overlaps_the_tuple_view() {
        let mut s = SockAddrs::default();
        s.set_ipv4(Ipv4Tuple {
            sip: [1, 2, 3, 4],
            dip: [5, 6, 7, 8],
            sport: 10,
            dport: 20,
            l4: l4::TCP,
        });
        s.set_ipv4_server(Ipv4Server {
            ip: [9, 9, 9, 9],
            port: 80,
            l4: l4::UDP,
        });
        let t = s.ipv4();
        assert_eq!(t.sip, [9, 9, 9, 9]);
        assert_eq!(u16::from_ne_bytes([t.dip[0], t.dip[1]]), 80);
        assert_eq!(t.dip[2], l4::UDP);
        // The tuple's own protocol byte is not part of the server view.
        assert_eq!(t.l4, l4::TCP);
    }
}
