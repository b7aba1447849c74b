package monitoring

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/store"
)

// Store keeps devices and readings.
type Store struct {
	DB *store.DB
}

// ErrUnauthorized is returned for an unknown or revoked device token.
var ErrUnauthorized = errors.New("monitoring: unknown or revoked device token")

// RegisteredDevice is a device with its registration details.
type RegisteredDevice struct {
	Device
	DepartmentID   int64
	Location, Unit string
	Revoked        bool
	Created        time.Time
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
	err = s.DB.QueryRowContext(ctx, `INSERT INTO monitoring_devices (uscc, department_id, kind, location, unit, token_hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, d.USCC, d.DepartmentID, d.Kind, d.Location, d.Unit, hash, now.UTC()).Scan(&d.ID)
	if err != nil {
		return d, "", fmt.Errorf("monitoring: register device: %w", err)
	}
	d.Created = now.UTC()
	return d, tok, nil
}

// Revoke revokes a device's token.
func (s *Store) Revoke(ctx context.Context, id int64) error {
	if _, err := s.DB.ExecContext(ctx, `UPDATE monitoring_devices SET revoked = TRUE WHERE id = ?`, id); err != nil {
		return fmt.Errorf("monitoring: revoke device %d: %w", id, err)
	}
	return nil
}

// Authenticate returns the device a token belongs to; the devices of the
// same business may then be posted for, others not.
func (s *Store) Authenticate(ctx context.Context, token string) (RegisteredDevice, error) {
	var d RegisteredDevice
	err := s.DB.QueryRowContext(ctx, `SELECT id, uscc, kind, department_id, location, unit, revoked FROM monitoring_devices WHERE token_hash = ?`,
		HashDeviceToken(token)).Scan(&d.ID, &d.USCC, &d.Kind, &d.DepartmentID, &d.Location, &d.Unit, &d.Revoked)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && d.Revoked) {
		return d, ErrUnauthorized
	}
	if err != nil {
		return d, fmt.Errorf("monitoring: authenticate: %w", err)
	}
	return d, nil
}

// Devices returns the business's active devices by id.
func (s *Store) Devices(ctx context.Context, uscc string) (map[int64]Device, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT id, uscc, kind FROM monitoring_devices WHERE uscc = ? AND NOT revoked`, uscc)
	if err != nil {
		return nil, fmt.Errorf("monitoring: devices: %w", err)
	}
	defer rows.Close()
	out := map[int64]Device{}
	for rows.Next() {
		var d Device
		if err := rows.Scan(&d.ID, &d.USCC, &d.Kind); err != nil {
			return nil, fmt.Errorf("monitoring: devices: %w", err)
		}
		out[d.ID] = d
	}
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
