//! Containers: their ids, found in the cgroup paths of a process, and what container events
//! tell about them (name, image).

mod json;

use hashbrown::HashMap;

/// What is known of one container.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Container {
    /// The short id (12 hex digits).
    pub id: String,
    /// The engine: `docker`, `cri`, `containerd`, `cri-o`, `podman`, ...
    pub kind: String,
    /// The container's name.
    pub name: String,
    /// The image as the container was started from it (`nginx:1.25`).
    pub image: String,
    /// The image's id.
    pub image_id: String,
    /// The image's repository (`nginx`).
    pub image_repo: String,
    /// The image's tag (`1.25`).
    pub image_tag: String,
    /// The image's digest.
    pub image_digest: String,
    /// Whether the container runs privileged.
    pub privileged: bool,
    /// The container's IPv4 address (0.0.0.0 when unknown).
    pub ip: [u8; 4],
    /// The container's mounts.
    pub mounts: Vec<Mount>,
    /// Health check, liveness probe, readiness probe: the program and its arguments.
    pub probes: [Option<(String, Vec<String>)>; 3],
    /// The container event said its metadata lookup had not succeeded (`lookup_state` other
    /// than 1, successful; a missing one counts as successful). libsinsp hides such an
    /// event unless a filter keeps it.
    pub lookup_failed: bool,
    /// When the container was created, ns since the epoch (0 if unknown).
    pub created_ns: u64,
    /// Its labels, in the order the event gave them.
    pub labels: Vec<(String, String)>,
}

/// One mount of a container.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mount {
    /// The mount's source on the host.
    pub source: String,
    /// Where it is mounted in the container.
    pub dest: String,
    /// The mount's mode (`ro`, `rw`, ...), as the engine gives it.
    pub mode: String,
    /// Whether it is mounted read-write.
    pub rdwr: bool,
    /// Its propagation (`rprivate`, ...).
    pub propagation: String,
}

/// Known containers, by short id.
#[derive(Debug, Clone, Default)]
pub struct Containers {
    by_id: HashMap<String, Container>,
    /// What each cgroup list seen recently names (most processes share a few lists).
    matches: HashMap<Vec<u8>, Option<(String, Engine)>>,
}

impl Containers {
    /// Adds or replaces a container.
    pub fn insert(&mut self, c: Container) {
        self.by_id.insert(c.id.clone(), c);
    }

    /// The container `id`.
    pub fn get(&self, id: &str) -> Option<&Container> {
        self.by_id.get(id)
    }

    /// The container a thread's raw cgroup list names, remembered per distinct list.
    pub fn match_cgroups(&mut self, raw: &[u8]) -> Option<(String, Engine)> {
        if let Some(m) = self.matches.get(raw) {
            return m.clone();
        }
        const MAX_REMEMBERED: usize = 4096;
        if self.matches.len() >= MAX_REMEMBERED {
            self.matches.clear();
        }
        let m = container_from_cgroups(crate::state::thread::nul_list(raw));
        self.matches.insert(raw.to_vec(), m.clone());
        m
    }

    /// Number of containers.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether no container is known.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// Reads the container description of a container JSON event
/// (`{"container": {"id": ..., "name": ..., "image": ..., "type": N, ...}}`). `None` if the
/// text is not such a description.
pub fn from_json(text: &[u8]) -> Option<Container> {
    match json::read(text) {
        Ok(c) => c,
        Err(json::Unsure) => from_json_value(text),
    }
}

/// [`from_json`] through a `serde_json::Value`: the reference for every text, and the
/// reader of those the direct one leaves to it.
fn from_json_value(text: &[u8]) -> Option<Container> {
    let root: serde_json::Value = serde_json::from_slice(text).ok()?;
    let c = root.get("container")?;
    let s = |k: &str| {
        c.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let ip = c
        .get("ip")
        .and_then(|v| v.as_str())
        .and_then(|t| t.parse::<std::net::Ipv4Addr>().ok())
        .map_or([0; 4], |a| a.octets());
    let mounts = c
        .get("Mounts")
        .and_then(|m| m.as_array())
        .map(|list| {
            list.iter()
                .map(|m| {
                    let t = |k: &str| m.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
                    Mount {
                        source: t("Source"),
                        dest: t("Destination"),
                        mode: t("Mode"),
                        rdwr: m.get("RW").and_then(|v| v.as_bool()).unwrap_or(false),
                        propagation: t("Propagation"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let probe = |key: &str| {
        let p = c.get(key)?;
        let exe = p.get("exe")?.as_str()?.to_owned();
        let args = p
            .get("args")
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Some((exe, args))
    };
    Some(Container {
        id: s("id"),
        kind: c
            .get("type")
            .and_then(|v| v.as_u64())
            .map_or("unknown", |t| type_name(t as u32))
            .to_owned(),
        name: s("name"),
        image: s("image"),
        image_id: s("imageid"),
        image_repo: s("imagerepo"),
        image_tag: s("imagetag"),
        image_digest: s("imagedigest"),
        privileged: c
            .get("privileged")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        lookup_failed: c
            .get("lookup_state")
            .and_then(|v| v.as_u64())
            .is_some_and(|v| v != 1),
        ip,
        mounts,
        created_ns: c
            .get("created_time")
            .and_then(|v| v.as_u64())
            .map_or(0, |s| s.saturating_mul(1_000_000_000)),
        labels: c
            .get("labels")
            .and_then(|l| l.as_object())
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        probes: [
            probe("Healthcheck"),
            probe("LivenessProbe"),
            probe("ReadinessProbe"),
        ],
    })
}

impl Container {
    /// Whether the engine is one whose containers can be privileged (docker-like).
    pub fn has_privileged(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "docker" | "cri" | "containerd" | "cri-o" | "podman"
        )
    }

    /// Iterates over the known containers' addresses.
    pub fn ip(&self) -> [u8; 4] {
        self.ip
    }
}

impl Containers {
    /// All known containers.
    pub fn iter(&self) -> impl Iterator<Item = &Container> {
        self.by_id.values()
    }
}

/// The name of a container engine number (`sinsp_container_type`).
pub fn type_name(t: u32) -> &'static str {
    match t {
        0 => "docker",
        1 => "lxc",
        2 => "libvirt-lxc",
        3 => "mesos",
        4 => "rkt",
        5 => "cri",
        6 => "containerd",
        7 => "cri-o",
        8 => "bpm",
        9 => "static",
        10 => "podman",
        _ => "unknown",
    }
}

/// Length of a full container id, and of the short form used everywhere.
const FULL_ID_LEN: usize = 64;
const SHORT_ID_LEN: usize = 12;

/// A container engine that recognised a cgroup path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engine {
    /// `container.type` of its containers.
    pub kind: &'static str,
    /// Whether sysdig 0.29, reading a capture, records a bare container for an id it has
    /// no description of (docker, lxc do; CRI engines do not).
    pub records: bool,
}

const PODMAN: Engine = Engine {
    kind: "podman",
    records: true,
};
const DOCKER: Engine = Engine {
    kind: "docker",
    records: true,
};
const CRI: Engine = Engine {
    kind: "cri",
    records: false,
};
const LXC: Engine = Engine {
    kind: "lxc",
    records: true,
};
const LIBVIRT_LXC: Engine = Engine {
    kind: "libvirt-lxc",
    records: true,
};
const BPM: Engine = Engine {
    kind: "bpm",
    records: true,
};

/// How the runc-based engines name a container's cgroup: a prefix before the 64-hex-digit
/// id, a suffix after it, in this order of engines.
const RUNC_LAYOUTS: &[(Engine, &[(&str, &str)])] = &[
    (PODMAN, &[("/libpod-", ".scope")]),
    (DOCKER, &[("/", ""), ("/docker-", ".scope")]),
    (
        CRI,
        &[
            ("/", ""),
            ("/crio-", ""),
            ("/cri-containerd-", ".scope"),
            ("/crio-", ".scope"),
            (":cri-containerd:", ""),
        ],
    ),
];

/// The container id and engine named by a thread's cgroups (`subsys=path` entries), if
/// any, matched the way sysdig 0.29 matches them reading a capture.
pub fn container_from_cgroups<'a>(
    cgroups: impl IntoIterator<Item = &'a [u8]> + Clone,
) -> Option<(String, Engine)> {
    let paths = || {
        cgroups
            .clone()
            .into_iter()
            .map(|entry| match entry.iter().rposition(|&c| c == b'=') {
                Some(i) => &entry[i + 1..],
                None => entry,
            })
    };
    for (engine, layouts) in RUNC_LAYOUTS {
        for path in paths() {
            for (prefix, suffix) in layouts.iter() {
                if let Some(id) = runc_id(path, prefix.as_bytes(), suffix.as_bytes()) {
                    return Some((id, *engine));
                }
            }
        }
    }
    for path in paths() {
        if let Some(id) = after(path, b"/lxc/").or_else(|| after(path, b"/lxc.payload/")) {
            return Some((id, LXC));
        }
    }
    for path in paths() {
        if let Some(rest) = path.strip_suffix(b".libvirt-lxc") {
            let start = rest.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1);
            return Some((
                String::from_utf8_lossy(&rest[start..]).into_owned(),
                LIBVIRT_LXC,
            ));
        }
    }
    for path in paths() {
        if let Some(at) = find(path, b"bpm-") {
            let rest = &path[at + 4..];
            let end = find(rest, b".scope").unwrap_or(rest.len());
            let id = &rest[..end];
            if !id.is_empty()
                && id
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
            {
                return Some((String::from_utf8_lossy(id).into_owned(), BPM));
            }
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(hay.len());
    }
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The text after `marker` up to the next `/` (lxc ids).
fn after(path: &[u8], marker: &[u8]) -> Option<String> {
    let at = find(path, marker)? + marker.len();
    let rest = &path[at..];
    let end = rest.iter().position(|&c| c == b'/').unwrap_or(rest.len());
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// The id between the last `prefix` and the last `suffix` of a path when it is 64
/// characters long. sysdig 0.29 checks the characters for hex digits only below index 64
/// of the path; the same check is kept so that the same paths match.
fn runc_id(path: &[u8], prefix: &[u8], suffix: &[u8]) -> Option<String> {
    let start = rfind(path, prefix)? + prefix.len();
    let end = rfind(path, suffix)?;
    if end < start || end - start != FULL_ID_LEN {
        return None;
    }
    if let Some(bad) = path[start..].iter().position(|c| !c.is_ascii_hexdigit())
        && start + bad < FULL_ID_LEN
    {
        return None;
    }
    Some(String::from_utf8_lossy(&path[start..start + SHORT_ID_LEN]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";

    fn find(path: &str) -> Option<(String, &'static str)> {
        let entry = format!("cpu={path}");
        container_from_cgroups([entry.as_bytes()]).map(|(id, e)| (id, e.kind))
    }

    #[test]
    fn runc_layouts_name_the_container() {
        assert_eq!(
            find(&format!("/docker/{ID}")),
            Some(("3ad7b26ded6d".into(), "docker"))
        );
        assert_eq!(
            find(&format!("/system.slice/docker-{ID}.scope")),
            Some(("3ad7b26ded6d".into(), "docker"))
        );
        assert_eq!(
            find(&format!("/kubepods.slice/crio-{ID}.scope")),
            Some(("3ad7b26ded6d".into(), "cri"))
        );
        assert_eq!(find("/user.slice/user-1000.slice/session-1.scope"), None);
        assert_eq!(find(&format!("/docker/{}", &ID[..63])), None);
    }
}

#[cfg(test)]
mod json_tests {
    use super::*;
    use proptest::prelude::*;

    /// A description as the probe writes it (502Error.scap).
    const SAMPLE: &str = r#"{"container":{"Healthcheck":{"Test":["NONE"]},"Mounts":[{"Destination":"/etc/hosts","Mode":"","Propagation":"rprivate","RW":true,"Source":"/var/lib/kubelet/pods/c903a5dd/etc-hosts"},{"Destination":"/dev/termination-log","Mode":"ro","Propagation":"rprivate","RW":false,"Source":"/var/lib/kubelet/pods/c903a5dd/containers/worker/7fc3a2f7"}],"id":"7ca2201861c5","image":"sha256:d483a18d","imagedigest":"sha256:cb9d7a1c","imageid":"d483a18d607a","imagerepo":"bencer/example-voting-app-worker","imagetag":"jmx-1","ip":"10.0.0.7","name":"k8s_worker_worker-575f6dc859-ltmjm","privileged":false,"type":0,"LivenessProbe":{"exe":"/bin/check","args":["-q",7,"x"]}}}"#;

    fn both(text: &str) -> Option<Container> {
        let direct = from_json(text.as_bytes());
        assert_eq!(direct, from_json_value(text.as_bytes()), "{text}");
        direct
    }

    #[test]
    fn direct_reader_gives_the_probe_description_whole() {
        let c = both(SAMPLE).unwrap();
        assert_eq!(json::read(SAMPLE.as_bytes()).unwrap(), Some(c.clone()));
        assert_eq!(c.id, "7ca2201861c5");
        assert_eq!(c.kind, "docker");
        assert_eq!(c.ip, [10, 0, 0, 7]);
        assert_eq!(c.mounts.len(), 2);
        assert_eq!(c.mounts[1].mode, "ro");
        assert!(c.mounts[0].rdwr && !c.mounts[1].rdwr);
        assert_eq!(c.probes[0], None);
        assert_eq!(
            c.probes[1],
            Some(("/bin/check".into(), vec!["-q".into(), "x".into()]))
        );
    }

    #[test]
    fn direct_reader_agrees_with_serde_json_on_odd_texts() {
        for text in [
            r#"{"container":{"id":"a","id":"b","type":7,"type":"x"}}"#,
            r#"{"container":{"id":"a"},"container":5}"#,
            r#"{"container":[1,2]}"#,
            r#"[{"container":{"id":"a"}}]"#,
            r#"{"other":{"id":"a"}}"#,
            r#" {"container" : { "id" : "a\"b\\c\/d\u00e9\n" , "na\u006de":"x" } } "#,
            r#"{"container":{"id":"\ud83d\ude00"}}"#,
            r#"{"container":{"id":"\ud83d"}}"#,
            r#"{"container":{"type":4294967301,"privileged":true}}"#,
            r#"{"container":{"type":18446744073709551616}}"#,
            r#"{"container":{"type":-1,"privileged":1}}"#,
            r#"{"container":{"type":5.0}}"#,
            r#"{"container":{"type":1e2}}"#,
            r#"{"container":{"type":1e400}}"#,
            r#"{"container":{"type":01}}"#,
            r#"{"container":{"Mounts":[5,{"RW":"true","Source":null},[]]}}"#,
            r#"{"container":{"Mounts":{"Source":"a"}}}"#,
            r#"{"container":{"Healthcheck":{"exe":3},"ReadinessProbe":{"exe":"e","args":"a"}}}"#,
            r#"{"container":{"ip":"300.1.1.1","name":"é"}}"#,
            r#"{"container":{"id":"a"}} x"#,
            r#"{"container":{"id":"a"},}"#,
            r#"{"container":{"id":"a	b"}}"#,
            r#"{"container":{"id":"a"}"#,
            r#"{"container":{"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}"#,
            "",
            "null",
            "{}",
        ] {
            both(text);
        }
        assert_eq!(both(r#"{"container":[1,2]}"#).unwrap().kind, "unknown");
        assert_eq!(
            both(r#"{"container":{"id":"\ud83d\ude00"}}"#).unwrap().id,
            "😀"
        );
        assert_eq!(
            both(r#"{"container":{"type":4294967301}}"#).unwrap().kind,
            "cri"
        );
        // Invalid UTF-8 in a string, and outside one.
        assert_eq!(from_json(b"{\"container\":{\"id\":\"\xff\"}}"), None);
        assert_eq!(from_json(b"{\"container\":{\"id\":\"a\"}}\xff"), None);
    }

    proptest! {
        /// Any edit of a description reads the same through both readers.
        #[test]
        fn direct_reader_agrees_with_serde_json(
            edits in proptest::collection::vec(
                (0usize..2000, 0u8..3, proptest::sample::select(
                    b"{}[]\":,\\ 0123456789-.eEtrufalsn\xc3\xa9u\x01x".to_vec())),
                1..4,
            )
        ) {
            let mut text = SAMPLE.as_bytes().to_vec();
            for (at, what, c) in edits {
                let at = at % (text.len() + 1);
                match what {
                    0 => text.insert(at, c),
                    1 if at < text.len() => { text.remove(at); }
                    _ if at < text.len() => text[at] = c,
                    _ => {}
                }
            }
            prop_assert_eq!(from_json(&text), from_json_value(&text));
        }
    }
}
