package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/notify"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/rating"
	"github.com/yingshang/yingshang/internal/store"
)

// buildRating builds 好差评 and subscribes it to the events that finish a
// service (an application decided, a hotline order closed), whose SMS
// rating links the notifier sends (notify.TopicRatingLink).
func (a *App) buildRating() error {
	var err error
	a.Rating, err = rating.New(rating.Deps{DB: a.DB, Audit: a.Audit, Calendar: a.Calendar.Current, Now: a.Config.Now,
		Subjects: ratingSubjects{a: a}, BaseURL: a.Config.BaseURL, TokenKey: a.Box.Index})
	if err != nil {
		return err
	}
	a.Outbox.Subscribe(rating.TopicCaseDecided, a.Rating.HandleEvent)
	a.Outbox.Subscribe(rating.TopicTransition, a.Rating.HandleEvent)
	a.Outbox.Subscribe(notify.TopicRatingLink, a.Notify.RatingLinks())
	a.Outbox.Subscribe(notify.TopicRatingAnswered, a.Notify.RatingAnswers())
	return nil
}

// ratingSubjects tells the 好差评 module about cases and hotline orders
// through those modules' exported reads, so it never reads their tables.
type ratingSubjects struct{ a *App }

func (s ratingSubjects) Subject(ctx context.Context, kind string, id int64) (rating.Info, error) {
	switch kind {
	case rating.KindCase:
		c, err := s.a.Casework.Get(ctx, auth.System(), id)
		if errors.Is(err, casework.ErrNotFound) {
			return rating.Info{}, rating.ErrNotFound
		}
		if err != nil {
			return rating.Info{}, fmt.Errorf("rating subject: %w", err)
		}
		done := c.Status == casework.StatusApproved || c.Status == casework.StatusRejected || c.Status == casework.StatusRefused
		return rating.Info{PersonID: c.ApplicantUserID, DepartmentID: c.DepartmentID, ItemCode: c.ItemCode, Done: done, Reference: c.Number}, nil
	case rating.KindHotline:
		o, err := s.a.Hotline.Get(ctx, auth.System(), id)
		if errors.Is(err, hotline.ErrNotFound) {
			return rating.Info{}, rating.ErrNotFound
		}
		if err != nil {
			return rating.Info{}, fmt.Errorf("rating subject: %w", err)
		}
		done := o.Status == hotline.StatusClosed || o.Status == hotline.StatusVisited
		return rating.Info{PersonID: o.CallerUserID, DepartmentID: o.LeadDept, ItemCode: o.CategoryCode, Done: done, Reference: o.Number}, nil
	}
	return rating.Info{}, rating.ErrNotFound
}

// Readable reports whether a may read the case or order in its module.
func (s ratingSubjects) Readable(ctx context.Context, a *auth.Actor, kind string, id int64) bool {
	switch kind {
	case rating.KindCase:
		_, err := s.a.Casework.Get(ctx, a, id)
		return err == nil
	case rating.KindHotline:
		_, err := s.a.Hotline.Get(ctx, a, id)
		return err == nil
	}
	return false
}

// Phone returns the sealed phone of the hotline caller as the hotline
// keeps it, or of the applicant's account (read through org.Reveal, the
// read audited, and sealed again at once).
func (s ratingSubjects) Phone(ctx context.Context, kind string, id int64) (string, string, error) {
	switch kind {
	case rating.KindHotline:
		cr, err := s.a.Hotline.Caller(ctx, id)
		if err != nil {
			return "", "", fmt.Errorf("rating subject: %w", err)
		}
		return cr.PhoneSealed, cr.PhoneIndex, nil
	case rating.KindCase:
		c, err := s.a.Casework.Get(ctx, auth.System(), id)
		if err != nil {
			return "", "", fmt.Errorf("rating subject: %w", err)
		}
		if c.ApplicantUserID == 0 {
			return "", "", nil
		}
		return s.applicantPhone(ctx, c.ID, c.ApplicantUserID)
	}
	return "", "", nil
}

// applicantPhone returns the sealed phone and its blind index of the
// applicant's account, recording the read in the audit log (org.Reveal's
// rule): the platform read it to send the 好差评 link of application id.
func (s ratingSubjects) applicantPhone(ctx context.Context, id, userID int64) (sealed, index string, err error) {
	err = s.a.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		r, err := s.a.Org.Reveal(ctx, tx, userID)
		if err != nil {
			return err
		}
		if r.Phone == "" {
			return nil
		}
		sealed, index = s.a.Box.Seal(r.Phone), s.a.Box.Index(r.Phone)
		_, err = s.a.Audit.Append(ctx, tx, audit.Entry{ActorName: auth.SystemName, Action: "rating.phone_read", ObjectType: "user",
			ObjectID: strconv.FormatInt(userID, 10), Detail: map[string]any{"reason": "好差评短信评价链接", "application_id": id}})
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("rating subject: applicant phone: %w", err)
	}
	return sealed, index, nil
}

// ratingDepartments names departments on the public figures.
type ratingDepartments struct{ org *org.Service }

func (d ratingDepartments) DepartmentName(ctx context.Context, id int64) string {
	dep, err := d.org.Department(ctx, id)
	if err != nil {
		return ""
	}
	return dep.Name
}

// UserName names a window staff member on the staff's pages.
func (d ratingDepartments) UserName(ctx context.Context, id int64) string {
	u, err := d.org.GetUser(ctx, id)
	if err != nil {
		return ""
	}
	return u.DisplayName
}
