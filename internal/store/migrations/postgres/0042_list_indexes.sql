-- A holder's certificates newest first (/my/certificates, the API's
-- certificates/mine): a keyset range of one holder instead of a scan of
-- every certificate filtered by holder, which at a year of a city's data
-- reads 200,000 rows for a person who holds two.
CREATE INDEX certificates_holder_id ON certificates (holder_key, id);

-- The cross-region applications newest first (/cross-region): the few
-- applications taken in one region for another, so that the list and its
-- bounded count read those and not every application.
CREATE INDEX casework_applications_cross ON casework_applications (id) WHERE intake_region <> region_code;
