//! Writes a PG simple workbook of N rows (the rows `benchmarks/recon.sh` writes as CSV), for the
//! XLSX ingestion benchmark: `cargo run --release --example xlsx_pg_file -- 500000 pg.xlsx`.

use rust_xlsxwriter::Workbook;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: u32 = args.next().ok_or("rows?")?.parse()?;
    let path = args.next().ok_or("output path?")?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let header = [
        "Transaction ID",
        "Merchant ID",
        "Amount",
        "Currency",
        "Transaction Date",
        "Transaction Time",
        "Payment Method",
        "UTR",
        "RRN",
        "Status",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    for i in 0..rows {
        let r = i + 1;
        let amount = 100 + (u64::from(i) * 7919) % 500_000;
        sheet.write_string(r, 0, format!("XT{i:012}"))?;
        sheet.write_string(r, 1, format!("MERCH_00{}", 1 + i % 3))?;
        sheet.write_string(r, 2, format!("{amount}.{:02}", i % 100))?;
        sheet.write_string(r, 3, "INR")?;
        sheet.write_string(r, 4, "2026-02-10")?;
        sheet.write_string(r, 5, format!("10:{:02}:00", i % 60))?;
        sheet.write_string(r, 6, "UPI")?;
        sheet.write_string(r, 7, format!("XUTR{i:012}"))?;
        sheet.write_string(r, 8, format!("XRRN{i:012}"))?;
        sheet.write_string(r, 9, "SUCCESS")?;
    }
    book.save(&path)?;
    Ok(())
}
