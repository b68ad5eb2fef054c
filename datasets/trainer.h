/* datasets/trainer.h — the loss curve in a Hugging Face Trainer's trainer_state.json.
 * Prefix ds_trainer_.
 *
 * The file is TrainerState.save_to_json: json.dumps(dataclasses.asdict(state), indent=2,
 * sort_keys=True) (transformers, src/transformers/trainer_callback.py). Its keys include
 * best_metric, best_model_checkpoint, epoch, eval_steps, global_step, log_history,
 * logging_steps, max_steps, num_input_tokens_seen, num_train_epochs, save_steps,
 * stateful_callbacks, total_flos, train_batch_size, trial_name and trial_params.
 * log_history is a list of the dicts Trainer.log appended: the logged values plus "epoch",
 * "num_input_tokens_seen" (only with include_num_input_tokens_seen) and "step" (the
 * global step). Three kinds of entry matter here:
 *   training logs     {"epoch", "grad_norm", "learning_rate", "loss", "step", ...}
 *   evaluations       {"epoch", "eval_loss", "eval_runtime", ..., "step"}
 *   the final summary {"epoch", "step", "total_flos", "train_loss", "train_runtime", ...}
 *
 * The points read: the evaluations (eval_loss) when the log has any, else the training logs
 * (loss: the mean training loss over the last logging_steps steps); `eval` says which. An
 * entry at step 0 (an evaluation before training) is left out and counted. A step logged
 * twice keeps its last entry (counted). Tokens of a point: its num_input_tokens_seen, else
 * step × tokens_per_step when that is given (> 0); otherwise the read fails naming the file
 * and what is missing (train_batch_size is the per-process batch, without gradient
 * accumulation or the other processes: no token count follows from it).
 *
 * Untrusted input: at most DS_TRAINER_MAX_BYTES bytes and DS_TRAINER_MAX_ENTRIES entries;
 * every value used is checked for its type and range, and an error names the file, the line
 * of the entry and the field ("trainer_state.json:57: log_history[4].eval_loss: expected a
 * positive number, found a string").
 */
#ifndef DS_TRAINER_H
#define DS_TRAINER_H

#include <stddef.h>

#define DS_TRAINER_MAX_BYTES (256 * 1024 * 1024)
#define DS_TRAINER_MAX_ENTRIES 1000000

typedef struct {
    int n;                        /* points */
    double *step, *tokens, *loss; /* (n) global step, tokens seen, loss */
    double *epoch;                /* (n) NaN where not logged */
    int *line;                    /* (n) line of the point's entry in the file */
    int eval;                     /* 1: loss is eval_loss; 0: the training loss "loss" */
    int tokens_logged;            /* 1: tokens from num_input_tokens_seen; 0: step × tps */
    int nentries;                 /* entries in log_history */
    int nstep0;                   /* points at step 0 left out */
    int nrepeated;                /* points replaced by a later entry of the same step */
    double global_step, max_steps, train_batch_size; /* NaN when absent */
} DsTrainerLog;

/* Parses trainer_state.json text.
 * Inputs:  text, len         the file (need not be NUL-terminated)
 *          path              names the file in messages
 *          tokens_per_step   > 0: tokens of points without num_input_tokens_seen; 0: none
 *          out               receives the points (ds_trainer_free), zeroed on failure
 * Return:  DW_OK; DW_EPARSE malformed JSON, a root that is not an object, no log_history
 *          array, a wrong type or value, no loss point, unknown tokens (the message names
 *          the file, line and field, and for tokens the flag); DW_ENOMEM. */
int ds_trainer_parse(const char *text, size_t len, const char *path, double tokens_per_step,
                     DsTrainerLog *out);

/* Reads the file at path (refused from its size past DS_TRAINER_MAX_BYTES) and parses it.
 * DW_EIO when it cannot be read, otherwise as ds_trainer_parse. */
int ds_trainer_read(const char *path, double tokens_per_step, DsTrainerLog *out);

/* Frees the arrays and zeroes *log. NULL-safe. */
void ds_trainer_free(DsTrainerLog *log);

#endif
