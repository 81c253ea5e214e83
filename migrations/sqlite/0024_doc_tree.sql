-- The page tree: documents nest under other documents of their project, in an order among
-- their siblings.
--
-- `parent_id`: the document this one sits under (same project, kind 'doc'), null at the top.
-- A live document's parent is always live: trashing a document moves its children up to its
-- own parent (server/src/docs/tree.rs).
-- `tree_key`: an order key among the siblings (fractional indexing, compared byte by byte, as
-- boards order their cards), so a move writes one row. '' (documents older than the tree)
-- sorts first, by creation; the first move in such a group gives every sibling a key.
alter table docs add column parent_id text references docs (id) on delete set null;
alter table docs add column tree_key text not null default '';
create index docs_tree on docs (project_id, parent_id, tree_key);

-- One row per project whose tree has changed: on PostgreSQL a move updates it first, so moves
-- in one project queue on its row lock and none sees a tree another is changing (two
-- concurrent moves could otherwise each pass the cycle check and together make a cycle).
create table doc_trees (
    project_id text primary key references projects (id) on delete cascade,
    org_id text not null references orgs (id) on delete cascade,
    changes bigint not null
);
