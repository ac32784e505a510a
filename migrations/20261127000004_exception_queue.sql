-- The exception work queue's read paths (issue 5). The queue shows the active set (not closed)
-- most urgent first; a partial index in SLA-due order serves the default page, "SLA breached"
-- (a range of the same order) and the tiles without touching the closed history, which grows
-- forever. Its predicate is the literal status list the queries use, so the planner can match it.
CREATE INDEX exceptions_active_due_idx ON exceptions (sla_due_at, id)
    INCLUDE (status, severity, reason_code, snoozed_until)
    WHERE status IN ('open', 'investigating', 'snoozed', 'escalated');
-- The counts of a filter by status, severity and reason (the list API's `counts`, the page's
-- facets) from the index alone, already in group order; `sla_due_at` serves "SLA breached" and
-- `snoozed_until` the read-time wake-up.
CREATE INDEX exceptions_active_facets_idx ON exceptions (status, severity, reason_code, sla_due_at)
    INCLUDE (snoozed_until)
    WHERE status IN ('open', 'investigating', 'snoozed', 'escalated');
-- "Resolved in the last 7 days" and the closed views sorted by age.
CREATE INDEX exceptions_resolved_idx ON exceptions (resolved_at) WHERE resolved_at IS NOT NULL;
-- Search by UTR.
CREATE INDEX exceptions_utr_idx ON exceptions (utr) WHERE utr IS NOT NULL;
-- The general (status, sla_due_at) index is superseded by the partial one for every active query.
DROP INDEX exceptions_queue_idx;
CREATE INDEX exceptions_status_due_idx ON exceptions (status, sla_due_at, id);
-- The next snooze end (when the queue's counts change by time alone) and the wake-up job's scan.
CREATE INDEX exceptions_snoozed_idx ON exceptions (snoozed_until) WHERE status = 'snoozed';

-- The queue's counts are cached per filter on each instance; every change to the exceptions
-- flushes them everywhere (see migration change_notifications).
CREATE TRIGGER exceptions_change
    AFTER INSERT OR UPDATE OR DELETE ON exceptions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_exceptions');
CREATE TRIGGER exceptions_truncate_change
    AFTER TRUNCATE ON exceptions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_exceptions');
