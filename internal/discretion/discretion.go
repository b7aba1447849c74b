// Package discretion proposes the penalty level and range for a violation
// from published lists and discretion benchmarks (包容审慎监管: 不予处罚清单,
// 减轻处罚清单, 从轻处罚清单, 首违不罚, 裁量基准; 行政处罚法 第三十二条 to
// 第三十四条), with a trace of every rule applied that a legal reviewer can
// read. The lists and benchmarks are data, per department and matter.
package discretion

// Level is a discretion level (裁量阶次).
type Level string

// The levels, from the lightest.
const (
	LevelNone    Level = "none"    // 不予处罚
	LevelReduced Level = "reduced" // 减轻处罚
	LevelLighter Level = "lighter" // 从轻处罚
	LevelNormal  Level = "normal"  // 一般处罚
	LevelHeavier Level = "heavier" // 从重处罚
)

// Query is what the engine is asked: a matter (违法事项) of a department and
// the facts of one case. Facts are named as the matter's rules name them
// (e.g. "first_violation", "harm_slight", "corrected_in_time",
// "eliminated_harm", "coerced", "confessed", "repeat_within_year"); values
// are "true"/"false" or numbers written in decimal.
type Query struct {
	DepartmentCode string
	MatterCode     string
	Facts          map[string]string
}

// Step is one rule applied, in order: what it said, the legal text it rests
// on, and whether it held for the facts given.
type Step struct {
	Rule  string // the rule's id in the data
	Text  string // what the rule says, in Chinese
	Basis string // the article, e.g. "《行政处罚法》第三十三条第一款"
	Held  bool
}

// Proposal is the engine's answer. Fines are in fen (分); FineMin and
// FineMax are both 0 when no fine is proposed. Education is set when no
// penalty is given and the party must be educated (第三十三条第三款).
type Proposal struct {
	Level     Level
	FineMin   int64
	FineMax   int64
	Education bool
	Trace     []Step
	// Version identifies the published lists and benchmarks used, so the
	// proposal can be replayed later.
	Version string
}
