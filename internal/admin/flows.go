package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/web"
)

// maxDefinitionBytes bounds an uploaded workflow definition.
const maxDefinitionBytes = 256 << 10

type flowRow struct {
	Key       string
	Name      string
	Latest    int
	Versions  int
	CreatedAt time.Time
}

type flowsData struct {
	base
	Q        string
	Rows     []flowRow
	Pager    pager
	CanEdit  bool
	Body     string
	Problems []string
	Errors   map[string]string
}

// flowRows groups the stored versions by key (they come by key, newest
// first) and keeps those whose key or name contains q.
func flowRows(infos []flow.DefinitionInfo, q string) []flowRow {
	var rows []flowRow
	for _, i := range infos {
		if n := len(rows); n > 0 && rows[n-1].Key == i.Key {
			rows[n-1].Versions++
			continue
		}
		rows = append(rows, flowRow{Key: i.Key, Name: i.Name, Latest: i.Version, Versions: 1, CreatedAt: i.CreatedAt})
	}
	if q == "" {
		return rows
	}
	lq := strings.ToLower(q)
	kept := rows[:0]
	for _, r := range rows {
		if strings.Contains(strings.ToLower(r.Key), lq) || strings.Contains(r.Name, q) {
			kept = append(kept, r)
		}
	}
	return kept
}

func (m *Module) flowsView(r *http.Request, a *auth.Actor, d *flowsData) error {
	infos, err := m.d.Flows.Definitions(r.Context())
	if err != nil {
		return err
	}
	d.Q = strings.TrimSpace(r.URL.Query().Get("q"))
	rows := flowRows(infos, d.Q)
	page, size := pageParams(r, defaultPageSize)
	d.Rows, d.Pager = slicePage(rows, page, size), newPager(r.URL, page, size, len(rows))
	d.CanEdit = m.canEditPlatform(r.Context(), a, "flow_definition")
	return nil
}

func (m *Module) flowsPage(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	d := &flowsData{}
	if err := m.flowsView(r, a, d); err != nil {
		m.fail(w, r, err)
		return
	}
	m.render(w, r, http.StatusOK, "admin/flows.html", d)
}

// uploadedDefinition reads the definition of an upload form: the file
// when one was chosen, the text area otherwise.
func uploadedDefinition(r *http.Request) ([]byte, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(maxDefinitionBytes); err != nil {
			return nil, err
		}
		if f, _, err := r.FormFile("file"); err == nil {
			defer f.Close()
			raw, err := io.ReadAll(io.LimitReader(f, maxDefinitionBytes+1))
			if err != nil {
				return nil, err
			}
			if len(raw) > 0 {
				return raw, nil
			}
		}
	} else if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return []byte(r.Form.Get("body")), nil
}

// loadDefinition stores a new version for an administrator of the root
// region. The engine validates it and records the load in the audit log
// in the same transaction as the new version.
func (m *Module) loadDefinition(ctx context.Context, a *auth.Actor, raw []byte) (*flow.Definition, bool, error) {
	obj, err := m.platformObject(ctx, "flow_definition")
	if err != nil {
		return nil, false, err
	}
	if err := m.d.Policy.Authorize(a, auth.ActCreate, obj); err != nil {
		return nil, false, err
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return nil, false, &FieldError{Name: "body", Message: "请粘贴或上传流程定义 (paste or upload a definition)"}
	}
	if len(raw) > maxDefinitionBytes {
		return nil, false, &FieldError{Name: "body", Message: fmt.Sprintf("流程定义不超过 %d KiB (at most %d KiB)", maxDefinitionBytes>>10, maxDefinitionBytes>>10)}
	}
	return m.d.Flows.LoadDefinition(ctx, raw, a)
}

func (m *Module) flowUpload(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	raw, err := uploadedDefinition(r)
	if err != nil {
		if statusOf(err) == http.StatusRequestEntityTooLarge {
			m.s.Error(w, r, http.StatusRequestEntityTooLarge, "")
		} else {
			m.s.Error(w, r, http.StatusBadRequest, "")
		}
		return
	}
	if err := web.CheckForm(r); err != nil {
		m.s.BadText(w, r, err)
		return
	}
	def, created, err := m.loadDefinition(r.Context(), a, raw)
	if err == nil {
		flash := "admin.flash.flow_unchanged"
		if created {
			flash = "admin.flash.flow_loaded"
		}
		m.redirect(w, r, "/admin/flows/"+url.PathEscape(def.Key)+"?version="+strconv.Itoa(def.Version), flash)
		return
	}
	if statusOf(err) != http.StatusUnprocessableEntity {
		m.fail(w, r, err)
		return
	}
	d := &flowsData{Body: string(raw), Errors: formErrors(err)}
	var de *flow.DefinitionError
	if errors.As(err, &de) {
		d.Problems = de.Problems
		delete(d.Errors, "body")
	}
	if err := m.flowsView(r, a, d); err != nil {
		m.fail(w, r, err)
		return
	}
	m.render(w, r, http.StatusUnprocessableEntity, "admin/flows.html", d)
}

type ruleView struct {
	Level       string
	Share       string
	OverdueDays int
	On          string
}

type flowData struct {
	base
	Def      *flow.Definition
	Versions []flow.DefinitionInfo
	SVG      template.HTML
	Rules    []ruleView
	JSON     string
	CanEdit  bool
}

func (m *Module) flowPage(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	ctx := r.Context()
	key := r.PathValue("key")
	version, _ := strconv.Atoi(r.URL.Query().Get("version"))
	def, err := m.d.Flows.Definition(ctx, key, max(version, 0))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	infos, err := m.d.Flows.Definitions(ctx)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := &flowData{Def: def, CanEdit: m.canEditPlatform(ctx, a, "flow_definition")}
	for _, i := range infos {
		if i.Key == key {
			d.Versions = append(d.Versions, i)
		}
	}
	// The engine escapes every text it draws (see flow.Definition.SVG),
	// so the diagram is safe to embed inline.
	d.SVG = template.HTML(def.SVG(lang(r)))
	for _, rule := range def.Escalation {
		v := ruleView{Level: rule.Level.Name(), OverdueDays: rule.OverdueDays, On: rule.On}
		if rule.Share > 0 {
			v.Share = strconv.FormatFloat(rule.Share*100, 'f', -1, 64) + "%"
		}
		d.Rules = append(d.Rules, v)
	}
	body, err := json.MarshalIndent(def, "", "  ")
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.JSON = string(body)
	m.render(w, r, http.StatusOK, "admin/flow.html", d)
}
