//! The data dir: the lock that keeps one node per dir, the node key (its identity), and
//! `node.json`, where a running node tells other `llp` commands how to reach it.

use std::fs::File;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::UsageError;
use crate::ids::NodeId;

/// Where a running node tells other `llp` commands how to reach it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeFile {
    pub pid: u32,
    pub api: SocketAddr,
    pub id: NodeId,
    pub version: String,
    /// The invite ticket, once the network is up (`llp demo` and scripts read it here).
    #[serde(default)]
    pub ticket: Option<String>,
}

/// The exclusive hold on a data dir, released when dropped.
pub struct DataDirLock {
    _file: File,
    node_file: PathBuf,
}

impl Drop for DataDirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.node_file);
    }
}

/// Takes the data dir for this process; a second `llp serve` on it is refused with the holder's pid.
pub fn lock_data_dir(dir: &Path) -> Result<DataDirLock, UsageError> {
    // The dir holds the node key and the ticket with the network secret: a new one is the
    // owner's alone (an existing one keeps the mode its owner gave it).
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| UsageError(format!("data dir {}: {e}", dir.display())))?;
    let path = dir.join("node.lock");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    if file.try_lock().is_err() {
        let holder = std::fs::read_to_string(&path).unwrap_or_default();
        return Err(UsageError(format!(
            "another llp node (pid {}) already runs on the data dir {}; stop it or pick another --data-dir",
            holder.trim(),
            dir.display()
        )));
    }
    file.set_len(0).ok();
    let _ = writeln!(file, "{}", std::process::id());
    Ok(DataDirLock {
        _file: file,
        node_file: dir.join("node.json"),
    })
}

/// Reads the running node's address from a data dir, if a live node wrote one.
pub fn running_node(dir: &Path) -> Option<NodeFile> {
    let text = std::fs::read_to_string(dir.join("node.json")).ok()?;
    let nf: NodeFile = serde_json::from_str(&text).ok()?;
    // The lock is the proof of life: if we can take it, the writer is gone.
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(dir.join("node.lock"))
        .ok()?;
    if lock.try_lock().is_ok() {
        return None;
    }
    Some(nf)
}

/// The node's identity: an ed25519 key kept in the data dir (mode 0600), stable across restarts.
/// Its public half is the node id (the same key becomes the iroh endpoint key).
pub fn node_id(dir: &Path) -> Result<NodeId, UsageError> {
    Ok(NodeId::from(&node_key(dir)?))
}

/// The node's secret key, created on first use (mode 0600).
pub fn node_key(dir: &Path) -> Result<iroh::SecretKey, UsageError> {
    let path = dir.join("node.key");
    let bytes: [u8; 32] = match std::fs::read(&path) {
        Ok(b) => b.try_into().map_err(|_| {
            UsageError(format!(
                "{}: not a 32-byte node key; move it away to get a new identity",
                path.display()
            ))
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut b = [0u8; 32];
            getrandom::fill(&mut b)
                .map_err(|e| UsageError(format!("no randomness for a node key: {e}")))?;
            private_file(&path)
                .and_then(|mut f| f.write_all(&b).and_then(|_| f.sync_all()))
                .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
            b
        }
        Err(e) => return Err(UsageError(format!("{}: {e}", path.display()))),
    };
    Ok(iroh::SecretKey::from_bytes(&bytes))
}

/// Writes `node.json` so other commands find this node's API. Its ticket carries the network
/// secret, so the file is the owner's alone (mode 0600): `llp invite` reads it there, and no
/// other user of the machine can.
pub fn write_node_file(dir: &Path, nf: &NodeFile) -> std::io::Result<()> {
    let tmp = dir.join("node.json.tmp");
    // A leftover from a crash may have another mode: `create_new` makes a fresh file with ours.
    let _ = std::fs::remove_file(&tmp);
    let mut file = private_file(&tmp)?;
    file.write_all(&serde_json::to_vec_pretty(nf).expect("node file serializes"))?;
    file.sync_all()?;
    std::fs::rename(tmp, dir.join("node.json"))
}

/// A new file only its owner can read or write (mode 0600 on Unix), created with that mode so
/// that no other user can open it in between.
pub fn private_file(path: &Path) -> std::io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_files_holding_secrets_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/new/data");
        let _lock = lock_data_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        node_key(&dir).unwrap();
        assert_eq!(mode(&dir.join("node.key")), 0o600);
        // A leftover temporary file of another mode is replaced, not reused.
        std::fs::write(dir.join("node.json.tmp"), "old").unwrap();
        std::fs::set_permissions(
            dir.join("node.json.tmp"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let nf = NodeFile {
            pid: 1,
            api: "127.0.0.1:1".parse().unwrap(),
            id: node_id(&dir).unwrap(),
            version: "t".into(),
            ticket: Some("llp1secret".into()),
        };
        write_node_file(&dir, &nf).unwrap();
        assert_eq!(mode(&dir.join("node.json")), 0o600);
        // An existing dir keeps the mode its owner gave it.
        let shared = tempfile::tempdir().unwrap();
        std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o750)).unwrap();
        let _lock = lock_data_dir(shared.path()).unwrap();
        assert_eq!(mode(shared.path()), 0o750);
    }
}
