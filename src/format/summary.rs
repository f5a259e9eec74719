//! `-S`: how many events of each type and direction were seen.

use std::io::{self, Write};

use hashbrown::HashMap;

use crate::event::schema::ppm_sc_name;
use crate::event::{Direction, EventRef, Value, event_info};

/// Counts events by event type (so two versions of one event count apart, as in sysdig),
/// generic syscall events by their syscall and direction.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    counts: HashMap<Key, u64>,
}

/// Event types sort before generic syscalls, each by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    Event(u16),
    Generic { syscall: u64, exit: bool },
}

/// The number of rows written, as sysdig writes.
const ROWS: usize = 100;

impl Summary {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts `e`.
    pub fn add(&mut self, e: &EventRef<'_>) {
        let ty = e.event_type();
        let key = if ty <= 1 {
            let syscall = match e.param(0).map(|p| p.value()) {
                Some(Ok(Value::Unsigned(id))) => id,
                _ => 0,
            };
            Key::Generic {
                syscall,
                exit: ty == 1,
            }
        } else {
            Key::Event(ty)
        };
        *self.counts.entry(key).or_default() += 1;
    }

    /// `(direction, name, count)` rows, most frequent first; equal counts in event-id order,
    /// generic syscalls last.
    pub fn rows(&self) -> Vec<(Direction, &'static str, u64)> {
        let mut keys: Vec<(Key, u64)> = self.counts.iter().map(|(&k, &n)| (k, n)).collect();
        keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        keys.into_iter()
            .map(|(k, n)| match k {
                Key::Event(ty) => (
                    Direction::of(ty),
                    event_info(ty).map_or("<unknown>", |i| i.name),
                    n,
                ),
                Key::Generic { syscall, exit } => (
                    if exit {
                        Direction::Exit
                    } else {
                        Direction::Enter
                    },
                    u16::try_from(syscall)
                        .ok()
                        .filter(|&id| id != 0)
                        .and_then(ppm_sc_name)
                        .unwrap_or("<unknown>"),
                    n,
                ),
            })
            .collect()
    }

    /// Writes the table as `sysdig -S` does: the 100 most frequent rows, each name in 16
    /// columns.
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "----------------------")?;
        writeln!(out, "{:<16}#Calls", "Event")?;
        writeln!(out, "----------------------")?;
        for (dir, name, n) in self.rows().into_iter().take(ROWS) {
            let name = name.get(..16).unwrap_or(name);
            writeln!(out, "{} {name:<16}{n}", dir.symbol())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventBuilder;

    #[test]
    fn rows_sort_by_count_then_name_then_direction() {
        let mut s = Summary::new();
        // close enter twice, close exit once, read exit twice.
        let events = [
            EventBuilder::new(4).i64(3).build(),
            EventBuilder::new(4).i64(4).build(),
            EventBuilder::new(5).i64(0).build(),
            EventBuilder::new(7).i64(1).raw(b"x").build(),
            EventBuilder::new(7).i64(1).raw(b"y").build(),
        ];
        for bytes in &events {
            s.add(&EventRef::new(bytes).unwrap());
        }
        let mut out = Vec::new();
        s.write(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "----------------------\nEvent           #Calls\n----------------------\n\
             > close           2\n< read            2\n< close           1\n"
        );
    }
}
