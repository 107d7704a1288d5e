-- Each session's ListSessions entry, encoded once when the session is
-- written, so that listing a page copies stored bytes instead of decoding
-- and encoding every document. summary_format names the encoding; rows
-- written before it, or with another format, are listed from doc.
ALTER TABLE sessions ADD COLUMN summary TEXT;
ALTER TABLE sessions ADD COLUMN summary_format INTEGER;
