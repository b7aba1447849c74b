package credit

// Kind is a kind of credit record (信用信息).
type Kind string

// The kinds of record the platform keeps. The lists (经营异常名录,
// 严重违法失信名单) are kept apart, as decisions with a term (lists.go).
const (
	KindLicense         Kind = "license"          // 行政许可
	KindPenalty         Kind = "penalty"          // 行政处罚
	KindInspection      Kind = "inspection"       // 抽查检查结果
	KindEnforcement     Kind = "enforcement"      // 行政强制
	KindJudicial        Kind = "judicial"         // 司法判决、被执行人
	KindTaxArrears      Kind = "tax_arrears"      // 欠税
	KindHonour          Kind = "honour"           // 荣誉表彰
	KindSupport         Kind = "support"          // 扶持政策
	KindCommitment      Kind = "commitment"       // 信用承诺及履行
	KindAnnualReport    Kind = "annual_report"    // 年度报告
	KindIPPledge        Kind = "ip_pledge"        // 知识产权出质
	KindComplaint       Kind = "complaint"        // 投诉举报 (from the hotline)
	KindFalseCommitment Kind = "false_commitment" // 虚假承诺 (告知承诺 found false)
)

// AllKinds lists every kind, in display order.
var AllKinds = []Kind{KindLicense, KindPenalty, KindInspection, KindEnforcement, KindJudicial, KindTaxArrears,
	KindHonour, KindSupport, KindCommitment, KindAnnualReport, KindIPPledge, KindComplaint, KindFalseCommitment}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range AllKinds {
		if x == k {
			return true
		}
	}
	return false
}
