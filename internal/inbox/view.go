package inbox

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/i18n"
)

// httpFunc adapts a method to http.Handler.
type httpFunc func(w http.ResponseWriter, r *http.Request)

func (f httpFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) { f(w, r) }

// Urgency classes of the time left on a case, matching the .due-* colours:
// overdue, under a day left, under three days left, or more.
const (
	DueNone    = ""
	DueOK      = "ok"
	DueSoon    = "soon"
	DueUrgent  = "urgent"
	DueOverdue = "overdue"
)

// Urgency classifies the time left on a case. Paused clocks keep the class
// of the time left when they stopped.
func Urgency(hasDue bool, left time.Duration) string {
	switch {
	case !hasDue:
		return DueNone
	case left < 0:
		return DueOverdue
	case left < 24*time.Hour:
		return DueUrgent
	case left < 72*time.Hour:
		return DueSoon
	default:
		return DueOK
	}
}

// Row is one case in a list, resolved for display.
type Row struct {
	ID          int64     `json:"id"`
	URL         string    `json:"url" doc:"Page of the case"`
	Reference   string    `json:"reference"`
	Title       string    `json:"title"`
	Definition  string    `json:"definition"`
	State       string    `json:"state"`
	StateName   string    `json:"state_name"`
	Status      string    `json:"status"`
	Departments []string  `json:"departments"`
	RegionCode  string    `json:"region_code"`
	Due         time.Time `json:"due,omitzero"`
	Urgency     string    `json:"urgency"`
	TimeLeft    string    `json:"time_left"`
	OverdueDays int       `json:"overdue_days"`
	Escalation  string    `json:"escalation,omitempty"`
	Started     time.Time `json:"started"`
}

// rows resolves inbox items for display in lang.
func (m *Module) rows(ctx context.Context, lang string, items []flow.InboxItem) []Row {
	out := make([]Row, 0, len(items))
	defs := map[string]*flow.Definition{}
	for _, it := range items {
		k := fmt.Sprintf("%s@%d", it.DefinitionKey, it.DefinitionVersion)
		def, ok := defs[k]
		if !ok {
			def, _ = m.d.Flow.Definition(ctx, it.DefinitionKey, it.DefinitionVersion)
			defs[k] = def
		}
		url := m.ownerPage(&it.Instance)
		if url == "" {
			url = "/cases/" + strconv.FormatInt(it.ID, 10)
		}
		r := Row{ID: it.ID, URL: url, Reference: it.Reference, Title: it.Title, State: it.State,
			StateName: it.State, Status: string(it.Status), RegionCode: it.RegionCode,
			Urgency: Urgency(it.HasDue, it.TimeLeft), OverdueDays: it.OverdueDays, Started: it.StartedAt}
		if def != nil {
			r.Definition = pick(lang, def.Name, def.NameEn)
			if st := def.State(it.State); st != nil {
				r.StateName = pick(lang, st.Name, st.NameEn)
			}
		}
		if it.HasDue {
			r.Due = nearest(it.Instance)
		}
		// Time left is said one way on every page (flow.TimeLeft): working
		// days where the limit is in working days, 已暂停 when paused, the
		// working days waited where no limit runs.
		r.TimeLeft = flow.TimeLeft(m.d.Flow.Calendar(), def, &it.Instance, m.d.Now()).Text(lang)
		if it.Escalation > flow.LevelNone {
			r.Escalation = levelName(lang, it.Escalation)
		}
		for _, id := range it.DepartmentIDs {
			r.Departments = append(r.Departments, m.departmentName(ctx, id))
		}
		out = append(out, r)
	}
	return out
}

// nearest returns the deadline that runs out first.
func nearest(in flow.Instance) time.Time {
	switch {
	case in.StateDueAt.IsZero():
		return in.DueAt
	case in.DueAt.IsZero() || in.StateDueAt.Before(in.DueAt):
		return in.StateDueAt
	}
	return in.DueAt
}

func levelName(lang string, l flow.Level) string {
	if lang == i18n.EN {
		return map[flow.Level]string{flow.LevelRemind: "Reminder", flow.LevelSupervise: "Supervision order",
			flow.LevelTimeboxed: "Time-boxed supervision", flow.LevelHandover: "Hand-over letter"}[l]
	}
	return l.Name()
}

// pick returns the English name in English when there is one.
func pick(lang, zh, en string) string {
	if lang == i18n.EN && en != "" {
		return en
	}
	return zh
}
