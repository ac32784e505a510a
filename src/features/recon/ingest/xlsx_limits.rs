//! Refusal of hostile workbooks before calamine opens them. An XLSX file is a zip of XML: a
//! kilobyte can declare a cell in column 10,000,000 (the row buffer would be sized to it), a row of
//! a million cells, or an entry that inflates to gigabytes (calamine reads the shared strings and
//! styles whole when it opens the workbook).
//!
//! The workbook is read once here, entry by entry in fixed-size chunks: the sizes the zip declares
//! and the bytes it really inflates to are held to caps (per entry, tighter for the parts calamine
//! reads whole, and for the whole file relative to its size). Every entry is read as a worksheet
//! could be, because calamine opens whatever the workbook's relationships point to (any name, any
//! case, `\` for `/`, any extension): the XML is tokenised as quick-xml tokenises it (quoted
//! attribute values, comments, CDATA, processing instructions), and what follows a `<sheetData>`
//! tag is held to Excel's own limits (XFD = 16,384 columns, 1,048,576 rows).

use std::io::{Cursor, Read};

/// Excel's widest sheet: column XFD.
pub const MAX_COLUMNS: u64 = 16_384;
/// Excel's longest sheet.
pub const MAX_ROWS: u64 = 1_048_576;
/// The longest start tag of a row, cell or dimension worth reading: real ones are under 200 bytes.
const MAX_TAG_BYTES: usize = 4 * 1024;
/// The longest text or markup inside a sheet's cells (quick-xml holds each in memory whole, and
/// calamine a cell's value): an Excel cell holds at most 32,767 characters.
const MAX_RUN_BYTES: u64 = 1024 * 1024;
const CHUNK_BYTES: usize = 64 * 1024;

/// How much XML a workbook may inflate to.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Any one entry (a worksheet of two million short rows is about 500 MB of XML).
    pub entry_bytes: u64,
    /// The shared strings and the styles, which calamine holds in memory while the workbook is
    /// open (an empty shared string costs 24 bytes of memory for 12 bytes of XML). Uploads scale
    /// it with their size limit ([`Limits::for_upload`]).
    pub strings_bytes: u64,
    /// The workbook part and its relationships, also read whole (one sheet per 30 bytes of XML).
    pub book_bytes: u64,
    /// All entries together.
    pub total_bytes: u64,
    /// All entries together, per byte of the file: real workbooks inflate 5 to 20 times.
    pub ratio: u64,
    /// … but a small file may always inflate this far.
    pub ratio_floor_bytes: u64,
    /// Entries in the zip (calamine looks a part up by comparing it with every entry's name).
    pub entries: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        entry_bytes: 768 * 1024 * 1024,
        strings_bytes: 64 * 1024 * 1024,
        book_bytes: 8 * 1024 * 1024,
        total_bytes: 1024 * 1024 * 1024,
        ratio: 200,
        ratio_floor_bytes: 64 * 1024 * 1024,
        entries: 10_000,
    };

    /// The caps for files of at most `upload_max_bytes`: the shared strings may inflate to 4 times
    /// that (at least [`Limits::DEFAULT`]'s), so a workbook that is mostly text is not refused for
    /// its strings while within the upload limit; the other caps stay as they are.
    pub fn for_upload(upload_max_bytes: u64) -> Limits {
        let strings_bytes = upload_max_bytes.saturating_mul(4).max(Limits::DEFAULT.strings_bytes);
        Limits { strings_bytes, ..Limits::DEFAULT }
    }

    /// The cap on the entry `name` (see [`Part::of`]).
    fn entry_cap(&self, name: &str) -> u64 {
        match Part::of(name) {
            Part::Strings => self.strings_bytes,
            Part::Book => self.book_bytes,
            Part::Other => self.entry_bytes,
        }
    }

    /// The cap on all entries of a file of `file_bytes`, and the reason given past it.
    fn total_cap(&self, file_bytes: u64) -> (u64, String) {
        let by_ratio = file_bytes.saturating_mul(self.ratio).max(self.ratio_floor_bytes);
        if by_ratio < self.total_bytes {
            (by_ratio, refused(format!("it inflates to more than {} times its size", self.ratio)))
        } else {
            (self.total_bytes, refused(format!("its entries inflate past {} MB", megabytes(self.total_bytes))))
        }
    }
}

/// What an entry is to calamine, found as calamine finds a part: ASCII case ignored, `\` as `/`.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    /// Shared strings and styles: read whole and held while the workbook is open.
    Strings,
    /// The workbook and its relationships: also read whole.
    Book,
    /// Worksheets and the rest: streamed.
    Other,
}

impl Part {
    fn of(name: &str) -> Part {
        let part = name.replace('\\', "/");
        let is = |path: &str| part.eq_ignore_ascii_case(path);
        if is("xl/sharedStrings.xml") || is("xl/styles.xml") {
            Part::Strings
        } else if is("xl/workbook.xml") || is("xl/_rels/workbook.xml.rels") {
            Part::Book
        } else {
            Part::Other
        }
    }
}

fn megabytes(bytes: u64) -> u64 {
    bytes / (1024 * 1024)
}

fn refused(reason: impl std::fmt::Display) -> String {
    format!("The workbook is refused: {reason}.")
}

fn unreadable(e: impl std::fmt::Display) -> String {
    format!("The file looks like XLSX but cannot be opened: {e}")
}

fn too_large(name: &str, cap: u64) -> String {
    refused(format!("{name} inflates past {} MB", megabytes(cap)))
}

impl Limits {
    /// The most memory one workbook within these limits makes calamine hold while it is open
    /// ([`held_bytes`] of its biggest possible whole-read parts).
    pub fn most_held_bytes(&self) -> u64 {
        held_bytes(self.strings_bytes.saturating_mul(2).saturating_add(self.book_bytes.saturating_mul(2)))
    }
}

/// The memory calamine holds for `whole_xml` bytes of the parts it reads whole (shared strings,
/// styles, the workbook and its relationships): about two bytes of memory per byte of XML (an
/// empty shared string is 24 bytes of memory for 12 of XML), plus a floor for the rest.
fn held_bytes(whole_xml: u64) -> u64 {
    whole_xml.saturating_mul(2).saturating_add(1024 * 1024)
}

/// `Ok` with the memory the workbook will hold while calamine reads it (see [`held_bytes`]) when it
/// stays within `limits` and Excel's sheet limits; else the reason, for the user.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<u64, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if archive.len() > limits.entries {
        return Err(refused(format!("it holds more than {} entries", limits.entries)));
    }
    let (total_cap, too_much) = limits.total_cap(bytes.len() as u64);
    // The sizes the zip declares first: cheap, and an honest bomb is refused without inflating it.
    let mut declared = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(unreadable)?;
        let cap = limits.entry_cap(entry.name());
        if entry.size() > cap {
            return Err(too_large(entry.name(), cap));
        }
        declared = declared.saturating_add(entry.size());
    }
    if declared > total_cap {
        return Err(too_much);
    }
    // Then the bytes the entries really inflate to, since a declared size can lie.
    let mut chunk = vec![0u8; CHUNK_BYTES];
    let mut total = 0u64;
    let mut whole = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(unreadable)?;
        let name = entry.name().to_string();
        let cap = limits.entry_cap(&name);
        let read_whole = Part::of(&name) != Part::Other;
        let mut scan = XmlScan::new(&name);
        let mut inflated = 0u64;
        loop {
            let n = entry.read(&mut chunk).map_err(unreadable)?;
            if n == 0 {
                break;
            }
            inflated += n as u64;
            total += n as u64;
            if inflated > cap {
                return Err(too_large(&name, cap));
            }
            if total > total_cap {
                return Err(too_much);
            }
            scan.feed(&chunk[..n])?;
        }
        if read_whole {
            whole = whole.saturating_add(inflated);
        }
    }
    Ok(held_bytes(whole))
}

/// Where the tokeniser stands, as quick-xml (0.38, which calamine reads with) would.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Markup {
    Text,
    /// After `<`: the next byte says what follows.
    Open,
    /// After `<!`: the next byte says comment, CDATA or DOCTYPE.
    Bang,
    /// A start or end tag, inside the attribute value opened by `quote` if any.
    Tag {
        quote: Option<u8>,
    },
    /// Ends at the first `-->` not overlapping its `<!--`.
    Comment,
    /// Ends at `]]>`.
    CData,
    /// Ends at `?>` (the opening `?` counts: `<?>` is a whole one).
    Pi,
    /// Ends at the `>` that balances the `<` inside it.
    Doctype {
        depth: u64,
    },
}

/// Reads an entry's XML as it streams past, looking at the start tags of rows, cells and the
/// sheet's dimension, and at the length of whatever calamine would hold whole.
struct XmlScan {
    name: String,
    state: Markup,
    /// Bytes of the current text, or of the current markup after its `<`.
    run: u64,
    /// The last two bytes of the current markup (how comments, CDATA and PIs end).
    last: [u8; 2],
    tag: Vec<u8>,
    /// The tag being read is longer than [`MAX_TAG_BYTES`] (only its start is kept).
    tag_overflow: bool,
    /// A `<sheetData>` start tag was read: calamine reads what follows as rows and cells.
    in_sheet_data: bool,
    cells_in_row: u64,
}

impl XmlScan {
    fn new(name: &str) -> Self {
        XmlScan {
            name: name.to_string(),
            state: Markup::Text,
            run: 0,
            last: [0; 2],
            tag: Vec::new(),
            tag_overflow: false,
            in_sheet_data: false,
            cells_in_row: 0,
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        bytes.iter().try_for_each(|b| self.byte(*b))
    }

    fn byte(&mut self, b: u8) -> Result<(), String> {
        let ends = match self.state {
            Markup::Text if b == b'<' => {
                self.state = Markup::Open;
                self.run = 0;
                self.last = [0; 2];
                return Ok(());
            }
            Markup::Text => false,
            Markup::Open => {
                match b {
                    b'!' => self.state = Markup::Bang,
                    b'?' => self.state = Markup::Pi,
                    // `/` too: an end tag is read as a start tag is, quotes and all.
                    _ => {
                        self.state = Markup::Tag { quote: None };
                        self.tag.clear();
                        self.tag_overflow = false;
                        return self.byte(b);
                    }
                }
                false
            }
            Markup::Bang => {
                match b {
                    b'[' => self.state = Markup::CData,
                    b'-' => self.state = Markup::Comment,
                    b'D' | b'd' => self.state = Markup::Doctype { depth: 0 },
                    // quick-xml reports an error and reads on from this byte as text.
                    _ => {
                        self.state = Markup::Text;
                        self.run = 0;
                        return self.byte(b);
                    }
                }
                false
            }
            Markup::Tag { quote } => {
                let ends = quote.is_none() && b == b'>';
                self.state = Markup::Tag {
                    quote: match (quote, b) {
                        (None, b'"' | b'\'') => Some(b),
                        (Some(q), _) if q == b => None,
                        _ => quote,
                    },
                };
                if !ends {
                    if self.tag.len() < MAX_TAG_BYTES {
                        self.tag.push(b);
                    } else {
                        self.tag_overflow = true;
                    }
                }
                ends
            }
            Markup::Comment => b == b'>' && self.run >= 5 && self.last == *b"--",
            Markup::CData => b == b'>' && self.last == *b"]]",
            Markup::Pi => b == b'>' && self.last[1] == b'?',
            Markup::Doctype { depth } => match b {
                b'<' => {
                    self.state = Markup::Doctype { depth: depth + 1 };
                    false
                }
                b'>' if depth > 0 => {
                    self.state = Markup::Doctype { depth: depth - 1 };
                    false
                }
                b'>' => true,
                _ => false,
            },
        };
        if ends {
            let tag = matches!(self.state, Markup::Tag { .. });
            self.state = Markup::Text;
            self.run = 0;
            return if tag { self.tag_done() } else { Ok(()) };
        }
        self.run += 1;
        self.last = [self.last[1], b];
        if self.in_sheet_data && self.run > MAX_RUN_BYTES {
            return Err(refused(format!(
                "{} holds a text or tag of more than {} MB among its cells",
                self.name,
                megabytes(MAX_RUN_BYTES)
            )));
        }
        Ok(())
    }

    /// A whole tag was read (without its `<` and `>`): its element's name as quick-xml gives it
    /// (up to the first XML space; a namespace prefix, up to the first `:`, does not count).
    fn tag_done(&mut self) -> Result<(), String> {
        let tag = std::mem::take(&mut self.tag);
        let result = match tag.first() {
            Some(b'/') => Ok(()),
            _ => {
                let content = match tag.strip_suffix(b"/") {
                    Some(empty) if !self.tag_overflow => empty,
                    _ => &tag[..],
                };
                let name_end = content.iter().position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
                let (name, attributes) = content.split_at(name_end.unwrap_or(content.len()));
                let local = name.iter().position(|b| *b == b':').map_or(name, |colon| &name[colon + 1..]);
                self.start_tag(local, attributes)
            }
        };
        self.tag = tag;
        result
    }

    fn start_tag(&mut self, local: &[u8], attributes: &[u8]) -> Result<(), String> {
        let checked = match local {
            b"dimension" => true,
            b"row" | b"c" => self.in_sheet_data,
            _ => false,
        };
        if checked && self.tag_overflow {
            return Err(refused(format!(
                "{} has a <{}> tag of more than {MAX_TAG_BYTES} bytes",
                self.name,
                ascii(local)
            )));
        }
        match local {
            b"sheetData" => {
                self.in_sheet_data = true;
                Ok(())
            }
            b"dimension" => match attribute(attributes, b"ref") {
                Some(range) => range.split(|b| *b == b':').try_for_each(|r| self.reference(r)),
                None => Ok(()),
            },
            b"row" if checked => self.row(attributes),
            b"c" if checked => self.cell(attributes),
            _ => Ok(()),
        }
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
pub(super) mod tests {
    use std::io::Write;

    use super::*;
    use crate::features::recon::ingest::{parse, shipped_mappings, Kind};

    pub(in crate::features::recon::ingest) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
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

    /// A workbook calamine opens: one sheet `S`, which the relationships point to at `target`,
    /// stored under `entry`.
    pub(in crate::features::recon::ingest) fn book(target: &str, entry: &str, rows: &str) -> Vec<u8> {
        let workbook = r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
        let rels = format!(
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="{target}"/></Relationships>"#
        );
        zip_of(&[
            ("xl/workbook.xml", workbook.as_bytes()),
            ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
            (entry, &sheet(rows)),
        ])
    }

    /// calamine finds a sheet wherever the relationships point, whatever the case of its name,
    /// with `\` for `/`, and with any extension: each such sheet is held to the limits.
    #[test]
    fn a_sheet_under_any_name_calamine_opens_is_checked() {
        let far = r#"<row r="1"><c r="ZZZZZZ1"><v>1</v></c></row>"#;
        for (target, entry) in [
            ("worksheets/sheet1.xml", "XL/WORKSHEETS/SHEET1.XML"),
            ("worksheets/sheet1.xml", "xl\\worksheets\\sheet1.xml"),
            ("worksheets/s.bin", "xl/worksheets/s.bin"),
            ("/xl/chartsheets/s.png", "xl/chartsheets/s.png"),
        ] {
            let file = book(target, entry, far);
            let message = check(&file, &Limits::DEFAULT).expect_err(entry);
            assert!(message.contains("ZZZZZZ1") && message.contains("past column XFD"), "{entry}: {message}");
            assert!(upload(&file).contains("past column XFD"), "{entry}");
        }
    }

    /// A `>` inside a quoted attribute value does not end the tag (quick-xml reads it so).
    #[test]
    fn a_quoted_greater_than_sign_does_not_hide_a_cell() {
        for rows in [
            r#"<row r="1"><c s=">" r="ZZZZZZ1"><v>1</v></c></row>"#,
            r#"<row r="1"><c s='>"' r="ZZZZZZ1"><v>1</v></c></row>"#,
            r#"<row r="1" spans='1:2>'><c r="ZZZZZZ1"><v>1</v></c></row>"#,
        ] {
            let file = book("worksheets/sheet1.xml", "xl/worksheets/sheet1.xml", rows);
            let message = check(&file, &Limits::DEFAULT).expect_err(rows);
            assert!(message.contains("past column XFD"), "{rows}: {message}");
        }
        // A quote in a comment, CDATA or text is not an attribute's: the cell after it is still read.
        for before in ["<!-- \" -->", "<![CDATA[ \" ]]>", "<?pi \" ?>", "<v>\"</v>"] {
            let rows = format!(r#"<row r="1">{before}<c r="ZZZZZZ1"><v>1</v></c></row>"#);
            let file = book("worksheets/sheet1.xml", "xl/worksheets/sheet1.xml", &rows);
            assert!(check(&file, &Limits::DEFAULT).is_err(), "{rows}");
        }
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
        assert!(check(&last, &Limits::DEFAULT).is_ok());
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
        let limits = Limits { entry_bytes: 1024 * 1024, total_bytes: 4 * 1024 * 1024, ..Limits::DEFAULT };
        let big = sheet(&r#"<row r="1"><c r="A1"><v>0</v></c></row>"#.repeat(64 * 1024));
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
        assert!(check(&honest, &Limits { entry_bytes: 4 * 1024 * 1024, ..limits }).is_ok());
    }

    /// Shared strings cost more memory than their XML (an empty one: 12 bytes of XML, a 24-byte
    /// `String`), and calamine reads them whole: they have a cap of their own, found as calamine
    /// finds the part.
    #[test]
    fn shared_strings_past_their_cap_are_refused() {
        let limits = Limits { strings_bytes: 1024 * 1024, ..Limits::DEFAULT };
        let strings = format!("<sst>{}</sst>", "<si><t/></si>".repeat(100 * 1024));
        assert!(strings.len() > 1024 * 1024);
        for name in ["xl/sharedStrings.xml", "XL\\SHAREDSTRINGS.XML", "xl/styles.xml"] {
            let message = check(&zip_of(&[(name, strings.as_bytes())]), &limits).expect_err(name);
            assert!(message.contains(&format!("{name} inflates past 1 MB")), "{message}");
        }
        // The same XML as any other entry is within that entry's cap.
        assert!(check(&zip_of(&[("xl/other.xml", strings.as_bytes())]), &limits).is_ok());
    }

    #[test]
    fn the_shared_strings_cap_grows_with_the_upload_limit() {
        const MB: u64 = 1024 * 1024;
        assert_eq!(Limits::for_upload(25 * MB).strings_bytes, 100 * MB);
        assert_eq!(Limits::for_upload(200 * MB).strings_bytes, 800 * MB);
        assert_eq!(Limits::for_upload(MB).strings_bytes, 64 * MB, "never below the fixed cap");
        let Limits { entry_bytes, book_bytes, total_bytes, ratio, ratio_floor_bytes, entries, .. } =
            Limits::for_upload(200 * MB);
        let d = Limits::DEFAULT;
        assert_eq!(
            (entry_bytes, book_bytes, total_bytes, ratio, ratio_floor_bytes, entries),
            (d.entry_bytes, d.book_bytes, d.total_bytes, d.ratio, d.ratio_floor_bytes, d.entries)
        );
    }

    #[test]
    fn a_file_inflating_past_its_ratio_is_refused() {
        let limits = Limits { ratio_floor_bytes: 1024 * 1024, ..Limits::DEFAULT };
        let rows = sheet(&"<row/>".repeat(1024 * 1024));
        let file = zip_of(&[("xl/worksheets/sheet1.xml", &rows)]);
        assert!((file.len() as u64) * limits.ratio < rows.len() as u64, "{} bytes", file.len());
        let message = check(&file, &limits).unwrap_err();
        assert!(message.contains("more than 200 times its size"), "{message}");
        // A small file may always inflate as far as the floor.
        assert!(check(&file, &Limits { ratio_floor_bytes: 8 * 1024 * 1024, ..limits }).is_ok());
        // What spreadsheets hold (varied numbers and text) inflates far less.
        let cells: String = (1..=20_000)
            .map(|n| format!(r#"<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>TXN{n:08}</t></is></c><c r="B{n}"><v>{}</v></c></row>"#, n * 7919 % 100_003))
            .collect();
        let real = zip_of(&[("xl/worksheets/sheet1.xml", &sheet(&cells))]);
        assert!(check(&real, &Limits { ratio_floor_bytes: 0, ..limits }).is_ok());
    }

    /// calamine holds a cell's value (and quick-xml any text or tag) in memory whole.
    #[test]
    fn a_cell_value_of_megabytes_is_refused() {
        let long = sheet(&format!(r#"<row r="1"><c r="A1"><v>{}</v></c></row>"#, "0".repeat(2 * 1024 * 1024)));
        let message = check(&zip_of(&[("xl/worksheets/sheet1.xml", &long)]), &Limits::DEFAULT).unwrap_err();
        assert!(message.contains("a text or tag of more than 1 MB"), "{message}");
        // Outside the cells (the shared strings, say), it is left to the entry's cap.
        assert!(check(&zip_of(&[("xl/media/notes.xml", &long[..long.len() / 2])]), &Limits::DEFAULT).is_ok());
    }
}
