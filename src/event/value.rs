//! Decoding of parameter values: every `PT_*` type of the schema, from its raw bytes to a
//! typed value that borrows strings and buffers from the event.

use std::fmt;

use super::schema::{DynParam, ParamExtra, ParamInfo, ParamType, PrintFormat};

/// Address families as they appear in socket parameters.
pub const AF_UNIX: u8 = 1;
/// The IPv4 family number in socket addresses and tuples (`PPM_AF_INET`).
pub const AF_INET: u8 = 2;
/// The IPv6 family number (`PPM_AF_INET6`).
pub const AF_INET6: u8 = 10;

/// A parameter value. Strings and buffers borrow from the event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A zero-length parameter: the producer had no value to give.
    Empty,
    /// Signed integers: `PT_INT*`, `PT_ERRNO`, `PT_FD`, `PT_PID`, `PT_FD32`, `PT_PID32`.
    Signed(i64),
    /// Unsigned integers and everything carried as one: `PT_UINT*`, flags, ids, times,
    /// ports, protocol and family numbers, `PT_BOOL`, `PT_SIGSET`, `PT_MODE`.
    Unsigned(u64),
    /// `PT_DOUBLE`.
    Double(f64),
    /// Text: `PT_CHARBUF`, `PT_FSPATH`, `PT_FSRELPATH`, without the terminating NUL.
    Str(&'a [u8]),
    /// Raw bytes: `PT_BYTEBUF`.
    Bytes(&'a [u8]),
    /// NUL-separated strings: `PT_CHARBUFARRAY`, `PT_CHARBUF_PAIR_ARRAY`.
    StrList(&'a [u8]),
    /// `PT_SOCKADDR`.
    SockAddr(SockAddr<'a>),
    /// `PT_SOCKTUPLE`.
    SockTuple(SockTuple<'a>),
    /// `PT_FDLIST`: `(fd, flags)` pairs.
    FdList(FdList<'a>),
    /// `PT_IPV4ADDR` (and a 4-byte `PT_IPADDR`), in network byte order.
    Ipv4([u8; 4]),
    /// `PT_IPV6ADDR` (and a 16-byte `PT_IPADDR`).
    Ipv6([u8; 16]),
    /// `PT_IPV4NET`: address and netmask.
    Ipv4Net([u8; 4], [u8; 4]),
    /// `PT_IPV6NET`: address and netmask.
    Ipv6Net([u8; 16], [u8; 16]),
    /// `PT_DYN`: the alternative selected by the first byte, and that alternative's bytes.
    Dyn {
        /// The alternative's index (the first byte).
        index: u8,
        /// The alternative: its type and print format.
        alt: DynParam,
        /// The alternative's bytes (after the index).
        bytes: &'a [u8],
    },
}

/// Why a parameter's bytes do not decode as its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// A fixed-size type with the wrong number of bytes.
    WrongSize {
        /// The parameter's type.
        ty: ParamType,
        /// The bytes the type takes.
        expected: usize,
        /// The bytes there are.
        got: usize,
    },
    /// A variable-size value whose inner structure does not fit its bytes.
    Malformed {
        /// The parameter's type.
        ty: ParamType,
        /// What does not fit.
        what: &'static str,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::WrongSize { ty, expected, got } => {
                write!(f, "{ty:?} value has {got} bytes, expected {expected}")
            }
            DecodeError::Malformed { ty, what } => write!(f, "malformed {ty:?} value: {what}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A socket address (`PT_SOCKADDR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockAddr<'a> {
    /// `AF_INET`.
    Ipv4 {
        /// The address.
        addr: [u8; 4],
        /// The port.
        port: u16,
    },
    /// `AF_INET6`.
    Ipv6 {
        /// The address.
        addr: [u8; 16],
        /// The port.
        port: u16,
    },
    /// `AF_UNIX`.
    Unix {
        /// The socket's path (without its NUL; an abstract one starts with `@`).
        path: &'a [u8],
    },
    /// Another family: only its number is carried.
    Other {
        /// The family number (`PPM_AF_*`).
        family: u8,
        /// The bytes after it.
        rest: &'a [u8],
    },
}

/// Both ends of a connection (`PT_SOCKTUPLE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockTuple<'a> {
    /// An IPv4 connection.
    Ipv4 {
        /// Source address.
        sip: [u8; 4],
        /// Source port.
        sport: u16,
        /// Destination address.
        dip: [u8; 4],
        /// Destination port.
        dport: u16,
    },
    /// An IPv6 connection.
    Ipv6 {
        /// Source address.
        sip: [u8; 16],
        /// Source port.
        sport: u16,
        /// Destination address.
        dip: [u8; 16],
        /// Destination port.
        dport: u16,
    },
    /// A unix socket connection.
    Unix {
        /// The kernel address of this end's socket.
        source: u64,
        /// The kernel address of the peer's socket.
        dest: u64,
        /// The path (without its NUL).
        path: &'a [u8],
    },
    /// Another family: only its number is carried.
    Other {
        /// The family number (`PPM_AF_*`).
        family: u8,
        /// The bytes after it.
        rest: &'a [u8],
    },
}

/// A list of `(fd, flags)` pairs (`PT_FDLIST`), validated on decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdList<'a> {
    entries: &'a [u8],
}

impl<'a> FdList<'a> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len() / 10
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `(fd, flags)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (i64, u16)> + 'a {
        self.entries.chunks_exact(10).map(|c| {
            (
                i64::from_le_bytes(c[..8].try_into().unwrap()),
                u16::from_le_bytes([c[8], c[9]]),
            )
        })
    }
}

/// The bytes of a fixed-size value of type `ty`, or the error naming its size.
#[inline(always)]
fn fixed<const N: usize>(ty: ParamType, b: &[u8]) -> Result<[u8; N], DecodeError> {
    b.try_into().map_err(|_| DecodeError::WrongSize {
        ty,
        expected: N,
        got: b.len(),
    })
}

/// A fixed-size value of type `ty` made by `f` from its bytes, or the error naming its size.
#[inline(always)]
fn int<'a, const N: usize>(
    ty: ParamType,
    b: &'a [u8],
    f: impl FnOnce([u8; N]) -> Value<'a>,
) -> Result<Value<'a>, DecodeError> {
    match b.try_into() {
        Ok(v) => Ok(f(v)),
        Err(_) => wrong_size(ty, N, b.len()),
    }
}

/// A fixed-size value of the wrong size: `Empty` for no bytes, else the error naming the
/// size; out of the way of the hot path.
#[cold]
#[inline(never)]
fn wrong_size<'a>(ty: ParamType, expected: usize, got: usize) -> Result<Value<'a>, DecodeError> {
    if got == 0 {
        return Ok(Value::Empty);
    }
    Err(DecodeError::WrongSize { ty, expected, got })
}

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    b[..N].try_into().unwrap()
}

/// Strips one trailing NUL, as strings are stored NUL-terminated.
pub fn strip_nul(b: &[u8]) -> &[u8] {
    match b.split_last() {
        Some((0, rest)) => rest,
        _ => b,
    }
}

/// Cuts at the first NUL (fixed-size C strings).
pub fn until_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

impl<'a> Value<'a> {
    /// Decodes `bytes` as a parameter of type `ty` (`extra` supplies the `PT_DYN` table).
    #[inline]
    pub fn decode(ty: ParamType, extra: ParamExtra, b: &'a [u8]) -> Result<Self, DecodeError> {
        Self::decode_typed(ty, &extra, b)
    }

    /// Decodes `bytes` as a value of the parameter `info` describes.
    #[inline]
    pub fn decode_param(info: &ParamInfo, b: &'a [u8]) -> Result<Self, DecodeError> {
        Self::decode_typed(info.ty, &info.extra, b)
    }

    /// The common types (integers, strings, buffers) decoded here, each arm writing only
    /// the few words of its variant; the rest in [`Value::decode_other`], so that the
    /// common ones do not pay for moving the large variants.
    #[inline]
    fn decode_typed(ty: ParamType, extra: &ParamExtra, b: &'a [u8]) -> Result<Self, DecodeError> {
        use ParamType as T;
        // An empty value is `Empty` whatever its type: the fixed-size types find it on their
        // size check's failure path, the others check it.
        match ty {
            T::Int8 => int(ty, b, |[v]| Value::Signed(v as i8 as i64)),
            T::Int16 => int(ty, b, |v| Value::Signed(i16::from_le_bytes(v) as i64)),
            T::Int32 | T::Fd32 | T::Pid32 => {
                int(ty, b, |v| Value::Signed(i32::from_le_bytes(v) as i64))
            }
            T::Int64 | T::Errno | T::Fd | T::Pid => {
                int(ty, b, |v| Value::Signed(i64::from_le_bytes(v)))
            }
            T::Uint8 | T::SigType | T::L4Proto | T::SockFamily | T::Flags8 | T::EnumFlags8 => {
                int(ty, b, |[v]| Value::Unsigned(v as u64))
            }
            T::Uint16 | T::SyscallId | T::Port | T::Flags16 | T::EnumFlags16 => {
                int(ty, b, |v| Value::Unsigned(u16::from_le_bytes(v) as u64))
            }
            T::Uint32
            | T::Bool
            | T::Flags32
            | T::EnumFlags32
            | T::Uid
            | T::Gid
            | T::SigSet
            | T::Mode => int(ty, b, |v| Value::Unsigned(u32::from_le_bytes(v) as u64)),
            T::Uint64 | T::RelTime | T::AbsTime => {
                int(ty, b, |v| Value::Unsigned(u64::from_le_bytes(v)))
            }
            _ if b.is_empty() => Ok(Value::Empty),
            T::CharBuf | T::FsPath | T::FsRelPath => Ok(Value::Str(strip_nul(b))),
            T::ByteBuf => Ok(Value::Bytes(b)),
            T::CharBufArray | T::CharBufPairArray => Ok(Value::StrList(b)),
            _ => Self::decode_other(ty, extra, b),
        }
    }

    /// The rare types (addresses, tuples, fd lists, `PT_DYN`, ...), for
    /// [`Value::decode_typed`].
    #[inline(never)]
    fn decode_other(ty: ParamType, extra: &ParamExtra, b: &'a [u8]) -> Result<Self, DecodeError> {
        use ParamType as T;
        if b.is_empty() {
            return Ok(Value::Empty);
        }
        // One match: each fixed-size type checks its size in its own arm (the sizes are
        // `ParamType::fixed_size`'s; a test checks that they agree).
        let v = match ty {
            T::Double => Value::Double(f64::from_le_bytes(fixed(ty, b)?)),
            T::Ipv4Addr => Value::Ipv4(fixed(ty, b)?),
            T::Ipv6Addr => Value::Ipv6(fixed(ty, b)?),
            T::Ipv4Net => {
                let n: [u8; 8] = fixed(ty, b)?;
                Value::Ipv4Net(arr(&n), arr(&n[4..]))
            }
            T::Ipv6Net => {
                let n: [u8; 32] = fixed(ty, b)?;
                Value::Ipv6Net(arr(&n), arr(&n[16..]))
            }
            T::SockAddr => Value::SockAddr(decode_sockaddr(b)?),
            T::SockTuple => Value::SockTuple(decode_socktuple(b)?),
            T::FdList => Value::FdList(decode_fdlist(b)?),
            T::IpAddr | T::IpNet => match b.len() {
                4 => Value::Ipv4(arr(b)),
                16 => Value::Ipv6(arr(b)),
                _ => {
                    return Err(DecodeError::Malformed {
                        ty,
                        what: "an IP address has 4 or 16 bytes",
                    });
                }
            },
            T::Dyn => {
                let &ParamExtra::Dynamic(table) = extra else {
                    return Err(DecodeError::Malformed {
                        ty,
                        what: "dynamic parameter without a table",
                    });
                };
                let index = b[0];
                let Some(alt) = table.get(index as usize) else {
                    return Err(DecodeError::Malformed {
                        ty,
                        what: "dynamic parameter index beyond its table",
                    });
                };
                Value::Dyn {
                    index,
                    alt: *alt,
                    bytes: &b[1..],
                }
            }
            // PT_NONE, and the integers, strings and buffers, which `decode_typed` decodes
            // itself and never sends here (`fixed_sizes_are_checked_as_fixed_size_says`
            // decodes every type of the schema through it).
            _ => Value::Bytes(b),
        };
        Ok(v)
    }

    /// For `Dyn`, the selected alternative decoded; other values as they are.
    pub fn resolve(self) -> Result<(Value<'a>, Option<DynParam>), DecodeError> {
        match self {
            Value::Dyn { alt, bytes, .. } => {
                Ok((Value::decode(alt.ty, ParamExtra::None, bytes)?, Some(alt)))
            }
            v => Ok((v, None)),
        }
    }

    /// The value as a signed integer, for integer values.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Signed(v) => Some(v),
            Value::Unsigned(v) => Some(v as i64),
            _ => None,
        }
    }

    /// The value as an unsigned integer, for integer values.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Signed(v) => Some(v as u64),
            Value::Unsigned(v) => Some(v),
            _ => None,
        }
    }
}

fn malformed(ty: ParamType, what: &'static str) -> DecodeError {
    DecodeError::Malformed { ty, what }
}

fn decode_sockaddr(b: &[u8]) -> Result<SockAddr<'_>, DecodeError> {
    let ty = ParamType::SockAddr;
    let family = b[0];
    let rest = &b[1..];
    Ok(match family {
        AF_INET => {
            if rest.len() < 6 {
                return Err(malformed(ty, "IPv4 address needs 6 bytes"));
            }
            SockAddr::Ipv4 {
                addr: arr(rest),
                port: u16::from_le_bytes([rest[4], rest[5]]),
            }
        }
        AF_INET6 => {
            if rest.len() < 18 {
                return Err(malformed(ty, "IPv6 address needs 18 bytes"));
            }
            SockAddr::Ipv6 {
                addr: arr(rest),
                port: u16::from_le_bytes([rest[16], rest[17]]),
            }
        }
        AF_UNIX => SockAddr::Unix {
            path: until_nul(rest),
        },
        _ => SockAddr::Other { family, rest },
    })
}

fn decode_socktuple(b: &[u8]) -> Result<SockTuple<'_>, DecodeError> {
    let ty = ParamType::SockTuple;
    let family = b[0];
    let r = &b[1..];
    Ok(match family {
        AF_INET => {
            if r.len() < 12 {
                return Err(malformed(ty, "IPv4 tuple needs 12 bytes"));
            }
            SockTuple::Ipv4 {
                sip: arr(r),
                sport: u16::from_le_bytes([r[4], r[5]]),
                dip: arr(&r[6..]),
                dport: u16::from_le_bytes([r[10], r[11]]),
            }
        }
        AF_INET6 => {
            if r.len() < 36 {
                return Err(malformed(ty, "IPv6 tuple needs 36 bytes"));
            }
            SockTuple::Ipv6 {
                sip: arr(r),
                sport: u16::from_le_bytes([r[16], r[17]]),
                dip: arr(&r[18..]),
                dport: u16::from_le_bytes([r[34], r[35]]),
            }
        }
        AF_UNIX => {
            if r.len() < 16 {
                return Err(malformed(ty, "unix tuple needs 16 bytes of addresses"));
            }
            SockTuple::Unix {
                source: u64::from_le_bytes(arr(r)),
                dest: u64::from_le_bytes(arr(&r[8..])),
                path: until_nul(&r[16..]),
            }
        }
        _ => SockTuple::Other { family, rest: r },
    })
}

fn decode_fdlist(b: &[u8]) -> Result<FdList<'_>, DecodeError> {
    let ty = ParamType::FdList;
    if b.len() < 2 {
        return Err(malformed(ty, "fd list needs a 2-byte count"));
    }
    let n = u16::from_le_bytes([b[0], b[1]]) as usize;
    let need = 2 + n * 10;
    if b.len() < need {
        return Err(malformed(ty, "fd list count exceeds its bytes"));
    }
    Ok(FdList {
        entries: &b[2..need],
    })
}

/// Print format of a value, resolving `PT_DYN` to the selected alternative's.
pub fn effective_format(format: PrintFormat, v: &Value<'_>) -> PrintFormat {
    match v {
        Value::Dyn { alt, .. } => alt.format,
        _ => format,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zero-length parameter is `Empty` whatever its type (the producer had no value),
    /// through the common types' fast arms and the others' alike.
    #[test]
    fn empty_bytes_are_empty_for_every_type() {
        for info in crate::event::table::EVENTS.iter() {
            for p in info.params {
                assert_eq!(
                    Value::decode(p.ty, p.extra, &[]),
                    Ok(Value::Empty),
                    "{:?}",
                    p.ty
                );
                assert_eq!(Value::decode_param(p, &[]), Ok(Value::Empty), "{:?}", p.ty);
            }
        }
    }

    /// Every parameter type of the schema refuses exactly the sizes `fixed_size` says are
    /// wrong, naming the expected size, and decodes the right size.
    #[test]
    fn fixed_sizes_are_checked_as_fixed_size_says() {
        for info in crate::event::table::EVENTS.iter() {
            for p in info.params {
                for len in 1..=40 {
                    let bytes = vec![2u8; len];
                    let got = Value::decode(p.ty, p.extra, &bytes);
                    match p.ty.fixed_size() {
                        Some(size) if size != len => assert_eq!(
                            got,
                            Err(DecodeError::WrongSize {
                                ty: p.ty,
                                expected: size,
                                got: len
                            }),
                            "{:?} of {len} bytes",
                            p.ty
                        ),
                        Some(_) => assert!(got.is_ok(), "{:?} of {len} bytes", p.ty),
                        None => assert!(
                            !matches!(got, Err(DecodeError::WrongSize { .. })),
                            "{:?} of {len} bytes",
                            p.ty
                        ),
                    }
                }
            }
        }
    }
}
