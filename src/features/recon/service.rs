//! The Recon use cases, shared by the pages' server functions and the JSON API: each authorises
//! the caller, reads its input into domain types, then queries or commands. Uploads are
//! authorised by an [`Uploader`] taken before the adapter reads the request body, so a refused
//! caller's file is never read.

use bytes::Bytes;
use chrono::Duration;
use uuid::Uuid;

use super::ingest::{AmountUnit, Kind, ReadOptions, RowError};
use super::model::{ResultRow, RunPage, RunView, UploadPreview, Workspace, RESULTS_PAGE};
use super::queries::ExceptionType;
use super::{queries, runs, store};
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::http::csv::{rupees_cell, CsvExport};
use crate::ist;
use crate::state::AppState;

/// The runs and uploads the workspace lists.
const RECENT: i64 = 20;

/// Recent runs and uploads, the bank layouts, and whether the caller may upload and run. An
/// `upload` a link names (a connector run's file) is listed first when it is not among the recent.
pub async fn workspace(state: &AppState, caller: &CurrentUser, upload: Option<&str>) -> Result<Workspace, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let mut uploads = store::recent_uploads(&state.pool, &["pg", "bank"], RECENT, None).await?;
    if let Some(id) = upload.and_then(|u| Uuid::parse_str(u.trim()).ok()) {
        if !uploads.iter().any(|u| u.id == id) {
            let named = store::recent_uploads(&state.pool, &["pg", "bank"], 1, Some(id)).await?;
            uploads.splice(0..0, named);
        }
    }
    Ok(Workspace {
        runs: runs::recent_runs(&state.pool, RECENT).await?,
        uploads,
        can_work: user.may(Access::OPS_WORK),
        can_admin: user.may(Access::ADMIN),
        bank_layouts: store::mappings(&state.pool).await?.into_iter().map(|m| m.layout_name).collect(),
    })
}

pub fn run_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound("No recon run with that id.".into()))
}

/// One run with a page (1-based) of its results of a class, for the run page.
pub async fn run_page(
    state: &AppState,
    caller: &CurrentUser,
    id: &str,
    class: Option<&str>,
    page: i64,
) -> Result<RunPage, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    let id = run_id(id)?;
    let class = runs::valid_class(class)?;
    let offset = crate::paging::offset(page, RESULTS_PAGE).map_err(AppError::BadRequest)?;
    let run = runs::run(&state.pool, id).await?;
    let (rows, total) = runs::results(&state.pool, id, class, RESULTS_PAGE, offset).await?;
    let class_counts = runs::class_counts(&state.pool, id).await?;
    Ok(RunPage { run, class: class.map(str::to_string), rows, total, page, class_counts })
}

/// Status, stage, progress and counts of one run.
pub async fn run(state: &AppState, caller: &CurrentUser, id: &str) -> Result<RunView, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    runs::run(&state.pool, run_id(id)?).await
}

/// A window of a run's results of a class, and the number of all of them.
pub async fn results(
    state: &AppState,
    caller: &CurrentUser,
    id: &str,
    class: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ResultRow>, i64), AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    let class = runs::valid_class(class)?;
    runs::results(&state.pool, run_id(id)?, class, limit, offset).await
}

/// The most rows one run's results export holds.
const RESULTS_EXPORT_CAP: i64 = 1_000_000;

/// The columns of a run's results export, in order.
const RESULTS_HEADER: &[&str] = &[
    "txn_id",
    "bank_ref",
    "utr",
    "rrn",
    "pg_amount_inr",
    "bank_amount_inr",
    "delta_inr",
    "pg_date",
    "bank_date",
    "class",
    "reason",
];

/// Every result row of a run of a class (no paging, up to [`RESULTS_EXPORT_CAP`]), as CSV
/// streamed from the run's results.
pub fn results_csv(
    state: &AppState,
    caller: &CurrentUser,
    id: &str,
    class: Option<&str>,
) -> Result<CsvExport, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let id = run_id(id)?;
    let class = runs::valid_class(class)?.map(str::to_string);
    let name = format!("recon-run-{id}.csv");
    Ok(CsvExport::new(state, user.id, name, RESULTS_HEADER, move |out, mut tx| async move {
        let rows = runs::result_rows(&mut *tx, id, class.as_deref(), RESULTS_EXPORT_CAP, 0);
        out.write_all(rows, result_cells).await
    }))
}

fn result_cells(r: ResultRow) -> Vec<String> {
    vec![
        r.txn_id.unwrap_or_default(),
        r.bank_ref.unwrap_or_default(),
        r.utr.unwrap_or_default(),
        r.rrn.unwrap_or_default(),
        rupees_cell(r.pg_amount_paise),
        rupees_cell(r.bank_amount_paise),
        rupees_cell(r.delta_paise),
        r.pg_date.map(|d| d.to_string()).unwrap_or_default(),
        r.bank_date.map(|d| d.to_string()).unwrap_or_default(),
        r.class,
        r.reason_code.unwrap_or_default(),
    ]
}

/// The refused rows of an upload (line, column, reason), as CSV.
pub fn upload_errors_csv(state: &AppState, caller: &CurrentUser, id: &str) -> Result<CsvExport, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound("No such upload.".into()))?;
    let (name, header) = (format!("upload-{id}-errors.csv"), &["line", "column", "message"]);
    Ok(CsvExport::new(state, user.id, name, header, move |out, mut tx| async move {
        let cells = |e: RowError| vec![e.line.to_string(), e.column.unwrap_or_default(), e.message];
        out.write_all(store::row_errors(&mut *tx, id), cells).await
    }))
}

/// Queue a run of a cycle date (`YYYY-MM-DD`); answers the run's id.
pub async fn start_run(state: &AppState, caller: &CurrentUser, cycle_date: &str) -> Result<Uuid, AppError> {
    let user = authorize(Some(caller), Access::OPS_WORK)?;
    let cycle = crate::ist::parse_date(cycle_date, "cycleDate")?;
    runs::queue(&state.pool, cycle, Some(&user), "manual").await
}

/// The exception catalogue (the V1 types and the extensions).
pub async fn exception_types(state: &AppState, caller: &CurrentUser) -> Result<Vec<ExceptionType>, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    queries::exception_types(&state.pool).await
}

/// The window totals of cycle dates `from..=to` (`YYYY-MM-DD`); by default the last 7 IST days
/// including today.
pub async fn summary(
    state: &AppState,
    caller: &CurrentUser,
    from: &Option<String>,
    to: &Option<String>,
) -> Result<queries::Summary, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    let to = ist::date_param(to, "to")?.unwrap_or_else(|| ist::today(state.clock.now()));
    let from = ist::date_param(from, "from")?.unwrap_or(to - Duration::days(6));
    if from > to {
        return Err(AppError::BadRequest("from is after to.".into()));
    }
    queries::summary(&state.pool, from, to).await
}

/// A caller who may upload files (operations), checked before the request body is read.
pub struct Uploader(CurrentUser);

pub fn uploader(caller: &CurrentUser) -> Result<Uploader, AppError> {
    authorize(Some(caller), Access::OPS_WORK).map(Uploader)
}

fn upload_kind(kind: Option<&str>) -> Result<Kind, AppError> {
    match kind.map(str::trim) {
        Some("pg") => Ok(Kind::Pg),
        Some("bank") => Ok(Kind::Bank),
        _ => Err(AppError::BadRequest("kind must be pg or bank.".into())),
    }
}

fn no_file() -> AppError {
    AppError::BadRequest("Attach the file in the field `file`.".into())
}

/// The text fields of an upload form, as sent.
#[derive(Clone, Copy, Default)]
pub struct UploadFields<'a> {
    pub kind: Option<&'a str>,
    pub cycle_date: Option<&'a str>,
    /// A format or bank layout name instead of detection.
    pub mapping: Option<&'a str>,
    /// `merchantId`: the merchant of every row of a layout without a merchant column.
    pub merchant: Option<&'a str>,
    /// `amountUnit`: `rupees` | `paise` for a layout whose amount column does not say it.
    pub unit: Option<&'a str>,
    /// `saveUnit=true` (admin): keep the chosen unit on the stored bank layout the file is read by.
    pub save_unit: bool,
}

impl UploadFields<'_> {
    fn amount_unit(&self) -> Result<Option<AmountUnit>, AppError> {
        match self.unit.map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(None),
            Some(u) => AmountUnit::parse(u)
                .map(Some)
                .ok_or_else(|| AppError::BadRequest(format!("amountUnit must be rupees or paise, not {u:?}."))),
        }
    }

    fn merchant(&self) -> Option<&str> {
        self.merchant.map(str::trim).filter(|m| !m.is_empty())
    }
}

/// Store one uploaded file (`file`: its name and its bytes as they arrive) of the kind and cycle
/// the fields name; the fields are checked before the file.
pub async fn store_upload(
    state: &AppState,
    uploader: &Uploader,
    fields: UploadFields<'_>,
    file: Option<(&str, impl store::Body)>,
) -> Result<store::UploadReport, AppError> {
    let kind = upload_kind(fields.kind)?;
    let cycle_date = crate::ist::parse_date(fields.cycle_date.unwrap_or_default(), "cycleDate")?;
    let unit = fields.amount_unit()?;
    if fields.save_unit {
        // Changing a stored layout changes every later file read by it: an admin's decision.
        authorize(Some(&uploader.0), Access::ADMIN)?;
        if unit.is_none() {
            return Err(AppError::BadRequest(
                "To keep a unit on the stored layout, choose it under Amounts (amountUnit) as well.".into(),
            ));
        }
    }
    let (file_name, body) = file.ok_or_else(no_file)?;
    let upload = store::Upload {
        kind,
        cycle_date,
        file_name,
        format: fields.mapping,
        merchant: fields.merchant(),
        unit,
        save_unit: fields.save_unit,
        uploaded_by: Some(&uploader.0),
        max_rows: state.config.upload_max_rows,
        xlsx: xlsx_limits(state),
        now: state.clock.now(),
        source: "upload",
        expected_sha256: None,
    };
    store::store(&state.pool, state.objects.clone(), upload, body).await
}

/// The format a file would be read as and its first rows as understood, or why it would be
/// refused; nothing is stored. `sampled`: `file` is only the start of the file.
pub async fn preview(
    state: &AppState,
    _uploader: &Uploader,
    fields: UploadFields<'_>,
    sampled: bool,
    file: Option<Bytes>,
) -> Result<UploadPreview, AppError> {
    let kind = upload_kind(fields.kind)?;
    let bytes = file.ok_or_else(no_file)?;
    let layouts = store::mappings(&state.pool).await?;
    let format =
        fields.mapping.filter(|m| !m.trim().is_empty()).map(|m| store::named_format(m, &layouts)).transpose()?;
    let directory = store::MerchantDirectory::load(&state.pool).await?;
    let cycle_date = match fields.cycle_date.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(crate::ist::parse_date(d, "cycleDate")?),
        None => None,
    };
    // The merchant the form names, as the upload would resolve it.
    let merchant = fields.merchant().map(|m| directory.form_merchant(m)).transpose()?;
    // A file without dates takes the upload's cycle date: today's until the form names one.
    let today = crate::ist::today(state.clock.now());
    let options = ReadOptions { merchant, unit: fields.amount_unit()?, cycle_date: cycle_date.or(Some(today)) };
    let xlsx = xlsx_limits(state);
    let mut preview = tokio::task::spawn_blocking(move || {
        super::ingest::preview(&bytes, sampled, kind, format, &layouts, &options, &xlsx)
    })
    .await
    .map_err(|_| AppError::Internal)?
    .map_err(AppError::BadRequest)?;
    if kind == Kind::Pg {
        mark_merchants(&mut preview, &directory);
        if cycle_date.is_none() && preview.format_has_no_dates {
            for row in preview.rows.iter_mut().filter(|r| r.cells.len() > 3) {
                row.cells[3] = "the cycle date".into();
            }
        }
    }
    Ok(preview)
}

/// The merchant of each previewed PG row as the upload will take it: an alias shown with the
/// merchant it stands for, a code not known yet flagged (and listed), a code that cannot be one
/// refused — so the preview tells the same story as the upload.
fn mark_merchants(preview: &mut UploadPreview, directory: &store::MerchantDirectory) {
    for row in preview.rows.iter_mut().filter(|r| r.error.is_none() && r.skipped.is_none()) {
        let Some(code) = row.cells.get(1).cloned() else { continue };
        match directory.resolve(&code) {
            store::MerchantCode::Known(id) if id != code => row.cells[1] = format!("{id} (as {code})"),
            store::MerchantCode::Known(_) => {}
            store::MerchantCode::Unknown(id) => {
                row.cells[1] = format!("{id} (not known yet)");
                if !preview.unknown_merchants.contains(&id) {
                    preview.unknown_merchants.push(id);
                }
            }
            store::MerchantCode::Invalid => {
                row.cells.clear();
                row.error = Some(format!("merchant: {}", crate::domain::invalid_merchant_code(&code)));
            }
        }
    }
}

/// The XLSX caps of an upload or a preview: they follow the configured upload size.
fn xlsx_limits(state: &AppState) -> super::ingest::XlsxLimits {
    super::ingest::XlsxLimits::for_upload(state.config.upload_max_bytes as u64)
}
