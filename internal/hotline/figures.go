package hotline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// The hotline's figures (考核指标) are computed from hotline_orders alone,
// by one GROUP BY per month over the covering index hotline_orders_figures
// (migration 0012). An order belongs to the month, in China Standard Time,
// in which it was taken in (created_at). The formulas, stated on every page
// that shows them (FormulaNotes):
//
//   - 响应率 (response) = orders signed for within the sign-for limit /
//     dispatched orders that were signed for or whose sign-for limit has
//     passed. An order still inside its sign-for limit is not judged yet.
//   - 解决率 (resolution) = orders the citizen called solved at the return
//     visit / visited orders.
//   - 满意率 (satisfaction) = (满意 + 基本满意) / visited orders: the two
//     favourable verdicts count alike (no weighting).
//   - 按时办结率 (on-time closure) = closed orders whose reply came within
//     the handling limit (with granted extensions) / closed orders.
//
// Department rates count the orders a department led (主办); region rates
// count the same orders grouped by the order's region. Orders closed at
// intake (直接办结) count in the totals but in no rate: no department
// handled them. A merged duplicate (已合并) counts once, through its master;
// the duplicate itself counts in no total and no rate. A reopened order
// (重办) counts once: its response by its first sign-for, its resolution and
// satisfaction by its latest return visit (while it is redone, by the
// dissatisfied visit that reopened it), its closure against the handling
// limit of its latest round; the number of reopened orders is shown beside.
// An order whose return visit ended as 无法联系 (Unreachable: the set
// number of calls all failed) has no verdict: visit_solved stays NULL, so it
// counts in neither the resolution nor the satisfaction rate, as if not
// visited, but in the response and on-time rates.
// Deadlines come from the workflow engine, copied onto the order by the
// triggers of migration 0012; an order from before them has no deadline and
// counts as in time.

// Rate is a numerator over a denominator.
type Rate struct {
	N int `json:"numerator"`
	D int `json:"denominator"`
}

// Defined reports whether the rate has a denominator.
func (r Rate) Defined() bool { return r.D > 0 }

// Value returns the rate between 0 and 1, and 0 when undefined.
func (r Rate) Value() float64 {
	if r.D == 0 {
		return 0
	}
	return float64(r.N) / float64(r.D)
}

// String returns the rate as a percentage with one decimal, or "—".
func (r Rate) String() string {
	if r.D == 0 {
		return "—"
	}
	return strconv.FormatFloat(100*r.Value(), 'f', 1, 64) + "%"
}

// MarshalJSON adds the rate itself (null when undefined).
func (r Rate) MarshalJSON() ([]byte, error) {
	v := "null"
	if r.D > 0 {
		v = strconv.FormatFloat(math.Round(r.Value()*10000)/10000, 'f', -1, 64)
	}
	return fmt.Appendf(nil, `{"numerator":%d,"denominator":%d,"rate":%s}`, r.N, r.D, v), nil
}

func (r *Rate) add(o Rate) { r.N += o.N; r.D += o.D }

// Weights are the shares of the rates in the composite score. They need
// not add up to 1: the score divides by the weights of the rates that are
// defined, so a department with no return visit yet is scored on what it
// has.
type Weights struct {
	Response     float64 `json:"response"`
	Resolution   float64 `json:"resolution"`
	Satisfaction float64 `json:"satisfaction"`
	OnTime       float64 `json:"on_time"`
}

// DefaultWeights is 响应率 20% + 解决率 40% + 满意率 40%, the weights of the
// Beijing-style 接诉即办 assessment; on-time closure is shown but not scored.
func DefaultWeights() Weights {
	return Weights{Response: 0.2, Resolution: 0.4, Satisfaction: 0.4}
}

func (w Weights) valid() bool {
	for _, x := range []float64{w.Response, w.Resolution, w.Satisfaction, w.OnTime} {
		if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return w.Response+w.Resolution+w.Satisfaction+w.OnTime > 0
}

// Percent returns weight x as a whole percentage of all the weights.
func (w Weights) Percent(x float64) int {
	sum := w.Response + w.Resolution + w.Satisfaction + w.OnTime
	if sum == 0 {
		return 0
	}
	return int(math.Round(100 * x / sum))
}

// Rates are one group's figures for one month.
type Rates struct {
	// Key is the department id or the region code; Name its name.
	Key  string `json:"key"`
	Name string `json:"name"`
	// Orders is how many orders were taken in (merged duplicates excluded).
	Orders       int  `json:"orders"`
	Merged       int  `json:"merged"`
	DirectClosed int  `json:"direct_closed"`
	Reopened     int  `json:"reopened"`
	Response     Rate `json:"response_rate"`
	Resolution   Rate `json:"resolution_rate"`
	Satisfaction Rate `json:"satisfaction_rate"`
	OnTime       Rate `json:"on_time_rate"`
	// Score is the composite score from 0 to 100; Scored is false when no
	// weighted rate is defined.
	Score  float64 `json:"score"`
	Scored bool    `json:"scored"`
	// Rank is the place in the ranking (1 is best), 0 when not ranked.
	// Equal scores (to the one decimal shown) share a place (Tied), and
	// the next place counts them: 1, 1, 3.
	Rank int  `json:"rank,omitempty"`
	Tied bool `json:"tied,omitempty"`
	// SmallSample is set in the public ranking on a department with fewer
	// orders than the minimum sample: shown, not ranked (样本不足).
	SmallSample bool `json:"small_sample,omitempty"`
}

func (r *Rates) add(o *Rates) {
	r.Orders += o.Orders
	r.Merged += o.Merged
	r.DirectClosed += o.DirectClosed
	r.Reopened += o.Reopened
	r.Response.add(o.Response)
	r.Resolution.add(o.Resolution)
	r.Satisfaction.add(o.Satisfaction)
	r.OnTime.add(o.OnTime)
}

// score sets Score from w.
func (r *Rates) score(w Weights) {
	var sum, weight float64
	for _, x := range []struct {
		r Rate
		w float64
	}{{r.Response, w.Response}, {r.Resolution, w.Resolution}, {r.Satisfaction, w.Satisfaction}, {r.OnTime, w.OnTime}} {
		if x.r.Defined() && x.w > 0 {
			sum += x.w * x.r.Value()
			weight += x.w
		}
	}
	r.Scored = weight > 0
	if r.Scored {
		r.Score = math.Round(1000*sum/weight) / 10
	}
}

// ScoreText returns the score with one decimal, or "—".
func (r *Rates) ScoreText() string {
	if !r.Scored {
		return "—"
	}
	return strconv.FormatFloat(r.Score, 'f', 1, 64)
}

// Grouping says what the rows of a figures table are.
type Grouping string

// The groupings.
const (
	ByDepartment Grouping = "department"
	ByRegion     Grouping = "region"
)

// Month is a calendar month in China Standard Time, e.g. "2026-10".
type Month struct{ Start time.Time }

// ParseMonth reads "YYYY-MM".
func ParseMonth(s string) (Month, error) {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(s), cst)
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		return Month{}, &FieldError{Name: "month", Message: "月份格式须为 YYYY-MM (month must be YYYY-MM)"}
	}
	return Month{t}, nil
}

// MonthOf returns the month (China time) t falls in.
func MonthOf(t time.Time) Month {
	t = t.In(cst)
	return Month{time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, cst)}
}

// String returns "YYYY-MM".
func (m Month) String() string { return m.Start.Format("2006-01") }

// Add returns the month n months later (earlier for negative n).
func (m Month) Add(n int) Month { return Month{m.Start.AddDate(0, n, 0)} }

// Range returns the month's bounds in UTC: [from, to).
func (m Month) Range() (from, to time.Time) {
	return store.Time(m.Start), store.Time(m.Start.AddDate(0, 1, 0))
}

// Figures are one month's rates grouped one way, with the total.
type Figures struct {
	Month   string   `json:"month"`
	By      Grouping `json:"by"`
	Region  string   `json:"region_code" doc:"The scope: orders in this region and the regions within it"`
	Weights Weights  `json:"weights"`
	Rows    []Rates  `json:"rows" doc:"Ranked by composite score, best first; unranked rows (no rate defined) last"`
	Total   Rates    `json:"total"`
}

// ErrFiguresForbidden: only supervisors, dispatchers and administrators see
// the full figures (the public sees the ranking).
var ErrFiguresForbidden = fmt.Errorf("hotline: figures: %w", auth.ErrForbidden)

// figuresRoles may see the staff figures.
var figuresRoles = []auth.Role{auth.RoleSupervisor, auth.RoleDispatcher, auth.RoleAdmin, auth.RoleSystem}

// figuresScope returns the region prefix a may see figures for ("" for all).
func figuresScope(a *auth.Actor) (string, error) {
	if a == nil || !a.HasAny(figuresRoles...) {
		return "", ErrFiguresForbidden
	}
	if a.Has(auth.RoleSystem) || a.RegionCode == "" {
		if a.Has(auth.RoleSystem) {
			return "", nil
		}
		return "", ErrFiguresForbidden
	}
	return regionPrefix(a.RegionCode), nil
}

// Figures returns month's rates grouped by department or region, within
// a's region, ranked by the composite score under w.
func (m *Module) Figures(ctx context.Context, a *auth.Actor, month Month, by Grouping, w Weights) (*Figures, error) {
	scope, err := figuresScope(a)
	if err != nil {
		return nil, err
	}
	if by != ByDepartment && by != ByRegion {
		return nil, &FieldError{Name: "by", Message: "分组须为 department 或 region (group by department or region)"}
	}
	if !w.valid() {
		return nil, &FieldError{Name: "weights", Message: "权重须为非负数且不全为零 (weights must be non-negative, not all zero)"}
	}
	rows, err := m.aggregate(ctx, month, by, scope)
	if err != nil {
		return nil, err
	}
	f := &Figures{Month: month.String(), By: by, Region: a.RegionCode, Weights: w}
	for i := range rows {
		f.Total.add(&rows[i])
	}
	f.Total.Key, f.Total.Name = "", "合计"
	f.Total.score(w)
	f.Rows = m.rank(ctx, rows, by, w)
	return f, nil
}

// rank names, scores and sorts rows. For departments the row of orders no
// department led (key "0": new, closed at intake, merged, transferred) is
// dropped: its orders are in the total.
func (m *Module) rank(ctx context.Context, rows []Rates, by Grouping, w Weights) []Rates {
	out := rows[:0]
	for _, r := range rows {
		if by == ByDepartment && r.Key == "0" {
			continue
		}
		r.score(w)
		r.Name = m.groupName(ctx, by, r.Key)
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Scored != b.Scored:
			return a.Scored
		case a.Score != b.Score:
			return a.Score > b.Score
		case a.Response.D != b.Response.D:
			return a.Response.D > b.Response.D
		}
		return a.Key < b.Key
	})
	assignRanks(out)
	return out
}

// assignRanks numbers rows sorted best first: equal scores (as shown, to
// one decimal) share a place, and the next place counts them (1, 1, 3);
// unscored rows get none.
func assignRanks(out []Rates) {
	for i := range out {
		out[i].Rank, out[i].Tied = 0, false
		if !out[i].Scored {
			continue
		}
		out[i].Rank = i + 1
		if i > 0 && out[i-1].Scored && sameScore(out[i-1].Score, out[i].Score) {
			out[i].Rank, out[i].Tied, out[i-1].Tied = out[i-1].Rank, true, true
		}
	}
}

// sameScore reports whether two scores are equal as shown (one decimal),
// the tie rule of the ranking: a difference nobody can see ranks no one
// above another.
func sameScore(a, b float64) bool { return math.Round(a*10) == math.Round(b*10) }

func (m *Module) groupName(ctx context.Context, by Grouping, key string) string {
	if by == ByRegion {
		if r, err := m.d.Org.GetRegion(ctx, key); err == nil {
			return r.Name
		}
		return key
	}
	id, _ := strconv.ParseInt(key, 10, 64)
	return m.departmentName(ctx, id)
}

// aggregate counts month's orders within the region prefix scope ("" for
// all), grouped by department or region, in one statement.
func (m *Module) aggregate(ctx context.Context, month Month, by Grouping, scope string) ([]Rates, error) {
	key := "lead_department_id"
	if by == ByRegion {
		key = "region_code"
	}
	from, to := month.Range()
	now := store.Time(m.d.Now())
	// handled: an order some department led, not closed at intake.
	const handled = "lead_department_id <> 0 AND direct_closed = FALSE"
	q := `SELECT ` + key + `,
		SUM(CASE WHEN status <> 'merged' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'merged' THEN 1 ELSE 0 END),
		SUM(CASE WHEN direct_closed = TRUE THEN 1 ELSE 0 END),
		SUM(CASE WHEN reopen_count > 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN ` + handled + ` AND dispatched_at IS NOT NULL AND signed_at IS NOT NULL
			AND (sign_due_at IS NULL OR signed_at <= sign_due_at) THEN 1 ELSE 0 END),
		SUM(CASE WHEN ` + handled + ` AND dispatched_at IS NOT NULL
			AND (signed_at IS NOT NULL OR sign_due_at < ?) THEN 1 ELSE 0 END),
		SUM(CASE WHEN ` + handled + ` AND visit_solved = TRUE THEN 1 ELSE 0 END),
		SUM(CASE WHEN ` + handled + ` AND visit_solved IS NOT NULL THEN 1 ELSE 0 END),
		SUM(CASE WHEN ` + handled + ` AND visit_solved IS NOT NULL
			AND visit_satisfaction IN ('satisfied', 'basic_satisfied') THEN 1 ELSE 0 END),
		SUM(CASE WHEN ` + handled + ` AND closed_at IS NOT NULL AND replied_at IS NOT NULL
			AND (reply_due_at IS NULL OR replied_at <= reply_due_at) THEN 1 ELSE 0 END),
		SUM(CASE WHEN ` + handled + ` AND closed_at IS NOT NULL THEN 1 ELSE 0 END)
		FROM ` + m.figuresTable() + ` WHERE created_at >= ? AND created_at < ?`
	args := []any{now, from, to}
	if scope != "" {
		q += " AND region_code LIKE ?"
		args = append(args, escapeLike(scope)+"%")
	}
	q += " GROUP BY " + key
	rows, err := m.d.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("hotline: figures %s: %w", month, err)
	}
	defer rows.Close()
	var out []Rates
	for rows.Next() {
		var r Rates
		var k any
		if err := rows.Scan(&k, &r.Orders, &r.Merged, &r.DirectClosed, &r.Reopened, &r.Response.N, &r.Response.D,
			&r.Resolution.N, &r.Resolution.D, &r.Satisfaction.N, &r.OnTime.N, &r.OnTime.D); err != nil {
			return nil, fmt.Errorf("hotline: figures %s: %w", month, err)
		}
		r.Satisfaction.D = r.Resolution.D // both over the visited orders
		switch v := k.(type) {
		case []byte:
			r.Key = string(v)
		default:
			r.Key = fmt.Sprint(v)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hotline: figures %s: %w", month, err)
	}
	return out, nil
}

// figuresTable names the orders table for the aggregation. SQLite's
// planner, with statistics, prefers a skip-scan of the status index plus a
// row lookup per order (ten times slower); the covering index is what the
// query is built for, so SQLite is told to use it. PostgreSQL picks it
// unaided.
func (m *Module) figuresTable() string {
	if m.d.DB.Kind() == store.SQLite {
		return "hotline_orders INDEXED BY hotline_orders_figures"
	}
	return "hotline_orders"
}

// Movement compares a place in the ranking with the previous month's.
type Movement struct {
	// Dir is "up", "down", "same" or "new" (not ranked last month).
	Dir      string  `json:"dir"`
	Places   int     `json:"places"`
	PrevRank int     `json:"prev_rank,omitempty"`
	Delta    float64 `json:"score_delta" doc:"Score this month minus last month's"`
}

// Arrow returns ↑, ↓, → or ☆ (new); pages put a text beside it.
func (mv Movement) Arrow() string {
	switch mv.Dir {
	case "up":
		return "↑"
	case "down":
		return "↓"
	case "same":
		return "→"
	}
	return "☆"
}

// RankedDepartment is a row of the public ranking: a department's name and
// rates, never anything about callers.
type RankedDepartment struct {
	Rates
	Movement Movement `json:"movement"`
}

// Ranking is the public monthly ranking of departments.
type Ranking struct {
	Month   string  `json:"month"`
	Prev    string  `json:"previous_month"`
	Weights Weights `json:"weights"`
	// MinSample is the fewest orders a department must have taken in the
	// month to be ranked (Config.RankingMinSample).
	MinSample int                `json:"min_sample"`
	Rows      []RankedDepartment `json:"rows" doc:"Ranked departments best first (equal scores share a rank), then those below the minimum sample (small_sample, unranked)"`
}

// Ranking returns the city-wide department ranking of month under w, each
// row compared with the previous month. It is public: it carries
// department names, counts and rates only.
func (m *Module) Ranking(ctx context.Context, month Month, w Weights) (*Ranking, error) {
	if !w.valid() {
		return nil, &FieldError{Name: "weights", Message: "权重须为非负数且不全为零 (weights must be non-negative, not all zero)"}
	}
	cur, err := m.aggregate(ctx, month, ByDepartment, "")
	if err != nil {
		return nil, err
	}
	prev, err := m.aggregate(ctx, month.Add(-1), ByDepartment, "")
	if err != nil {
		return nil, err
	}
	min := m.d.Config.RankingMinSample
	cur, small := m.rankSampled(ctx, cur, w, min)
	prev, _ = m.rankSampled(ctx, prev, w, min)
	before := map[string]Rates{}
	for _, r := range prev {
		before[r.Key] = r
	}
	out := &Ranking{Month: month.String(), Prev: month.Add(-1).String(), Weights: w, MinSample: min, Rows: []RankedDepartment{}}
	for _, r := range cur {
		if !r.Scored {
			continue
		}
		row := RankedDepartment{Rates: r, Movement: Movement{Dir: "new"}}
		if p, ok := before[r.Key]; ok && p.Scored {
			row.Movement = Movement{PrevRank: p.Rank, Places: p.Rank - r.Rank,
				Delta: math.Round(10*(r.Score-p.Score)) / 10}
			switch {
			case r.Rank < p.Rank:
				row.Movement.Dir = "up"
			case r.Rank > p.Rank:
				row.Movement.Dir, row.Movement.Places = "down", r.Rank-p.Rank
			default:
				row.Movement.Dir = "same"
			}
		}
		out.Rows = append(out.Rows, row)
	}
	for _, r := range small {
		r.SmallSample = true
		out.Rows = append(out.Rows, RankedDepartment{Rates: r, Movement: Movement{Dir: "unranked"}})
	}
	return out, nil
}

// rankSampled ranks the rows with at least min orders and returns the
// others apart, scored and named but unranked, in the order of their
// scores.
func (m *Module) rankSampled(ctx context.Context, rows []Rates, w Weights, min int) (ranked, small []Rates) {
	var big []Rates
	for _, r := range rows {
		if r.Orders < min {
			small = append(small, r)
		} else {
			big = append(big, r)
		}
	}
	small = m.rank(ctx, small, ByDepartment, w)
	for i := range small {
		small[i].Rank, small[i].Tied = 0, false
	}
	return m.rank(ctx, big, ByDepartment, w), small
}

// MonthRates are the totals of one month.
type MonthRates struct {
	Month string `json:"month"`
	Rates
}

// Trend returns the totals of the n months ending with last, oldest
// first, within a's region.
func (m *Module) Trend(ctx context.Context, a *auth.Actor, last Month, n int) ([]MonthRates, error) {
	scope, err := figuresScope(a)
	if err != nil {
		return nil, err
	}
	if n < 1 || n > 36 {
		return nil, errors.New("hotline: trend: 1 to 36 months")
	}
	out := make([]MonthRates, 0, n)
	for i := n - 1; i >= 0; i-- {
		mo := last.Add(-i)
		rows, err := m.aggregate(ctx, mo, ByRegion, scope)
		if err != nil {
			return nil, err
		}
		mr := MonthRates{Month: mo.String()}
		for j := range rows {
			mr.add(&rows[j])
		}
		out = append(out, mr)
	}
	return out, nil
}

// Formula is one rate's definition, as the pages state it.
type Formula struct {
	Name, NameEn, Zh, En string
}

// Formulas returns the definitions of the four rates and the counting
// rules, in Chinese and English; every figures page shows them.
func Formulas() []Formula {
	return []Formula{
		{"响应率", "Response rate",
			"在签收时限内签收的工单数 ÷ 已派单工单数（已签收或签收时限已到者；尚在签收时限内未签收的不计）",
			"orders signed for within the sign-for limit ÷ dispatched orders that were signed for or whose limit has passed"},
		{"解决率", "Resolution rate",
			"回访认定\"已解决\"的工单数 ÷ 已回访工单数",
			"orders the citizen called solved at the return visit ÷ visited orders"},
		{"满意率", "Satisfaction rate",
			"（满意 + 基本满意）工单数 ÷ 已回访工单数（两者同等计入，不加权）",
			"(satisfied + basically satisfied) ÷ visited orders (both count alike, unweighted)"},
		{"按时办结率", "On-time closure rate",
			"在办理时限（含批准的延期）内答复并已办结的工单数 ÷ 已办结工单数",
			"closed orders replied within the handling limit (with granted extensions) ÷ closed orders"},
	}
}

// CountingRules states how special orders count, in Chinese and English.
func CountingRules() []Formula {
	return []Formula{
		{"统计月份", "Month", "工单按受理时间（北京时间）所在月份统计，比率随办理进展更新",
			"an order belongs to the month (China time) it was taken in; its rates update as it progresses"},
		{"直接办结", "Closed at intake", "计入受理总量，不计入任何比率（未经部门办理）",
			"counts in the totals, in no rate (no department handled it)"},
		{"合并工单", "Merged duplicates", "只计一次：计主工单，被合并的重复工单不计入总量和比率",
			"count once, through the master; the duplicate counts in no total and no rate"},
		{"重办工单", "Reopened orders", "只计一次：响应按首次签收，解决、满意按最近一次回访（重办期间按导致重办的不满意结果），按时办结按最近一轮办理时限；重办件数另列",
			"count once: response by the first sign-for, resolution and satisfaction by the latest visit (while redone, the dissatisfied one), closure by the latest round's limit; their number is shown"},
		{"回访无法联系", "Visits that reached no one", "按规定次数呼叫均未接通、回访结果为\"无法联系\"的工单，不计入解决率和满意率的分子与分母（视同未回访），计入响应率和按时办结率",
			"orders whose return visit ended as unreachable after the set number of calls count in neither the resolution nor the satisfaction rate (as not visited), but in the response and on-time rates"},
		{"部门与区域", "Departments and regions", "部门比率按主办部门统计；区域比率按工单所属区域统计",
			"department rates count the orders a department led; region rates group them by the order's region"},
	}
}
