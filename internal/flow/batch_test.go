package flow_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// StartMany starts what Start starts one after another: the same
// instances (ids in the order asked), history, wait rows, events and audit
// entries; subjects given twice or bad input start nothing.
func TestStartMany(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		other := storetest.OpenSQLite(t)
		if db.Kind() == store.Postgres {
			other = storetest.OpenPostgres(t)
		}
		one, many := newEnv(t, db), newEnv(t, other)
		sis := []flow.StartInput{
			{DefinitionKey: "test.hotline", SubjectType: "test_order", SubjectID: 42, Reference: "A-42", Title: "一",
				RegionCode: "440305", DepartmentIDs: []int64{7}, OwnerUserID: citizen.UserID, Actor: operator},
			{DefinitionKey: "test.hotline", SubjectType: "test_order", SubjectID: 7, Reference: "A-7", Title: "二",
				RegionCode: "440300", DepartmentIDs: []int64{7, 8}, Actor: operator, Comment: "窗口受理"},
			{DefinitionKey: "test.hotline", SubjectType: "other_case", SubjectID: 42, RegionCode: "440305", Actor: operator},
		}
		var ones, manys []*flow.Instance
		err := db.WithTx(one.ctx, func(ctx context.Context, tx store.Tx) error {
			for _, si := range sis {
				in, err := one.eng.Start(ctx, tx, si)
				if err != nil {
					return err
				}
				ones = append(ones, in)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = other.WithTx(many.ctx, func(ctx context.Context, tx store.Tx) (err error) {
			manys, err = many.eng.StartMany(ctx, tx, sis)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ones, manys) {
			t.Errorf("one by one %+v\nat once %+v", ones, manys)
		}
		for _, q := range []string{
			"SELECT COUNT(*) FROM flow_instances",
			"SELECT COUNT(*) FROM flow_history WHERE action = 'start'",
			"SELECT COUNT(*) FROM flow_history WHERE comment = '窗口受理'",
			"SELECT COUNT(*) FROM flow_instance_waits",
			"SELECT COUNT(*) FROM flow_timers",
			"SELECT COUNT(*) FROM outbox WHERE topic = 'flow.started'",
			"SELECT COUNT(*) FROM audit_log WHERE action = 'flow.start'",
		} {
			if a, b := one.count(q), many.count(q); a != b {
				t.Errorf("%s: %d one by one, %d at once", q, a, b)
			}
		}
		// The cases run on as any other: the dispatcher sends the first on.
		if in := many.mustDo(manys[0].ID, "dispatch", dispatcher, nil, ""); in.State != "handling" {
			t.Errorf("dispatched case in %s", in.State)
		}
		before := many.count("SELECT COUNT(*) FROM flow_instances")
		for name, bad := range map[string][]flow.StartInput{
			"a subject twice": {sis[0], sis[0]},
			"a bad region":    {{DefinitionKey: "test.hotline", SubjectType: "x", SubjectID: 1, RegionCode: "44"}},
			"no definition":   {{DefinitionKey: "test.none", SubjectType: "x", SubjectID: 1, RegionCode: "440305"}},
		} {
			err := other.WithTx(many.ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := many.eng.StartMany(ctx, tx, bad)
				return err
			})
			var ie *flow.InputError
			if err == nil || (name == "a bad region" && !errors.As(err, &ie)) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if n := many.count("SELECT COUNT(*) FROM flow_instances"); n != before {
			t.Errorf("refused batches stored %d instances", n-before)
		}
	})
}
