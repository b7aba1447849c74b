-- Search: a portable inverted index for Chinese full-text search (package
-- internal/search). Neither engine segments Chinese, so the index is built in
-- Go: one row per (kind, term, document) holding the weighted term frequency.
-- dlen, the document's weighted length, is copied onto every term row so that
-- ranking reads one index range per query term and joins nothing.
CREATE TABLE search_terms (
	kind TEXT NOT NULL,
	term TEXT NOT NULL,
	doc_id INTEGER NOT NULL,
	tf INTEGER NOT NULL,
	dlen INTEGER NOT NULL,
	PRIMARY KEY (kind, doc_id, term)
) WITHOUT ROWID;
-- The table is clustered by document, so Put and Delete touch one range; the
-- covering index on term is what Search reads.
CREATE INDEX search_terms_term ON search_terms (kind, term, doc_id, tf, dlen);

-- One row per indexed document: the count and average length of a kind's
-- documents feed the BM25 ranking.
CREATE TABLE search_docs (
	kind TEXT NOT NULL,
	doc_id INTEGER NOT NULL,
	dlen INTEGER NOT NULL,
	PRIMARY KEY (kind, doc_id)
) WITHOUT ROWID;
