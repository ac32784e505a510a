//! The matching engine on a million PG rows against a million bank lines (spec 02 §2.2; goal:
//! under a second, single-threaded). The data is generated once, deterministically: most rows
//! match exactly, the rest cover every rule (tolerance, rounding, fee band, mismatch, dates,
//! duplicates, missing UTRs, RRN fallback, one-sided rows, debit lines).
//!
//! `cargo bench --features ssr --bench engine` (figures in BENCHMARKS.md).

use chrono::{Duration, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion};
use settlepaisa_ops::features::recon::engine::{reconcile, BankLine, PgRow, Settings};
use settlepaisa_ops::money::Paise;

pub fn cycle(n: usize) -> (Vec<PgRow>, Vec<BankLine>) {
    let date = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let mut pg = Vec::with_capacity(n);
    let mut bank = Vec::with_capacity(n);
    for i in 0..n {
        let amount = Paise(10_000 + (i as i64 * 7919) % 5_000_000);
        let utr = format!("UTR{i:012}");
        let kind = i % 100;
        let pg_utr = match kind {
            90 => None,
            91 => Some(format!("UTR{:012}", i - 20)), // repeats the UTR of row i − 20: both duplicates
            92 => Some(format!("ZZZ{i:012}")),        // UTR not in the bank file: RRN fallback below
            _ => Some(utr.clone()),
        };
        pg.push(PgRow {
            txn_id: format!("TXN{i:012}"),
            merchant_id: format!("M{:03}", i % 50),
            acquirer: None,
            amount,
            utr: pg_utr,
            rrn: Some(if kind == 92 { utr.clone() } else { format!("RRN{i:012}") }),
            date,
            bank_fee: None,
            expected_settlement: None,
        });
        let bank_amount = Paise(match kind {
            80 => amount.0 - 1,
            81 => amount.0 - 300,
            82 => amount.0 - 100,
            83 => amount.0 / 2,
            _ => amount.0,
        });
        bank.push(BankLine {
            key: format!("BANKREF{i:012}"),
            amount: bank_amount,
            net: None,
            utr: match kind {
                93 => Some(format!("UTR{:012}", i - 20)), // repeats bank line i − 20's UTR: both duplicates
                94 => Some(format!("ONLYBANK{i:09}")),
                _ => Some(utr),
            },
            date: if kind == 84 { date + Duration::days(4) } else { date },
            credit: kind != 95,
        });
    }
    (pg, bank)
}

fn engine(c: &mut Criterion) {
    let (pg, bank) = cycle(1_000_000);
    let settings = Settings::default();
    let out = reconcile(&pg, &bank, &settings).expect("the generated amounts stay far inside i64");
    let counts = out.counts();
    assert!(counts.conserves());
    eprintln!("1M × 1M: {counts:?}");
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    group.bench_function("reconcile 1M PG x 1M bank", |b| b.iter(|| reconcile(&pg, &bank, &settings)));
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
