package store

// Prepared reports how many statements db keeps prepared.
func Prepared(db *DB) int {
	db.stmts.mu.Lock()
	defer db.stmts.mu.Unlock()
	return len(db.stmts.m)
}

// MaxStmts is maxStmts, for tests.
const MaxStmts = maxStmts

// CheckpointEvery is checkpointEvery, for tests.
const CheckpointEvery = checkpointEvery
