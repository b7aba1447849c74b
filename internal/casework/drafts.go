package casework

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// A draft is an application form saved unfinished, one per user and item,
// so a long form can be left and resumed. It is sealed whole: the values
// may hold identity and phone numbers. Files the form had received are kept
// as casework_kept_uploads and named in it by their hash (kept_file_N).
type draft struct {
	Form    url.Values
	SavedAt time.Time
}

// draftFields are the posted names a draft keeps (not the buttons).
func draftFields(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		if k == "draft" || k == "gorilla.csrf.Token" || len(v) == 0 {
			continue
		}
		out[k] = slices.Clone(v)
	}
	return out
}

// saveDraft stores the posted form f as userID's draft of item code.
func (m *Module) saveDraft(ctx context.Context, userID int64, code string, f url.Values) error {
	if userID == 0 {
		return fmt.Errorf("casework: draft: %w", ErrForbidden)
	}
	sealed := m.d.Box.Seal(draftFields(f).Encode())
	return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO casework_drafts (user_id, item_code, form_enc, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id, item_code) DO UPDATE SET form_enc = excluded.form_enc, updated_at = excluded.updated_at`,
			userID, code, sealed, m.now())
		if err != nil {
			return fmt.Errorf("casework: save draft: %w", err)
		}
		return nil
	})
}

// loadDraft returns userID's draft of item code, nil when there is none.
func (m *Module) loadDraft(ctx context.Context, userID int64, code string) (*draft, error) {
	var sealed string
	var at time.Time
	err := m.d.DB.QueryRowContext(ctx, `SELECT form_enc, updated_at FROM casework_drafts WHERE user_id = ? AND item_code = ?`,
		userID, code).Scan(&sealed, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("casework: draft: %w", err)
	}
	plain, err := m.d.Box.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("casework: draft: %w", err)
	}
	form, err := url.ParseQuery(plain)
	if err != nil {
		return nil, fmt.Errorf("casework: draft: %w", err)
	}
	return &draft{Form: form, SavedAt: at.UTC()}, nil
}

// deleteDraft drops userID's draft of item code once submitted; a failure
// leaves a stale draft, which is harmless.
func (m *Module) deleteDraft(ctx context.Context, userID int64, code string) {
	_ = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM casework_drafts WHERE user_id = ? AND item_code = ?`, userID, code)
		return err
	})
}

// keepUploads stores the acceptable files of uploads for userID, so that
// the form shown again after a refusal (or a draft) offers them without a
// new upload; a file that fails its checks is not kept (the refusal says
// why). It returns the kept files by input name.
func (m *Module) keepUploads(ctx context.Context, userID int64, uploads map[string]*Upload) map[string]*FileRef {
	kept := map[string]*FileRef{}
	if userID == 0 || len(uploads) == 0 {
		return kept
	}
	now := m.now()
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for key, up := range uploads {
			ref, err := checkUpload(key, up)
			if err != nil {
				continue
			}
			if err := putFile(ctx, tx, now, ref, up.Data); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO casework_kept_uploads (user_id, sha256, name, content_type, size, created_at)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, sha256) DO NOTHING`,
				userID, ref.SHA256, ref.Name, ref.ContentType, ref.Size, now); err != nil {
				return fmt.Errorf("casework: keep upload: %w", err)
			}
			kept[key] = ref
		}
		return nil
	})
	if err != nil {
		return map[string]*FileRef{}
	}
	return kept
}

// keptUpload returns the file userID's earlier post kept under sha, nil
// when sha is empty or not one of theirs.
func (m *Module) keptUpload(ctx context.Context, userID int64, sha string) (*Upload, error) {
	if sha == "" || userID == 0 || !shaPattern.MatchString(sha) {
		return nil, nil
	}
	var up Upload
	err := m.d.DB.QueryRowContext(ctx, `SELECT k.name, f.data FROM casework_kept_uploads k
		JOIN casework_files f ON f.sha256 = k.sha256 WHERE k.user_id = ? AND k.sha256 = ?`, userID, sha).Scan(&up.Name, &up.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("casework: kept upload: %w", err)
	}
	return &up, nil
}

// keptFromForm names the kept files a draft refers to (kept_<input>).
func (m *Module) keptFromForm(ctx context.Context, userID int64, f url.Values) map[string]*FileRef {
	out := map[string]*FileRef{}
	for k := range f {
		key, ok := strings.CutPrefix(k, "kept_")
		if !ok {
			continue
		}
		var ref FileRef
		err := m.d.DB.QueryRowContext(ctx, `SELECT sha256, name, content_type, size FROM casework_kept_uploads
			WHERE user_id = ? AND sha256 = ?`, userID, f.Get(k)).Scan(&ref.SHA256, &ref.Name, &ref.ContentType, &ref.Size)
		if err == nil {
			out[key] = &ref
		}
	}
	return out
}

// accountNumbers are the signed-in citizen's own numbers, to put back in
// place of the masked values the form showed (they never reach the page).
type accountNumbers struct{ id, phone string }

func (m *Module) accountNumbers(ctx context.Context, a *auth.Actor) accountNumbers {
	if a == nil || !a.Has(auth.RoleCitizen) || a.UserID == 0 {
		return accountNumbers{}
	}
	rev, err := m.d.Org.Reveal(ctx, m.d.DB, a.UserID)
	if err != nil {
		return accountNumbers{}
	}
	return accountNumbers{id: rev.CitizenID, phone: rev.Phone}
}

// restore returns v, or the account's own number when v is its masked form.
func (n accountNumbers) restore(t catalog.FieldType, v string) string {
	switch {
	case t == catalog.FieldIDNumber && n.id != "" && v == pii.MaskID(n.id):
		return n.id
	case t == catalog.FieldPhone && n.phone != "" && v == pii.MaskPhone(n.phone):
		return n.phone
	}
	return v
}

// Names of the form fields that hold the applicant's own name.
var ownNameKeys = []string{"applicant_name", "name", "operator_name", "contact_name", "person_name", "holder_name"}

// prefill fills form with what the verified account says: a citizen's name,
// identity number and phone (the numbers masked: the server puts them back),
// an enterprise's registered name and code. done marks the inputs filled.
func (m *Module) prefill(ctx context.Context, a *auth.Actor, it *catalog.Item, form url.Values, done map[string]bool) {
	set := func(key, v string) {
		if v != "" && form.Get(key) == "" {
			form.Set(key, v)
			done[key] = true
		}
	}
	switch {
	case a.Has(auth.RoleCitizen):
		n := m.accountNumbers(ctx, a)
		for _, f := range it.Fields {
			switch {
			case f.Type == catalog.FieldIDNumber && n.id != "":
				set("f_"+f.Key, pii.MaskID(n.id))
			case f.Type == catalog.FieldPhone && n.phone != "":
				set("f_"+f.Key, pii.MaskPhone(n.phone))
			case f.Type == catalog.FieldText && slices.Contains(ownNameKeys, f.Key):
				set("f_"+f.Key, a.Name)
			}
		}
	case a.Has(auth.RoleEnterprise):
		set("enterprise_name", a.Name)
		for _, f := range it.Fields {
			switch {
			case f.Type == catalog.FieldUSCC && a.USCC != "":
				set("f_"+f.Key, a.USCC)
			case f.Type == catalog.FieldText && slices.Contains(businessNameKeys, f.Key):
				set("f_"+f.Key, a.Name)
			}
		}
	}
}
