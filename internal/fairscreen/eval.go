package fairscreen

import (
	"bufio"
	"embed"
	"fmt"
	"io"
	"strings"
)

//go:embed testdata/dev.tsv testdata/heldout.tsv
var labelled embed.FS

// LabelledSet returns an embedded labelled set by name ("dev" or "heldout").
func LabelledSet(name string) ([]byte, error) {
	b, err := labelled.ReadFile("testdata/" + name + ".tsv")
	if err != nil {
		return nil, fmt.Errorf("fairscreen: labelled set %q: %w", name, err)
	}
	return b, nil
}

// labelCategory maps the short labels of a labelled set to categories.
var labelCategory = map[string]string{
	"entry": CategoryEntry, "flow": CategoryFlow, "cost": CategoryCost, "behavior": CategoryBehavior,
}

// Labelled is one clause of a labelled set with the categories it breaks.
type Labelled struct {
	Line       int
	Text       string
	Categories []string
}

// ReadLabelled reads a labelled set: one clause a line, "labels<TAB>text",
// labels comma-separated (entry, flow, cost, behavior) or "none"; "#"
// starts a comment line.
func ReadLabelled(r io.Reader) ([]Labelled, error) {
	var out []Labelled
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		labels, text, ok := strings.Cut(line, "\t")
		if !ok || strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("fairscreen: line %d: want labels<TAB>clause", n)
		}
		l := Labelled{Line: n, Text: strings.TrimSpace(text)}
		for _, lab := range strings.Split(labels, ",") {
			lab = strings.TrimSpace(lab)
			if lab == "none" {
				continue
			}
			c, ok := labelCategory[lab]
			if !ok {
				return nil, fmt.Errorf("fairscreen: line %d: unknown label %q", n, lab)
			}
			l.Categories = append(l.Categories, c)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("fairscreen: read labelled set: %w", err)
	}
	return out, nil
}

// Score is the confusion count of one category.
type Score struct {
	Category       string
	TP, FP, FN, TN int
}

// Precision is TP/(TP+FP), 1 when nothing was flagged.
func (s Score) Precision() float64 {
	if s.TP+s.FP == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FP)
}

// Recall is TP/(TP+FN), 1 when nothing was to be found.
func (s Score) Recall() float64 {
	if s.TP+s.FN == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FN)
}

// Miss is a clause whose predicted categories differ from its labels.
type Miss struct {
	Labelled
	Predicted []string
	Rules     []string
}

// Report is the outcome of an evaluation: one score per category, the
// overall micro-averaged score (Category "合计") and the misses.
type Report struct {
	Clauses int
	Scores  []Score
	Total   Score
	Misses  []Miss
}

// Evaluate screens every labelled clause as a whole (its own sentences, the
// first one's lead-in for the others) and compares the categories of its
// findings with its labels.
func (s *Screener) Evaluate(set []Labelled) Report {
	idx := map[string]int{}
	rep := Report{Clauses: len(set), Total: Score{Category: "合计"}}
	for i, c := range categories {
		idx[c] = i
		rep.Scores = append(rep.Scores, Score{Category: c})
	}
	for _, l := range set {
		pred := map[string]bool{}
		var rules []string
		for _, seg := range Split(l.Text) {
			for _, f := range s.ScreenClause(seg.Text, seg.Lead) {
				pred[f.Category] = true
				rules = append(rules, f.Rule)
			}
		}
		want := map[string]bool{}
		for _, c := range l.Categories {
			want[c] = true
		}
		differ := false
		for _, c := range categories {
			sc := &rep.Scores[idx[c]]
			switch {
			case pred[c] && want[c]:
				sc.TP++
			case pred[c]:
				sc.FP++
				differ = true
			case want[c]:
				sc.FN++
				differ = true
			default:
				sc.TN++
			}
		}
		if differ {
			var p []string
			for _, c := range categories {
				if pred[c] {
					p = append(p, c)
				}
			}
			rep.Misses = append(rep.Misses, Miss{Labelled: l, Predicted: p, Rules: rules})
		}
	}
	for _, sc := range rep.Scores {
		rep.Total.TP += sc.TP
		rep.Total.FP += sc.FP
		rep.Total.FN += sc.FN
		rep.Total.TN += sc.TN
	}
	return rep
}

// WriteReport prints a report as a table, then the misses when verbose.
func WriteReport(w io.Writer, name string, rep Report, verbose bool) {
	fmt.Fprintf(w, "%s: %d clauses\n", name, rep.Clauses)
	fmt.Fprintf(w, "%-12s %4s %4s %4s %9s %7s\n", "category", "TP", "FP", "FN", "precision", "recall")
	for _, sc := range append(rep.Scores, rep.Total) {
		fmt.Fprintf(w, "%-12s %4d %4d %4d %9.2f %7.2f\n", sc.Category, sc.TP, sc.FP, sc.FN, sc.Precision(), sc.Recall())
	}
	if verbose {
		for _, m := range rep.Misses {
			fmt.Fprintf(w, "  line %d: want %v got %v %v: %s\n", m.Line, m.Categories, m.Predicted, m.Rules, m.Text)
		}
	}
}
