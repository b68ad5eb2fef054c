/* common/dwjson.c — small cJSON helpers (see dwjson.h). */
#include "dwjson.h"

#include <math.h>

void dw_json_add_num(cJSON *o, const char *key, double v) {
    if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}
