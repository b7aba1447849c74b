-- The written documents an applicant receives at the steps of a case
-- (行政许可法 第三十二、三十八、四十二、四十五条): 受理通知书, 不予受理通知书,
-- 补正材料通知书, 延期通知, the decisions. Each is numbered, and its content
-- is stored exactly as signed, so a QR code verifies it as it was issued.
CREATE TABLE notices (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	number TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL,
	application_id INTEGER NOT NULL,
	application_number TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	content TEXT NOT NULL,
	issued_at TIMESTAMP NOT NULL,
	issued_by INTEGER NOT NULL,
	algorithm TEXT NOT NULL,
	key_id TEXT NOT NULL,
	signature TEXT NOT NULL
);
CREATE INDEX notices_application ON notices (application_id, id);
