-- The similarity index behind hotline dispatch suggestions reads the newest
-- handled orders (ORDER BY id DESC LIMIT n). This partial index lets it walk
-- them newest first and stop at the limit. It holds only dispatched orders
-- (lead_department_id <> 0), so taking in an order does not write to it.
CREATE INDEX hotline_orders_handled ON hotline_orders (id) WHERE lead_department_id <> 0;
