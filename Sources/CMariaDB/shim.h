#include <mariadb/mysql.h>
#include <mariadb/mariadb_rpl.h>
