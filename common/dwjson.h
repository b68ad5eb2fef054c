/* common/dwjson.h — small cJSON helpers shared by the modules that write JSON. */
#ifndef DW_JSON_H
#define DW_JSON_H

#include <cjson/cJSON.h>

/* Adds `v` under `key`, or null when v is NaN or infinite (JSON has no such numbers). */
void dw_json_add_num(cJSON *o, const char *key, double v);

#endif
