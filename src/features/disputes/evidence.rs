//! Evidence files: checked by content (magic bytes, not the name), size-limited, stored through the
//! `object_store` crate under generated keys, recorded with their SHA-256, and served back as
//! attachments to the users who may see the case.

use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::commands::{self, Actor};
use super::model::{Document, DOCUMENT_KINDS};
use crate::error::AppError;

pub const MAX_BYTES: usize = 10 * 1024 * 1024;

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The content type of an accepted evidence file, judged by its bytes; the name's extension must
/// agree, so a PNG named `.pdf` is refused rather than stored under a misleading name.
pub fn sniff(file_name: &str, bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.is_empty() {
        return Err("The file is empty.".into());
    }
    if bytes.len() > MAX_BYTES {
        return Err(format!("The file is {} bytes; evidence files may be at most 10 MB.", bytes.len()));
    }
    let detected = infer::get(bytes).map(|t| t.mime_type());
    let content_type = match detected {
        Some("application/pdf") => "application/pdf",
        Some("image/png") => "image/png",
        Some("image/jpeg") => "image/jpeg",
        Some(DOCX) => DOCX,
        Some(other) => {
            return Err(format!("The file's content is {other}; only PDF, PNG, JPEG and DOCX are accepted."))
        }
        None => return Err("The file's content is not a PDF, PNG, JPEG or DOCX document.".into()),
    };
    let extension = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let expected: &[&str] = match content_type {
        "application/pdf" => &["pdf"],
        "image/png" => &["png"],
        "image/jpeg" => &["jpg", "jpeg"],
        _ => &["docx"],
    };
    if !expected.contains(&extension.as_str()) {
        return Err(format!(
            "The file is named “{file_name}” but its content is {content_type}; rename it to .{} or pick the right file.",
            expected[0]
        ));
    }
    Ok(content_type)
}

fn storage_key(case_id: Uuid, document_id: Uuid) -> ObjectPath {
    ObjectPath::from(format!("chargebacks/{case_id}/{document_id}"))
}

/// Check, store and record one evidence file.
pub async fn upload(
    pool: &PgPool,
    store: &dyn ObjectStore,
    actor: &Actor,
    case_id: Uuid,
    kind: &str,
    file_name: &str,
    bytes: Bytes,
) -> Result<Document, AppError> {
    if !DOCUMENT_KINDS.contains(&kind) {
        return Err(AppError::BadRequest(format!("Document kind must be one of {}.", DOCUMENT_KINDS.join(", "))));
    }
    let file_name = crate::files::clean_file_name(file_name, "evidence");
    let content_type = sniff(&file_name, &bytes).map_err(AppError::BadRequest)?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let document_id = Uuid::new_v4();
    let key = storage_key(case_id, document_id);
    // The case must exist (and be visible) before any byte is stored.
    commands::ensure_case(pool, case_id).await?;
    let size = bytes.len() as i64;
    store.put(&key, PutPayload::from_bytes(bytes)).await.map_err(|e| {
        tracing::error!(error = %e, "evidence store write failed");
        AppError::Internal
    })?;
    let record = commands::record_document(
        pool,
        actor,
        commands::NewDocument {
            id: document_id,
            case_id,
            kind,
            file_name: &file_name,
            content_type,
            size_bytes: size,
            sha256: &sha256,
            storage_key: key.as_ref(),
        },
    )
    .await;
    if record.is_err() {
        // Keep the store free of orphans when the database refuses the record.
        let _ = store.delete(&key).await;
    }
    record
}

/// The bytes and metadata of one document of a case.
pub async fn download(
    pool: &PgPool,
    store: &dyn ObjectStore,
    case_id: Uuid,
    document_id: Uuid,
) -> Result<(String, String, Bytes), AppError> {
    let row = sqlx::query!(
        "SELECT file_name, content_type, storage_key FROM chargeback_documents WHERE id = $1 AND chargeback_id = $2",
        document_id,
        case_id
    )
    .fetch_optional(pool)
    .await?;
    let doc = row.ok_or_else(|| AppError::NotFound("No such document on this case.".into()))?;
    let bytes = store
        .get(&ObjectPath::from(doc.storage_key))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "evidence store read failed");
            AppError::NotFound("The document's file is missing from storage.".into())
        })?
        .bytes()
        .await
        .map_err(|_| AppError::Internal)?;
    Ok((doc.file_name, doc.content_type, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];

    #[test]
    fn content_decides_the_type() {
        assert_eq!(sniff("notice.pdf", PDF), Ok("application/pdf"));
        assert_eq!(sniff("Screen.PNG", PNG), Ok("image/png"));
        assert_eq!(sniff("photo.jpeg", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F']), Ok("image/jpeg"));
        // A PNG named .pdf, a script named .pdf, an empty file and a too-large file are refused.
        assert!(sniff("evil.pdf", PNG).unwrap_err().contains("content is image/png"));
        assert!(sniff("evil.pdf", b"#!/bin/sh\nrm -rf /\n").unwrap_err().contains("only PDF, PNG, JPEG and DOCX"));
        assert!(sniff("notes.pdf", b"just some text").unwrap_err().contains("not a PDF"));
        assert!(sniff("x.pdf", b"").unwrap_err().contains("empty"));
        let mut big = PDF.to_vec();
        big.resize(MAX_BYTES + 1, b' ');
        assert!(sniff("big.pdf", &big).unwrap_err().contains("at most 10 MB"));
        let mut exact = PDF.to_vec();
        exact.resize(MAX_BYTES, b' ');
        assert!(sniff("exact.pdf", &exact).is_ok());
    }
}
