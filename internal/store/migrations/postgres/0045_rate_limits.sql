-- Rate limits shared by every node (store.Limiter): one row per scope (what
-- is limited, e.g. the public credit search) and key (the SHA-256, hex, of
-- what is counted, a client address), with the hits of its current window
-- and when that window began. A hit after the window ends starts a new one.
CREATE TABLE rate_limits (
	scope TEXT NOT NULL,
	key TEXT NOT NULL,
	hits INTEGER NOT NULL DEFAULT 0,
	window_start TIMESTAMP NOT NULL,
	PRIMARY KEY (scope, key)
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
