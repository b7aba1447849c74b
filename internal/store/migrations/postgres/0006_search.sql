-- Search: a portable inverted index for Chinese full-text search (package
-- internal/search). Neither engine segments Chinese, so the index is built in
-- Go: one row per (kind, term, document) holding the weighted term frequency.
-- dlen, the document's weighted length, is copied onto every term row so that
-- ranking reads one index range per query term and joins nothing; the primary
-- key carries tf and dlen so that range is an index-only scan. Terms compare
-- bytewise (COLLATE "C"): only equality matters and locale collation is slow.
CREATE TABLE search_terms (
	kind TEXT COLLATE "C" NOT NULL,
	term TEXT COLLATE "C" NOT NULL,
	doc_id BIGINT NOT NULL,
	tf INTEGER NOT NULL,
	dlen INTEGER NOT NULL,
	PRIMARY KEY (kind, term, doc_id) INCLUDE (tf, dlen)
);
CREATE INDEX search_terms_doc ON search_terms (kind, doc_id);

-- One row per indexed document: the count and average length of a kind's
-- documents feed the BM25 ranking.
CREATE TABLE search_docs (
	kind TEXT COLLATE "C" NOT NULL,
	doc_id BIGINT NOT NULL,
	dlen INTEGER NOT NULL,
	PRIMARY KEY (kind, doc_id) INCLUDE (dlen)
);
