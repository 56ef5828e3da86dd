//! TODO: SnapshotSource
pub struct SnapshotSource;
