//! The `peregrine` command line: argument parsing and nothing else; the work is done by the
//! library. Invocations follow sysdig's, so the same command line works with both.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;

use peregrine::capture::file::{FileReader, FileWriter};
use peregrine::format::Format;
use peregrine::{Error, Inspector};

/// sysdig's default line.
const DEFAULT_FORMAT: &str =
    "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info";

#[derive(Parser, Debug)]
#[command(
    name = "peregrine",
    version,
    about = "Watch system calls, and read and write sysdig/Falco capture files",
    after_help = "Filter words after the options select events, as in sysdig."
)]
struct Args {
    /// Read events from this capture file (scap, plain or gzip) instead of the live system.
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    read: Option<String>,

    /// Stop after this many events.
    #[arg(short = 'n', long = "numevents", value_name = "N")]
    numevents: Option<u64>,

    /// Write the events to this capture file instead of printing them.
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    write: Option<String>,

    /// Compress the file written with -w (gzip).
    #[arg(short = 'z', long = "compress")]
    compress: bool,

    /// Print each event with this format: %field for fields, a leading * to print events
    /// that lack some of the fields (as <NA>).
    #[arg(short = 'p', long = "print", value_name = "FORMAT")]
    print: Option<String>,

    /// Also show internal events (process info, drops, container metadata).
    #[arg(short = 'D', long = "debug")]
    debug: bool,

    /// Filter expression (Falco filter language).
    #[arg(trailing_var_arg = true, allow_hyphen_values = false)]
    filter: Vec<String>,
}

fn run(args: Args) -> Result<(), Error> {
    let filter = args.filter.join(" ");
    let Some(path) = args.read.as_deref() else {
        return Err(Error::Unsupported(
            "live capture; read a capture file with -r FILE".into(),
        ));
    };
    let limit = args.numevents.unwrap_or(u64::MAX);

    if let Some(out) = args.write.as_deref() {
        if !filter.is_empty() {
            return write_filtered(path, out, args.compress, &filter, limit);
        }
        // A straight copy: every event, state-only ones included, with its dump flags.
        let mut reader = FileReader::open(path)?;
        let mut writer = FileWriter::create(out, args.compress, reader.metadata())?;
        let mut n = 0;
        while n < limit {
            let Some(ev) = reader.next_event()? else {
                break;
            };
            writer.write_event(ev.cpu, ev.flags, &ev.event)?;
            n += 1;
        }
        return writer.finish();
    }

    let mut inspector = Inspector::builder().file(path).filter(&filter)?.build()?;

    let format = Format::parse(args.print.as_deref().unwrap_or(DEFAULT_FORMAT))?;
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut line = String::with_capacity(256);
    let mut n = 0;
    while n < limit {
        let Some(ev) = inspector.next()? else { break };
        // Like sysdig, -n counts what the inspector returns (internal events too), but not
        // the container events consumed as initial state.
        if ev.is_initial_state() {
            continue;
        }
        n += 1;
        if !args.debug && !ev.is_shown_by_default() {
            continue;
        }
        if format.render(ev.view(), &mut line) {
            line.push('\n');
            if let Err(e) = out.write_all(line.as_bytes()) {
                return broken_pipe_ok(e);
            }
        }
    }
    out.flush().or_else(broken_pipe_ok)
}

/// `-w` with a filter: the events the filter keeps, with the capture's metadata.
fn write_filtered(
    path: &str,
    out: &str,
    gzip: bool,
    filter: &str,
    limit: u64,
) -> Result<(), Error> {
    let mut inspector = Inspector::builder().file(path).filter(filter)?.build()?;
    let mut writer = FileWriter::create(out, gzip, inspector.metadata())?;
    let mut n = 0;
    while n < limit {
        let Some(ev) = inspector.next()? else { break };
        if ev.is_initial_state() {
            continue;
        }
        let raw = ev.raw();
        writer.write_event(raw.cpu, raw.flags, &raw.event)?;
        n += 1;
    }
    writer.finish()
}

/// A closed stdout (`peregrine ... | head`) ends the run quietly.
fn broken_pipe_ok(e: io::Error) -> Result<(), Error> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(Error::Stream {
            offset: 0,
            source: e,
        })
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("peregrine: {e}");
            ExitCode::FAILURE
        }
    }
}
