package knowledge

import (
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/web"
)

// Change is one field that differs between two versions.
type Change struct {
	Field string `json:"field"`
	Label string `json:"label"` // Chinese label
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Compare lists the fields, other than the answer's text, that differ from
// old to cur. An empty old (the zero Version) makes every set field a change.
func Compare(old, cur *Version) []Change {
	flat := func(v *Version) [][3]string {
		dept := v.DepartmentName
		if dept == "" && v.DepartmentID != 0 {
			dept = "#" + strconv.FormatInt(v.DepartmentID, 10)
		}
		cat := ""
		if v.CategoryCode != "" {
			cat = v.CategoryCode + " " + CategoryName(v.CategoryCode)
		}
		return [][3]string{
			{"title", "标题", v.Title},
			{"questions", "相似问法", strings.Join(v.Questions, "\n")},
			{"category_code", "分类", cat},
			{"department_id", "所属部门", dept},
			{"region_code", "适用区域", v.RegionCode},
			{"valid_from", "生效日期", day(v.ValidFrom)},
			{"valid_until", "失效时间", day(v.ValidUntil)},
			{"tags", "标签", strings.Join(v.Tags, "、")},
		}
	}
	var out []Change
	a, b := flat(old), flat(cur)
	for i := range a {
		if a[i][2] != b[i][2] {
			out = append(out, Change{Field: a[i][0], Label: a[i][1], Old: a[i][2], New: b[i][2]})
		}
	}
	return out
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(web.CST).Format("2006-01-02 15:04")
}

// Line is one paragraph of a diff: Op is "=" kept, "+" added, "-" removed.
type Line struct {
	Op   string `json:"op" enum:"=,+,-"`
	Text string `json:"text"`
}

// DiffLines returns the shortest edit turning a into b, as kept, removed
// and added lines in order (a longest-common-subsequence diff; answers are
// a few dozen paragraphs, so the quadratic table is small).
func DiffLines(a, b []string) []Line {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []Line
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, Line{"=", a[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, Line{"-", a[i]})
			i++
		default:
			out = append(out, Line{"+", b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, Line{"-", a[i]})
	}
	for ; j < m; j++ {
		out = append(out, Line{"+", b[j]})
	}
	return out
}
