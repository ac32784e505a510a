-- Bank lines loaded without an upload (only the demo data's: every statement, uploaded or fetched
-- by a connector, comes through an upload) were keyed by their bare reference, while an upload
-- keys a line that has a reference as `BANK:REF` (spec 02 §2.1, `ingest::referenced_key`). So an
-- upload that repeated a demo line was stored beside it, instead of being skipped as a repeat or
-- refused as a clash. Key them as uploads do; the demo loader now does too. A line whose new key
-- is taken already (an upload stored the same reference beside it) keeps its old one.
UPDATE bank_statement_lines l SET natural_key = l.bank_name || ':' || l.bank_ref
WHERE l.source_file_id IS NULL AND l.bank_ref IS NOT NULL AND l.natural_key = l.bank_ref
  AND NOT EXISTS (SELECT 1 FROM bank_statement_lines o WHERE o.natural_key = l.bank_name || ':' || l.bank_ref);
