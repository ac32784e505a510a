//! Rows of a `COPY … TO STDOUT (FORMAT binary)`, read from the chunks PostgreSQL sends.
//!
//! Why binary: a report of a million rows is read fastest this way. PostgreSQL sends each value in
//! its wire form (no text formatting on the server), and no per-row protocol work is done on this
//! side (a cursor's rows cost a decoded `PgRow` each). The values are turned into cells here, once,
//! by the same code whatever the file (`features::reports::queries`).
//!
//! The format (PostgreSQL docs, "COPY", "Binary Format"): an 11-byte signature, a flags word and a
//! header extension; then per row a 16-bit field count (-1 ends the data) and per field a 32-bit
//! length (-1 for NULL) and that many bytes, all big-endian. Values are in each type's binary
//! "send" form; the ones read here are `bigint`, `date`, `timestamptz` and `text`.

use chrono::{DateTime, Days, NaiveDate, Utc};

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_DAYS: i64 = 10_957;
/// Microseconds from the Unix epoch to PostgreSQL's.
const PG_EPOCH_MICROS: i64 = PG_EPOCH_DAYS * 86_400 * 1_000_000;

/// A stream that is not PostgreSQL's binary COPY format, or a value not of the type expected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("binary COPY: {0}")]
pub struct FormatError(pub String);

fn bad(what: impl Into<String>) -> FormatError {
    FormatError(what.into())
}

/// Reads whole rows out of the chunks pushed into it (a row may span chunks).
#[derive(Default)]
pub struct Reader {
    buf: Vec<u8>,
    /// Where the unread bytes of `buf` start.
    pos: usize,
    header_read: bool,
    ended: bool,
    /// The fields of the last row read: where each value lies in `buf`, `None` for NULL.
    fields: Vec<Option<(usize, usize)>>,
}

/// One row: its fields' bytes, valid until the next read.
pub struct Row<'a> {
    buf: &'a [u8],
    fields: &'a [Option<(usize, usize)>],
}

impl Row<'_> {
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Field `i`'s bytes; `None` for NULL (and for a field the row does not have).
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.fields.get(i).copied().flatten().map(|(start, end)| &self.buf[start..end])
    }
}

impl Reader {
    pub fn new() -> Reader {
        Reader::default()
    }

    /// Add the next chunk of the stream.
    pub fn push(&mut self, chunk: &[u8]) {
        // Drop what was read before growing: the buffer holds about one chunk and one row.
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next whole row of the bytes pushed so far; `None` when more bytes are needed or the
    /// data has ended ([`Reader::finish`] tells which).
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, FormatError> {
        if self.ended {
            return Ok(None);
        }
        if !self.header_read {
            let Some(rest) = self.buf.get(self.pos..) else { return Ok(None) };
            if rest.len() < SIGNATURE.len() + 8 {
                return Ok(None);
            }
            if &rest[..SIGNATURE.len()] != SIGNATURE {
                return Err(bad("the stream does not start with the binary COPY signature"));
            }
            let flags = u32::from_be_bytes(rest[11..15].try_into().expect("4 bytes"));
            // Bit 16: OIDs included (never asked for); bits 0-15 are reserved for format changes.
            if flags & 0x0001_ffff != 0 {
                return Err(bad(format!("unsupported header flags {flags:#x}")));
            }
            let extension = u32::from_be_bytes(rest[15..19].try_into().expect("4 bytes")) as usize;
            if rest.len() < 19 + extension {
                return Ok(None);
            }
            self.pos += 19 + extension;
            self.header_read = true;
        }
        let start = self.pos;
        let buf = &self.buf;
        let Some(count) = buf.get(start..start + 2) else { return Ok(None) };
        let count = i16::from_be_bytes(count.try_into().expect("2 bytes"));
        if count == -1 {
            self.pos = start + 2;
            self.ended = true;
            return Ok(None);
        }
        let count = usize::try_from(count).map_err(|_| bad(format!("a row of {count} fields")))?;
        self.fields.clear();
        let mut at = start + 2;
        for _ in 0..count {
            let Some(length) = buf.get(at..at + 4) else { return Ok(None) };
            let length = i32::from_be_bytes(length.try_into().expect("4 bytes"));
            at += 4;
            if length == -1 {
                self.fields.push(None);
                continue;
            }
            let length = usize::try_from(length).map_err(|_| bad(format!("a field of {length} bytes")))?;
            if buf.len() < at + length {
                return Ok(None);
            }
            self.fields.push(Some((at, at + length)));
            at += length;
        }
        self.pos = at;
        Ok(Some(Row { buf: &self.buf, fields: &self.fields }))
    }

    /// The stream is over: it must have ended with the end-of-data mark and nothing after it.
    pub fn finish(&self) -> Result<(), FormatError> {
        if !self.ended {
            return Err(bad("the data stopped before its end-of-data mark"));
        }
        if self.pos != self.buf.len() {
            return Err(bad("bytes after the end-of-data mark"));
        }
        Ok(())
    }
}

fn exactly<const N: usize>(bytes: &[u8], what: &str) -> Result<[u8; N], FormatError> {
    bytes.try_into().map_err(|_| bad(format!("{what}: {} bytes, not {N}", bytes.len())))
}

/// A `bigint`.
pub fn int8(bytes: &[u8]) -> Result<i64, FormatError> {
    Ok(i64::from_be_bytes(exactly(bytes, "bigint")?))
}

/// A `date` (days since 2000-01-01); the infinities are refused.
pub fn date(bytes: &[u8]) -> Result<NaiveDate, FormatError> {
    let days = i64::from(i32::from_be_bytes(exactly(bytes, "date")?));
    let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date");
    let date = if days >= 0 {
        epoch.checked_add_days(Days::new(days as u64))
    } else {
        epoch.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    date.filter(|_| days != i64::from(i32::MAX) && days != i64::from(i32::MIN))
        .ok_or_else(|| bad(format!("date {days} out of range")))
}

/// A `timestamptz` (microseconds since 2000-01-01 UTC); the infinities are refused.
pub fn timestamptz(bytes: &[u8]) -> Result<DateTime<Utc>, FormatError> {
    let micros = i64::from_be_bytes(exactly(bytes, "timestamptz")?);
    if micros == i64::MAX || micros == i64::MIN {
        return Err(bad("an infinite timestamp"));
    }
    micros
        .checked_add(PG_EPOCH_MICROS)
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(|| bad(format!("timestamp {micros} out of range")))
}

/// A `text` (UTF-8: the database's encoding).
pub fn text(bytes: &[u8]) -> Result<&str, FormatError> {
    std::str::from_utf8(bytes).map_err(|_| bad("text that is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(rows: &[Vec<Option<&[u8]>>]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        for row in rows {
            out.extend_from_slice(&(row.len() as i16).to_be_bytes());
            for field in row {
                match field {
                    None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                    Some(b) => {
                        out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                        out.extend_from_slice(b);
                    }
                }
            }
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    /// Whatever the chunking (a byte at a time, or all at once), the same rows come out.
    #[test]
    fn rows_come_out_whole_however_the_stream_is_cut() {
        let rows: Vec<Vec<Option<&[u8]>>> =
            vec![vec![Some(b"abc"), None, Some(&[0, 0, 0, 0, 0, 0, 0, 7])], vec![Some(b""), Some(b"x"), None], vec![]];
        let bytes = stream(&rows);
        for size in [1, 2, 3, 7, 19, 20, bytes.len()] {
            let mut reader = Reader::new();
            let mut seen: Vec<Vec<Option<Vec<u8>>>> = Vec::new();
            for chunk in bytes.chunks(size) {
                reader.push(chunk);
                while let Some(row) = reader.next_row().unwrap() {
                    seen.push((0..row.len()).map(|i| row.get(i).map(<[u8]>::to_vec)).collect());
                }
            }
            reader.finish().unwrap();
            let expected: Vec<Vec<Option<Vec<u8>>>> =
                rows.iter().map(|r| r.iter().map(|f| f.map(<[u8]>::to_vec)).collect()).collect();
            assert_eq!(seen, expected, "chunks of {size}");
        }
    }

    #[test]
    fn a_cut_or_foreign_stream_is_refused() {
        let bytes = stream(&[vec![Some(b"abc")]]);
        let mut reader = Reader::new();
        reader.push(&bytes[..bytes.len() - 1]);
        assert!(reader.next_row().unwrap().is_some());
        assert!(reader.next_row().unwrap().is_none());
        assert!(reader.finish().is_err(), "no end-of-data mark");
        let mut reader = Reader::new();
        reader.push(&bytes);
        reader.push(b"x");
        while reader.next_row().unwrap().is_some() {}
        assert!(reader.finish().is_err(), "bytes after the end");
        let mut reader = Reader::new();
        reader.push(b"txn_id,amount\nT1,100\n");
        assert!(reader.next_row().is_err());
    }

    #[test]
    fn values_in_their_send_form() {
        assert_eq!(int8(&(-1234567i64).to_be_bytes()), Ok(-1234567));
        assert!(int8(&[0, 0, 0, 1]).is_err(), "an int4 is not a bigint");
        assert_eq!(date(&0i32.to_be_bytes()), Ok(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()));
        assert_eq!(date(&9820i32.to_be_bytes()), Ok(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()));
        assert_eq!(date(&(-1i32).to_be_bytes()), Ok(NaiveDate::from_ymd_opt(1999, 12, 31).unwrap()));
        assert!(date(&i32::MAX.to_be_bytes()).is_err(), "infinity");
        // 2026-11-20 08:35:09.25 UTC.
        let micros = (9820i64 * 86_400 + 8 * 3600 + 35 * 60 + 9) * 1_000_000 + 250_000;
        assert_eq!(
            timestamptz(&micros.to_be_bytes()).unwrap(),
            DateTime::parse_from_rfc3339("2026-11-20T08:35:09.25Z").unwrap().with_timezone(&Utc)
        );
        assert!(timestamptz(&i64::MAX.to_be_bytes()).is_err());
        assert_eq!(text("₹ ok".as_bytes()), Ok("₹ ok"));
        assert!(text(&[0xff, 0xfe]).is_err());
    }
}
