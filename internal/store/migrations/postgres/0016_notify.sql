-- Notifications: one row per message to one recipient on one channel.
-- A recipient is a user (user_id), a whole department (department_id) or,
-- for a hotline caller without an account, a phone number known only by
-- its blind index (phone_index) and its sealed value (phone_sealed, opened
-- when the SMS is sent); the other recipient columns are 0 or ''.
-- event_id is the outbox event the message answers: with the recipient and
-- the channel it is unique, so an event delivered twice makes one message.
-- delivered_at, attempts and last_error track external channels; in-app
-- messages are delivered when written. Reads are per user (notify_reads),
-- so one member of a department reading its message leaves it unread for
-- the others.
CREATE TABLE notify_messages (
	id BIGSERIAL PRIMARY KEY,
	event_id BIGINT NOT NULL,
	user_id BIGINT NOT NULL,
	department_id BIGINT NOT NULL,
	phone_index TEXT NOT NULL,
	phone_sealed TEXT NOT NULL,
	channel TEXT NOT NULL,
	topic TEXT NOT NULL,
	title TEXT NOT NULL,
	title_en TEXT NOT NULL,
	body TEXT NOT NULL,
	body_en TEXT NOT NULL,
	link TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	delivered_at TIMESTAMPTZ,
	attempts INTEGER NOT NULL,
	last_error TEXT NOT NULL,
	UNIQUE (event_id, user_id, department_id, phone_index, channel)
);
CREATE INDEX notify_messages_user ON notify_messages (user_id, channel, id);
CREATE INDEX notify_messages_department ON notify_messages (department_id, channel, id);
CREATE INDEX notify_messages_undelivered ON notify_messages (event_id, delivered_at);

CREATE TABLE notify_reads (
	message_id BIGINT NOT NULL,
	user_id BIGINT NOT NULL,
	read_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (message_id, user_id)
);
