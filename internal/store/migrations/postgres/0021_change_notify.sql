-- Change notification across nodes (package cluster). Nodes sharing one
-- PostgreSQL database keep caches of rows that rarely change (API tokens and
-- the actors behind them, departments, the calendar, hotline categories and
-- directory, workflow definitions, certificates, published catalogue items
-- and knowledge articles). These triggers tell every node at once, through
-- LISTEN/NOTIFY, which row changed: the payload is "table:key". NOTIFY is
-- delivered at commit, so a node never drops a cache before the change is
-- visible to it, and identical payloads in one transaction arrive once.
--
-- The channel is named after the schema ("ys:" and up to 60 characters of
-- it), so deployments or tests sharing one database in separate schemas do
-- not hear each other. TG_ARGV[0] names the key column.
CREATE FUNCTION ys_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	channel TEXT := 'ys:' || left(TG_TABLE_SCHEMA, 60);
	newkey TEXT;
	oldkey TEXT;
BEGIN
	IF TG_OP <> 'DELETE' THEN
		newkey := to_jsonb(NEW) ->> TG_ARGV[0];
		PERFORM pg_notify(channel, TG_TABLE_NAME || ':' || coalesce(newkey, ''));
	END IF;
	IF TG_OP <> 'INSERT' THEN
		oldkey := to_jsonb(OLD) ->> TG_ARGV[0];
		IF newkey IS DISTINCT FROM oldkey THEN
			PERFORM pg_notify(channel, TG_TABLE_NAME || ':' || coalesce(oldkey, ''));
		END IF;
	END IF;
	RETURN NULL;
END $$;

-- API tokens: only what decides whether a token authenticates (last_used_at
-- is touched by use and must not empty the caches).
CREATE TRIGGER api_tokens_notify AFTER UPDATE OF revoked_at, expires_at, user_id OR DELETE ON api_tokens
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('id');
-- Users: what an actor is made of; sign-in counters are left out.
CREATE TRIGGER users_notify AFTER UPDATE OF status, display_name, region_code, uscc, auth_epoch OR DELETE ON users
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('id');
CREATE TRIGGER user_roles_notify AFTER INSERT OR UPDATE OR DELETE ON user_roles
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('user_id');
CREATE TRIGGER user_departments_notify AFTER INSERT OR UPDATE OR DELETE ON user_departments
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('user_id');
CREATE TRIGGER departments_notify AFTER UPDATE OR DELETE ON departments
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('id');

CREATE TRIGGER calendar_years_notify AFTER INSERT OR UPDATE OR DELETE ON calendar_years
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('year');
CREATE TRIGGER calendar_days_notify AFTER INSERT OR UPDATE OR DELETE ON calendar_days
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('year');

CREATE TRIGGER hotline_categories_notify AFTER INSERT OR UPDATE OR DELETE ON hotline_categories
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('code');
CREATE TRIGGER hotline_directory_notify AFTER INSERT OR UPDATE OR DELETE ON hotline_directory
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('category_code');

CREATE TRIGGER flow_definitions_notify AFTER INSERT OR UPDATE OR DELETE ON flow_definitions
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('def_key');

-- Certificates: a new certificate is in nobody's cache (issuing sets its
-- number and signature in the same transaction); a revocation is.
CREATE TRIGGER certificates_notify AFTER UPDATE OF status, revoked_at, valid_from, valid_until, holder_name, fields
	OR DELETE ON certificates
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('id');
CREATE TRIGGER certificate_types_notify AFTER INSERT OR UPDATE OR DELETE ON certificate_types
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('code');

-- Public pages: publishing or withdrawing an item or an article.
CREATE TRIGGER catalog_items_notify AFTER INSERT OR UPDATE OR DELETE ON catalog_items
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('id');
CREATE TRIGGER catalog_versions_notify AFTER INSERT OR UPDATE OR DELETE ON catalog_versions
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('item_id');
-- The view and use counters change on every read and are left out.
CREATE TRIGGER kb_articles_notify AFTER INSERT OR DELETE OR UPDATE OF title, questions, answer, category_code,
	department_id, region_code, valid_from, valid_until, tags, status, version ON kb_articles
	FOR EACH ROW EXECUTE FUNCTION ys_notify_change('id');
