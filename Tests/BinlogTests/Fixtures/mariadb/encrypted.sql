-- encrypted.000001.bin: a second server with encrypt_binlog=ON (file_key_management plugin):
-- a START_ENCRYPTION event after FORMAT_DESCRIPTION, every later event encrypted.
CREATE DATABASE enc;
FLUSH BINARY LOGS;
