package monitoring

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/store"
)

// Store keeps devices and readings.
type Store struct {
	DB *store.DB
	// AckDue returns when an alert that reached grade g at since is to be
	// acknowledged by; nil stores no limit (the overdue sweep sets it).
	AckDue func(g Grade, since time.Time) time.Time
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return store.Time(t)
}

// ErrUnauthorized is returned for an unknown or revoked device token.
var ErrUnauthorized = errors.New("monitoring: unknown or revoked device token")

// RegisteredDevice is a device with its registration details.
type RegisteredDevice struct {
	Device
	DepartmentID   int64
	Location, Unit string
	// BusinessName and RegionCode are the business's, from the register
	// when the device was registered: the lists search the name and
	// region-wide staff are scoped by the region.
	BusinessName, RegionCode string
	Revoked                  bool
	Created                  time.Time
}

// Register stores a device and returns it with its token, shown once.
func (s *Store) Register(ctx context.Context, d RegisteredDevice, now time.Time) (RegisteredDevice, string, error) {
	for f, v := range map[string]string{"uscc": d.USCC, "kind": d.Kind, "location": d.Location, "unit": d.Unit} {
		if strings.TrimSpace(v) == "" || hasControl(v) {
			return d, "", &FieldError{f, "required, no control characters"}
		}
	}
	tok, hash, err := NewDeviceToken()
	if err != nil {
		return d, "", err
	}
	err = s.DB.QueryRowContext(ctx, `INSERT INTO monitoring_devices (uscc, department_id, kind, location, unit, token_hash, created_at,
		business_name, region_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, d.USCC, d.DepartmentID, d.Kind, d.Location, d.Unit, hash,
		store.Time(now), d.BusinessName, d.RegionCode).Scan(&d.ID)
	if err != nil {
		return d, "", fmt.Errorf("monitoring: register device: %w", err)
	}
	d.Created = now.UTC()
	return d, tok, nil
}

// Revoke revokes a device's token: its readings are refused from then on.
func (s *Store) Revoke(ctx context.Context, id int64) error {
	if _, err := s.DB.ExecContext(ctx, `UPDATE monitoring_devices SET revoked = TRUE, revoked_at = ? WHERE id = ? AND NOT revoked`,
		store.Time(time.Now()), id); err != nil {
		return fmt.Errorf("monitoring: revoke device %d: %w", id, err)
	}
	return nil
}

// Reissue gives device id a new token, shown once, and makes the old one
// (revoked or not) worthless.
func (s *Store) Reissue(ctx context.Context, id int64) (string, error) {
	tok, hash, err := NewDeviceToken()
	if err != nil {
		return "", err
	}
	if _, err := s.DB.ExecContext(ctx, `UPDATE monitoring_devices SET token_hash = ?, revoked = FALSE, revoked_at = NULL WHERE id = ?`, hash, id); err != nil {
		return "", fmt.Errorf("monitoring: reissue token of device %d: %w", id, err)
	}
	return tok, nil
}

const deviceCols = `id, uscc, kind, department_id, location, unit, business_name, region_code, revoked, created_at`

func scanDevice(r interface{ Scan(...any) error }) (RegisteredDevice, error) {
	var d RegisteredDevice
	err := r.Scan(&d.ID, &d.USCC, &d.Kind, &d.DepartmentID, &d.Location, &d.Unit, &d.BusinessName, &d.RegionCode, &d.Revoked, &d.Created)
	d.Created = d.Created.UTC()
	return d, err
}

// Device returns device id.
func (s *Store) Device(ctx context.Context, id int64) (RegisteredDevice, error) {
	d, err := scanDevice(store.QueryRow(ctx, s.DB, `SELECT `+deviceCols+` FROM monitoring_devices WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("monitoring: device %d: %w", id, err)
	}
	return d, nil
}

// Authenticate returns the device a token belongs to; the devices of the
// same business may then be posted for, others not.
func (s *Store) Authenticate(ctx context.Context, token string) (RegisteredDevice, error) {
	d, err := scanDevice(store.QueryRow(ctx, s.DB, `SELECT `+deviceCols+` FROM monitoring_devices WHERE token_hash = ?`, HashDeviceToken(token)))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && d.Revoked) {
		return d, ErrUnauthorized
	}
	if err != nil {
		return d, fmt.Errorf("monitoring: authenticate: %w", err)
	}
	return d, nil
}

// Devices returns the business's active devices by id (every business's
// when uscc is empty: the gap sweep).
func (s *Store) Devices(ctx context.Context, uscc string) (map[int64]RegisteredDevice, error) {
	q, args := `SELECT `+deviceCols+` FROM monitoring_devices WHERE uscc = ? AND NOT revoked`, []any{uscc}
	if uscc == "" {
		q, args = `SELECT `+deviceCols+` FROM monitoring_devices WHERE NOT revoked`, nil
	}
	rows, err := store.Query(ctx, s.DB, q, args...)
	if err != nil {
		return nil, fmt.Errorf("monitoring: devices: %w", err)
	}
	defer rows.Close()
	out := map[int64]RegisteredDevice{}
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, fmt.Errorf("monitoring: devices: %w", err)
		}
		out[d.ID] = d
	}
	return out, rows.Err()
}

// lastPoints returns device id's latest reading of each metric, and of
// each compare metric its latest reading at or before the latest reading
// of the metric it is compared with: the engine's state, restored after a
// restart.
func (s *Store) lastPoints(ctx context.Context, id int64, compare map[string]string) (map[string]point, error) {
	rows, err := store.Query(ctx, s.DB, `SELECT r.metric, r.at, r.value FROM monitoring_readings r
		JOIN (SELECT metric, MAX(at) AS at FROM monitoring_readings WHERE device_id = ? GROUP BY metric) l ON l.metric = r.metric AND l.at = r.at
		WHERE r.device_id = ?`, id, id)
	if err != nil {
		return nil, fmt.Errorf("monitoring: state of device %d: %w", id, err)
	}
	out := map[string]point{}
	for rows.Next() {
		var m string
		var p point
		if err := rows.Scan(&m, &p.t, &p.v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("monitoring: state of device %d: %w", id, err)
		}
		p.t = p.t.UTC()
		out[m] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for metric, cmp := range compare {
		last, ok := out[metric]
		if !ok {
			continue
		}
		var p point
		err := store.QueryRow(ctx, s.DB, `SELECT at, value FROM monitoring_readings WHERE device_id = ? AND metric = ? AND at <= ? ORDER BY at DESC LIMIT 1`,
			id, cmp, store.Time(last.t)).Scan(&p.t, &p.v)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("monitoring: state of device %d: %w", id, err)
		}
		p.t = p.t.UTC()
		out[prevKey(cmp)] = p
	}
	return out, nil
}

// Readings returns device id's readings since from, oldest first, at most limit.
func (s *Store) Readings(ctx context.Context, id int64, from time.Time, limit int) ([]Reading, error) {
	rows, err := store.Query(ctx, s.DB, `SELECT metric, at, value FROM monitoring_readings WHERE device_id = ? AND at >= ? ORDER BY at DESC LIMIT ?`,
		id, store.Time(from), limit)
	if err != nil {
		return nil, fmt.Errorf("monitoring: readings of device %d: %w", id, err)
	}
	defer rows.Close()
	var out []Reading
	for rows.Next() {
		r := Reading{DeviceID: id}
		if err := rows.Scan(&r.Metric, &r.Time, &r.Value); err != nil {
			return nil, fmt.Errorf("monitoring: readings of device %d: %w", id, err)
		}
		r.Time = r.Time.UTC()
		out = append(out, r)
	}
	slices.Reverse(out)
	return out, rows.Err()
}

// Insert stores a validated batch in one transaction in multi-row
// statements; repeats of (device, metric, time) are ignored. It returns the
// number of new readings.
func (s *Store) Insert(ctx context.Context, tx store.IDB, rs []Reading) (int64, error) {
	const chunk = 200 // 4 parameters each, below every driver's limit
	var n int64
	for i := 0; i < len(rs); i += chunk {
		part := rs[i:min(i+chunk, len(rs))]
		var b strings.Builder
		b.WriteString(`INSERT INTO monitoring_readings (device_id, metric, at, value) VALUES `)
		args := make([]any, 0, 4*len(part))
		for j, r := range part {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?)")
			args = append(args, r.DeviceID, r.Metric, r.Time.UTC(), r.Value)
		}
		b.WriteString(` ON CONFLICT (device_id, metric, at) DO NOTHING`)
		res, err := tx.ExecContext(ctx, b.String(), args...)
		if err != nil {
			return n, fmt.Errorf("monitoring: insert readings: %w", err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}
