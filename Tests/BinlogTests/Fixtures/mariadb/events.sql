-- Run by scripts/capture-binlog-fixtures against a fresh MariaDB 10.11 (log_bin, ROW,
-- binlog_row_metadata=FULL, server_id=1, domain 0). Binlog file 1: events.000001.bin.
CREATE DATABASE fx;
USE fx;
CREATE TABLE accounts (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  owner VARCHAR(40) CHARACTER SET utf8mb4 NOT NULL,
  balance BIGINT NOT NULL,
  note VARCHAR(300) CHARACTER SET latin1 NULL,
  flags TINYINT NULL
) ENGINE=InnoDB;
INSERT INTO accounts VALUES (1, 'alice', 100, 'first', 1), (2, 'bob', -5, NULL, NULL);
UPDATE accounts SET balance = balance + 10 WHERE id = 1;
DELETE FROM accounts WHERE id = 2;
CREATE TABLE kinds (
  id SMALLINT NOT NULL,
  code CHAR(10) CHARACTER SET utf8mb4 NOT NULL,
  e ENUM('red', 'green', 'blue') NULL,
  s SET('a', 'b', 'c') CHARACTER SET latin1 NULL,
  g POINT NULL,
  body TEXT NULL,
  PRIMARY KEY (id, code(4))
) ENGINE=InnoDB;
INSERT INTO kinds VALUES (1, 'abcdefgh', 'green', 'a,c', ST_GeomFromText('POINT(1 2)'), 'text');
SET SESSION binlog_row_image = MINIMAL;
UPDATE accounts SET balance = 7 WHERE id = 1;
SET SESSION binlog_row_image = NOBLOB;
UPDATE kinds SET e = 'blue' WHERE id = 1;
SET SESSION binlog_row_image = FULL;
BEGIN;
INSERT INTO accounts VALUES (3, 'carol', 0, 'x', 0);
UPDATE accounts SET note = NULL WHERE id = 3;
COMMIT;
XA START 'xa1';
INSERT INTO accounts VALUES (4, 'dave', 40, NULL, NULL);
XA END 'xa1';
XA PREPARE 'xa1';
XA COMMIT 'xa1';
FLUSH BINARY LOGS;
