/* planner/plan_impl.h — internal to planner/: shared between plan.c and check.c. */
#ifndef PLANNER_PLAN_IMPL_H
#define PLANNER_PLAN_IMPL_H

#include "plan.h"

/* Fills pt for shape s trained on T tokens under the law: counts, FLOPs, loss, D_crit. */
void plan_fill_point_(const Law *law, const PlanShape *s, double T, PlanPoint *pt);

#endif
