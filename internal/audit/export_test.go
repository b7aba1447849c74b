package audit

// ComputeHash exposes the entry hash to tests that play a forger who
// recomputes the hash of the row they edit.
func ComputeHash(r *Record) string { return r.computeHash() }
