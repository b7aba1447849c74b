// Package fairscreen screens the text of a draft policy measure against the
// standards of the 公平竞争审查条例 (第八条 to 第十一条) and its 实施办法: the
// text is split into clauses and each clause gets the findings of the rule
// library, with the words that triggered them. The rule library is data.
package fairscreen

// The four categories of standards.
const (
	CategoryEntry    = "市场准入和退出"
	CategoryFlow     = "商品和要素自由流动"
	CategoryCost     = "影响生产经营成本"
	CategoryBehavior = "影响生产经营行为"
)

// Clause is one clause of a screened text with its findings (empty, not
// nil, when none).
type Clause struct {
	Text     string    `json:"text"`
	Findings []Finding `json:"findings"`
}

// Finding names the standard a clause may break. Span is [start, end) in
// runes within the clause's text.
type Finding struct {
	Rule        string `json:"rule,omitempty"`
	Article     string `json:"article"` // e.g. "第九条第（三）项"
	Category    string `json:"category"`
	Span        [2]int `json:"span"`
	Explanation string `json:"explanation"`
}
