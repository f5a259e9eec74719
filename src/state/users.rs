//! Users and groups, by id.

use hashbrown::HashMap;

/// One user account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Login name.
    pub name: Vec<u8>,
    /// Home directory.
    pub homedir: Vec<u8>,
    /// Login shell.
    pub shell: Vec<u8>,
}

/// Known users and groups.
#[derive(Debug, Clone, Default)]
pub struct Users {
    users: HashMap<u32, User>,
    groups: HashMap<u32, Vec<u8>>,
}

impl Users {
    /// Adds or replaces a user.
    pub fn add_user(&mut self, u: User) {
        self.users.insert(u.uid, u);
    }

    /// Adds or replaces a group.
    pub fn add_group(&mut self, gid: u32, name: Vec<u8>) {
        self.groups.insert(gid, name);
    }

    /// Forgets a user.
    pub fn remove_user(&mut self, uid: u32) {
        self.users.remove(&uid);
    }

    /// Forgets a group.
    pub fn remove_group(&mut self, gid: u32) {
        self.groups.remove(&gid);
    }

    /// The user `uid`.
    pub fn user(&self, uid: u32) -> Option<&User> {
        self.users.get(&uid)
    }

    /// The name of group `gid`.
    pub fn group(&self, gid: u32) -> Option<&[u8]> {
        self.groups.get(&gid).map(Vec::as_slice)
    }

    /// Number of users.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// Number of groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }
}
