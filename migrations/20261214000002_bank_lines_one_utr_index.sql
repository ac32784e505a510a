-- Bank lines are looked up by UTR only case-blind (`upper(utr)`: a payout's verification against
-- the statement's DEBIT lines), which bank_lines_utr_upper_idx serves; the index on the UTR as
-- written was used by no query, and every bank upload added a million entries to it.
-- As in 20261214000001: rather fail than stall every reader behind a long upload or run.
SET LOCAL lock_timeout = '10s';
DROP INDEX bank_lines_utr_idx;
