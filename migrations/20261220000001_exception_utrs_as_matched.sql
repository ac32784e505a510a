-- Exception records hold the UTR as the engine matched it (trimmed, upper case): the queue's search
-- upper-cases what it is given and compares it with the stored UTR through its index. Records made
-- before hold the file's spelling; they are brought to the same form once.
UPDATE exceptions SET utr = upper(btrim(utr)) WHERE utr IS NOT NULL AND utr <> upper(btrim(utr));
