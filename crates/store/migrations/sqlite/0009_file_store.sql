-- Files (attachments, raw mail) move out of the database rows into the file store (a directory
-- or an S3 bucket), named by their SHA-256; `blobs` keeps each file's digest, size and time.
-- The bytes already here wait in `blobs_to_move` until start-up has written each to the file
-- store (then its row goes), so nothing is lost if that is interrupted.
CREATE TABLE blobs_to_move (
    sha256 TEXT PRIMARY KEY,
    data   BLOB NOT NULL
);
INSERT INTO blobs_to_move (sha256, data) SELECT sha256, data FROM blobs;
ALTER TABLE blobs DROP COLUMN data;
