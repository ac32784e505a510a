-- A scheduled run's file masks personal data for its creator's roles, and since this migration
-- merchants' payout account numbers are shown in full to finance only (spec 09: masked unless the
-- role needs it), while bank remarks stay readable to every role but the auditor. `masked` keeps
-- saying whether free text (and, before this migration, everything) was masked; `accounts_masked`
-- says whether account numbers were. Files written before it masked both or neither.
ALTER TABLE report_runs ADD COLUMN accounts_masked BOOLEAN;
UPDATE report_runs SET accounts_masked = masked WHERE masked IS NOT NULL;
ALTER TABLE report_runs ADD CONSTRAINT report_runs_completed_says_accounts_masked
    CHECK (status <> 'completed' OR accounts_masked IS NOT NULL);
