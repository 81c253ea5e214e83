-- The newest event of one audience (a project's board) in one index step: a board load asks
-- for it to know whether the cards it keeps in memory are still those of the project
-- (server/src/boards/cache.rs).
create index events_audience on events (audience, target, seq);
