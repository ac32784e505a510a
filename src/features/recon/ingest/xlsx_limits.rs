//! Refusal of hostile workbooks before calamine opens them. An XLSX file is a zip of XML: a
//! kilobyte can declare a cell in column 10,000,000 (the row buffer would be sized to it), a row of
//! a million cells, or an entry that inflates to gigabytes (calamine reads the shared strings whole).
//! The workbook is read once here, entry by entry in fixed-size chunks: the sizes the zip declares
//! and the bytes it really inflates to are both held to a cap, and every worksheet's cell and row
//! references are held to Excel's own limits (XFD = 16,384 columns, 1,048,576 rows).

use std::io::{Cursor, Read};

/// Excel's widest sheet: column XFD.
pub const MAX_COLUMNS: u64 = 16_384;
/// Excel's longest sheet.
pub const MAX_ROWS: u64 = 1_048_576;
/// The longest start tag of a row, cell or dimension worth reading: real ones are under 200 bytes.
const MAX_TAG_BYTES: usize = 4 * 1024;
const CHUNK_BYTES: usize = 64 * 1024;

/// How much XML a workbook may inflate to.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Any one entry (a worksheet of two million short rows is about 500 MB of XML).
    pub entry_bytes: u64,
    /// All entries together.
    pub total_bytes: u64,
}

impl Limits {
    pub const DEFAULT: Limits = Limits { entry_bytes: 768 * 1024 * 1024, total_bytes: 1024 * 1024 * 1024 };
}

fn refused(reason: impl std::fmt::Display) -> String {
    format!("The workbook is refused: {reason}.")
}

fn unreadable(e: impl std::fmt::Display) -> String {
    format!("The file looks like XLSX but cannot be opened: {e}")
}

fn too_large(name: &str, limits: &Limits) -> String {
    refused(format!("{name} inflates past {} MB", limits.entry_bytes / (1024 * 1024)))
}

/// `Ok` when the workbook stays within `limits` and Excel's sheet limits; else the reason, for
/// the user.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    // The sizes the zip declares first: cheap, and an honest bomb is refused without inflating it.
    let mut declared = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(unreadable)?;
        if entry.size() > limits.entry_bytes {
            return Err(too_large(entry.name(), limits));
        }
        declared = declared.saturating_add(entry.size());
    }
    if declared > limits.total_bytes {
        return Err(refused(format!("its entries inflate past {} MB", limits.total_bytes / (1024 * 1024))));
    }
    // Then the bytes the entries really inflate to, since a declared size can lie.
    let mut chunk = vec![0u8; CHUNK_BYTES];
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(unreadable)?;
        let name = entry.name().to_string();
        let mut sheet = (name.starts_with("xl/worksheets/") && name.ends_with(".xml")).then(|| SheetScan::new(&name));
        let mut inflated = 0u64;
        loop {
            let n = entry.read(&mut chunk).map_err(unreadable)?;
            if n == 0 {
                break;
            }
            inflated += n as u64;
            total += n as u64;
            if inflated > limits.entry_bytes {
                return Err(too_large(&name, limits));
            }
            if total > limits.total_bytes {
                return Err(refused(format!("its entries inflate past {} MB", limits.total_bytes / (1024 * 1024))));
            }
            if let Some(sheet) = &mut sheet {
                sheet.feed(&chunk[..n])?;
            }
        }
    }
    Ok(())
}

/// Reads a worksheet's XML as it streams past, looking only at the start tags of rows, cells and
/// the sheet's dimension.
struct SheetScan {
    name: String,
    in_tag: bool,
    tag: Vec<u8>,
    /// The tag being read is longer than [`MAX_TAG_BYTES`] (only its start is kept).
    tag_overflow: bool,
    cells_in_row: u64,
}

impl SheetScan {
    fn new(name: &str) -> Self {
        SheetScan { name: name.to_string(), in_tag: false, tag: Vec::new(), tag_overflow: false, cells_in_row: 0 }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        for &b in bytes {
            match (self.in_tag, b) {
                (false, b'<') => {
                    self.in_tag = true;
                    self.tag.clear();
                    self.tag_overflow = false;
                }
                (false, _) => {}
                (true, b'>') => {
                    self.in_tag = false;
                    self.tag_done()?;
                }
                (true, _) if self.tag.len() < MAX_TAG_BYTES => self.tag.push(b),
                (true, _) => self.tag_overflow = true,
            }
        }
        Ok(())
    }

    fn tag_done(&mut self) -> Result<(), String> {
        let tag = std::mem::take(&mut self.tag);
        let name_end = tag.iter().position(|b| b.is_ascii_whitespace() || *b == b'/').unwrap_or(tag.len());
        let name = &tag[..name_end];
        // `x:c` and `c` alike: a namespace prefix does not change what the element is.
        let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
        let result = match local {
            b"row" | b"c" | b"dimension" if self.tag_overflow => {
                Err(refused(format!("{} has a <{}> tag of more than {MAX_TAG_BYTES} bytes", self.name, ascii(local))))
            }
            b"row" => self.row(&tag[name_end..]),
            b"c" => self.cell(&tag[name_end..]),
            b"dimension" => match attribute(&tag[name_end..], b"ref") {
                Some(range) => range.split(|b| *b == b':').try_for_each(|r| self.reference(r)),
                None => Ok(()),
            },
            _ => Ok(()),
        };
        self.tag = tag;
        result
    }

    fn row(&mut self, attributes: &[u8]) -> Result<(), String> {
        self.cells_in_row = 0;
        if let Some(r) = attribute(attributes, b"r") {
            match number(r) {
                Some(row) if (1..=MAX_ROWS).contains(&row) => {}
                _ => return Err(refused(format!("{} has a row numbered {:?}", self.name, ascii(r)))),
            }
        }
        // `spans="1:1000000"` declares how many cells the row holds.
        if let Some(spans) = attribute(attributes, b"spans") {
            for bound in spans.split(|b| *b == b':' || b.is_ascii_whitespace()).filter(|s| !s.is_empty()) {
                if number(bound).is_none_or(|c| c > MAX_COLUMNS) {
                    return Err(refused(format!(
                        "{} declares a row of cells {:?}, past column XFD ({MAX_COLUMNS})",
                        self.name,
                        ascii(spans)
                    )));
                }
            }
        }
        Ok(())
    }

    fn cell(&mut self, attributes: &[u8]) -> Result<(), String> {
        self.cells_in_row += 1;
        if self.cells_in_row > MAX_COLUMNS {
            return Err(refused(format!("{} has a row of more than {MAX_COLUMNS} cells", self.name)));
        }
        match attribute(attributes, b"r") {
            Some(r) => self.reference(r),
            None => Ok(()),
        }
    }

    /// A cell reference such as `B7`: its column at most XFD and its row at most 1,048,576.
    fn reference(&self, r: &[u8]) -> Result<(), String> {
        let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let (column, row) = r.split_at(letters);
        let row_fits = number(row).is_some_and(|n| (1..=MAX_ROWS).contains(&n));
        // Three letters reach XFD; more would overflow the arithmetic before the comparison.
        let column_number = (1..=3)
            .contains(&column.len())
            .then(|| column.iter().fold(0u64, |n, b| n * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1)));
        match column_number {
            Some(c) if c <= MAX_COLUMNS && row_fits => Ok(()),
            Some(c) if c > MAX_COLUMNS => Err(self.past_xfd(r)),
            None if column.len() > 3 => Err(self.past_xfd(r)),
            _ => Err(refused(format!(
                "{} has the cell reference {:?}, outside {MAX_COLUMNS} columns and {MAX_ROWS} rows",
                self.name,
                ascii(r)
            ))),
        }
    }

    fn past_xfd(&self, r: &[u8]) -> String {
        refused(format!("{} has the cell reference {}, past column XFD ({MAX_COLUMNS})", self.name, ascii(r)))
    }
}

/// The value of attribute `name` in the attributes part of a start tag.
fn attribute<'t>(mut rest: &'t [u8], name: &[u8]) -> Option<&'t [u8]> {
    loop {
        let start = rest.iter().position(|b| !b.is_ascii_whitespace() && *b != b'/')?;
        rest = &rest[start..];
        let eq = rest.iter().position(|b| *b == b'=')?;
        let key = rest[..eq].trim_ascii();
        let after = rest[eq + 1..].trim_ascii_start();
        let quote = *after.first().filter(|q| matches!(q, b'"' | b'\''))?;
        let len = after[1..].iter().position(|b| *b == quote)?;
        if key == name {
            return Some(&after[1..1 + len]);
        }
        rest = &after[len + 2..];
    }
}

/// A decimal number of at most seven digits (Excel's rows and columns fit; more is refused).
fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 7 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
}

/// Bytes of a hostile file shown in a message: at most 20 characters.
fn ascii(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(20)]).into_owned()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::features::recon::ingest::{parse, shipped_mappings, Kind};

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            out.start_file(*name, options).unwrap();
            out.write_all(bytes).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    fn sheet(rows: &str) -> Vec<u8> {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
        )
        .into_bytes()
    }

    /// What the upload path answers for a workbook.
    fn upload(bytes: &[u8]) -> String {
        parse(bytes, Kind::Pg, None, &shipped_mappings()).expect_err("the workbook is refused")
    }

    #[test]
    fn a_cell_past_column_xfd_is_refused() {
        let file = zip_of(&[(
            "xl/worksheets/sheet1.xml",
            &sheet(r#"<row r="1"><c r="XFE1" t="inlineStr"><is><t>x</t></is></c></row>"#),
        )]);
        assert!(file.len() < 1024, "a kilobyte file");
        let message = upload(&file);
        assert!(message.contains("XFE1") && message.contains("past column XFD"), "{message}");
        // Far past XFD, where a row buffer sized to the column would take gigabytes.
        let far = zip_of(&[("xl/worksheets/sheet1.xml", &sheet(r#"<row r="1"><c r="ZZZZZZ1"><v>1</v></c></row>"#))]);
        assert!(upload(&far).contains("past column XFD"));
        // XFD itself is Excel's last column and passes this check.
        let last = zip_of(&[("xl/worksheets/sheet1.xml", &sheet(r#"<row r="1"><c r="XFD1"><v>1</v></c></row>"#))]);
        assert_eq!(check(&last, &Limits::DEFAULT), Ok(()));
    }

    #[test]
    fn a_row_declaring_a_million_cells_is_refused() {
        let declared = zip_of(&[(
            "xl/worksheets/sheet1.xml",
            &sheet(r#"<row r="1" spans="1:1000000"><c r="A1"><v>1</v></c></row>"#),
        )]);
        let message = upload(&declared);
        assert!(message.contains("past column XFD"), "{message}");
        // A million cells without references (calamine numbers them one after the other).
        let cells = format!("<row r=\"1\">{}</row>", "<c><v>1</v></c>".repeat(1_000_000));
        let written = zip_of(&[("xl/worksheets/sheet1.xml", &sheet(&cells))]);
        let message = upload(&written);
        assert!(message.contains("more than 16384 cells"), "{message}");
    }

    #[test]
    fn an_entry_inflating_past_the_cap_is_refused_even_when_its_declared_size_lies() {
        let limits = Limits { entry_bytes: 1024 * 1024, total_bytes: 4 * 1024 * 1024 };
        let big = sheet(&format!("<row r=\"1\"><c r=\"A1\"><v>{}</v></c></row>", "0".repeat(2 * 1024 * 1024)));
        let honest = zip_of(&[("xl/worksheets/sheet1.xml", &big)]);
        assert!(honest.len() < 16 * 1024, "a small file: {} bytes", honest.len());
        let message = check(&honest, &limits).unwrap_err();
        assert!(message.contains("xl/worksheets/sheet1.xml inflates past 1 MB"), "{message}");
        // The same file declaring 100 bytes in its local header and central directory.
        let mut liar = honest.clone();
        for (signature, size_at) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
            let at = liar.windows(4).position(|w| w == signature).unwrap() + size_at;
            liar[at..at + 4].copy_from_slice(&100u32.to_le_bytes());
        }
        let message = check(&liar, &limits).unwrap_err();
        assert!(message.contains("xl/worksheets/sheet1.xml inflates past 1 MB"), "{message}");
        // Within the cap, the same entry is read through.
        assert_eq!(check(&honest, &Limits { entry_bytes: 4 * 1024 * 1024, ..limits }), Ok(()));
    }
}
