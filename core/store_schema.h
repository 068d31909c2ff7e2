/*
 * store_schema.h - the store's migrations, as data (store.c runs them).
 */
#ifndef PB_STORE_SCHEMA_H
#define PB_STORE_SCHEMA_H

/* store_schema_migration - SQL taking user_version from to from+1 */
const char *store_schema_migration(int from);

/* store_schema_count - number of migrations = newest schema version */
int store_schema_count(void);

#endif
