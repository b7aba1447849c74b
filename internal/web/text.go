package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/valid"
)

// checkText refuses, before any handler runs, a request whose query, form
// body or JSON body holds a character no text field may hold (see
// valid.Text): 422 naming the field, as an RFC 9457 problem for the API and
// an error page for forms, and nothing reaches a handler, so nothing is
// stored. Multipart bodies are parsed by the handlers that take uploads,
// under their own limits; they call CheckForm after parsing.
func (s *Server) checkText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		if err := checkValues("query.", r.URL.Query()); err != nil {
			s.BadText(w, r, err)
			return
		}
		if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch {
		case ct == "application/x-www-form-urlencoded":
			// Parsed here under the default body limit; the handler's own
			// ParseForm then finds the form parsed.
			if !s.ParseForm(w, r) {
				return
			}
			if err := checkValues("body.", r.PostForm); err != nil {
				s.BadText(w, r, err)
				return
			}
		case ct == "application/json" || strings.HasSuffix(ct, "+json") || (ct == "" && isAPI(r)):
			// Read from the unlimited body, up to the default limit, and
			// put back what was read, so that an operation taking larger
			// bodies (Upload) still can; such a body is its decoder's to
			// check.
			ri := infoFrom(r.Context())
			if ri.body == nil {
				break
			}
			raw, err := io.ReadAll(io.LimitReader(ri.body, s.cfg.MaxBodyBytes+1))
			if err != nil {
				s.Error(w, r, http.StatusBadRequest, "")
				return
			}
			ri.body = replay{io.MultiReader(bytes.NewReader(raw), ri.body), ri.body}
			r.Body = http.MaxBytesReader(w, ri.body, s.cfg.MaxBodyBytes)
			if int64(len(raw)) > s.cfg.MaxBodyBytes {
				break
			}
			var v any
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if d.Decode(&v) == nil { // malformed JSON is the decoder's to refuse
				if err := checkJSON("body", v); err != nil {
					s.BadText(w, r, err)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// replay reads what was read already, then the rest; it closes the
// original body.
type replay struct {
	io.Reader
	io.Closer
}

// checkValues checks every name and value of vs, in name order so that the
// field named is always the same one.
func checkValues(prefix string, vs map[string][]string) error {
	keys := make([]string, 0, len(vs))
	for k := range vs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := valid.Text(prefix+strconv.Quote(k), k); err != nil {
			return err
		}
		for _, v := range vs[k] {
			if err := valid.Text(prefix+k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkJSON checks every string of a decoded JSON value, object keys
// included, naming the field as "body.materials[2].class".
func checkJSON(path string, v any) error {
	switch x := v.(type) {
	case string:
		return valid.Text(path, x)
	case []any:
		for i, e := range x {
			if err := checkJSON(path+"["+strconv.Itoa(i)+"]", e); err != nil {
				return err
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := valid.Text(path+"."+strconv.Quote(k), k); err != nil {
				return err
			}
			if err := checkJSON(path+"."+k, x[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckForm checks the values and file names of r's parsed form, for
// handlers that parse a multipart body themselves; the error, when not
// nil, is for BadText.
func CheckForm(r *http.Request) error {
	if err := checkValues("body.", r.PostForm); err != nil {
		return err
	}
	if r.MultipartForm == nil {
		return nil
	}
	if err := checkValues("body.", r.MultipartForm.Value); err != nil {
		return err
	}
	for field, fhs := range r.MultipartForm.File {
		for _, fh := range fhs {
			if err := valid.Text("body."+field, fh.Filename); err != nil {
				return err
			}
		}
	}
	return nil
}

// TextRefusal writes the answer to a request whose field holds a refused
// character, for endpoints with an error format of their own (Open311).
type TextRefusal func(w http.ResponseWriter, r *http.Request, field, message string)

// OnBadText makes refusals of requests under prefix answered by f rather
// than as a problem or an error page. Call it from a module's Mount.
func (s *Server) OnBadText(prefix string, f TextRefusal) {
	s.textRefusals = append(s.textRefusals, textRefusal{prefix, f})
}

type textRefusal struct {
	prefix string
	f      TextRefusal
}

// BadText answers 422 for err from valid.Text or CheckForm: an RFC 9457
// problem locating the field for the API, an error page naming it for
// forms.
func (s *Server) BadText(w http.ResponseWriter, r *http.Request, err error) {
	var fe *valid.FieldError
	if !errors.As(err, &fe) {
		s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	field := fe.Path
	if _, name, ok := strings.Cut(field, "."); ok {
		field = name
	}
	for _, tr := range s.textRefusals {
		if strings.HasPrefix(r.URL.Path, tr.prefix) {
			tr.f(w, r, field, fe.Message)
			return
		}
	}
	lang := i18n.LangFrom(r.Context())
	msg := s.bundle.T(lang, "web.error.control_char", i18n.Args{"field": field})
	if isAPI(r) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusUnprocessableEntity)
		json.NewEncoder(w).Encode(&huma.ErrorModel{
			Title: http.StatusText(http.StatusUnprocessableEntity), Status: http.StatusUnprocessableEntity, Detail: msg,
			Instance: "urn:ys:request:" + RequestID(r.Context()),
			Errors:   []*huma.ErrorDetail{{Location: fe.Path, Message: fe.Message}},
		})
		return
	}
	s.RenderStatus(w, r, http.StatusUnprocessableEntity, "web/error.html", errorPage{
		Status: http.StatusUnprocessableEntity, Title: http.StatusText(http.StatusUnprocessableEntity),
		Message: msg + " " + fe.Message,
	})
}
