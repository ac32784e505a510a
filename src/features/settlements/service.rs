//! The settlement use cases, shared by the pages' server functions and the JSON API: each
//! authorises the caller (everyone signed in reads; `sp-finance` creates, approves and pays;
//! payout files are not for auditors), reads its input into the domain's types, and runs the
//! query or the command (which writes the timeline and the audit rows).

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use uuid::Uuid;

use super::batching;
use super::commands::{self, ActionInput};
use super::model::{
    BatchDetail, BatchFilter, BatchPage, BatchRow, BatchView, BulkOutcome, ItemRow, PayoutFileRow, RunRow, RunStarted,
    SettlementsQuery, SettlementsView, Sort, ITEMS_PAGE_SIZE, PAGE_SIZE,
};
use super::payouts::{self, Selection};
use super::queries;
use super::rules::{Action, FailureCode};
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::http::csv::{dated_file_name, ist_minute_cell, CsvExport, EXPORT_CAP};
use crate::ist;
use crate::state::AppState;

pub fn batch_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound("No settlement batch with that id.".into()))
}

/// Everything `/settlements` shows for its URL.
pub async fn desk_view(
    state: &AppState,
    caller: &CurrentUser,
    query: &SettlementsQuery,
) -> Result<SettlementsView, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let (filter, sort, page_number) = query.parse().map_err(AppError::BadRequest)?;
    let offset = crate::paging::offset(page_number, PAGE_SIZE).map_err(AppError::BadRequest)?;
    let pool = &state.pool;
    let (tiles, page, merchants, runs, payout_files, carried) = tokio::try_join!(
        queries::tiles(pool, &filter),
        queries::list(pool, &filter, sort, PAGE_SIZE, offset),
        queries::merchants(pool),
        queries::runs(pool, 5),
        queries::payout_files(pool, 5),
        queries::carried(pool),
    )?;
    Ok(SettlementsView {
        filter,
        tiles,
        page,
        page_number,
        sort,
        merchants,
        runs,
        payout_files,
        carried,
        today: ist::today(state.clock.now()),
        can_work: user.may(Access::FINANCE_WORK),
        can_download_payouts: user.may(Access::PAYOUT_FILES),
    })
}

/// One batch's page for this user: the actions offered are those its status allows, for
/// `sp-finance` only.
pub async fn batch_view(
    state: &AppState,
    caller: &CurrentUser,
    id: &str,
    items_page: i64,
) -> Result<BatchView, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let offset = crate::paging::offset(items_page, ITEMS_PAGE_SIZE).map_err(AppError::BadRequest)?;
    let detail = queries::detail(&state.pool, batch_id(id)?, ITEMS_PAGE_SIZE, offset).await?;
    let actions =
        if user.may(Access::FINANCE_WORK) { super::rules::available(detail.batch.status) } else { Vec::new() };
    Ok(BatchView {
        is_maker: queries::maker_of(&state.pool, detail.batch.id).await? == Some(user.id),
        detail,
        items_page,
        actions,
        failure_codes: FailureCode::ALL.into_iter().map(|f| (f, f.label().to_string())).collect(),
    })
}

pub async fn list(
    state: &AppState,
    caller: &CurrentUser,
    filter: &BatchFilter,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> Result<BatchPage, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    queries::list(&state.pool, filter, sort, limit, offset).await
}

pub async fn detail(state: &AppState, caller: &CurrentUser, id: &str) -> Result<BatchDetail, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    queries::detail(&state.pool, batch_id(id)?, ITEMS_PAGE_SIZE, 0).await
}

/// Queue "create batches for cycle D" (a date in the future is refused: nothing is reconciled yet).
pub async fn start_run(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<String>,
    cycle_date: &str,
) -> Result<RunStarted, AppError> {
    let user = authorize(Some(caller), Access::FINANCE_WORK)?;
    let cycle = ist::parse_date(cycle_date, "The cycle date")?;
    if cycle > ist::today(state.clock.now()) {
        return Err(AppError::BadRequest(
            "The cycle date is in the future; only past and current cycles settle.".into(),
        ));
    }
    batching::start(&state.pool, &user, ip, cycle).await
}

pub async fn run_status(state: &AppState, caller: &CurrentUser, job_id: i64) -> Result<RunRow, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    queries::run_of_job(&state.pool, job_id).await
}

/// One action on one batch; answers the batch as it is now.
pub async fn act(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    id: &str,
    action: &str,
    input: &ActionInput,
) -> Result<BatchRow, AppError> {
    let user = authorize(Some(caller), Access::FINANCE_WORK)?;
    let id = batch_id(id)?;
    let action = Action::parse(action).ok_or_else(|| {
        AppError::BadRequest(format!("Unknown action; use one of {}.", Action::ALL.map(|a| a.code()).join(", ")))
    })?;
    commands::act(&state.pool, &user, ip, id, action, input, state.clock.now()).await?;
    queries::batch(&state.pool, id).await
}

/// Approve each of the ticked batches that may be approved by this user; say why for the rest.
pub async fn bulk_approve(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    ids: &[String],
) -> Result<BulkOutcome, AppError> {
    let user = authorize(Some(caller), Access::FINANCE_WORK)?;
    if ids.is_empty() {
        return Err(AppError::BadRequest("Tick at least one batch to approve.".into()));
    }
    if ids.len() > 500 {
        return Err(AppError::BadRequest("Approve at most 500 batches at once.".into()));
    }
    let mut outcome = BulkOutcome::default();
    for id in ids {
        let result = match batch_id(id) {
            Ok(uuid) => {
                commands::act(&state.pool, &user, ip, uuid, Action::Approve, &ActionInput::default(), state.clock.now())
                    .await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => outcome.approved += 1,
            // The database gone: stop, and say so (what was approved before stays approved).
            Err(AppError::Unavailable) => return Err(AppError::Unavailable),
            Err(e) => {
                let reference = match batch_id(id) {
                    Ok(uuid) => {
                        queries::batch(&state.pool, uuid).await.map(|b| b.batch_ref).unwrap_or_else(|_| id.clone())
                    }
                    Err(_) => id.clone(),
                };
                outcome.refused.push((reference, e.to_string()));
            }
        }
    }
    Ok(outcome)
}

/// Generate the payout file for a date or chosen batches (answers the existing file when the same
/// batches are asked for again).
pub async fn payout_file(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    selection: &Selection,
) -> Result<payouts::Generated, AppError> {
    let user = authorize(Some(caller), Access::FINANCE_WORK)?;
    let now = state.clock.now();
    payouts::generate(&state.pool, state.objects.as_ref(), &user, ip, selection, ist::today(now), now).await
}

pub fn selection(payout_date: Option<&str>, batch_ids: Option<&[String]>) -> Result<Selection, AppError> {
    match (payout_date.map(str::trim).filter(|d| !d.is_empty()), batch_ids) {
        (Some(date), None) => Ok(Selection::DueBy(ist::parse_date(date, "The payout date")?)),
        (None, Some(ids)) => Ok(Selection::Batches(
            ids.iter()
                .map(|id| {
                    Uuid::parse_str(id.trim()).map_err(|_| AppError::BadRequest(format!("{id:?} is not a batch id.")))
                })
                .collect::<Result<_, _>>()?,
        )),
        _ => Err(AppError::BadRequest("Give either a payout date or the batch ids.".into())),
    }
}

pub async fn payout_file_row(state: &AppState, caller: &CurrentUser, id: &str) -> Result<PayoutFileRow, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound("No payout file with that id.".into()))?;
    payouts::file_row(&mut *state.pool.acquire().await?, id).await
}

/// A payout file's bytes: for finance only (it carries full account numbers).
pub async fn download_payout(state: &AppState, caller: &CurrentUser, id: &str) -> Result<(String, Bytes), AppError> {
    authorize(Some(caller), Access::PAYOUT_FILES)?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound("No payout file with that id.".into()))?;
    payouts::download(&state.pool, state.objects.as_ref(), id).await
}

pub const EXPORT_HEADER: &[&str] = &[
    "batch_ref",
    "merchant_id",
    "merchant",
    "cycle_date",
    "status",
    "txns",
    "gross",
    "commission",
    "gst",
    "tds",
    "reserve",
    "deductions",
    "reserve_released",
    "fees_not_deducted",
    "net",
    "rail",
    "payout_due_on",
    "created_by",
    "approved_by",
    "paid_at",
    "payout_utr",
];

/// The list as CSV, for the URL's filter and sort (up to [`EXPORT_CAP`] rows).
pub fn export_csv(state: &AppState, caller: &CurrentUser, query: &SettlementsQuery) -> Result<CsvExport, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let (filter, sort, _) = query.parse().map_err(AppError::BadRequest)?;
    let name = dated_file_name("settlement-batches", state.clock.now());
    Ok(CsvExport::new(state, user.id, name, EXPORT_HEADER, move |out, mut tx| async move {
        let mut query = queries::export_query(&filter, sort, EXPORT_CAP);
        out.write_all(queries::rows(&mut *tx, &mut query), export_cells).await
    }))
}

fn export_cells(r: BatchRow) -> Vec<String> {
    vec![
        r.batch_ref,
        r.merchant_id,
        r.merchant_name,
        r.cycle_date.to_string(),
        r.status.code().to_string(),
        r.txn_count.to_string(),
        r.gross.to_rupees_plain(),
        r.commission.to_rupees_plain(),
        r.gst.to_rupees_plain(),
        r.tds.to_rupees_plain(),
        r.reserve.to_rupees_plain(),
        r.deductions.to_rupees_plain(),
        r.reserve_released.to_rupees_plain(),
        r.fees_not_deducted.to_rupees_plain(),
        r.net.to_rupees_plain(),
        r.rail.code().to_string(),
        r.payout_due_on.map(|d| d.to_string()).unwrap_or_default(),
        r.created_by.unwrap_or_default(),
        r.approved_by.unwrap_or_default(),
        r.paid_at.map(ist_minute_cell).unwrap_or_default(),
        r.payout_utr.unwrap_or_default(),
    ]
}

pub const STATEMENT_HEADER: &[&str] =
    &["txn_id", "payment_method", "amount", "commission", "gst", "tds", "reserve", "net", "fee_bearer"];

/// The merchant's settlement statement for one batch: a line per transaction (every item,
/// streamed), then the batch's lines to the amount paid — the items' totals, deductions, released
/// reserve and the net — so the statement adds up to the payout.
pub async fn statement_csv(state: &AppState, caller: &CurrentUser, id: &str) -> Result<CsvExport, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let b = queries::batch(&state.pool, batch_id(id)?).await?;
    let name = format!("statement-{}.csv", b.batch_ref);
    let rupees = |p: crate::money::Paise| p.to_rupees_plain();
    let line = |label: &str, amount: crate::money::Paise| {
        vec![
            label.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            rupees(amount),
            String::new(),
        ]
    };
    let summary = vec![
        vec![
            "TOTAL".to_string(),
            String::new(),
            rupees(b.gross),
            rupees(b.commission),
            rupees(b.gst),
            rupees(b.tds),
            rupees(b.reserve),
            rupees(crate::money::Paise(b.net.0 + b.deductions.0 - b.reserve_released.0)),
            String::new(),
        ],
        line("LESS DEDUCTIONS", crate::money::Paise(-b.deductions.0)),
        line("PLUS RESERVE RELEASED", b.reserve_released),
        // A rejected batch pays nothing: its figures as calculated, said so.
        line(
            if b.status == super::rules::Status::Rejected {
                "NET AS CALCULATED (REJECTED: NOT PAYABLE)"
            } else {
                "NET PAYABLE"
            },
            b.net,
        ),
    ];
    let id = b.id;
    Ok(CsvExport::new(state, user.id, name, STATEMENT_HEADER, move |out, mut tx| async move {
        let items = queries::item_rows(&mut *tx, id, None, 0).map_ok(|r: ItemRow| {
            vec![
                r.txn_id,
                r.payment_method,
                rupees(r.amount),
                rupees(r.commission),
                rupees(r.gst),
                rupees(r.tds),
                rupees(r.reserve),
                rupees(r.net),
                r.fee_bearer,
            ]
        });
        let rows = items.chain(futures_util::stream::iter(summary.into_iter().map(Ok)));
        out.write_all(rows, |cells| cells).await
    }))
}
