package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// node is one running platform of a two-node cluster.
type node struct {
	a   *app.App
	url string
}

// startNodes starts two platforms on one PostgreSQL schema, each with its
// own connection pool and HTTP server on 127.0.0.1, as two `serve`
// processes behind a load balancer would be. listen sets whether they hear
// each other's changes.
func startNodes(t *testing.T, listen bool, clk *clock) (*node, *node) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db1 := storetest.OpenPostgres(t)
	var schema string
	if err := db1.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	db2, err := store.Open(ctx, storetest.WithSearchPath(os.Getenv(storetest.EnvPostgres), schema))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() // both nodes share the secret and signing keys
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait(); db2.Close() })
	var nodes []*node
	for _, db := range []*store.DB{db1, db2} {
		a, err := app.WithDB(ctx, db, app.Config{DataDir: dir, PasswordParams: &auth.TestPasswordParams,
			Now: clk.now, NoChangeListener: !listen})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { a.Serve(ctx, ln) })
		nodes = append(nodes, &node{a: a, url: "http://" + ln.Addr().String()})
	}
	if listen {
		deadline := time.Now().Add(10 * time.Second)
		for !nodes[0].a.Changes.Listening() || !nodes[1].a.Changes.Listening() {
			if time.Now().After(deadline) {
				t.Fatal("nodes not listening for changes after 10 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nodes[0], nodes[1]
}

// get answers the status and body of GET path on n, with bearer token tok
// (none when empty).
func (n *node) get(t *testing.T, path, tok string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", n.url+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// within reports whether cond holds within d, polling.
func within(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A token revocation, a calendar edit and a certificate revocation made on
// one node take effect on the other within one second, and escalation
// timers fire once with both nodes firing. Without change notifications
// (the second run) the other node's caches still answer the old state after
// that second: the first run is not passing by luck.
func TestTwoNodes(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skip(storetest.EnvPostgres + " not set")
	}
	for _, listen := range []bool{true, false} {
		name := "notify"
		if !listen {
			name = "without-notify"
		}
		t.Run(name, func(t *testing.T) { twoNodes(t, listen) })
	}
}

func twoNodes(t *testing.T, listen bool) {
	ctx := context.Background()
	clk := &clock{}
	n1, n2 := startNodes(t, listen, clk)
	a := n1.a
	const second = time.Second
	// A district, a department issuing certificates, a handler with an API
	// token.
	var dept, handler int64
	err := a.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := a.Org.CreateRegion(ctx, tx, org.Region{Code: "990100", Name: "云澜市"}); err != nil {
			return err
		}
		d, err := a.Org.CreateDepartment(ctx, tx, org.NewDepartment{Code: "SCJG", Name: "市场监管局", RegionCode: "990100"})
		if err != nil {
			return err
		}
		dept = d.ID
		u, err := a.Org.CreateUser(ctx, tx, org.NewUser{Username: "han", DisplayName: "承办甲", Password: "Qx7-Yunlan-Depot",
			Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990100", DepartmentIDs: []int64{dept}})
		if err != nil {
			return err
		}
		handler = u.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, tokID, err := a.Auth.CreateAPIToken(ctx, handler, "integration", 0)
	if err != nil {
		t.Fatal(err)
	}

	// 1. The token is used on node 2 (which remembers it), then revoked
	// on node 1.
	if code, _ := n2.get(t, "/api/v1/me", tok); code != http.StatusOK {
		t.Fatalf("token on node 2 before revocation: %d", code)
	}
	if err := a.Auth.RevokeAPIToken(ctx, handler, tokID); err != nil {
		t.Fatal(err)
	}
	refused := within(second, func() bool { code, _ := n2.get(t, "/api/v1/me", tok); return code == http.StatusUnauthorized })
	if listen && !refused {
		t.Error("node 2 still accepts the token 1 s after node 1 revoked it")
	}
	if !listen && refused {
		t.Error("without notifications node 2 refused the revoked token at once: its cache was not in the way")
	}

	// 2. A calendar edit on node 1: a Tuesday becomes a holiday.
	day := time.Date(2026, 12, 8, 12, 0, 0, 0, calendar.CST)
	if !n2.a.Calendar.Current().IsWorkday(day) {
		t.Fatal("2026-12-08 is not a working day to start with")
	}
	y, err := a.Calendar.Store.GetYear(ctx, a.DB, 2026)
	if err != nil {
		t.Fatal(err)
	}
	y.Days = append(y.Days, calendar.Day{Date: "2026-12-08", Kind: calendar.Holiday, Name: "测试假日"})
	if err := a.Calendar.Store.SetYear(ctx, a.DB, y, "test"); err != nil {
		t.Fatal(err)
	}
	seen := within(second, func() bool { return !n2.a.Calendar.Current().IsWorkday(day) })
	if listen && !seen {
		t.Error("node 2 still counts 2026-12-08 as a working day 1 s after node 1 made it a holiday")
	}
	if !listen && seen {
		t.Error("without notifications node 2 saw the calendar edit at once")
	}

	// 3. A certificate verified on node 2 (page and result cached), then
	// revoked on node 1.
	uscc := "91990102MA01YL8A1"
	uscc += string(ids.USCCCheck(uscc))
	var cert *certificate.Certificate
	staff := &auth.Actor{UserID: handler, Name: "承办甲", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990100", DepartmentIDs: []int64{dept}}
	err = a.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, typ := range certificate.DefaultTypes() {
			typ.IssuerDepartmentID = dept
			if err := a.Certs.DefineType(ctx, tx, typ, auth.System()); err != nil {
				return err
			}
		}
		var err error
		cert, err = a.Certs.Issue(ctx, tx, certificate.IssueInput{TypeCode: "CT-SPJY",
			Holder: certificate.Enterprise("云澜味道餐饮有限公司", uscc), IssuerDepartmentID: dept, Actor: staff,
			Fields: map[string]string{"legal_representative": "李娜", "address": "滨江路88号", "main_form": "餐饮服务", "items": "热食类"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	path := "/verify/" + cert.Token
	valid := func(n *node) bool {
		code, body := n.get(t, path, "")
		return code == http.StatusOK && strings.Contains(body, `verdict-valid`)
	}
	for range 2 { // the second answer comes from the caches
		if !valid(n2) {
			t.Fatal("node 2 does not answer valid for a fresh certificate")
		}
	}
	err = a.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := a.Certs.Revoke(ctx, tx, cert.ID, "测试撤销", staff)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if valid(n1) {
		t.Error("node 1 answers valid after its own revocation")
	}
	revoked := within(second, func() bool { return !valid(n2) })
	if listen && !revoked {
		t.Error("node 2 still answers valid 1 s after node 1 revoked the certificate")
	}
	if !listen && revoked {
		t.Error("without notifications node 2 saw the revocation at once")
	}

	// 4. Escalation timers due on both nodes fire once.
	if _, _, err := a.Flow.LoadDefinition(ctx, []byte(escalationDef), nil); err != nil {
		t.Fatal(err)
	}
	const cases = 20
	err = a.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for i := range cases {
			if _, err := a.Flow.Start(ctx, tx, flow.StartInput{DefinitionKey: "test.nodes", SubjectType: "test",
				SubjectID: int64(i + 1), RegionCode: "990100"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.add(48 * time.Hour)
	var wg sync.WaitGroup
	fired := make([]int, 4)
	errs := make([]error, 4)
	for i := range fired {
		e := []*flow.Engine{n1.a.Flow, n2.a.Flow}[i%2]
		wg.Go(func() { fired[i], errs[i] = e.FireDue(ctx, 1000) })
	}
	wg.Wait()
	total := 0
	for i := range fired {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		total += fired[i]
	}
	var history int
	if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM flow_history h JOIN flow_instances i ON i.id = h.instance_id
		WHERE i.def_key = 'test.nodes' AND h.action = 'escalate'`).Scan(&history); err != nil {
		t.Fatal(err)
	}
	if total != 2*cases || history != 2*cases {
		t.Errorf("timers fired %d times with %d escalation records; want %d each", total, history, 2*cases)
	}
}

// clock is the nodes' shared clock: the wall clock moved on by add.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time      { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) add(d time.Duration) { c.offset.Add(int64(d)) }

// escalationDef has two timers per case, both due within an hour of the start.
const escalationDef = `{
  "key": "test.nodes", "name": "两节点",
  "states": [
    {"key": "open", "name": "受理", "kind": "start", "limit": {"n": 1, "unit": "hours"}},
    {"key": "done", "name": "办结", "kind": "end"}
  ],
  "actions": [{"key": "finish", "name": "办结", "from": ["open"], "to": "done", "roles": ["department_handler"]}],
  "escalation": [
    {"level": "remind", "share": 0.5, "on": "state"},
    {"level": "supervise", "share": 1, "on": "state"}
  ]
}`
