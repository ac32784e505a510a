//! A PG's transaction API, as a PG_API run reads it: `GET {baseUrl}/transactions?cycleDate=&
//! merchant=&page=` with the API key as a bearer token, page by page and merchant by merchant,
//! each request with a time limit and retried with back-off when the server fails or is slow
//! (5xx, 429, a timeout, a refused connection); a 4xx other than 429 is the caller's mistake and
//! is not retried. The pages become a PG transaction export (`pg_export`) streamed into the upload
//! path as they arrive, so a malformed page stops the run before anything is written.
//!
//! A page is `{"page", "totalPages", "transactions": [{"txnId", "merchantId", "amountPaise",
//! "txnAt", "paymentMethod", "acquirer", "utr", "rrn", "status"}]}` (the sandbox's, spec 6.2).

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::error::AppError;
use crate::secrets::Plain;

/// The format the pages are written as for the upload path.
pub const FORMAT: &str = "pg_export";
const HEADER: &str =
    "transaction_id,merchant_id,amount_paise,currency,transaction_timestamp,payment_method,status,utr,rrn,bank_name\n";
/// Most pages one merchant's day may have (a server that never says "last page" stops here).
const MAX_PAGES: usize = 10_000;
/// The most a page's body may be.
const MAX_PAGE_BYTES: usize = 16 * 1024 * 1024;

/// Time limits and retries of the requests.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// The limit of one request, connecting and reading the whole page.
    pub timeout: Duration,
    /// Tries per page, the first included.
    pub attempts: u32,
    /// The wait before the second try; doubled before each further one.
    pub backoff: Duration,
}

impl Policy {
    pub const DEFAULT: Policy =
        Policy { timeout: Duration::from_secs(30), attempts: 4, backoff: Duration::from_millis(500) };
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    page: usize,
    total_pages: usize,
    transactions: Vec<Txn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Txn {
    txn_id: String,
    merchant_id: String,
    amount_paise: i64,
    txn_at: DateTime<Utc>,
    #[serde(default)]
    payment_method: Option<String>,
    #[serde(default)]
    acquirer: Option<String>,
    #[serde(default)]
    utr: Option<String>,
    #[serde(default)]
    rrn: Option<String>,
    status: String,
}

/// The pages of one cycle date, merchant by merchant, as CSV chunks.
pub struct Pages {
    client: reqwest::Client,
    url: String,
    api_key: Plain,
    merchants: Vec<String>,
    cycle: NaiveDate,
    policy: Policy,
    merchant: usize,
    page: usize,
    header_sent: bool,
    /// Transactions read so far.
    pub rows: u64,
    /// Requests that were tried again.
    pub retries: u32,
}

impl Pages {
    /// `resolved`: the base URL's host name and the checked address it resolved to, which every
    /// request goes to (a name that resolves elsewhere later is not followed).
    pub fn new(
        base_url: &str,
        resolved: Option<(&str, std::net::SocketAddr)>,
        api_key: Plain,
        merchants: Vec<String>,
        cycle: NaiveDate,
        policy: Policy,
    ) -> Result<Pages, String> {
        let mut builder = reqwest::Client::builder();
        if let Some((host, addr)) = resolved {
            builder = builder.resolve(host, addr);
        }
        // No proxy from the environment: a proxy would resolve the name itself, past the check.
        let client = builder
            .no_proxy()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("settlepaisa-ops/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("could not make an HTTP client: {e}"))?;
        Ok(Pages {
            client,
            url: format!("{}/transactions", base_url.trim_end_matches('/')),
            api_key,
            merchants,
            cycle,
            policy,
            merchant: 0,
            page: 1,
            header_sent: false,
            rows: 0,
            retries: 0,
        })
    }

    /// One page, tried again after a server failure or a timeout.
    async fn fetch(&mut self, merchant: &str, page: usize) -> Result<Page, String> {
        let what = format!("page {page} of {merchant} for {}", self.cycle);
        let mut wait = self.policy.backoff;
        let mut last = String::new();
        for attempt in 1..=self.policy.attempts.max(1) {
            if attempt > 1 {
                self.retries += 1;
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
            }
            let sent = self
                .client
                .get(&self.url)
                .bearer_auth(self.api_key.expose())
                .query(&[
                    ("cycleDate", self.cycle.to_string()),
                    ("merchant", merchant.to_string()),
                    ("page", page.to_string()),
                ])
                .send()
                .await;
            let response = match sent {
                Ok(r) => r,
                Err(e) if e.is_timeout() => {
                    last = format!(
                        "the PG API did not answer {what} within {} seconds",
                        self.policy.timeout.as_secs_f64()
                    );
                    continue;
                }
                Err(e) => {
                    last = format!("could not reach the PG API for {what}: {}", error_chain(&e));
                    continue;
                }
            };
            let status = response.status();
            if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                last = format!("the PG API answered {status} to {what}");
                continue;
            }
            if !status.is_success() {
                let hint = match status.as_u16() {
                    401 | 403 => ": check the connector's API key",
                    404 => ": check the connector's base URL",
                    _ => "",
                };
                return Err(format!("the PG API answered {status} to {what}{hint}"));
            }
            let body = match read_limited(response).await {
                Ok(body) => body,
                Err(e) if e.is_timeout() => {
                    last = format!(
                        "the PG API did not finish sending {what} within {} seconds",
                        self.policy.timeout.as_secs_f64()
                    );
                    continue;
                }
                Err(e) => return Err(format!("{what} could not be read: {}", error_chain(&e))),
            };
            let body = body.map_err(|()| format!("{what} is larger than {} MB", MAX_PAGE_BYTES / (1024 * 1024)))?;
            let parsed: Page =
                serde_json::from_slice(&body).map_err(|e| format!("{what} is not a transaction page: {e}"))?;
            if parsed.page != page {
                return Err(format!("asked for {what}, the PG API sent page {}", parsed.page));
            }
            if let Some(other) = parsed.transactions.iter().find(|t| t.merchant_id != merchant) {
                return Err(format!(
                    "{what} holds transaction {} of merchant {}: a page answers for the merchant asked about",
                    other.txn_id, other.merchant_id
                ));
            }
            return Ok(parsed);
        }
        Err(format!("{last} ({} tries)", self.policy.attempts.max(1)))
    }
}

/// The body, or `Err(())` when it passes the page limit.
async fn read_limited(mut response: reqwest::Response) -> Result<Result<Vec<u8>, ()>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_PAGE_BYTES {
            return Ok(Err(()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Ok(body))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A page's transactions as CSV rows of [`FORMAT`].
fn rows(page: &Page) -> Result<Vec<u8>, String> {
    let mut out = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    for t in &page.transactions {
        let amount = t.amount_paise.to_string();
        let at = t.txn_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        out.write_record([
            t.txn_id.as_str(),
            t.merchant_id.as_str(),
            &amount,
            "INR",
            &at,
            t.payment_method.as_deref().unwrap_or(""),
            t.status.as_str(),
            t.utr.as_deref().unwrap_or(""),
            t.rrn.as_deref().unwrap_or(""),
            t.acquirer.as_deref().unwrap_or(""),
        ])
        .map_err(|e| e.to_string())?;
    }
    out.into_inner().map_err(|e| e.to_string())
}

impl crate::features::recon::store::Body for Pages {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, AppError> {
        if !self.header_sent {
            self.header_sent = true;
            return Ok(Some(Bytes::from_static(HEADER.as_bytes())));
        }
        while let Some(merchant) = self.merchants.get(self.merchant).cloned() {
            let page = self.fetch(&merchant, self.page).await.map_err(AppError::Transport)?;
            if page.total_pages > MAX_PAGES {
                return Err(AppError::Transport(format!(
                    "the PG API says {merchant} has {} pages for {}: more than {MAX_PAGES}",
                    page.total_pages, self.cycle
                )));
            }
            if self.page >= page.total_pages {
                self.merchant += 1;
                self.page = 1;
            } else {
                self.page += 1;
            }
            self.rows += page.transactions.len() as u64;
            let chunk = rows(&page).map_err(AppError::Transport)?;
            if !chunk.is_empty() {
                return Ok(Some(Bytes::from(chunk)));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_becomes_export_rows() {
        let page: Page = serde_json::from_str(
            r#"{"page":1,"totalPages":1,"transactions":[{"txnId":"T1","merchantId":"M1","amountPaise":12345,
                "txnAt":"2026-11-30T04:30:00Z","paymentMethod":"UPI","acquirer":"AXIS","utr":"U1","rrn":"R1","status":"SUCCESS"}]}"#,
        )
        .unwrap();
        let text = String::from_utf8(rows(&page).unwrap()).unwrap();
        assert_eq!(text, "T1,M1,12345,INR,2026-11-30T04:30:00Z,UPI,SUCCESS,U1,R1,AXIS\n");
    }

    #[test]
    fn a_page_without_its_fields_is_refused() {
        assert!(serde_json::from_str::<Page>(r#"{"page":1,"totalPages":1,"transactions":[{"txnId":"T1"}]}"#).is_err());
        assert!(serde_json::from_str::<Page>(r#"{"page":1}"#).is_err());
    }
}
