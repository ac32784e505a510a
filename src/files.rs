//! Files users hand us and where we keep them: the name we show and put in headers (never a path,
//! never a control character), and the object store named by `OBJECT_STORE_URL`. Shared by every
//! feature that stores files (dispute evidence, recon uploads) and by the CLI.

use std::sync::Arc;

use object_store::ObjectStore;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What RFC 5987 lets a `filename*` value carry unencoded besides letters and digits.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

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

/// The `Content-Disposition` value offering `name` as a download: `attachment; filename="…"` with
/// an ASCII stand-in (a quote, a backslash or anything not printable ASCII becomes `_`, so the
/// quoted string cannot be broken out of), and, when that is not the name itself, the exact name
/// as RFC 6266's `filename*=UTF-8''…`, which browsers prefer.
pub fn attachment_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| if c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\') { c } else { '_' })
        .collect();
    if ascii == name {
        format!("attachment; filename=\"{ascii}\"")
    } else {
        format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", utf8_percent_encode(name, ATTR_CHAR))
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
    fn download_names_cannot_break_the_header() {
        assert_eq!(attachment_disposition("recon-run-1.csv"), "attachment; filename=\"recon-run-1.csv\"");
        assert_eq!(
            attachment_disposition("a\"b\\c\r\n.pdf"),
            "attachment; filename=\"a_b_c__.pdf\"; filename*=UTF-8''a%22b%5Cc%0D%0A.pdf"
        );
        assert_eq!(
            attachment_disposition("résumé 1.pdf"),
            "attachment; filename=\"r_sum_ 1.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%201.pdf"
        );
    }

    #[test]
    fn unknown_store_urls_are_refused() {
        assert!(open_store("memory://").is_ok());
        assert!(open_store("ftp://x").unwrap_err().contains("OBJECT_STORE_URL"));
    }
}
