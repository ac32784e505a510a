//! Files users hand us and where we keep them: the name we show and put in headers (never a path,
//! never a control character), and the object store named by `OBJECT_STORE_URL`. Shared by every
//! feature that stores files (dispute evidence, recon uploads) and by the CLI.

use std::sync::Arc;

use object_store::ObjectStore;

/// A file name safe to show and to put in a header: the last path component, printable, ≤ 200
/// chars; `fallback` when nothing printable is left.
pub fn clean_file_name(name: &str, fallback: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control() && *c != '"').take(200).collect();
    if cleaned.trim().is_empty() {
        fallback.into()
    } else {
        cleaned.trim().to_string()
    }
}

/// The object store named by `OBJECT_STORE_URL`: `file://DIR` (relative to the working directory
/// when not absolute), `memory://`, or `s3://bucket/prefix` with the usual `AWS_*` variables
/// (endpoint, region, keys), which also covers S3-compatible stores such as MinIO.
pub fn open_store(url: &str) -> Result<Arc<dyn ObjectStore>, String> {
    if let Some(dir) = url.strip_prefix("file://") {
        let dir = std::path::Path::new(dir);
        let dir = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            std::env::current_dir().map_err(|e| e.to_string())?.join(dir)
        };
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(&dir).map_err(|e| e.to_string())?;
        return Ok(Arc::new(store));
    }
    if url == "memory://" {
        return Ok(Arc::new(object_store::memory::InMemory::new()));
    }
    if url.starts_with("s3://") {
        let store = object_store::aws::AmazonS3Builder::from_env().with_url(url).build().map_err(|e| e.to_string())?;
        return Ok(Arc::new(store));
    }
    Err(format!("OBJECT_STORE_URL must start with file://, s3:// or be memory://, got {url:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(clean_file_name("../../etc/passwd", "evidence"), "passwd");
        assert_eq!(clean_file_name("C:\\Users\\a\\bill \"x\".pdf", "evidence"), "bill x.pdf");
        assert_eq!(clean_file_name("  ", "evidence"), "evidence");
        assert_eq!(clean_file_name("dir/\u{7}", "upload"), "upload");
    }

    #[test]
    fn unknown_store_urls_are_refused() {
        assert!(open_store("memory://").is_ok());
        assert!(open_store("ftp://x").unwrap_err().contains("OBJECT_STORE_URL"));
    }
}
