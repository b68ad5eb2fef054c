/* cli/report.h — printing laws and plan points as text and JSON (shared by plan, check,
 * fit and law). */
#ifndef DW_CLI_REPORT_H
#define DW_CLI_REPORT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "fit/law.h"
#include "planner/plan.h"

/* One line naming the law, its form and where it came from. */
void report_law_line(FILE *f, const Law *law);
/* The law as a JSON object (name, form, params, ci, conventions, fit, provenance). */
cJSON *report_law_json(const Law *law);
/* A plan point as a JSON object. */
cJSON *report_point_json(const PlanPoint *pt);
/* Prints a cJSON document to stdout and frees it. */
int report_print_json(cJSON *doc);

#endif
