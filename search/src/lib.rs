//! Atrium's search: the tantivy schema, the indexer fed by the change feed, queries and
//! snippets.
