package casework_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// BenchmarkInstantApproval measures the whole 秒批 path — submit with an
// upload and a shared licence used with consent, rule evaluation, accept,
// approve, certificate issued and signed, audit entries and events — one
// transaction per application, against a baseline of the bare inserts that
// path writes, measured on the same database in the same run. It reports
// applications per second and the ratio to the baseline.
func BenchmarkInstantApproval(b *testing.B) {
	run := func(b *testing.B, open func(testing.TB) *store.DB) {
		db := open(b)
		w := setupWith(b, db, casework.NewCEL())
		ctx := context.Background()
		in := casework.SubmitInput{ItemCode: itemSign, Form: map[string]string{"area": "6", "location": "滨江路88号"},
			Materials: []casework.MaterialInput{{Name: "申请书", File: upload("a.pdf")}, {Name: "营业执照", Consent: true}}}
		var baseline float64
		b.Run("baseline", func(b *testing.B) {
			n := 0
			for b.Loop() {
				n++
				if err := bareInserts(ctx, db, n, w); err != nil {
					b.Fatal(err)
				}
			}
			baseline = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(1e9/baseline, "ops/s")
		})
		b.Run("submit", func(b *testing.B) {
			for b.Loop() {
				app, err := w.m.Submit(ctx, w.a("ent"), in)
				if err != nil {
					b.Fatal(err)
				}
				if app.CertificateID == 0 {
					b.Fatal("not approved at once")
				}
			}
			per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(1e9/per, "ops/s")
			if baseline > 0 {
				b.ReportMetric(per/baseline, "x_baseline")
			}
		})
	}
	b.Run("sqlite", func(b *testing.B) { run(b, storetest.OpenSQLite) })
	if os.Getenv(storetest.EnvPostgres) != "" {
		b.Run("postgres", func(b *testing.B) { run(b, storetest.OpenPostgres) })
	}
}

// bareInserts writes, in one transaction, the rows one instant approval
// writes, with none of the checks, lookups, signing or hashing: the number
// counter, the file, the application and its two materials, the workflow
// instance and its three history rows, the consent, the use, the
// certificate and five events.
func bareInserts(ctx context.Context, db *store.DB, n int, w *world) error {
	now := store.Time(time.Now())
	return db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		exec := func(q string, args ...any) error {
			_, err := tx.ExecContext(ctx, q, args...)
			return err
		}
		var id, inst int64
		if err := exec(`INSERT INTO casework_counters (prefix, last) VALUES ('bench', 1) ON CONFLICT (prefix) DO UPDATE SET last = casework_counters.last + 1`); err != nil {
			return err
		}
		if err := exec(`INSERT INTO casework_files (sha256, content_type, size, data, created_at) VALUES (?, 'application/pdf', ?, ?, ?)
			ON CONFLICT (sha256) DO NOTHING`, fmt.Sprintf("%064x", 1), len(pdf), pdf, now); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO casework_applications (number, item_code, item_version, item_name,
			applicant_kind, applicant_user_id, applicant_name, applicant_id_enc, applicant_id_index, applicant_uscc,
			agent_user_id, agent_name, intake_region, region_code, department_id, form, status, commitment, commitment_text,
			commitment_sha256, commitment_signer, committed_at, shortfall_open, shortfall_due, correction_note, decision,
			decision_reason, decided_at, decided_by, decided_by_name, rule_version, rule_inputs, certificate_id, delivery,
			delivery_address, instance_id, verification_instance_id, verification_result, verified_at, credit_record_id,
			submitted_at, updated_at, finished_at, row_version) VALUES (?, 'X', 1, 'X', 'enterprise', 1, 'X', '', '', ?, 0, '',
			'990102', '990102', 1, '{"area":6}', 'approved', FALSE, '', '', '', NULL, FALSE, NULL, '', 'approve', 'ok', ?, 0,
			'system', 1, '{}', 1, 'online', '', 0, 0, '', NULL, 0, ?, ?, ?, 1) RETURNING id`,
			fmt.Sprintf("bench-%d", n), uscc, now, now, now, now).Scan(&id)
		if err != nil {
			return err
		}
		for i := range 2 {
			if err := exec(`INSERT INTO casework_materials (application_id, position, name, class, provision, file_sha256,
				file_name, content_type, size, certificate_id, certificate_type, consent_id, verification_id, due_at, supplied_at)
				VALUES (?, ?, 'X', 'required', 'upload', '', '', '', 0, 0, '', 0, 0, NULL, NULL)`, id, i); err != nil {
				return err
			}
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO flow_instances (def_key, def_version, subject_type, subject_id, reference, title,
			region_code, department_ids, owner_user_id, state, status, actor_roles, started_at, state_entered_at,
			state_due_at, due_at, paused_at, paused_from, finished_at, escalation_level, extended_days, row_version)
			VALUES ('bench', 1, 'bench', ?, 'X', 'X', '990102', ',1,', 1, 'approved', 'done', '', ?, ?, NULL, NULL, NULL, '', ?, 0, 0, 3)
			RETURNING id`, id, now, now, now).Scan(&inst)
		if err != nil {
			return err
		}
		for range 3 {
			if err := exec(`INSERT INTO flow_history (instance_id, action, from_state, to_state, actor_id, actor_name, inputs,
				comment, created_at) VALUES (?, 'x', 'a', 'b', 0, 'system', '{}', '', ?)`, inst, now); err != nil {
				return err
			}
		}
		var consent int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO certificate_consents (holder_key, certificate_id, type_code, department_id, purpose,
			granted_at, granted_by, expires_at, revoked_at) VALUES (?, ?, 'CT-YYZZ', ?, 'x', ?, 0, NULL, NULL) RETURNING id`,
			"e:"+uscc, w.licence, w.deptA, now).Scan(&consent); err != nil {
			return err
		}
		if err := exec(`INSERT INTO certificate_uses (certificate_id, holder_key, department_id, actor_id, actor_name,
			application_ref, purpose, consent_id, used_at) VALUES (?, ?, ?, 0, 'system', 'x', 'x', ?, ?)`,
			w.licence, "e:"+uscc, w.deptA, consent, now); err != nil {
			return err
		}
		if err := exec(`INSERT INTO certificates (type_code, number, holder_kind, holder_name, holder_id_enc,
			holder_uscc, holder_key, holder_user_id, issuer_department_id, region_code, issued_at, valid_from, valid_until,
			fields, status, revoked_reason, revoked_at, revoked_by, application_ref, algorithm, key_id, signature, created_by)
			VALUES ('CT-HWGG', ?, 'enterprise', 'X', '', ?, ?, 0, ?, '990102', ?, ?, NULL, '{}', 'valid', '', NULL, 0, 'x',
			'Ed25519', 'k', '', 0)`, fmt.Sprintf("B%d", n), uscc, "e:"+uscc, w.deptA, now, now); err != nil {
			return err
		}
		for range 5 {
			if err := exec(`INSERT INTO outbox (topic, payload, created_at) VALUES ('bench.x', '{}', ?)`, now); err != nil {
				return err
			}
		}
		return nil
	})
}
