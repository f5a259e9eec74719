//! `-l` and `-L`: the fields formats and filters can use, and the events of the schema.

use std::io::{self, Write};

use crate::event::schema::{Category, Direction, EventFlags, event_info};
use crate::fields::{ArgKind, FIELDS, Usage};

/// Writes every field, grouped by class (the part of the name before the first dot), with
/// its type and description; a field's argument is shown after its name (`proc.aname[N]`,
/// `evt.arg.NAME`).
pub fn list_fields(out: &mut impl Write) -> io::Result<()> {
    let mut class = "";
    for f in FIELDS.iter().filter(|f| f.usage != Usage::Hidden) {
        let this = f.name.split('.').next().unwrap_or(f.name);
        if this != class {
            if !class.is_empty() {
                writeln!(out)?;
            }
            class = this;
            writeln!(out, "Field class: {class}")?;
            writeln!(out)?;
        }
        let name = match f.arg {
            ArgKind::None => f.name.to_string(),
            ArgKind::Param => format!("{}.NAME, {}[N]", f.name, f.name),
            ArgKind::Level | ArgKind::Bracket => format!("{}[N]", f.name),
            ArgKind::Subsys => format!("{}.NAME", f.name),
        };
        let only = if f.usage == Usage::FilterOnly {
            " (filters only)"
        } else {
            ""
        };
        writeln!(out, "{name:<29} {:<9} {}{only}", f.ty.name(), f.description)?;
    }
    Ok(())
}

/// Writes every current event of the schema as `> name(TYPE param, ...)`, enter events with
/// `>` and exit events with `<`, leaving out unused ids, old versions and internal events,
/// as `sysdig -L` does.
pub fn list_events(out: &mut impl Write) -> io::Result<()> {
    for id in 0..crate::event::schema::EVENT_MAX {
        let Some(info) = event_info(id) else {
            continue;
        };
        if info
            .flags
            .intersects(EventFlags::UNUSED | EventFlags::OLD_VERSION)
            || info.category.contains(Category::INTERNAL)
        {
            continue;
        }
        write!(out, "{} {}(", Direction::of(id).symbol(), info.name)?;
        for (i, p) in info.params.iter().enumerate() {
            if i > 0 {
                write!(out, ", ")?;
            }
            write!(out, "{} {}", p.ty.name(), p.name)?;
        }
        writeln!(out, ")")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: fn(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut v = Vec::new();
        f(&mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn events_list_as_sysdig_lists_them() {
        let s = text(list_events);
        assert!(s.starts_with("< syscall(SYSCALLID ID, UINT16 nativeID)\n"));
        assert!(s.contains("\n< connect(ERRNO res, SOCKTUPLE tuple, FD fd, SOCKADDR addr)\n"));
        assert!(!s.contains("> procinfo("), "internal events are not listed");
    }

    #[test]
    fn fields_list_with_types_and_arguments() {
        let s = text(list_fields);
        assert!(s.starts_with("Field class: evt\n\n"));
        assert!(s.contains("\nproc.aname[N]                 CHARBUF   "));
        assert!(s.contains("\nfd.sport                      PORT      "));
        assert!(s.contains("\nevt.arg.NAME, evt.arg[N]      "));
    }
}
