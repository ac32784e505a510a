//! What the jobs console shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The statuses a job has, in the order the console lists their counts.
pub const STATUSES: [&str; 5] = ["queued", "running", "failed", "cancelled", "succeeded"];
/// The kinds of job the console retries and cancels: work an admin may start anyway (a connector
/// run, a recon run). Settlement batching (finance's maker-checker work) and scheduled reports
/// (run as their creator) are started again from their own pages, by whoever may.
pub const CONSOLE_KINDS: [&str; 2] = ["connector_run", "recon_run"];
/// Jobs the console lists at most (newest first).
pub const LIMIT: i64 = 200;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The job's unique key (the work it stands for: `recon:2026-11-30`, `connector-run:…`).
    pub key: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobsView {
    pub jobs: Vec<JobView>,
    /// Jobs by status, every status listed (zero included).
    pub counts: Vec<(String, i64)>,
    /// The status the list is filtered to.
    pub status: Option<String>,
}

/// The status filter as given: one of [`STATUSES`], or none.
pub fn status_filter(text: Option<&str>) -> Result<Option<String>, String> {
    match text.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if STATUSES.contains(&s) => Ok(Some(s.to_string())),
        Some(s) => Err(format!("{s:?} is not a job status: use {}.", STATUSES.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn the_console_kinds_are_the_queues_own() {
        assert_eq!(
            CONSOLE_KINDS,
            [crate::features::connectors::runs::JOB_KIND, crate::features::recon::runs::JOB_KIND]
        );
    }

    #[test]
    fn the_status_filter_takes_known_statuses_only() {
        assert_eq!(status_filter(None), Ok(None));
        assert_eq!(status_filter(Some(" ")), Ok(None));
        assert_eq!(status_filter(Some("failed")), Ok(Some("failed".into())));
        assert!(status_filter(Some("FAILED' OR 1=1")).unwrap_err().contains("not a job status"));
    }
}
