/* cli/plan_render.h — what `plan` and `check` both render: the laws side by side
 * (planner/laws.h) and the near-optimal region (planner/region.h), text and JSON from the
 * same structs. */
#ifndef DW_CLI_PLAN_RENDER_H
#define DW_CLI_PLAN_RENDER_H

#include "common/dwjson.h"
#include "planner/laws.h"
#include "planner/region.h"

/* The set of laws `--laws SPEC` names: NULL → every embedded preset (law_preset_names), with
 * `main` standing in for the preset of the same name and put first when no preset has its
 * name; "none" → no laws (*n = 0); else a comma-separated list of presets or law files.
 * `seq_len` > 0 overrides each loaded law's training context. *laws is owned (free with
 * cli_laws_free); `main` is borrowed into it, never freed.
 * Return: 0, or an exit code after printing the error (a name that does not load). */
int cli_laws_load(const char *cmd, const char *spec, Law *main, int seq_len, Law ***laws,
                  int *n);
void cli_laws_free(Law **laws, int n, const Law *main);

/* The laws table under the recommendation: one row per law (its own optimum, the loss of
 * `what` under it, the regret), the agreement sentence. `main` names the recommending law. */
void cli_laws_text(const PlanLawTable *t, const char *what, const char *held,
                   const char *main);
cJSON *cli_laws_json(const PlanLawTable *t);
/* One line: the laws under which `what` is past its critical depth, those with a D_crit it
 * does not pass (or none there), and those with no shape term (no D_crit at all). */
void cli_laws_dcrit_text(const PlanLawTable *t, const char *what);

/* --within SPEC: NULL → the default tolerance (plan_region_default_eps); "off" → none
 * (*eps = 0); EPS nats or P% of best_loss. *given: the user chose it.
 * Return: 0, or exit 2 with a message. */
int cli_within(const char *cmd, const char *spec, const Law *law, const PlanResult *res,
               double *eps, int *percent, int *given, char *why, size_t why_len);

/* The region: the compact summary (at most 5 lines), plus the per-width table when `full`. */
void cli_region_text(const Law *law, const PlanRegion *g, int percent, int full,
                     const char *eps_why, const PlanPoint *rec);
cJSON *cli_region_json(const PlanRegion *g, const char *eps_why, const PlanPoint *rec);

/* The share of draws under which `pt` (a real shape) is within the region's tolerance, or
 * NaN when it is not in the region (or there are no draws). *inside: it is in the region. */
double cli_region_p(const PlanRegion *g, const PlanPoint *pt, int *inside);

#endif
