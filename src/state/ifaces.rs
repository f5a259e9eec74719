//! The machine's network interfaces, used to complete socket tuples that lack a local
//! address (an unconnected UDP socket sending to a peer).

/// One IPv4 interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Iface {
    /// The interface's address.
    pub addr: [u8; 4],
    /// Its netmask.
    pub netmask: [u8; 4],
}

/// Known interfaces.
#[derive(Debug, Clone, Default)]
pub struct Interfaces {
    /// IPv4 interfaces, with their netmasks.
    pub ipv4: Vec<Ipv4Iface>,
    /// IPv6 addresses (the prefix is not kept).
    pub ipv6: Vec<[u8; 16]>,
}

const LOOPBACK_V4: [u8; 4] = [127, 0, 0, 1];
const LOOPBACK_V6: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

fn mask(a: [u8; 4], m: [u8; 4]) -> [u8; 4] {
    [a[0] & m[0], a[1] & m[1], a[2] & m[2], a[3] & m[3]]
}

/// Same /64: what libsinsp takes as the same IPv6 subnet.
fn same_v6_subnet(a: &[u8; 16], b: &[u8; 16]) -> bool {
    a[..8] == b[..8]
}

impl Interfaces {
    /// The local address to use towards `dest`: the interface with that address, else one
    /// on the same subnet, else the first that is not loopback, else 0.0.0.0.
    pub fn infer_ipv4(&self, dest: [u8; 4]) -> [u8; 4] {
        if let Some(i) = self.ipv4.iter().find(|i| i.addr == dest) {
            return i.addr;
        }
        if let Some(i) = self
            .ipv4
            .iter()
            .find(|i| mask(i.addr, i.netmask) == mask(dest, i.netmask))
        {
            return i.addr;
        }
        self.ipv4
            .iter()
            .find(|i| i.addr != LOOPBACK_V4)
            .map_or([0; 4], |i| i.addr)
    }

    /// The IPv6 counterpart of [`Interfaces::infer_ipv4`].
    pub fn infer_ipv6(&self, dest: [u8; 16]) -> [u8; 16] {
        if let Some(a) = self.ipv6.iter().find(|a| **a == dest) {
            return *a;
        }
        if let Some(a) = self.ipv6.iter().find(|a| same_v6_subnet(a, &dest)) {
            return *a;
        }
        self.ipv6
            .iter()
            .find(|a| **a != LOOPBACK_V6)
            .copied()
            .unwrap_or([0; 16])
    }
}
