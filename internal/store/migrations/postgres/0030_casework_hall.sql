-- How a holder consented when a window clerk used their e-certificate on
-- their behalf (in_person: confirmed face to face; signed_form: a signed
-- authorisation, whose scan is kept as a file), the 待发证 task of an
-- approval whose certificate could not be issued at once, drafts of
-- application forms (sealed: they may hold personal numbers) and files a
-- refused submission kept so they need not be uploaded again.
ALTER TABLE casework_materials ADD COLUMN consent_method TEXT NOT NULL DEFAULT '';
ALTER TABLE casework_materials ADD COLUMN consent_file_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE casework_materials ADD COLUMN consent_file_name TEXT NOT NULL DEFAULT '';
ALTER TABLE casework_applications ADD COLUMN issuance_instance_id BIGINT NOT NULL DEFAULT 0;

CREATE TABLE casework_drafts (
	user_id BIGINT NOT NULL,
	item_code TEXT NOT NULL,
	form_enc TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (user_id, item_code)
);

CREATE TABLE casework_kept_uploads (
	user_id BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (user_id, sha256)
);

-- The working days a shortfall (容缺) material must be supplied in (0: five).
ALTER TABLE catalog_materials ADD COLUMN shortfall_days BIGINT NOT NULL DEFAULT 0;
