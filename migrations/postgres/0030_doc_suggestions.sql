-- Suggested edits (review mode) on documents: a comment thread whose first comment proposes
-- text for its anchored range. `suggestion`: the proposed text (empty: delete the range);
-- `outcome`: 'accepted' or 'rejected' once someone who may edit the document decided (the
-- thread is resolved then; reopening it clears the outcome).
alter table doc_comments add column suggestion text;
alter table doc_comments add column outcome text;
