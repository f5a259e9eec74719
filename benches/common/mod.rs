//! Shared pieces of the benchmarks: the large capture of real events they run on, and
//! timing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use peregrine::capture::file::{FileReader, FileWriter};
use peregrine::event::EventRef;

/// The reference captures beside the checkout, if there.
pub fn shared_captures() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    dir.exists().then_some(dir)
}

/// Where benchmarks keep the captures they build.
pub fn bench_data() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The capture of 2M real events the benchmarks share (built once under target/bench-data),
/// with its event count; `None` after a `SKIPPED:` line when ../shared/captures, which it is
/// built from, is missing.
pub fn large_real_capture() -> Option<(PathBuf, u64)> {
    if shared_captures().is_none() {
        println!("SKIPPED: the benchmark builds its capture from ../shared/captures");
        return None;
    }
    let n: u64 = 2_000_000;
    let file = bench_data().join(format!("large-{n}.scap"));
    if !file.exists() {
        build_real(&file, n);
    }
    Some((file, n))
}

/// The release CLI, if built.
pub fn peregrine_bin() -> Option<PathBuf> {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/peregrine");
    bin.exists().then_some(bin)
}

/// Writes a plain capture of `target` real events to `out`: the events of 502Error,
/// ticket-generator-http-error and example4-1 from the reference captures, repeated, with
/// the first one's metadata. Returns the number written.
pub fn build_real(out: &Path, target: u64) -> u64 {
    let dir = shared_captures().expect("reference captures");
    let mut events: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut metadata = None;
    for name in [
        "502Error.scap",
        "ticket-generator-http-error.scap",
        "example4-1.scap",
    ] {
        let mut r = FileReader::open(dir.join(name)).expect("reference capture");
        while let Some(e) = r.next_event().unwrap() {
            events.push((e.cpu, e.event.as_bytes().to_vec()));
        }
        metadata.get_or_insert_with(|| r.take_metadata());
    }
    let mut w = FileWriter::create(out, false, &metadata.unwrap()).unwrap();
    let mut n = 0;
    'outer: loop {
        for (cpu, bytes) in &events {
            w.write_event(*cpu, 0, &EventRef::new(bytes).unwrap())
                .unwrap();
            n += 1;
            if n == target {
                break 'outer;
            }
        }
    }
    w.finish().unwrap();
    n
}

/// The times of one program over several runs, in seconds.
pub struct Times(pub Vec<f64>);

impl Times {
    pub fn best(&self) -> f64 {
        self.0.iter().copied().fold(f64::MAX, f64::min)
    }

    pub fn median(&self) -> f64 {
        median(&mut self.0.clone())
    }
}

/// Prints one line of times: best (as events per second too) and median.
pub fn print_times(what: &str, t: &Times, events: u64) {
    println!(
        "{what}: best {:.3} s ({:.2} M events/s), median {:.3} s",
        t.best(),
        events as f64 / t.best() / 1e6,
        t.median()
    );
}

/// The number of interleaved rounds (PEREGRINE_BENCH_ROUNDS, 5 by default).
pub fn rounds() -> usize {
    std::env::var("PEREGRINE_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1)
}

/// Runs each of `runs` in turn, `rounds` times over, so that a slow spell of the machine
/// falls on all of them alike; returns the times of each.
pub fn interleaved(rounds: usize, runs: &mut [&mut dyn FnMut()]) -> Vec<Times> {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); runs.len()];
    for _ in 0..rounds {
        for (run, t) in runs.iter_mut().zip(&mut times) {
            let start = Instant::now();
            run();
            t.push(start.elapsed().as_secs_f64());
        }
    }
    times.into_iter().map(Times).collect()
}

/// CPU time (user and system, all threads, finished ones included) this process has used,
/// in seconds.
pub fn cpu_seconds() -> f64 {
    let mut u = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given, which points
    // to one; it fails only for an invalid `who`, and RUSAGE_SELF is valid.
    let u = unsafe {
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, u.as_mut_ptr()), 0);
        u.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(u.ru_utime) + secs(u.ru_stime)
}

/// The best of `runs` runs of `f`, in seconds, with the last run's result.
pub fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(v);
    }
    (best, out.unwrap())
}

/// The best of three runs of a command with its output thrown away, in seconds.
pub fn time_cli(cmd: &mut Command) -> f64 {
    best_of(3, || {
        let st = cmd.stdout(Stdio::null()).status().unwrap();
        assert!(st.success(), "{cmd:?} failed");
    })
    .0
}

/// Whether sysdig is installed.
pub fn have_sysdig() -> bool {
    Command::new("sysdig").arg("--version").output().is_ok()
}

/// The median of `v` (of the middle two for an even count), which it sorts.
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    }
}

/// "median (min..max)" of `values` times `scale`, with `digits` decimals.
pub fn spread(values: impl Iterator<Item = f64>, scale: f64, digits: usize) -> String {
    let mut v: Vec<f64> = values.map(|x| x * scale).collect();
    let median = median(&mut v);
    format!(
        "{median:.digits$} ({:.digits$}..{:.digits$})",
        v[0],
        v[v.len() - 1]
    )
}

/// The ratio of the medians of `a` and `b` (one value of each per round), with the 5th
/// and 95th percentiles of that ratio over 2,000 resamples of the rounds (drawn with
/// replacement, the same rounds for both, a fixed seed): how far the rounds' noise moves
/// it. A ratio taken within each round is no use where a round's `b` can be about zero.
pub fn median_ratio(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let n = a.len();
    let ratio = |rounds: &[usize]| {
        let mut x: Vec<f64> = rounds.iter().map(|&r| a[r]).collect();
        let mut y: Vec<f64> = rounds.iter().map(|&r| b[r]).collect();
        median(&mut x) / median(&mut y)
    };
    // xorshift64: any fixed sequence of indices will do.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut draw = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut resampled: Vec<f64> = (0..2000)
        .map(|_| ratio(&(0..n).map(|_| draw()).collect::<Vec<_>>()))
        .collect();
    resampled.sort_by(f64::total_cmp);
    (
        ratio(&(0..n).collect::<Vec<_>>()),
        resampled[100],
        resampled[1899],
    )
}

/// A redis-server on a spare port for the live benchmarks, stopped when dropped.
pub struct RedisServer {
    pub port: u16,
    child: std::process::Child,
}

impl RedisServer {
    /// Starts one; `None` (after saying so) when redis is not installed.
    pub fn start() -> Option<RedisServer> {
        let installed = |prog: &str| Command::new(prog).arg("--version").output().is_ok();
        if !installed("redis-server") || !installed("redis-benchmark") {
            println!(
                "redis-server/redis-benchmark not installed (scripts/install-deps): no redis figures"
            );
            return None;
        }
        // A port nobody listens on: a server already on a fixed port (another run's, or
        // one started by hand) would answer the ping while this one failed to bind, and
        // be measured in its place, unpinned.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        // The server on CPU 0 and redis-benchmark on CPU 1 (redis_rate): left to the
        // scheduler, whether the two shared a CPU changed the rate by half between runs.
        let mut child = Command::new("taskset")
            .args(["-c", "0", "redis-server"])
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let up = (0..50).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            Command::new("redis-cli")
                .args(["-p", &port.to_string(), "ping"])
                .output()
                .is_ok_and(|o| o.stdout.starts_with(b"PONG"))
        });
        assert!(up, "redis-server did not start");
        assert!(
            child.try_wait().unwrap().is_none(),
            "redis-server exited, yet something answers on port {port}"
        );
        Some(RedisServer { port, child })
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The CPU time all CPUs of the machine spent busy so far (user, nice, system, irq and
/// softirq of /proc/stat's first line; steal is another machine's), in seconds.
pub fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap();
    let line = stat.lines().next().unwrap();
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    [0, 1, 2, 5, 6].iter().map(|&i| ticks[i]).sum::<u64>() as f64 / hz
}

/// One run of `redis-benchmark -t set,get` against the server on `port`, `requests` of
/// each: its requests/s (SET and GET averaged) and the machine's busy CPU time per
/// request, in microseconds (every process's, the probe's and the reader's included).
pub fn redis_run(port: u16, requests: u64) -> (f64, f64) {
    let busy = machine_busy_seconds();
    let out = Command::new("taskset")
        .args(["-c", "1", "redis-benchmark"])
        .args([
            "-p",
            &port.to_string(),
            "-t",
            "set,get",
            "-n",
            &requests.to_string(),
            "-q",
        ])
        .output()
        .unwrap();
    let busy = machine_busy_seconds() - busy;
    let text = String::from_utf8_lossy(&out.stdout);
    let rates: Vec<f64> = text
        .split(['\r', '\n'])
        .filter_map(|l| {
            let rest = l.split_once(": ")?.1;
            rest.split_whitespace().next()?.parse().ok()
        })
        .collect();
    assert_eq!(rates.len(), 2, "unexpected redis-benchmark output: {text}");
    (
        rates.iter().sum::<f64>() / 2.0,
        busy * 1e6 / (2 * requests) as f64,
    )
}

/// requests/s of `redis-benchmark -t set,get` against the server on `port`, 200,000
/// requests of each (redis_run).
pub fn redis_rate(port: u16) -> f64 {
    redis_run(port, 200_000).0
}

/// The slowdown of setup `i` in a round of rates (`row[0]`: the rate with no tracing).
pub fn slowdown(row: &[f64], i: usize) -> f64 {
    1.0 - row[i] / row[0]
}

/// Prints interleaved rounds of redis-benchmark rates (`requests` of each test a run): each
/// row is a round, its first rate
/// without tracing, then one per setup of `setups` (label, and a note after the figures);
/// with `cpu`, rows of the machine's busy CPU time per request alike (redis_run), and what
/// each setup added to it.
pub fn print_redis_rows(
    requests: u64,
    rows: &[Vec<f64>],
    cpu: Option<&[Vec<f64>]>,
    setups: &[(String, String)],
) {
    println!(
        "redis-benchmark SET/GET, {requests} requests each, {} interleaved rounds (median, min..max):",
        rows.len()
    );
    let cpu_note = |i: usize| {
        cpu.map_or(String::new(), |cpu| {
            let added = if i == 0 {
                String::new()
            } else {
                format!(", +{}", spread(cpu.iter().map(|r| r[i] - r[0]), 1.0, 2))
            };
            format!(
                "; CPU {}{added} us/request",
                spread(cpu.iter().map(|r| r[i]), 1.0, 2)
            )
        })
    };
    println!(
        "  {:<40} {} requests/s{}",
        "no tracing:",
        spread(rows.iter().map(|r| r[0]), 1.0, 0),
        cpu_note(0)
    );
    for (i, (label, note)) in setups.iter().enumerate() {
        println!(
            "  {label:<40} {} requests/s, slowdown {}%{}{note}",
            spread(rows.iter().map(|r| r[i + 1]), 1.0, 0),
            spread(rows.iter().map(|r| slowdown(r, i + 1)), 100.0, 1),
            cpu_note(i + 1)
        );
    }
}
