//! The `peregrine` command line: argument parsing and nothing else; the work is done by the
//! library. Invocations follow sysdig's, so the same command line works with both.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use clap::Parser;

mod cli;

use peregrine::capture::file::{FileReader, FileWriter};
use peregrine::event::render::BufferFormat;
use peregrine::format::{self, Format, Summary};
use peregrine::{Error, Inspector, InspectorBuilder};

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
    /// Read events from this capture file (scap, plain or gzip); without it, capture the
    /// live system (as root).
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

    /// Live capture: stop after this many seconds.
    #[arg(short = 'M', long = "seconds", value_name = "SECONDS")]
    seconds: Option<u64>,

    /// Live capture: bytes of data buffers kept per event.
    #[arg(
        short = 's',
        long = "snaplen",
        value_name = "BYTES",
        default_value_t = 80
    )]
    snaplen: u32,

    /// Live capture: size of each CPU's ring buffer in bytes (a power of two).
    #[arg(long = "buffer-size", value_name = "BYTES", default_value_t = 8 << 20)]
    buffer_size: usize,

    /// Live capture: also capture the enter events of open, openat, openat2, creat and
    /// connect (their arguments as the call started, against time-of-check attacks).
    #[arg(long = "enter-events")]
    enter_events: bool,

    /// Live capture: print the probe's counters (events, drops) to stderr at the end.
    #[arg(long = "stats")]
    stats: bool,

    /// Load the live probe without capturing, print how the kernel's verifier took each of
    /// its programs (instructions processed, time), and exit.
    #[arg(long = "probe-stats")]
    probe_stats: bool,

    /// Filter expression (Falco filter language). Its words may come before, between or
    /// after the options, as sysdig takes them; `--` ends the options.
    #[arg(allow_negative_numbers = true)]
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
    if args.probe_stats {
        let stdout = io::stdout();
        return print_probe_stats(&mut stdout.lock());
    }
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
    let limit = args.numevents.unwrap_or(u64::MAX);
    let source = || -> Result<InspectorBuilder, Error> {
        let b = Inspector::builder()
            .filter(&filter)?
            .buffer_format(args.buffer_format());
        Ok(match args.read.as_deref() {
            Some(path) => b.file(path),
            None => {
                let mut b = b
                    .live()
                    .snaplen(args.snaplen)
                    .buffer_size(args.buffer_size)
                    .enter_events(args.enter_events);
                if let Some(s) = args.seconds {
                    b = b.duration(Duration::from_secs(s));
                }
                b
            }
        })
    };

    if let Some(out) = args.write.as_deref() {
        let Some(path) = args.read.as_deref().filter(|_| filter.is_empty()) else {
            let mut inspector = source()?.build()?;
            stop_on_signals(&inspector);
            let result = write_events(&mut inspector, out, args.compress, limit);
            print_stats(&inspector, args.stats)?;
            return result;
        };
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

    let mut inspector = source()?.build()?;
    stop_on_signals(&inspector);

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
    out.flush().or_else(broken_pipe_ok)?;
    print_stats(&inspector, args.stats)
}

/// `--probe-stats`: each program of the probe with the instructions the verifier processed
/// and the time it took, the largest first.
fn print_probe_stats(out: &mut impl Write) -> Result<(), Error> {
    let mut stats = peregrine::capture::live::probe_stats()?;
    write_probe_stats(out, &mut stats).or_else(broken_pipe_ok)
}

fn write_probe_stats(
    out: &mut impl Write,
    stats: &mut [peregrine::capture::live::ProgramStats],
) -> io::Result<()> {
    use peregrine::capture::live::VERIFIER_LIMIT;
    stats.sort_by(|a, b| {
        b.verified_insns
            .cmp(&a.verified_insns)
            .then(a.name.cmp(&b.name))
    });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let total: u64 = stats.iter().map(|s| u64::from(s.verified_insns)).sum();
    let time: Duration = stats.iter().filter_map(|s| s.verification_time).sum();
    writeln!(
        out,
        "kernel {}, probe built by {}: {} programs, {total} instructions verified in {:.3} s \
         (limit {VERIFIER_LIMIT} per program)",
        kernel.trim(),
        peregrine::capture::live::PROBE_COMPILER,
        stats.len(),
        time.as_secs_f64()
    )?;
    writeln!(
        out,
        "{:<24} {:>12} {:>12}",
        "program", "instructions", "time (ms)"
    )?;
    for s in stats.iter() {
        let ms = s
            .verification_time
            .map_or("-".to_string(), |t| format!("{:.3}", t.as_secs_f64() * 1e3));
        writeln!(out, "{:<24} {:>12} {:>12}", s.name, s.verified_insns, ms)?;
    }
    out.flush()
}

/// `--stats`: the live probe's counters, on stderr.
fn print_stats(inspector: &Inspector, wanted: bool) -> Result<(), Error> {
    if !wanted {
        return Ok(());
    }
    if let Some(s) = inspector.stats()? {
        eprintln!(
            "events produced: {}, delivered: {}, dropped (ring full): {}, dropped (too large): {}, invalid: {}",
            s.events, s.delivered, s.drops_buffer, s.drops_size, s.invalid
        );
    }
    Ok(())
}

/// The live capture's stop flag, set by the first SIGINT or SIGTERM so that the capture
/// ends cleanly (output flushed, file finished, counters printed).
static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();

extern "C" fn on_signal(_: libc::c_int) {
    if let Some(f) = STOP.get() {
        f.store(true, Ordering::Relaxed);
    }
}

pub(crate) fn stop_on_signals(inspector: &Inspector) {
    let Some(flag) = inspector.stop_flag() else {
        return;
    };
    if STOP.set(flag).is_ok() {
        for sig in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: the handler only loads a OnceLock that is set before the handler is
            // installed and stores to an atomic, both async-signal-safe.
            unsafe { libc::signal(sig, on_signal as *const () as libc::sighandler_t) };
        }
    }
}

/// `-w` through the inspector (a filter, or live capture): the events it returns, with the
/// source's metadata (for live capture, the process and fd lists read from /proc).
fn write_events(inspector: &mut Inspector, out: &str, gzip: bool, limit: u64) -> Result<(), Error> {
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
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).is_some_and(|a| a == "rules") {
        return cli::rules::main(argv[1..].to_vec());
    }
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("peregrine: {e}");
            ExitCode::FAILURE
        }
    }
}
