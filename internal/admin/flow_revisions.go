package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/revision"
)

// Workflow definitions are never replaced in place: each load is a new
// immutable version and running instances keep theirs, so the engine's
// versions are the definitions' revisions. What a load changes is still
// shown first (a preview against the latest version, confirmed with its
// hash), and an earlier version is restored by loading it again as the
// next version, after the same preview.

// definitionRows flattens a definition for a preview: its states and
// actions by key, and each other part as a whole.
func definitionRows(d *flow.Definition) []revision.Row {
	if d == nil {
		return nil
	}
	var rows []revision.Row
	add := func(key string, v any) {
		b, err := json.Marshal(v)
		if err == nil && string(b) != "null" {
			rows = append(rows, revision.Row{Key: key, Value: string(b)})
		}
	}
	add("name", d.Name+" / "+d.NameEn)
	add("limit", d.Limit)
	for _, s := range d.States {
		add("state "+s.Key, s)
	}
	for _, a := range d.Actions {
		add("action "+a.Key, a)
	}
	if len(d.Escalation) > 0 {
		add("escalation", d.Escalation)
	}
	add("extension", d.Extension)
	return rows
}

// latestDefinition returns the latest version of key and the hash a
// confirm must carry; nil and the hash of nothing for a new key.
func (m *Module) latestDefinition(r *http.Request, key string) (*flow.Definition, string, error) {
	def, err := m.d.Flows.Definition(r.Context(), key, 0)
	if errors.Is(err, flow.ErrNotFound) {
		def, err = nil, nil
	}
	if err != nil {
		return nil, "", err
	}
	h, err := revision.Hash(definitionRows(def))
	return def, h, err
}

// flowPreview shows what loading raw (parsed as next) would change
// against the latest version, with a confirm button posting raw to action.
func (m *Module) flowPreview(w http.ResponseWriter, r *http.Request, status int, next *flow.Definition, raw []byte, stale bool) {
	cur, base, err := m.latestDefinition(r, next.Key)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	pv := revision.Preview{Title: next.Name + " (" + next.Key + ")", Back: "/admin/flows", Action: "/admin/flows",
		Fields: url.Values{"body": {string(raw)}}, Base: base, Changes: revision.Diff(definitionRows(cur), definitionRows(next)),
		Stale: stale}
	if cur != nil {
		pv.Back = "/admin/flows/" + url.PathEscape(cur.Key)
	}
	m.d.Revisions.RenderPreview(w, r, status, pv)
}

// flowRestore loads an earlier version of a definition again as its next
// version: a POST without step=confirm previews; with it, the version is
// loaded when base is still the hash of the latest version (409
// otherwise).
func (m *Module) flowRestore(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	ctx := r.Context()
	if err := m.authorizeFlows(r, a); err != nil {
		m.fail(w, r, err)
		return
	}
	if err := revision.ParseForm(r, 1<<20, "version"); err != nil {
		m.s.Error(w, r, err.(*revision.FormError).Status, "")
		return
	}
	key := r.PathValue("key")
	version, err := strconv.Atoi(r.PostForm.Get("version"))
	if err != nil || version <= 0 {
		m.s.Error(w, r, http.StatusNotFound, "")
		return
	}
	old, err := m.d.Flows.Definition(ctx, key, version)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	infos, err := m.d.Flows.Definitions(ctx)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	var info *flow.DefinitionInfo
	for i := range infos {
		if infos[i].Key == key && infos[i].Version == version {
			info = &infos[i]
		}
	}
	raw, err := json.Marshal(old)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	action := "/admin/flows/" + url.PathEscape(key) + "/restore"
	if r.PostForm.Get("step") != "confirm" {
		m.flowPreviewWith(w, r, http.StatusOK, old, raw, action, info, false, version)
		return
	}
	_, base, err := m.latestDefinition(r, key)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if b := r.PostForm.Get("base"); b == "" || b != base {
		m.flowPreviewWith(w, r, http.StatusConflict, old, raw, action, info, true, version)
		return
	}
	def, _, err := m.loadDefinition(ctx, a, raw)
	if err != nil {
		m.fail(w, r, apiError(err))
		return
	}
	m.redirect(w, r, "/admin/flows/"+url.PathEscape(def.Key)+"?version="+strconv.Itoa(def.Version), "admin.flash.flow_loaded")
}

// flowPreviewWith is flowPreview carrying the version restored.
func (m *Module) flowPreviewWith(w http.ResponseWriter, r *http.Request, status int, next *flow.Definition, raw []byte,
	action string, info *flow.DefinitionInfo, stale bool, version int) {
	if info == nil {
		info = &flow.DefinitionInfo{Key: next.Key, Version: version}
	}
	cur, base, err := m.latestDefinition(r, next.Key)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	pv := revision.Preview{Title: next.Name + " (" + next.Key + ")", Back: "/admin/flows/" + url.PathEscape(next.Key),
		Action: action, Fields: url.Values{"version": {strconv.Itoa(version)}}, Base: base,
		Changes: revision.Diff(definitionRows(cur), definitionRows(next)), Stale: stale,
		Restoring: &revision.Revision{Seq: version, CreatedAt: info.CreatedAt, ActorName: info.Name}}
	m.d.Revisions.RenderPreview(w, r, status, pv)
}

// authorizeFlows checks that a may load platform workflow definitions.
func (m *Module) authorizeFlows(r *http.Request, a *auth.Actor) error {
	obj, err := m.platformObject(r.Context(), "flow_definition")
	if err != nil {
		return err
	}
	return m.d.Policy.Authorize(a, auth.ActCreate, obj)
}
