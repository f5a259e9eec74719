//! Differential tests of the filter language against sysdig 0.29.3: on every reference
//! capture, the events a filter keeps are exactly those sysdig keeps (`-p %evt.num`), and
//! the filters sysdig rejects are rejected.

mod common;

use common::*;

/// Filters covering every operator sysdig 0.29 has and every field class.
const FILTERS: &[&str] = &[
    // evt.*
    "evt.type=open",
    "evt.type=close",
    "evt.type!=switch",
    "evt.type in (open, openat, close)",
    "evt.type=read or evt.type=write",
    "not evt.type=switch",
    "evt.num>100",
    "evt.num<=50",
    "evt.num>=10 and evt.num<20",
    "evt.num in (1, 5, 131, 140, 1000)",
    "evt.cpu=1",
    "evt.cpu!=0",
    "evt.dir=<",
    "evt.dir='>'",
    "evt.res=SUCCESS",
    "evt.res!=SUCCESS",
    "evt.res=ENOENT",
    "evt.failed=true",
    "evt.failed=false and evt.type=open",
    "evt.rawres<0",
    "evt.rawres>=3",
    "evt.is_io=true",
    "evt.is_io_read=true",
    "evt.is_io_write=true",
    "evt.io_dir=write",
    "evt.is_wait=true",
    "evt.category=file",
    "evt.category in (net, IPC)",
    "evt.arg.fd=3",
    "evt.arg.fd>2",
    "evt.arg.name contains etc",
    "evt.arg[0] exists",
    "evt.arg.flags contains O_CLOEXEC",
    "evt.info contains ENOENT",
    "evt.args startswith fd=",
    "evt.latency>100000",
    "evt.buflen>100",
    "evt.is_open_read=true",
    "evt.count.error=1",
    "syscall.type=mmap",
    // proc.* / thread.*
    "proc.name=cat",
    "proc.name in (curl, bash, sshd, haproxy, nginx)",
    "proc.name startswith ba",
    "proc.name endswith sh",
    "proc.name contains ur",
    "proc.name icontains CURL",
    "proc.name glob 'c*l'",
    "proc.name!=systemd",
    "proc.pid=20072",
    "proc.pid>1000",
    "proc.ppid=1",
    "proc.pname=bash",
    "proc.pname exists",
    "not proc.pname exists",
    "proc.aname[1]=bash",
    "proc.aname[2] contains a",
    "proc.apid[1]>1000",
    "proc.cmdline contains local",
    "proc.args contains -",
    "proc.exe startswith /usr",
    "proc.exepath exists",
    "proc.cwd=/",
    "proc.cwd pmatch (/home, /root)",
    "proc.nthreads>1",
    "proc.fdopencount<10",
    "proc.vmsize>10000",
    "proc.sid=-1",
    "proc.loginshellid exists",
    "thread.tid=25294",
    "thread.ismain=false",
    "thread.vtid exists",
    "thread.cgroups contains docker",
    "proc.env contains PATH",
    // user.* / group.* / container.*
    "user.uid=0",
    "user.uid!=0 and user.uid<60000",
    "user.name=root",
    "user.name in (ubuntu, vagrant, mstemm)",
    "user.shell endswith bash",
    "group.name=root",
    "container.id=host",
    "container.id!=host",
    "container.name contains k8s",
    "container.image startswith nginx",
    "container.type=docker",
    // fd.*
    "fd.num=3",
    "fd.num in (0, 1, 2)",
    "fd.type=file",
    "fd.type in (ipv4, ipv6)",
    "fd.typechar=u",
    "fd.name=/etc/ld.so.cache",
    "fd.name startswith /lib",
    "fd.name contains :80",
    "fd.name pmatch (/etc, /usr/lib)",
    "fd.name glob '/lib/*/libc*'",
    "fd.directory=/etc",
    "fd.filename=ld.so.cache",
    "fd.filename endswith .so.6",
    "fd.l4proto=tcp",
    "fd.l4proto=udp",
    "fd.sockfamily=unix",
    "fd.is_server=true",
    "fd.sport=80",
    "fd.cport>30000",
    "fd.sip=127.0.0.1",
    "fd.cip=192.168.0.1",
    "fd.connected=true",
    "fdlist.names exists",
    // combinations and parentheses
    "(evt.type=open or evt.type=openat) and evt.failed=true",
    "evt.type=connect and not (fd.sip=127.0.0.1 or fd.sport=53)",
    "not (proc.name=sshd or proc.name=systemd) and evt.dir=>",
    "proc.name=curl and (fd.typechar=4 or fd.typechar=6) and evt.type in (connect, sendto)",
    "evt.type=execve and evt.dir=< and proc.pname exists",
];

/// Filters sysdig 0.29 rejects; Peregrine must reject them too.
const REJECTED: &[&str] = &[
    "evt.type=nosuchevent",
    "proc.nam=cat",
    "evt.num > abc",
    "(proc.name=cat",
    "proc.name=cat)",
    "proc.name=cat and",
    "evt.num>>3",
];

#[test]
fn filters_keep_the_events_sysdig_keeps() {
    let Some(captures) = sysdig_readable_captures() else {
        return;
    };
    let mut jobs = Vec::new();
    for f in FILTERS {
        for (name, path) in &captures {
            jobs.push((name.clone(), path.clone(), f.to_string()));
        }
    }
    let results: Vec<(Option<String>, usize)> = on_two_threads(&jobs, |(name, path, filter)| {
        let ours = peregrine_ok(&["-r", path, "-p", "%evt.num", filter.as_str()]);
        let out = std::process::Command::new("sysdig")
            .args(["-r", path, "-p", "%evt.num", filter.as_str()])
            .env("TZ", "UTC")
            .output()
            .unwrap();
        let theirs = if out.status.success() {
            String::from_utf8_lossy(&out.stdout).into_owned()
        } else {
            format!("sysdig failed: {}", String::from_utf8_lossy(&out.stderr))
        };
        let kept = ours.lines().count();
        let diff = (ours != theirs)
            .then(|| format!("{name} '{filter}': {}", first_difference(&ours, &theirs)));
        (diff, kept)
    });
    let failures: Vec<&String> = results.iter().filter_map(|(d, _)| d.as_ref()).collect();
    let kept: usize = results.iter().map(|(_, k)| k).sum();
    eprintln!(
        "{} filters x {} captures: {kept} events kept in all",
        FILTERS.len(),
        captures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        jobs.len(),
        failures
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Each filter keeps something somewhere, so none passes by keeping nothing (some only
    // match the captures of ../shared).
    let empty: Vec<&str> = FILTERS
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            results[i * captures.len()..(i + 1) * captures.len()]
                .iter()
                .all(|(_, k)| *k == 0)
        })
        .map(|(_, f)| *f)
        .collect();
    assert!(
        empty.is_empty() || !have_shared_captures(),
        "filters keeping no event anywhere: {empty:?}"
    );
}

#[test]
fn filters_sysdig_rejects_are_rejected() {
    let (Some(cat), true) = (reference_capture("cat_write.scap"), have_sysdig()) else {
        return;
    };
    let path = cat.to_str().unwrap();
    for f in REJECTED {
        let (_, err, ok) = peregrine(&["-r", path, "-p", "%evt.num", f]);
        assert!(!ok, "peregrine accepted '{f}'");
        assert!(err.contains("filter error at column"), "'{f}': {err}");
        let st = std::process::Command::new("sysdig")
            .args(["-r", path, "-p", "%evt.num", f])
            .output()
            .unwrap();
        assert!(!st.status.success(), "sysdig accepted '{f}'");
    }
}
