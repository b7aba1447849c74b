package notify_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/annualreport"
	"github.com/yingshang/yingshang/internal/notify"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// A reminder to file the annual report reaches every user of the business,
// once however often the event is delivered.
func TestAnnualReportReminder(t *testing.T) {
	if notify.TopicAnnualReportReminder != annualreport.TopicReminder {
		t.Fatalf("notify uses %q, the module writes %q", notify.TopicAnnualReportReminder, annualreport.TopicReminder)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		e := event(41, annualreport.TopicReminder, map[string]any{"uscc": w.uscc, "name": "云澜味道", "year": 2026,
			"deadline": "2027-06-30"})
		h := w.svc.AnnualReportReminders()
		for range 2 {
			if err := h(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if got := w.recipients(t, 41); !slices.Equal(got, []string{"user:ent1/in_app", "user:ent2/in_app"}) {
			t.Fatalf("recipients: %v", got)
		}
		msgs, _, err := w.svc.List(ctx, w.actor("ent1"), notify.Query{})
		if err != nil || len(msgs) != 1 || !strings.Contains(msgs[0].Title, "2027-06-30") || msgs[0].Link != "/annual-reports/mine" {
			t.Errorf("message: %+v %v", msgs, err)
		}
	})
}
