/* cli/fit_sources.h — `dwplan fit A.csv B.csv ...`: several run tables as the sources of one
 * fit (fit/sources.h). Each file is a source named by its file name without directory and
 * extension; `--where NAME:EXPR` applies a filter to source NAME only (an unscoped filter
 * applies to every file). The first file is the reference: the law's conventions and its
 * loss floor are its own, and every other source gets an offset.
 *
 * What each source's rows mean is decided per source and written in its note (the law
 * file's "sources"):
 *   - the reference: by cli_fit_conventions, as for one file (inferred, stated or refused);
 *   - another source with depth and width: its params column is used when it matches the
 *     law's count of its shapes within PLAN_PARAMS_MATCH_TOL, else N is counted from its
 *     depth and width under the law's conventions (the note says which, and by how much the
 *     column differed);
 *   - a source without depth and width: its params column is read as the law's count, not
 *     checked, and its rows enter only the floor, N and T terms (LawX.no_shape).
 */
#ifndef DW_CLI_FIT_SOURCES_H
#define DW_CLI_FIT_SOURCES_H

#include <stdio.h>

#include "datasets/runs.h"
#include "fit/sources.h"

typedef struct {
    int n;                               /* sources (files) */
    DsRuns *runs[LAW_MAX_SOURCES];
    char name[LAW_MAX_SOURCES][64];
    char note[LAW_MAX_SOURCES][400];
    const char *notes[LAW_MAX_SOURCES];  /* pointers into note[], for fit_law_split_sources */
    const char *names[LAW_MAX_SOURCES];
    int rows[LAW_MAX_SOURCES], shape[LAW_MAX_SOURCES];
    FitData d;                           /* every source's rows, LawX.source set */
    int *group;                          /* (d.n) shape within source: one id per pair */
    int ngroups;
    int *run;                            /* (d.n) run within source: one id per pair */
    int nruns;
    int curves;                          /* some source is a table of loss curves */
} CliSources;

/* Loads files[0..nfiles-1] with the options of `base` (maps, weight, fields, skip_bad_rows)
 * and the --where filters that apply to each. DW_EINVAL more than LAW_MAX_SOURCES files, a
 * scoped filter naming no source; the loader's errors otherwise. */
int cli_sources_load(CliSources *s, const char *const *files, int nfiles,
                     const DsRunsOptions *base, const char *const *wheres, int nwhere);

/* Decides the conventions (conv: the law's, from the reference), writes each source's note
 * and builds s->d and s->group. */
int cli_sources_rows(CliSources *s, LawConventions *conv, unsigned given, int n_from_shape,
                     int strict);

void cli_sources_free(CliSources *s);

/* The per-source table of a fitted law: rows, shape or not, offset with its interval, and
 * with cv (may be NULL) each source's leave-one-source-out error on differences. */
void cli_render_sources(FILE *f, const Law *law, const FitSourceCV *cv);

#endif
