//! The `peregrine` command line: argument parsing and nothing else; the work is done by the
//! library. Invocations follow sysdig's, so the same command line works with both.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;

use peregrine::capture::file::{FileReader, FileWriter};
use peregrine::event::render::BufferFormat;
use peregrine::format::{self, Format, Summary};
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

    /// Print each event as a JSON object (the -p fields, or the default line's fields).
    #[arg(short = 'j', long = "json")]
    json: bool,

    /// Show data buffers as printable ASCII and line ends.
    #[arg(short = 'A', long = "print-ascii", group = "buffers")]
    ascii: bool,

    /// Show data buffers in base64.
    #[arg(short = 'b', long = "print-base64", group = "buffers")]
    base64: bool,

    /// Show data buffers in hexadecimal.
    #[arg(short = 'x', long = "print-hex", group = "buffers")]
    hex: bool,

    /// Show data buffers in hexadecimal and ASCII.
    #[arg(short = 'X', long = "print-hex-ascii", group = "buffers")]
    hex_ascii: bool,

    /// Show data buffers whole instead of cut at 80 bytes.
    #[arg(short = 'v', long = "verbose")]
    verbose: bool,

    /// After the events, print how many events of each type were seen.
    #[arg(short = 'S', long = "summary")]
    summary: bool,

    /// List the fields usable in formats and filters, and exit.
    #[arg(short = 'l', long = "list")]
    list_fields: bool,

    /// List the events of the schema with their parameters, and exit.
    #[arg(short = 'L', long = "list-events")]
    list_events: bool,

    /// Filter expression (Falco filter language).
    #[arg(trailing_var_arg = true, allow_hyphen_values = false)]
    filter: Vec<String>,
}

impl Args {
    fn buffer_format(&self) -> BufferFormat {
        match (self.ascii, self.base64, self.hex, self.hex_ascii) {
            (true, ..) => BufferFormat::Ascii,
            (_, true, ..) => BufferFormat::Base64,
            (_, _, true, _) => BufferFormat::Hex,
            (.., true) => BufferFormat::HexAscii,
            _ if self.json || self.verbose => BufferFormat::Full,
            _ => BufferFormat::Normal,
        }
    }
}

fn run(args: Args) -> Result<(), Error> {
    if args.list_fields || args.list_events {
        let stdout = io::stdout();
        let mut out = stdout.lock();
        let listed = if args.list_fields {
            format::list_fields(&mut out)
        } else {
            format::list_events(&mut out)
        };
        return listed.or_else(broken_pipe_ok);
    }
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

    let mut inspector = Inspector::builder()
        .file(path)
        .filter(&filter)?
        .buffer_format(args.buffer_format())
        .build()?;

    let format = Format::parse(args.print.as_deref().unwrap_or(DEFAULT_FORMAT))?;
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut line = String::with_capacity(256);
    let mut summary = args.summary.then(Summary::new);
    let mut n = 0;
    while n < limit {
        let Some(ev) = inspector.next()? else { break };
        // Like sysdig, -n and -S count what the inspector returns (internal events too),
        // but not the container events consumed as initial state.
        if ev.is_initial_state() {
            continue;
        }
        n += 1;
        if let Some(s) = summary.as_mut() {
            s.add(ev.event());
        }
        if !args.debug && !ev.is_shown_by_default() {
            continue;
        }
        let shown = if args.json {
            format.render_json(ev.view(), &mut line)
        } else {
            format.render(ev.view(), &mut line)
        };
        if shown {
            line.push('\n');
            if let Err(e) = out.write_all(line.as_bytes()) {
                return broken_pipe_ok(e);
            }
        }
    }
    if let Some(s) = summary {
        s.write(&mut out).or_else(broken_pipe_ok)?;
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
