package rules

import (
	"fmt"
	"regexp"
	"strings"

	"cel.dev/cel-go/cel"
)

// Issue is one problem of a rule, at a line and column (both from 1, the
// column counted in characters).
type Issue struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"` // Chinese first, then English
}

// CompileError reports why a rule cannot be used. The web layer shows its
// issues under the rule; Error joins them on one line.
type CompileError struct {
	Expr   string
	Issues []Issue
}

func (e *CompileError) Error() string {
	parts := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		parts[i] = fmt.Sprintf("第 %d 行第 %d 列 (%d:%d)：%s", is.Line, is.Column, is.Line, is.Column, is.Message)
	}
	return "rules: " + strings.Join(parts, "；")
}

// InputError reports a form value that does not fit its field's type, such
// as "abc" for a number. The caller should refuse the submission.
type InputError struct {
	Key     string // the form field
	Value   string
	Message string // Chinese first, then English
}

func (e *InputError) Error() string {
	return fmt.Sprintf("rules: form.%s = %q: %s", e.Key, e.Value, e.Message)
}

var (
	undefinedField = regexp.MustCompile(`^undefined field '([^']*)'`)
	undeclaredRef  = regexp.MustCompile(`^undeclared reference to '([^']*)'`)
	noOverload     = regexp.MustCompile(`^found no matching overload for '([^']*)' applied to '\((.*)\)'`)
)

// operatorNames spells CEL's operator functions as written in a rule.
var operatorNames = map[string]string{
	"_==_": "==", "_!=_": "!=", "_<_": "<", "_<=_": "<=", "_>_": ">", "_>=_": ">=",
	"_+_": "+", "_-_": "-", "_*_": "*", "_/_": "/", "_%_": "%", "!_": "!", "-_": "-",
	"_&&_": "&&", "_||_": "||", "_?_:_": "?:", "@in": "in", "_[_]": "[]",
}

// typeNames are the Chinese names of the CEL types staff meet.
var typeNames = map[string]string{
	"double": "数字", "int": "整数", "uint": "整数", "string": "文本", "bool": "是/否",
	"google.protobuf.Timestamp": "日期时间", "timestamp": "日期时间", "google.protobuf.Duration": "时长", "duration": "时长",
	"list(string)": "文本列表", "null_type": "空值",
	formType: "表单", creditType: "信用信息", applicantType: "申请人",
}

func typeName(t string) string {
	if n, ok := typeNames[strings.TrimSpace(t)]; ok {
		return n
	}
	return t
}

// compileError translates CEL's issues into a CompileError with messages
// staff can act on.
func compileError(expr string, fields []Field, errs []*cel.Error) *CompileError {
	ce := &CompileError{Expr: expr}
	for _, e := range errs {
		line, col := e.Location.Line(), e.Location.Column()+1
		if line < 1 {
			line = 1
		}
		ce.Issues = append(ce.Issues, Issue{Line: line, Column: col, Message: explain(e.Message, fields)})
	}
	return ce
}

// explain turns one CEL message into Chinese followed by the English.
func explain(msg string, fields []Field) string {
	if m := undefinedField.FindStringSubmatch(msg); m != nil {
		s := fmt.Sprintf("没有字段“%s”", m[1])
		if near := nearest(m[1], fields); near != "" {
			s += fmt.Sprintf("，是否应为“%s”？", near)
			return s + fmt.Sprintf(" (undefined field '%s'; did you mean '%s'?)", m[1], near)
		}
		return s + fmt.Sprintf(" (undefined field '%s')", m[1])
	}
	if m := undeclaredRef.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("未知的名称“%s”，可用的有 form、credit、certificates、applicant、now 和 has_certificate() (undeclared reference to '%s')", m[1], m[1])
	}
	if m := noOverload.FindStringSubmatch(msg); m != nil {
		op := m[1]
		if n, ok := operatorNames[op]; ok {
			op = n
		}
		args := strings.Split(m[2], ",")
		for i := range args {
			args[i] = typeName(args[i])
		}
		return fmt.Sprintf("类型不匹配：%s 不能用于（%s） (type mismatch: %s)", op, strings.Join(args, "，"), msg)
	}
	if strings.HasPrefix(msg, "Syntax error") {
		return "语法错误 (" + msg + ")"
	}
	return "规则有误 (" + msg + ")"
}

// nearest returns the field key closest to name, if one is close enough to
// be a typing mistake.
func nearest(name string, fields []Field) string {
	best, bestD := "", 3
	for _, f := range fields {
		if d := distance(name, f.Key); d < bestD {
			best, bestD = f.Key, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
