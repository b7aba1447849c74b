package revision

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// FormError is a form body that does not carry the set it should: the
// status to answer with and, for a missing field, its name.
type FormError struct {
	Status int    // 400 broken body, 413 too large, 415 wrong content type, 422 missing field
	Field  string // the missing field, for 422
	err    error
}

func (e *FormError) Error() string {
	if e.Field != "" {
		return "revision: form: missing field " + e.Field
	}
	return fmt.Sprintf("revision: form: %v", e.err)
}

func (e *FormError) Unwrap() error { return e.err }

// ParseForm reads the body of a form that replaces a set. Unlike
// http.Request.ParseForm, which reads any other content type as an empty
// form, it refuses what a browser's form would not send: a content type
// other than application/x-www-form-urlencoded or multipart/form-data
// (415), a broken or truncated body (400), and a body without one of the
// fields named in required (422). The fields are then in r.PostForm.
func ParseForm(r *http.Request, maxMemory int64, required ...string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return &FormError{Status: http.StatusUnsupportedMediaType, err: err}
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case "multipart/form-data":
		err = r.ParseMultipartForm(maxMemory)
		if err == nil && r.MultipartForm != nil {
			for k, v := range r.MultipartForm.Value {
				if r.PostForm == nil {
					r.PostForm = map[string][]string{}
				}
				r.PostForm[k] = v
			}
		}
	default:
		return &FormError{Status: http.StatusUnsupportedMediaType, err: fmt.Errorf("content type %s", mt)}
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &FormError{Status: http.StatusRequestEntityTooLarge, err: err}
		}
		return &FormError{Status: http.StatusBadRequest, err: err}
	}
	for _, f := range required {
		if _, ok := r.PostForm[f]; !ok {
			return &FormError{Status: http.StatusUnprocessableEntity, Field: f, err: errors.New("missing " + f)}
		}
	}
	return nil
}

// HasControl reports whether s holds a control character other than tab,
// newline and carriage return, which no form field of a set may carry.
func HasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f
	})
}
