//! `system_metadata.json`: new in Prescient (the plan's `system_metadata`
//! table as a file), an object `key → {value, updated_at}`, overwritten.

use domain::Extra;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MetadataEntry {
    pub value: String,
    pub updated_at: String,
    #[serde(flatten)]
    pub extra: Extra,
}

pub(crate) type MetadataFile = BTreeMap<String, MetadataEntry>;
