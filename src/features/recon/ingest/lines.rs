//! Editor line numbers for the records of a CSV stream. The `csv` crate stamps a record with the
//! line where the reader *stood* before reading it, which is the line break before the record
//! when the file ends its lines with CRLF (the `\n` is still unread) or has blank lines (they are
//! skipped while reading the record): rows would be reported one line early. This reader sits
//! under the CSV parser, remembers where the runs of line-break bytes are, and turns a record's
//! starting byte offset into the line its first character is on, as an editor numbers it
//! (line 1 first; a quoted field with a line break in it makes the next record start lower).

use std::collections::VecDeque;
use std::io::Read;

/// A run of consecutive `\r`/`\n` bytes: where it starts and ends (exclusive), and how many `\n`
/// were read by its end.
#[derive(Clone, Copy, Debug)]
struct Breaks {
    start: u64,
    end: u64,
    newlines_by_end: u64,
}

/// Passes bytes through, noting the line-break runs it has not yet been asked past. Only runs
/// in the parser's read-ahead are kept, so memory stays bounded whatever the file's length.
pub struct LineTracker<R> {
    inner: R,
    offset: u64,
    newlines: u64,
    runs: VecDeque<Breaks>,
    /// `\n` count at the end of the last run dropped (all of them lie before any later query).
    newlines_before: u64,
}

impl<R: Read> LineTracker<R> {
    pub fn new(inner: R) -> Self {
        LineTracker { inner, offset: 0, newlines: 0, runs: VecDeque::new(), newlines_before: 0 }
    }

    /// The editor line of the first character at or after `byte` that is not a line break.
    /// Asked with offsets that never go backwards (one record after the other).
    pub fn line_at(&mut self, byte: u64) -> u64 {
        while let Some(run) = self.runs.front().copied().filter(|r| r.end <= byte) {
            self.newlines_before = run.newlines_by_end;
            self.runs.pop_front();
        }
        match self.runs.front() {
            // The record's reading began inside line breaks it skipped: its text starts after them.
            Some(run) if run.start <= byte => run.newlines_by_end + 1,
            _ => self.newlines_before + 1,
        }
    }
}

impl<R> LineTracker<R> {
    #[cfg(test)]
    fn retained(&self) -> usize {
        self.runs.len()
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, byte) in buf[..n].iter().enumerate() {
            if !matches!(byte, b'\r' | b'\n') {
                continue;
            }
            let at = self.offset + i as u64;
            self.newlines += u64::from(*byte == b'\n');
            match self.runs.back_mut() {
                Some(run) if run.end == at => {
                    run.end = at + 1;
                    run.newlines_by_end = self.newlines;
                }
                _ => self.runs.push_back(Breaks { start: at, end: at + 1, newlines_by_end: self.newlines }),
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_the_line_of_the_next_character() {
        let mut t = LineTracker::new(&b"ab\r\n\r\ncd\nef"[..]);
        std::io::copy(&mut t, &mut std::io::sink()).unwrap();
        assert_eq!(t.line_at(0), 1);
        // Inside "\r\n\r\n": the text after it, "cd", is on line 3.
        assert_eq!(t.line_at(3), 3);
        assert_eq!(t.line_at(6), 3);
        assert_eq!(t.line_at(9), 4);
    }

    #[test]
    fn a_field_of_a_million_lines_is_numbered_in_bounded_memory() {
        let text = format!("h1,h2\n1,\"{}\"\n2,x\n", "a\n".repeat(1_000_000));
        let mut csv = csv::ReaderBuilder::new().has_headers(false).from_reader(LineTracker::new(text.as_bytes()));
        let mut record = csv::StringRecord::new();
        let mut lines = Vec::new();
        while csv.read_record(&mut record).unwrap() {
            let at = record.position().unwrap().byte();
            lines.push(csv.get_mut().line_at(at));
            assert!(csv.get_ref().retained() <= 8 * 1024, "{} runs kept", csv.get_ref().retained());
        }
        assert_eq!(lines, vec![1, 2, 1_000_003]);
    }
}
