-- What customers may read of the staff on their case, when the workspace publishes it: a
-- title ("Customer care lead") and a direct phone number. The workspace calendar (time zone,
-- opening hours, holidays) and the timings are rows of the settings table.
ALTER TABLE agents ADD COLUMN title TEXT;
ALTER TABLE agents ADD COLUMN phone TEXT;
