/* fit/paper.h — the numbers "The Depth Delusion" (arXiv 2601.20994) states, in one place.
 * dwplan never builds them into a result; it prints and draws them beside its own estimates
 * so a reader can compare (DESIGN §6). */
#ifndef FIT_PAPER_H
#define FIT_PAPER_H

/* Gradient persistence τ(W) ∝ W^0.44, R² 0.98 for the power law and 0.60 for a + b·ln W. */
#define FIT_PAPER_TAU_BETA 0.44
#define FIT_PAPER_TAU_R2_POWER 0.98
#define FIT_PAPER_TAU_R2_LOG 0.60
/* Critical depth D_crit ≈ κ·ln W with κ = 2.43; D_crit ∝ W^0.44 in the power form. */
#define FIT_PAPER_KAPPA 2.43
#define FIT_PAPER_DCRIT_BETA 0.44
/* Claimed compute-optimal exponents: D* ∝ C^0.12, W* ∝ C^0.34. With N = 12·D·W² and
 * C = 6·N·T they imply N* ∝ C^0.80 and T* ∝ C^0.20 (DESIGN §4.6: the paper's own α and δ
 * cannot give them). */
#define FIT_PAPER_D_SLOPE 0.12
#define FIT_PAPER_W_SLOPE 0.34

#endif
