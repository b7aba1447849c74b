package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
)

// APIPrefix is the path every JSON operation lives under. Operations are
// registered with their full path ("/api/v1/hotline/orders") so the
// OpenAPI document shows the paths clients call.
const APIPrefix = "/api/v1"

// Security requirements for operations that need a signed-in caller: a
// bearer token (machines) or the session cookie (the browser).
var securedBy = []map[string][]string{{"bearer": {}}, {"cookie": {}}}

// Secured is the Security value for operations that need a signed-in
// caller; set it on a huma.Operation so the OpenAPI document says so.
func Secured() []map[string][]string { return securedBy }

func newAPI(mux humago.Mux, version string) huma.API {
	cfg := huma.DefaultConfig("营商 yingshang API", version)
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	cfg.Info.Description = "营商环境数字化平台接口。Errors are RFC 9457 problem details (application/problem+json)."
	cfg.OpenAPIPath = APIPrefix + "/openapi"
	cfg.SchemasPath = APIPrefix + "/schemas"
	// The interactive docs page loads scripts from a CDN, which the
	// content security policy forbids; clients read openapi.json instead.
	cfg.DocsPath = ""
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "Token from POST /api/v1/sessions."},
		"cookie": {Type: "apiKey", In: "cookie", Name: SessionCookie, Description: "Browser session."},
	}
	return humago.New(mux, cfg)
}

// Actor returns the caller of an API operation. It fails with a 401
// problem for an anonymous caller and, when roles are given, a 403 problem
// for a caller holding none of them.
func (s *Server) Actor(ctx context.Context, roles ...auth.Role) (*auth.Actor, error) {
	a := auth.FromContext(ctx)
	if a == nil {
		return nil, s.Problem(ctx, auth.ErrUnauthenticated)
	}
	if len(roles) > 0 && !a.HasAny(roles...) {
		return nil, s.Problem(ctx, auth.ErrForbidden)
	}
	return a, nil
}

// Created is the answer of an operation that creates a resource: 201 (set
// DefaultStatus: http.StatusCreated on the operation) with the resource's
// address in Location, as RFC 9110 asks, and the resource as the body.
type Created[T any] struct {
	Location string `header:"Location" doc:"Address of the created resource"`
	Body     T
}

// Location returns the address of the API resource at path (relative to
// APIPrefix) with its id appended: Location("/hotline/orders", 7) is
// "/api/v1/hotline/orders/7".
func Location(path string, id any) string {
	return APIPrefix + path + "/" + fmt.Sprint(id)
}

// User is the API view of a signed-in user.
type User struct {
	ID            int64       `json:"id"`
	Name          string      `json:"name"`
	Roles         []auth.Role `json:"roles"`
	RegionCode    string      `json:"region_code,omitempty" doc:"GB/T 2260 region code"`
	DepartmentIDs []int64     `json:"department_ids,omitempty"`
	USCC          string      `json:"uscc,omitempty" doc:"Unified social credit code of the enterprise acted for"`
	Home          string      `json:"home" doc:"Path of the user's start page"`
	// MustChangePassword is set while the password is one an
	// administrator chose.
	MustChangePassword bool `json:"must_change_password" doc:"The password was set by an administrator and must be changed before anything else"`
}

func (s *Server) userOf(a *auth.Actor) User {
	return User{ID: a.UserID, Name: a.Name, Roles: a.Roles, RegionCode: a.RegionCode,
		DepartmentIDs: a.DepartmentIDs, USCC: a.USCC, Home: s.HomeFor(a), MustChangePassword: a.MustChangePassword}
}

type signInInput struct {
	Body struct {
		Username string `json:"username" minLength:"1" maxLength:"128"`
		Password string `json:"password" minLength:"1" maxLength:"256"`
	}
}

type sessionOutput struct {
	Body struct {
		Token string `json:"token" doc:"Send as Authorization: Bearer <token>"`
		User  User   `json:"user"`
	}
}

type signOutOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
}

type meOutput struct {
	Body User
}

func registerCoreAPI(s *Server) {
	huma.Register(s.api, huma.Operation{
		OperationID: "create-session",
		Method:      http.MethodPost,
		Path:        APIPrefix + "/sessions",
		Summary:     "Sign in",
		Description: "Checks a username and password and returns a session token. An unknown user, a wrong " +
			"password, a username locked for this client address and a disabled account all answer 401 with " +
			"the same message. Too many failures from one address (or against one username from addresses " +
			"it never signed in from) answer 429 with Retry-After, before the password is checked. When " +
			"user.must_change_password is true, the session may only change the password " +
			"(POST /api/v1/account/password), read /api/v1/me and sign out.",
		Tags:          []string{"sessions"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusUnauthorized, http.StatusUnprocessableEntity, http.StatusTooManyRequests},
	}, func(ctx context.Context, in *signInInput) (*sessionOutput, error) {
		if s.cfg.Sessions == nil {
			return nil, huma.Error503ServiceUnavailable(s.bundle.T(i18n.LangFrom(ctx), "web.problem.503"))
		}
		token, a, err := s.cfg.Sessions.SignIn(ctx, in.Body.Username, in.Body.Password, clientMeta(ctx))
		if errors.Is(err, auth.ErrDisabled) {
			// Answered as a wrong password, like the sign-in page.
			err = auth.ErrBadCredentials
		}
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &sessionOutput{}
		out.Body.Token = token
		out.Body.User = s.userOf(a)
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID:   "delete-current-session",
		Method:        http.MethodDelete,
		Path:          APIPrefix + "/sessions/current",
		Summary:       "Sign out",
		Description:   "Ends the session the request is authenticated with.",
		Tags:          []string{"sessions"},
		DefaultStatus: http.StatusNoContent,
		Security:      Secured(),
		Errors:        []int{http.StatusUnauthorized},
	}, func(ctx context.Context, _ *struct{}) (*signOutOutput, error) {
		if _, err := s.Actor(ctx); err != nil {
			return nil, err
		}
		if err := s.cfg.Sessions.SignOut(ctx, sessionToken(ctx), clientMeta(ctx)); err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &signOutOutput{SetCookie: http.Cookie{
			Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		}}, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "get-me",
		Method:      http.MethodGet,
		Path:        APIPrefix + "/me",
		Summary:     "Current user",
		Description: "Returns the signed-in user, their roles and start page.",
		Tags:        []string{"sessions"},
		Security:    Secured(),
		Errors:      []int{http.StatusUnauthorized},
	}, func(ctx context.Context, _ *struct{}) (*meOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		return &meOutput{Body: s.userOf(a)}, nil
	})
}

// clientMeta describes the client of the request ctx belongs to, for the
// sign-in record.
func clientMeta(ctx context.Context) auth.ClientMeta {
	ri := infoFrom(ctx)
	return auth.ClientMeta{IP: ri.ip, UserAgent: ri.userAgent}
}

// schemaName names a Go type's schema in the OpenAPI document after its
// package as well as its name (inbox.Row → InboxRow), so that modules may
// each have an Item or a Row without colliding in the one document. An
// anonymous struct (a response Body declared inline) is named by huma's
// hint and qualified by the package of the first named type among its
// fields, for the same reason.
func schemaName(t reflect.Type, hint string) string {
	name := huma.DefaultSchemaNamer(t, hint)
	t = deref(t)
	pkg := path.Base(t.PkgPath())
	if t.Name() == "" && t.Kind() == reflect.Struct {
		pkg = fieldPackage(t, 0)
	}
	if pkg == "" || pkg == "." {
		return name
	}
	prefix := strings.ToUpper(pkg[:1]) + pkg[1:]
	if strings.HasPrefix(name, prefix) {
		return name
	}
	return prefix + name
}

// fieldPackage returns the base name of the package of the first named
// type reached through t's fields, slices, maps and pointers, or "".
func fieldPackage(t reflect.Type, depth int) string {
	if depth > 4 {
		return ""
	}
	t = deref(t)
	if t.Name() != "" && t.PkgPath() != "" {
		return path.Base(t.PkgPath())
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return fieldPackage(t.Elem(), depth+1)
	case reflect.Struct:
		for i := range t.NumField() {
			if p := fieldPackage(t.Field(i).Type, depth+1); p != "" {
				return p
			}
		}
	}
	return ""
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
