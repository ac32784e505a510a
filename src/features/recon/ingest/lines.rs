//! Editor line numbers for the records of a CSV stream. The `csv` crate stamps a record with the
//! line where the reader *stood* before reading it, which is the line break before the record
//! when the file ends its lines with CRLF (the `\n` is still unread) or has blank lines (they are
//! skipped while reading the record): rows would be reported one line early. This reader sits
//! under the CSV parser, is told where each record's reading begins, and numbers the record by the
//! line its first character is on, as an editor numbers it (line 1 first; a quoted field with a
//! line break in it makes the next record start lower). A line ends at `\n`, `\r\n` or a lone
//! `\r` (Excel for Mac's "CSV (Macintosh)"), the three record terminators of the CSV reader.
//!
//! Memory stays bounded whatever the file holds: only the line breaks of the last block read are
//! kept. The CSV reader refills its buffer from here only once it has used all of it, so when it
//! has read a record, the next one begins inside the last block (a quoted field of a million lines
//! leaves nothing behind).

use std::io::Read;

/// A run of consecutive `\r`/`\n` bytes: where it starts and ends (exclusive), and how many line
/// breaks were read by its end.
#[derive(Clone, Copy, Debug)]
struct Breaks {
    start: u64,
    end: u64,
    newlines_by_end: u64,
}

/// Passes bytes through, noting the line-break runs of the last block read.
pub struct LineTracker<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// Line breaks read so far: each `\r`, and each `\n` but the one of a `\r\n`.
    newlines: u64,
    /// Was the last byte read a `\r`? (A `\r\n` may be split between two blocks.)
    after_cr: bool,
    /// Where the last block read starts, and the line breaks before it.
    block_start: u64,
    newlines_before_block: u64,
    runs: Vec<Breaks>,
    /// The editor line of the record being read, once its first character has been read.
    record_line: Option<u64>,
}

impl<R> LineTracker<R> {
    pub fn new(inner: R) -> Self {
        LineTracker {
            inner,
            offset: 0,
            newlines: 0,
            after_cr: false,
            block_start: 0,
            newlines_before_block: 0,
            runs: Vec::new(),
            record_line: None,
        }
    }

    /// The next record's reading begins at `byte` (the CSV reader's position): its line is that
    /// of the first character at or after `byte` that is not a line break.
    pub fn start_record_at(&mut self, byte: u64) {
        debug_assert!((self.block_start..=self.offset).contains(&byte), "a record starts in the last block read");
        self.record_line = match self.runs.iter().find(|run| run.end > byte) {
            // Inside line breaks the reading skips: the text starts after them, if read yet.
            Some(run) if run.start <= byte => (run.end < self.offset).then_some(run.newlines_by_end + 1),
            _ if byte < self.offset => {
                let before = self.runs.iter().rev().find(|run| run.end <= byte);
                Some(before.map_or(self.newlines_before_block, |run| run.newlines_by_end) + 1)
            }
            _ => None,
        };
    }

    /// The editor line of the record begun at the last [`start_record_at`](Self::start_record_at).
    pub fn record_line(&self) -> u64 {
        // Not yet known only when nothing but line breaks followed: the line after them.
        self.record_line.unwrap_or(self.newlines + 1)
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        // The records still to number begin in this block: the breaks of earlier ones are done with.
        self.runs.clear();
        self.block_start = self.offset;
        self.newlines_before_block = self.newlines;
        for (i, byte) in buf[..n].iter().enumerate() {
            let after_cr = std::mem::replace(&mut self.after_cr, *byte == b'\r');
            if !matches!(byte, b'\r' | b'\n') {
                self.record_line.get_or_insert(self.newlines + 1);
                continue;
            }
            let at = self.offset + i as u64;
            // A `\r` ends a line at once; the `\n` of a `\r\n` then ends nothing more.
            self.newlines += u64::from(*byte == b'\r' || !after_cr);
            match self.runs.last_mut() {
                Some(run) if run.end == at => {
                    run.end = at + 1;
                    run.newlines_by_end = self.newlines;
                }
                _ => self.runs.push(Breaks { start: at, end: at + 1, newlines_by_end: self.newlines }),
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of a record whose reading begins at `byte`, the tracker having read `read_first`
    /// bytes by then (as the CSV reader's buffer would have).
    fn line_of_record(text: &[u8], read_first: usize, byte: u64) -> u64 {
        let mut t = LineTracker::new(text);
        assert_eq!(t.read(&mut vec![0; read_first]).unwrap(), read_first);
        t.start_record_at(byte);
        std::io::copy(&mut t, &mut std::io::sink()).unwrap();
        t.record_line()
    }

    #[test]
    fn offsets_map_to_the_line_of_the_next_character() {
        let text = b"ab\r\n\r\ncd\nef";
        let line = |byte| line_of_record(text, text.len(), byte);
        assert_eq!(line(0), 1);
        // Inside "\r\n\r\n": the text after it, "cd", is on line 3.
        assert_eq!(line(3), 3);
        assert_eq!(line(6), 3);
        assert_eq!(line(9), 4);
        // The breaks run on past what was read when the record began: its line is known later.
        assert_eq!(line_of_record(text, 3, 3), 3);
        assert_eq!(line_of_record(text, 4, 3), 3);
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let text = b"ab\rcd\r\ref\r\ngh\n\rij";
        let line = |byte| line_of_record(text, text.len(), byte);
        assert_eq!(line(3), 2, "cd");
        assert_eq!(line(5), 4, "ef, after a blank line");
        assert_eq!(line(9), 5, "gh, after a CRLF");
        assert_eq!(line(13), 7, "ij, after LF then CR");
        // A CRLF split between two blocks is one line break, not two.
        assert_eq!(line_of_record(b"ab\r\ncd", 3, 3), 2);
        assert_eq!(line_of_record(b"ab\r\ncd", 3, 2), 2);
    }

    #[test]
    fn a_field_of_a_million_lines_is_numbered_in_bounded_memory() {
        let text = format!("h1,h2\n1,\"{}\"\n2,x\n", "a\n".repeat(1_000_000));
        let mut csv = csv::ReaderBuilder::new().has_headers(false).from_reader(LineTracker::new(text.as_bytes()));
        let mut record = csv::StringRecord::new();
        let mut lines = Vec::new();
        loop {
            let at = csv.position().byte();
            csv.get_mut().start_record_at(at);
            if !csv.read_record(&mut record).unwrap() {
                break;
            }
            lines.push(csv.get_ref().record_line());
            let kept = csv.get_ref().runs.len();
            assert!(kept <= 8 * 1024, "{kept} runs kept");
        }
        assert_eq!(lines, vec![1, 2, 1_000_003]);
    }
}
