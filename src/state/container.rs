//! Containers: their ids, found in the cgroup paths of a process, and what container events
//! tell about them (name, image).

use hashbrown::HashMap;

/// What is known of one container.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Container {
    /// The short id (12 hex digits).
    pub id: String,
    /// The engine: `docker`, `cri`, `containerd`, `cri-o`, `podman`, ...
    pub kind: String,
    pub name: String,
    pub image: String,
    pub image_id: String,
    pub image_repo: String,
    pub image_tag: String,
    pub image_digest: String,
    pub privileged: Option<bool>,
}

/// Known containers, by short id.
#[derive(Debug, Clone, Default)]
pub struct Containers {
    by_id: HashMap<String, Container>,
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
    let root: serde_json::Value = serde_json::from_slice(text).ok()?;
    let c = root.get("container")?;
    let s = |k: &str| {
        c.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
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
        privileged: c.get("privileged").and_then(|v| v.as_bool()),
    })
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

/// How runc-based engines name a container's cgroup: a prefix before the 64-hex-digit id and
/// a suffix after it, in the last path component. `/docker/<id>`, `/kubepods/.../<id>`,
/// `/system.slice/docker-<id>.scope`, `crio-<id>.scope`, `cri-containerd-<id>.scope`,
/// `libpod-<id>.scope`.
const RUNC_LAYOUTS: &[(&str, &str, &str)] = &[
    ("/", "", "docker"),
    ("/docker-", ".scope", "docker"),
    ("/crio-", ".scope", "cri-o"),
    ("/cri-containerd-", ".scope", "containerd"),
    ("/libpod-", ".scope", "podman"),
];

/// The container id and engine named by a list of `subsys=path` cgroup entries, if any.
pub fn container_from_cgroups<'a>(
    cgroups: impl IntoIterator<Item = &'a [u8]>,
) -> Option<(String, &'static str)> {
    for entry in cgroups {
        let path = match entry.iter().position(|&c| c == b'=') {
            Some(i) => &entry[i + 1..],
            None => entry,
        };
        for &(prefix, suffix, kind) in RUNC_LAYOUTS {
            if let Some(id) = runc_id(path, prefix.as_bytes(), suffix.as_bytes()) {
                return Some((id, kind));
            }
        }
    }
    None
}

fn runc_id(path: &[u8], prefix: &[u8], suffix: &[u8]) -> Option<String> {
    let body = path.strip_suffix(suffix)?;
    let start = body.len().checked_sub(FULL_ID_LEN)?;
    let id = &body[start..];
    if !id.iter().all(u8::is_ascii_hexdigit) || !body[..start].ends_with(prefix) {
        return None;
    }
    Some(String::from_utf8_lossy(&id[..SHORT_ID_LEN]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";

    fn find(path: &str) -> Option<(String, &'static str)> {
        let entry = format!("cpu={path}");
        container_from_cgroups([entry.as_bytes()])
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
            Some(("3ad7b26ded6d".into(), "cri-o"))
        );
        assert_eq!(find("/user.slice/user-1000.slice/session-1.scope"), None);
        assert_eq!(find(&format!("/docker/{}", &ID[..63])), None);
    }
}
