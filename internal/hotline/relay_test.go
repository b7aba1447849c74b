package hotline_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// fakeRelay records the pairs it was asked to bind.
type fakeRelay struct {
	mu   sync.Mutex
	reqs []hotline.RelayRequest
}

func (f *fakeRelay) Bind(_ context.Context, req hotline.RelayRequest) (hotline.RelayBinding, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	return hotline.RelayBinding{Number: "95013-0001", ID: "b1", Until: time.Date(2026, 9, 30, 2, 30, 0, 0, time.UTC)}, nil
}

// 隐私号回拨 (issue 12): the handling department calls the caller through a
// privacy number; the caller's number reaches the telephony, never the
// handler's page; another department, a confidential reporter and an
// account without a mobile are refused, and without a relay there is no
// call.
func TestHandlerCallsTheCallerThroughAPrivacyNumber(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		relay := &fakeRelay{}
		w := setupRelay(t, db, hotline.Config{}, relay)
		ctx := context.Background()
		o := w.intake(complaint("13812345678"))
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptA}))
		must(w.m.SignFor(ctx, w.a("ha"), o.ID))
		b, err := w.m.CallCaller(ctx, w.a("ha"), o.ID)
		if err != nil || b.Number != "95013-0001" {
			t.Fatalf("call: %+v, %v", b, err)
		}
		if len(relay.reqs) != 1 || relay.reqs[0].Caller != "13812345678" || relay.reqs[0].Staff != "13900000011" ||
			relay.reqs[0].TTL != hotline.RelayTTL {
			t.Fatalf("relay asked %+v", relay.reqs)
		}
		if _, err := w.m.CallCaller(ctx, w.a("hb"), o.ID); err == nil {
			t.Error("another department called the caller")
		}
		// Through the page: the privacy number is shown, the caller's never.
		c := w.client(t, "han")
		code, body := w.postForm(t, c, "/hotline/orders/"+itoa(o.ID)+"/call", url.Values{})
		if code != 200 || !strings.Contains(body, "95013-0001") || strings.Contains(body, "13812345678") {
			t.Errorf("call page: %d, number shown: %v", code, strings.Contains(body, "13812345678"))
		}
		// The API answers the binding.
		code, raw := w.api(t, "han", "POST", "/api/v1/hotline/orders/"+itoa(o.ID)+"/call", nil)
		if code != 200 || !strings.Contains(raw, `"number":"95013-0001"`) || strings.Contains(raw, "13812345678") {
			t.Errorf("call API: %d %s", code, raw)
		}
		// A confidential reporter is not called by the department.
		conf := complaint("13812345679")
		conf.Confidential = true
		co := w.intake(conf)
		must(w.m.Dispatch(ctx, w.a("disp"), co.ID, hotline.DispatchInput{Lead: w.deptA}))
		if _, err := w.m.CallCaller(ctx, w.a("ha"), co.ID); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("confidential reporter: %v", err)
		}
		// A handler without a mobile on the account is told so.
		bo := w.intake(complaint("13812345670"))
		must(w.m.Dispatch(ctx, w.a("disp"), bo.ID, hotline.DispatchInput{Lead: w.deptB}))
		if _, err := w.m.CallCaller(ctx, w.a("hb"), bo.ID); err == nil || !strings.Contains(err.Error(), "手机号") {
			t.Errorf("no mobile: %v", err)
		}
	})
}

func TestNoRelayNoCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		o := w.intake(complaint("13812345678"))
		must(w.m.Dispatch(context.Background(), w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptA}))
		if _, err := w.m.CallCaller(context.Background(), w.a("ha"), o.ID); !errors.Is(err, hotline.ErrNoRelay) {
			t.Errorf("without a relay: %v", err)
		}
	})
}

// The HTTP relay signs its request like the 110 webhook and sends the
// numbers in the body only.
func TestHTTPRelay(t *testing.T) {
	var got map[string]any
	var sig, path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig, path = r.Header.Get(hotline.SignatureHeader), r.URL.String()
		if hotline.Sign([]byte("k"), body) != sig {
			http.Error(w, "bad signature", 401)
			return
		}
		_ = json.Unmarshal(body, &got)
		_, _ = w.Write([]byte(`{"number":"95013-7788","binding_id":"x9","expires_at":"2026-09-30T02:30:00Z"}`))
	}))
	defer srv.Close()
	r := &hotline.HTTPRelay{URL: srv.URL + "/bind", Secret: []byte("k")}
	b, err := r.Bind(context.Background(), hotline.RelayRequest{Order: "N1", Caller: "13812345678", Staff: "13900000011", TTL: 30 * time.Minute})
	if err != nil || b.Number != "95013-7788" || b.ID != "x9" {
		t.Fatalf("bind: %+v %v", b, err)
	}
	if got["caller"] != "13812345678" || got["ttl_seconds"] != float64(1800) || strings.Contains(path, "138") {
		t.Errorf("request %v to %s", got, path)
	}
	bad := &hotline.HTTPRelay{URL: srv.URL, Secret: []byte("wrong")}
	if _, err := bad.Bind(context.Background(), hotline.RelayRequest{Caller: "1", Staff: "2"}); err == nil {
		t.Error("a refused binding was taken")
	}
}
