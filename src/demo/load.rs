//! Writes a generated [`DemoData`] in one transaction, with multi-row inserts (a few round trips
//! per table, never one per row). SLA due times are computed from the `sla_settings` table.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::query_builder::Separated;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use super::generate::{DemoData, METHODS};
use crate::auth::users;
use crate::error::AppError;
use crate::features::settlements::calc::Commission;
use crate::features::settlements::rules as settlement_rules;

const CHUNK: usize = 500;

async fn bulk<'a, T: 'a>(
    conn: &mut PgConnection,
    head: &'static str,
    rows: &'a [T],
    bind: impl Fn(&mut Separated<'_, 'a, Postgres, &'static str>, &'a T),
) -> Result<(), sqlx::Error> {
    bulk_around(conn, head, "", rows, bind).await.map(drop)
}

/// [`bulk`] with text after the values (`head VALUES … tail`); the rows the statements wrote.
async fn bulk_around<'a, T: 'a>(
    conn: &mut PgConnection,
    head: &'static str,
    tail: &'static str,
    rows: &'a [T],
    bind: impl Fn(&mut Separated<'_, 'a, Postgres, &'static str>, &'a T),
) -> Result<u64, sqlx::Error> {
    let mut written = 0;
    for chunk in rows.chunks(CHUNK) {
        let mut qb: QueryBuilder<'a, Postgres> = QueryBuilder::new(head);
        qb.push_values(chunk, |mut b, row| bind(&mut b, row));
        qb.push(tail);
        written += qb.build().execute(&mut *conn).await?.rows_affected();
    }
    Ok(written)
}

/// The batches' timelines, written from what the batches, decisions and transfers record, and a
/// few refunds the merchants owe back (deducted from their next batches).
async fn settlement_timelines_and_refunds(c: &mut PgConnection, d: &DemoData) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO settlement_batch_events (batch_id, event, actor_id, note, at)
         SELECT id, 'CALCULATED', created_by, txn_count || ' transactions of the cycle', created_at FROM settlement_batches
         UNION ALL
         SELECT id, CASE WHEN net_paise > $1 THEN 'SUBMITTED' ELSE 'AUTO_APPROVED' END, NULL,
                CASE WHEN net_paise > $1 THEN 'Net above ₹1,00,000: waits for another finance user''s approval.'
                     ELSE 'Net at or below ₹1,00,000: approved without a checker.' END,
                created_at
         FROM settlement_batches WHERE status <> 'CALCULATED' AND (net_paise > $1 OR approved_at IS NOT NULL)
         UNION ALL
         SELECT batch_id, decision, decided_by, note, decided_at FROM settlement_approvals
         UNION ALL
         SELECT batch_id, 'SENT', NULL, NULL, initiated_at FROM settlement_transfers
         UNION ALL
         SELECT batch_id, 'PAID', NULL, 'UTR ' || utr, completed_at FROM settlement_transfers WHERE status = 'PAID'
         UNION ALL
         SELECT batch_id, 'VERIFIED', NULL, 'Bank DEBIT line found with the payout UTR.', completed_at
         FROM settlement_transfers WHERE verification = 'VERIFIED'
         UNION ALL
         SELECT batch_id, 'FAILED', NULL, failure_reason, completed_at FROM settlement_transfers WHERE status = 'FAILED'",
        settlement_rules::APPROVAL_THRESHOLD.0,
    )
    .execute(&mut *c)
    .await?;
    let refunds = [
        ("MERCH_001", "FLP-RF-1001", 2_499_00_i64, 3),
        ("MERCH_002", "AMZ-RF-2002", 12_000_00, 2),
        ("MERCH_004", "SWG-RF-4003", 640_00, 1),
    ];
    for (i, (merchant, txn_ref, paise, days_ago)) in refunds.into_iter().enumerate() {
        sqlx::query!(
            "INSERT INTO merchant_refunds (id, merchant_id, txn_ref, amount_paise, refunded_at) VALUES ($1, $2, $3, $4, $5)",
            uuid::Uuid::from_u128(0x5e7f_0000_0000_4000_8000_0000_0000_0f00 + i as u128),
            merchant,
            txn_ref,
            paise,
            crate::ist::start_of_day(d.anchor - Duration::days(days_ago)) as DateTime<Utc>,
        )
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

pub async fn load(pool: &PgPool, d: &DemoData) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let c: &mut PgConnection = &mut tx;

    for u in &d.users {
        users::create(&mut *c, u.id, u.email, u.full_name, &u.password_hash, &[u.role]).await?;
    }

    bulk(c, "INSERT INTO merchants (id, name, legal_name, pan, created_at) ", &d.merchants, |b, m| {
        b.push_bind(m.id)
            .push_bind(m.name)
            .push_bind(m.legal_name)
            .push_bind(m.pan)
            .push_bind(crate::ist::start_of_day(d.anchor - Duration::days(400)));
    })
    .await?;
    bulk(
        c,
        "INSERT INTO merchant_bank_accounts (id, merchant_id, holder_name, account_number, ifsc, bank_name) ",
        &d.merchants,
        |b, m| {
            b.push_bind(m.bank_account_id)
                .push_bind(m.id)
                .push_bind(m.legal_name)
                .push_bind(&m.account_number)
                .push_bind(&m.ifsc)
                .push_bind(m.bank_name);
        },
    )
    .await?;
    bulk(
        c,
        "INSERT INTO merchant_settlement_config (merchant_id, preferred_rail, tds_enabled, tds_rate, reserve_enabled, \
         reserve_rate, reserve_hold_days) ",
        &d.merchants,
        |b, m| {
            b.push_bind(m.id)
                .push_bind(m.preferred_rail)
                .push_bind(m.tds_rate.is_some())
                .push_bind(m.tds_rate.unwrap_or(rust_decimal::Decimal::new(1, 3)))
                .push_bind(m.reserve.is_some())
                .push_bind(m.reserve.map(|(r, _)| r).unwrap_or_default())
                .push_bind(m.reserve.map(|(_, days)| days as i16).unwrap_or(0));
        },
    )
    .await?;
    let rates: Vec<(&str, &str, Commission)> = d
        .merchants
        .iter()
        .filter(|m| m.id != "MERCH_003") // Myntra has no rate card: the 2 % default applies.
        .flat_map(|m| METHODS.iter().map(move |&(method, _)| (m.id, method, m.terms(method).commission)))
        .collect();
    let effective_from = d.anchor - Duration::days(365);
    let indexed: Vec<(usize, &(&str, &str, Commission))> = rates.iter().enumerate().collect();
    bulk(
        c,
        "INSERT INTO merchant_commission_rates (id, merchant_id, payment_method, kind, rate, fixed_paise, effective_from) ",
        &indexed,
        |b, (i, (merchant, method, commission))| {
            let (kind, rate, fixed) = match commission {
                Commission::Percent(r) => ("PERCENT", Some(*r), None),
                Commission::FixedPaise(p) => ("FIXED", None, Some(*p)),
            };
            b.push_bind(uuid::Uuid::from_u128(0x5e7f_0000_0000_4000_8000_0000_0000_0000 + *i as u128)).push_bind(*merchant).push_bind(*method).push_bind(kind).push_bind(rate).push_bind(fixed).push_bind(effective_from);
        },
    )
    .await?;
    let bearers: Vec<(&str, &str)> =
        d.merchants.iter().flat_map(|m| m.payer_bears.iter().map(move |method| (m.id, *method))).collect();
    bulk(c, "INSERT INTO merchant_fee_bearers (merchant_id, payment_method, bearer) ", &bearers, |b, (m, method)| {
        b.push_bind(*m).push_bind(*method).push_bind("payer");
    })
    .await?;

    bulk(
        c,
        "INSERT INTO transactions (id, txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, acquirer, \
         utr, rrn, bank_fee_paise, expected_settlement_paise, status, created_at, updated_at) ",
        &d.transactions,
        |b, t| {
            b.push_bind(t.id)
                .push_bind(&t.txn_id)
                .push_bind(t.merchant_id)
                .push_bind(t.amount_paise)
                .push_bind(t.txn_at)
                .push_bind(t.cycle_date)
                .push_bind(t.payment_method)
                .push_bind(t.acquirer)
                .push_bind(&t.utr)
                .push_bind(&t.rrn)
                .push_bind(t.bank_fee_paise)
                .push_bind(t.expected_settlement_paise)
                .push_bind(t.status)
                .push_bind(t.txn_at)
                .push_bind(t.txn_at);
        },
    )
    .await?;
    bulk(
        c,
        "INSERT INTO bank_statement_lines (id, natural_key, bank_ref, bank_name, amount_paise, direction, txn_date, \
         value_date, utr, remarks, cycle_date, created_at) ",
        &d.bank_lines,
        |b, l| {
            b.push_bind(l.id)
                .push_bind(crate::features::recon::ingest::referenced_key(l.bank_name, &l.bank_ref))
                .push_bind(&l.bank_ref)
                .push_bind(l.bank_name)
                .push_bind(l.amount_paise)
                .push_bind(l.direction)
                .push_bind(l.txn_date)
                .push_bind(l.value_date)
                .push_bind(&l.utr)
                .push_bind(&l.remarks)
                .push_bind(l.cycle_date)
                .push_bind(crate::ist::start_of_day(l.cycle_date + Duration::days(1)));
        },
    )
    .await?;
    let ops = d.users.iter().find(|u| u.email == "ops@settlepaisa.test").map(|u| u.id);
    bulk(
        c,
        "INSERT INTO recon_runs (id, cycle_date, source, started_by, status, stage, progress_pct, pg_rows, bank_rows, \
         matched, exceptions, unmatched_pg, unmatched_bank, queued_at, started_at, finished_at) ",
        &d.runs,
        |b, r| {
            b.push_bind(r.id)
                .push_bind(r.cycle_date)
                .push_bind("demo")
                .push_bind(ops)
                .push_bind("completed")
                .push_bind("persist")
                .push_bind(100_i16)
                .push_bind(r.counts.pg_rows)
                .push_bind(r.counts.bank_rows)
                .push_bind(r.counts.matched)
                .push_bind(r.counts.exceptions)
                .push_bind(r.counts.unmatched_pg)
                .push_bind(r.counts.unmatched_bank)
                .push_bind(r.queued_at)
                .push_bind(r.queued_at)
                .push_bind(r.finished_at);
        },
    )
    .await?;
    bulk(
        c,
        "INSERT INTO recon_results (run_id, side, transaction_id, bank_line_id, class, reason_code, pg_amount_paise, \
         bank_amount_paise, delta_paise, match_score) ",
        &d.results,
        |b, r| {
            b.push_bind(r.run_id)
                .push_bind(r.side)
                .push_bind(r.transaction_id)
                .push_bind(r.bank_line_id)
                .push_bind(r.class)
                .push_bind(r.reason_code)
                .push_bind(r.pg_amount_paise)
                .push_bind(r.bank_amount_paise)
                .push_bind(r.delta_paise)
                .push_bind(r.match_score);
        },
    )
    .await?;
    let run_ids: Vec<uuid::Uuid> = d.runs.iter().map(|r| r.id).collect();
    crate::features::recon::runs::store_totals(&mut *c, &run_ids).await?;

    let sla: HashMap<(String, String), i32> =
        sqlx::query!(r#"SELECT reason_code, severity::text AS "severity!", sla_hours FROM sla_settings"#)
            .fetch_all(&mut *c)
            .await?
            .into_iter()
            .map(|r| ((r.reason_code, r.severity), r.sla_hours))
            .collect();
    let with_due: Vec<_> = d
        .exceptions
        .iter()
        .map(|e| {
            let hours = sla.get(&(e.reason_code.to_string(), e.severity.code().to_string())).copied().unwrap_or(8);
            (e, e.created_at + Duration::hours(i64::from(hours)))
        })
        .collect();
    bulk(
        c,
        "INSERT INTO exceptions (id, run_id, reason_code, severity, status, assignee_id, tags, sla_due_at, snoozed_until, \
         pg_amount_paise, bank_amount_paise, delta_paise, merchant_id, acquirer, cycle_date, utr, transaction_id, \
         bank_line_id, resolution, created_at, updated_at, resolved_at) ",
        &with_due,
        |b, (e, due)| {
            b.push_bind(&e.id)
                .push_bind(e.run_id)
                .push_bind(e.reason_code)
                .push_bind(e.severity.code())
                .push_bind(e.status)
                .push_bind(e.assignee)
                .push_bind(&e.tags)
                .push_bind(*due)
                .push_bind(e.snoozed_until)
                .push_bind(e.pg_amount_paise)
                .push_bind(e.bank_amount_paise)
                .push_bind(e.delta_paise)
                .push_bind(e.merchant_id)
                .push_bind(e.acquirer)
                .push_bind(e.cycle_date)
                .push_bind(&e.utr)
                .push_bind(e.transaction_id)
                .push_bind(e.bank_line_id)
                .push_bind(e.resolution)
                .push_bind(e.created_at)
                .push_bind(e.updated_at)
                .push_bind(e.resolved_at);
        },
    )
    .await?;
    bulk(
        c,
        "INSERT INTO exception_actions (exception_id, action, actor_id, acted_at, before, after, note) ",
        &d.exception_actions,
        |b, a| {
            b.push_bind(&a.exception_id)
                .push_bind(a.action)
                .push_bind(a.actor_id)
                .push_bind(a.acted_at)
                .push_bind(Some(&a.before).filter(|v| !v.is_null()))
                .push_bind(Some(&a.after).filter(|v| !v.is_null()))
                .push_bind(&a.note);
        },
    )
    .await?;
    bulk(c, "INSERT INTO exception_comments (exception_id, author_id, body, created_at) ", &d.comments, |b, m| {
        b.push_bind(&m.exception_id).push_bind(m.author_id).push_bind(m.body).push_bind(m.created_at);
    })
    .await?;

    // T+1 in business days (the demo merchants' cycle) over the migrated holiday calendar.
    let holidays = crate::features::settlements::terms::holidays_between(
        &mut *c,
        d.anchor - Duration::days(90),
        d.anchor + Duration::days(30),
    )
    .await?;
    bulk(
        c,
        "INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise, \
         commission_paise, gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise, \
         fees_not_deducted_paise, net_paise, rail, bank_account_id, created_by, created_at, approved_by, approved_at, \
         sent_at, paid_at, payout_utr, failure_reason, held_from, payout_due_on) ",
        &d.batches,
        |b, x| {
            let t = &x.totals;
            b.push_bind(x.id)
                .push_bind(&x.batch_ref)
                .push_bind(x.merchant_id)
                .push_bind(x.cycle_date)
                .push_bind(x.status)
                .push_bind(t.txn_count as i32)
                .push_bind(t.gross)
                .push_bind(t.commission)
                .push_bind(t.gst)
                .push_bind(t.tds)
                .push_bind(t.reserve)
                .push_bind(t.deductions)
                .push_bind(t.reserve_released)
                .push_bind(t.fees_not_deducted)
                .push_bind(t.net)
                .push_bind(x.rail)
                .push_bind(x.bank_account_id)
                .push_bind(x.created_by)
                .push_bind(x.created_at)
                .push_bind(x.approved_by)
                .push_bind(x.approved_at)
                .push_bind(x.sent_at)
                .push_bind(x.paid_at)
                .push_bind(&x.payout_utr)
                .push_bind(x.failure_reason)
                .push_bind((x.status == "ON_HOLD").then(|| settlement_rules::initial_status(t.net).code()))
                .push_bind(settlement_rules::payout_due_on(x.cycle_date, 1, &holidays));
        },
    )
    .await?;
    // Each item carries its transaction's identity (as batch creation writes it).
    let written = bulk_around(
        c,
        "INSERT INTO settlement_items (batch_id, transaction_id, amount_paise, commission_paise, gst_paise, tds_paise, \
         reserve_paise, net_paise, fee_bearer, txn_id, txn_at, payment_method, acquirer, utr, rrn) \
         SELECT i.*, t.txn_id, t.txn_at, t.payment_method, t.acquirer, t.utr, t.rrn FROM (",
        ") AS i (batch_id, transaction_id, amount, commission, gst, tds, reserve, net, fee_bearer) \
         JOIN transactions t ON t.id = i.transaction_id",
        &d.items,
        |b, i| {
            let x = &i.breakdown;
            b.push_bind(i.batch_id)
                .push_bind(i.transaction_id)
                .push_bind(x.amount)
                .push_bind(x.commission)
                .push_bind(x.gst)
                .push_bind(x.tds)
                .push_bind(x.reserve)
                .push_bind(x.net)
                .push_bind(i.fee_bearer.code());
        },
    )
    .await?;
    if written != d.items.len() as u64 {
        tracing::error!(written, items = d.items.len(), "demo settlement items without their transactions");
        return Err(AppError::Internal);
    }
    bulk(
        c,
        "INSERT INTO reserve_ledger (id, merchant_id, batch_id, kind, amount_paise, release_on, released_entry_id, created_at) ",
        &d.reserve_entries,
        |b, r| {
            b.push_bind(r.id)
                .push_bind(r.merchant_id)
                .push_bind(r.batch_id)
                .push_bind(r.kind)
                .push_bind(r.amount_paise)
                .push_bind(r.release_on)
                .push_bind(r.released_entry_id)
                .push_bind(r.created_at);
        },
    )
    .await?;
    bulk(
        c,
        "INSERT INTO settlement_approvals (batch_id, decided_by, decision, note, decided_at) ",
        &d.approvals,
        |b, a| {
            b.push_bind(a.batch_id)
                .push_bind(a.decided_by)
                .push_bind(a.decision)
                .push_bind(a.note)
                .push_bind(a.decided_at);
        },
    )
    .await?;
    bulk(
        c,
        "INSERT INTO settlement_transfers (batch_id, rail, amount_paise, status, utr, bank_line_id, verification, \
         failure_reason, initiated_at, completed_at) ",
        &d.transfers,
        |b, t| {
            b.push_bind(t.batch_id)
                .push_bind(t.rail)
                .push_bind(t.amount_paise)
                .push_bind(t.status)
                .push_bind(&t.utr)
                .push_bind(t.bank_line_id)
                .push_bind(t.verification)
                .push_bind(t.failure_reason)
                .push_bind(t.initiated_at)
                .push_bind(t.completed_at);
        },
    )
    .await?;
    settlement_timelines_and_refunds(c, d).await?;
    // Every batched demo day had its batch run; reconciled transactions of batched cycles that no
    // batch took wait in the backlog.
    sqlx::query!(
        "INSERT INTO settlement_runs (id, cycle_date, status, merchants_total, merchants_done, created, queued_at,
                                      started_at, finished_at)
         SELECT md5('demo settlement run ' || cycle_date)::uuid, cycle_date, 'completed', count(*), count(*), count(*),
                min(created_at), min(created_at),
                min(created_at)
         FROM settlement_batches GROUP BY cycle_date",
    )
    .execute(&mut *c)
    .await?;
    sqlx::query_scalar!(r#"SELECT settlement_backlog_rebuild() AS "added!""#).fetch_one(&mut *c).await?;

    bulk(
        c,
        "INSERT INTO chargebacks (id, case_ref, acquirer, network_case_id, merchant_id, merchant_name, transaction_id, \
         txn_ref, rrn, utr, original_gross_paise, chargeback_paise, fees_paise, recovered_paise, written_off_paise, \
         reason_code, reason_description, category, stage, status, outcome, assigned_to, assigned_team, received_at, \
         evidence_due_at, deadline_at, responded_at, closed_at, created_at, updated_at) ",
        &d.chargebacks,
        |b, x| {
            b.push_bind(x.id)
                .push_bind(&x.case_ref)
                .push_bind(x.acquirer)
                .push_bind(&x.network_case_id)
                .push_bind(x.merchant_id)
                .push_bind(x.merchant_name)
                .push_bind(x.transaction_id)
                .push_bind(&x.txn_ref)
                .push_bind(&x.rrn)
                .push_bind(&x.utr)
                .push_bind(x.chargeback_paise)
                .push_bind(x.chargeback_paise)
                .push_bind(super::generate::CHARGEBACK_FEE_PAISE)
                .push_bind(x.recovered_paise)
                .push_bind(x.written_off_paise)
                .push_bind(x.reason_code)
                .push_bind("")
                .push_bind("OTHER")
                .push_bind(x.stage)
                .push_bind(x.status)
                .push_bind(x.outcome)
                .push_bind(x.assigned_to)
                .push_bind(x.assigned_to.map(|_| "OPS"))
                .push_bind(x.received_at)
                .push_bind(x.evidence_due_at)
                .push_bind(x.deadline_at)
                .push_bind(x.responded_at)
                .push_bind(x.closed_at)
                .push_bind(x.received_at)
                .push_bind(x.closed_at.or(x.responded_at).unwrap_or(x.received_at));
        },
    )
    .await?;
    // Reason descriptions and categories come from the catalogue table.
    sqlx::query!(
        "UPDATE chargebacks c SET reason_description = r.description, category = r.category
         FROM chargeback_reason_codes r WHERE r.code = c.reason_code"
    )
    .execute(&mut *c)
    .await?;
    bulk(
        c,
        "INSERT INTO chargeback_audit (chargeback_id, action, actor_id, actor_role, before, after, occurred_at) ",
        &d.chargeback_audit,
        |b, a| {
            b.push_bind(a.chargeback_id)
                .push_bind(a.action)
                .push_bind(a.actor_id)
                .push_bind(a.actor_role)
                .push_bind(&a.before)
                .push_bind(&a.after)
                .push_bind(a.occurred_at);
        },
    )
    .await?;
    bulk(
        c,
        "INSERT INTO chargeback_recovery_actions (id, chargeback_id, merchant_id, amount_paise, created_at) ",
        &d.recoveries,
        |b, r| {
            b.push_bind(r.id)
                .push_bind(r.chargeback_id)
                .push_bind(r.merchant_id)
                .push_bind(r.amount_paise)
                .push_bind(r.created_at);
        },
    )
    .await?;

    sqlx::query!(
        "INSERT INTO connectors (id, name, connector_type, status, config, secret_ref, schedule_cron, mapping_id, created_at, updated_at)
         VALUES ($1, 'AXIS SFTP', 'BANK_SFTP', 'ACTIVE', $2, 'env:AXIS_SFTP_PASSWORD', '30 6 * * *',
                 '0b5e1c2a-0000-4000-8000-00000000a715', $3, $3)",
        d.connector_id,
        json!({
            "host": "sftp.axisbank.example",
            "port": 22,
            "username": "settlepaisa",
            "directory": "/outgoing/settlement",
            "pattern": "AXIS_SETTLE_{YYYY-MM-DD}_*.csv",
            "sidecar": true
        }),
        crate::ist::start_of_day(d.anchor - Duration::days(60)) as DateTime<Utc>
    )
    .execute(&mut *c)
    .await?;
    bulk(
        c,
        "INSERT INTO connector_runs (id, connector_id, run_type, status, cycle_date, files_seen, files_ingested, \
         rows_ingested, error, started_at, finished_at, queued_at) ",
        &d.connector_runs,
        |b, r| {
            b.push_bind(r.id)
                .push_bind(d.connector_id)
                .push_bind("SCHEDULED")
                .push_bind(r.status)
                .push_bind(r.cycle_date)
                .push_bind(r.files_seen)
                .push_bind(r.files_ingested)
                .push_bind(r.rows_ingested)
                .push_bind(&r.error)
                .push_bind(r.started_at)
                .push_bind(r.finished_at)
                .push_bind(r.started_at);
        },
    )
    .await?;

    // Sequences continue after the explicit ids.
    sqlx::query!("SELECT setval('transactions_id_seq', (SELECT coalesce(max(id), 0) + 1 FROM transactions), false)")
        .fetch_one(&mut *c)
        .await?;
    sqlx::query!(
        "SELECT setval('bank_statement_lines_id_seq', (SELECT coalesce(max(id), 0) + 1 FROM bank_statement_lines), false)"
    )
    .fetch_one(&mut *c)
    .await?;
    sqlx::query!(
        "SELECT setval('reserve_ledger_id_seq', (SELECT coalesce(max(id), 0) + 1 FROM reserve_ledger), false)"
    )
    .fetch_one(&mut *c)
    .await?;
    sqlx::query!("SELECT setval('exception_number_seq', (SELECT count(*) + 1 FROM exceptions), false)")
        .fetch_one(&mut *c)
        .await?;
    crate::audit::record(
        &mut *c,
        crate::audit::AuditEntry {
            action: "demo.seed",
            target_type: "database",
            success: true,
            details: Some(format!("demo data set, anchor date {}", d.anchor)),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
