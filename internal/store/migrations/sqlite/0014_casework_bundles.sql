-- Bundles (一件事一次办): definitions, bundle applications and the
-- applications they split into; cross-region handling (跨域通办): the
-- receiving window's check and forwarding of an application.

-- items: JSON array of catalogue item codes, in order.
-- status: draft, published, withdrawn.
CREATE TABLE casework_bundles (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	region_code TEXT NOT NULL,
	items TEXT NOT NULL,
	status TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	published_at TIMESTAMP,
	updated_by TEXT NOT NULL DEFAULT '',
	row_version INTEGER NOT NULL DEFAULT 1
);

-- materials_merged: materials the applicant was asked for once;
-- materials_total: the materials of all the items together.
CREATE TABLE casework_bundle_applications (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	number TEXT NOT NULL UNIQUE,
	bundle_code TEXT NOT NULL,
	bundle_name TEXT NOT NULL,
	applicant_kind TEXT NOT NULL,
	applicant_user_id INTEGER NOT NULL DEFAULT 0,
	applicant_name TEXT NOT NULL,
	applicant_uscc TEXT NOT NULL DEFAULT '',
	agent_user_id INTEGER NOT NULL DEFAULT 0,
	intake_region TEXT NOT NULL,
	materials_merged INTEGER NOT NULL,
	materials_total INTEGER NOT NULL,
	submitted_at TIMESTAMP NOT NULL
);
CREATE INDEX casework_bundle_applications_applicant ON casework_bundle_applications (applicant_user_id, id);
CREATE INDEX casework_bundle_applications_uscc ON casework_bundle_applications (applicant_uscc, id);
CREATE INDEX casework_bundle_applications_region ON casework_bundle_applications (intake_region, id);

CREATE TABLE casework_bundle_children (
	bundle_application_id INTEGER NOT NULL REFERENCES casework_bundle_applications (id),
	position INTEGER NOT NULL,
	application_id INTEGER NOT NULL UNIQUE REFERENCES casework_applications (id),
	PRIMARY KEY (bundle_application_id, position)
);

CREATE TABLE casework_cross_region (
	application_id INTEGER PRIMARY KEY REFERENCES casework_applications (id),
	received_region TEXT NOT NULL,
	received_department_id INTEGER NOT NULL DEFAULT 0,
	received_by INTEGER NOT NULL,
	received_by_name TEXT NOT NULL,
	owning_region TEXT NOT NULL,
	owning_department_id INTEGER NOT NULL,
	form_checked BOOLEAN NOT NULL,
	identity_checked BOOLEAN NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	forwarded_at TIMESTAMP NOT NULL
);
CREATE INDEX casework_cross_region_pair ON casework_cross_region (received_region, owning_region);
CREATE INDEX casework_cross_region_owner ON casework_cross_region (owning_department_id);
