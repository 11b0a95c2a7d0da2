-- Binlog file 2 (compressed.000002.bin): the same server after SET GLOBAL log_bin_compress=ON,
-- log_bin_compress_min_len=10: QUERY_COMPRESSED and *_ROWS_COMPRESSED_EVENT_V1 events.
SET GLOBAL log_bin_compress = ON;
SET GLOBAL log_bin_compress_min_len = 10;
USE fx;
CREATE TABLE big (id INT NOT NULL PRIMARY KEY, pad VARCHAR(500) NOT NULL) ENGINE=InnoDB;
INSERT INTO big VALUES (1, REPEAT('a', 400)), (2, REPEAT('b', 400));
UPDATE big SET pad = REPEAT('c', 300) WHERE id = 1;
DELETE FROM big WHERE id = 2;
SET GLOBAL log_bin_compress = OFF;
FLUSH BINARY LOGS;
