//! This node's identity: the configured `--node-id`, or else a UUID kept in the data
//! directory, so per-node consumers (each node's search index) keep their cursor across
//! restarts.

use std::path::Path;

/// The file in the data directory that holds it.
const FILE: &str = "node-id";

/// The node id: `configured` when given, else the one kept in `data_dir`.
pub fn resolve(configured: Option<&str>, data_dir: &Path) -> std::io::Result<String> {
    match configured {
        Some(id) => Ok(id.to_owned()),
        None => id(data_dir),
    }
}

/// Reads the node id from `data_dir`, creating it on first use.
pub fn id(data_dir: &Path) -> std::io::Result<String> {
    let path = data_dir.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_owned()),
        Ok(_) => create(&path),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => create(&path),
        Err(error) => Err(error),
    }
}

fn create(path: &Path) -> std::io::Result<String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let id = uuid::Uuid::now_v7().to_string();
    std::fs::write(path, &id)?;
    Ok(id)
}

/// The search index consumer's name on the node `node_id`.
pub fn search_consumer(node_id: &str) -> String {
    format!("search:{node_id}")
}
