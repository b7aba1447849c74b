package entity

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

// MaxImportPageBytes bounds a register uploaded through the page; larger
// registers go through the API (MaxImportBytes) or the command line.
const MaxImportPageBytes = 32 << 20

// importData is the import page: whether the actor may import, and the
// report of the last upload.
type importData struct {
	May     bool
	Report  *Report
	Problem string
}

func (s *Service) importPage(w http.ResponseWriter, r *http.Request) {
	ok, err := s.MayImport(r.Context(), auth.FromContext(r.Context()))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.srv.Render(w, r, "entity/import.html", importData{May: ok})
}

// importSubmit imports the uploaded CSV or xlsx file in one transaction
// and shows the report: rows created, updated and unchanged, and each
// refused row with its field; with skip_invalid the valid rows are kept.
func (s *Service) importSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	ok, err := s.MayImport(ctx, a)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if !ok {
		s.srv.Error(w, r, http.StatusForbidden, "entity.import.forbidden")
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		if web.IsTooLarge(err) {
			s.srv.Error(w, r, http.StatusRequestEntityTooLarge, "")
			return
		}
		s.srv.Error(w, r, http.StatusBadRequest, "")
		return
	}
	d := importData{May: true}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		d.Problem = "entity.import.no_file"
		s.srv.RenderStatus(w, r, http.StatusUnprocessableEntity, "entity/import.html", d)
		return
	}
	defer file.Close()
	format := "csv"
	if strings.EqualFold(filepath.Ext(hdr.Filename), ".xlsx") {
		format = "xlsx"
	}
	data, err := io.ReadAll(file)
	if err != nil {
		s.srv.Error(w, r, http.StatusBadRequest, "")
		return
	}
	rep, err := s.Import(ctx, a, bytes.NewReader(data), ImportOptions{Format: format,
		SkipInvalid: r.PostForm.Get("skip_invalid") == "1", Source: "page import by " + a.Name + ": " + hdr.Filename})
	var fe *valid.FieldError
	switch {
	case errors.As(err, &fe) || errors.Is(err, valid.ErrInvalid):
		d.Problem = "entity.import.unreadable"
		s.srv.RenderStatus(w, r, http.StatusUnprocessableEntity, "entity/import.html", d)
		return
	case err != nil:
		s.pageError(w, r, err)
		return
	}
	d.Report = rep
	status := http.StatusOK
	if !rep.Applied {
		status = http.StatusUnprocessableEntity
	}
	s.srv.RenderStatus(w, r, status, "entity/import.html", d)
}
