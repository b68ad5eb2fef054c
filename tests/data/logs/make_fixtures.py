#!/usr/bin/env python3
"""tests/data/logs/make_fixtures.py — writes the run-log fixtures of tests/cli_fit_logs.sh and
tests/test_runlogs.c the way the tools that make them write them (see tests/data/logs/README.md):

  trainer/runs/<run>/trainer_state.json   TrainerState.save_to_json: json.dumps(asdict(state),
                                          indent=2, sort_keys=True) + "\\n"
  trainer/runs/<run>/config.json          PretrainedConfig.to_json_file: json.dumps(config,
                                          indent=2, sort_keys=True) + "\\n" (GPT-2 keys)
  trainer/checkpoints/run-a/checkpoint-N  the same, as Trainer._save_checkpoint leaves them
  trainer/no_tokens/run                   a log without num_input_tokens_seen
  trainer/no_config/run                   a trainer_state.json without its config.json
  wandb/export.csv                        the W&B Public API recipe "export all runs of a project
                                          to CSV", summary and config expanded into columns
                                          (pandas to_csv: the index first, under an empty name)
  wandb/history.csv                       run.history() of each run (pandas to_csv), with the
                                          run's name and shape added, concatenated

Losses follow L = 1.8 + 40/N^0.34 + 40/T^0.28 with N = 12·D·W² and a deterministic wiggle
of at most ±0.002, so a fit has something to find. Run from the repository root; the files
are committed, so running it is needed only to change them.
"""
import json, math, os

ROOT = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(ROOT)

SHAPES = [(2, 64), (2, 128), (4, 64), (4, 128), (6, 96), (6, 192)]  # (n_layer, n_embd)
TOKENS_PER_STEP = 8 * 4 * 256  # per-device batch 8, 4 accumulation steps, 256-token blocks


def loss(d, w, t, k):
    n = 12 * d * w * w
    return 1.8 + 40 / n ** 0.34 + 40 / t ** 0.28 + 0.002 * math.sin(1.7 * k + d + w / 64)


def gpt2_config(d, w):
    return {
        "_name_or_path": "gpt2-tiny-%dx%d" % (d, w), "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1, "bos_token_id": 50256,
        "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 256, "n_embd": w,
        "n_head": 4, "n_inner": None, "n_layer": d, "n_positions": 256,
        "reorder_and_upcast_attn": False, "resid_pdrop": 0.1,
        "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True,
        "summary_activation": None, "summary_first_dropout": 0.1, "summary_proj_to_labels": True,
        "summary_type": "cls_index", "summary_use_proj": True, "torch_dtype": "float32",
        "transformers_version": "4.46.3", "use_cache": True, "vocab_size": 50257}


def trainer_state(d, w, max_steps, tokens_logged=True, eval_steps=250, logging_steps=50):
    log = []
    for step in range(logging_steps, max_steps + 1, logging_steps):
        t = step * TOKENS_PER_STEP
        e = {"epoch": round(step / 1200.0, 4), "grad_norm": round(1.5 / math.sqrt(step), 6),
             "learning_rate": 6e-4 * (1 - step / max_steps) + 1e-8,
             "loss": round(loss(d, w, t, step) + 0.05, 4), "step": step}
        if tokens_logged:
            e["num_input_tokens_seen"] = t
        log.append(e)
        if step % eval_steps == 0:
            e = {"epoch": round(step / 1200.0, 4), "eval_loss": loss(d, w, t, step + 1),
                 "eval_runtime": 1.234, "eval_samples_per_second": 207.45,
                 "eval_steps_per_second": 25.93, "step": step}
            if tokens_logged:
                e["num_input_tokens_seen"] = t
            log.append(e)
    last = {"epoch": round(max_steps / 1200.0, 4), "step": max_steps,
            "total_flos": 6.0 * 12 * d * w * w * max_steps * TOKENS_PER_STEP,
            "train_loss": round(loss(d, w, max_steps * TOKENS_PER_STEP / 3, 0) + 0.05, 6),
            "train_runtime": 812.5, "train_samples_per_second": 40.33,
            "train_steps_per_second": 1.231}
    if tokens_logged:
        last["num_input_tokens_seen"] = max_steps * TOKENS_PER_STEP
    log.append(last)
    return {
        "best_global_step": None, "best_metric": None, "best_model_checkpoint": None,
        "epoch": round(max_steps / 1200.0, 4), "eval_steps": eval_steps, "global_step": max_steps,
        "is_hyper_param_search": False, "is_local_process_zero": True,
        "is_world_process_zero": True, "log_history": log, "logging_steps": logging_steps,
        "max_steps": max_steps,
        "num_input_tokens_seen": max_steps * TOKENS_PER_STEP if tokens_logged else 0,
        "num_train_epochs": 1, "save_steps": 500,
        "stateful_callbacks": {"TrainerControl": {"args": {
            "should_epoch_stop": False, "should_evaluate": False, "should_log": False,
            "should_save": True, "should_training_stop": True}, "attributes": {}}},
        "total_flos": last["total_flos"], "train_batch_size": 8, "trial_name": None,
        "trial_params": None}


def dump(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def trainer():
    base = os.path.join(DATA, "trainer")
    for i, (d, w) in enumerate(SHAPES):
        run = os.path.join(base, "runs", "gpt2-%dx%d" % (d, w))
        dump(os.path.join(run, "config.json"), gpt2_config(d, w))
        dump(os.path.join(run, "trainer_state.json"), trainer_state(d, w, 1000 + 250 * (i % 3)))
    run = os.path.join(base, "checkpoints", "run-a")
    dump(os.path.join(run, "config.json"), gpt2_config(4, 128))
    for step in (500, 1000):
        dump(os.path.join(run, "checkpoint-%d" % step, "trainer_state.json"),
             trainer_state(4, 128, step))
    run = os.path.join(base, "no_tokens", "run")
    dump(os.path.join(run, "config.json"), gpt2_config(2, 64))
    dump(os.path.join(run, "trainer_state.json"), trainer_state(2, 64, 1000, tokens_logged=False))
    dump(os.path.join(base, "no_config", "run", "trainer_state.json"), trainer_state(2, 64, 500))


def params_total(d, w):  # model.num_parameters() of GPT-2: tied wte, wpe, blocks, ln_f
    return 50257 * w + 256 * w + d * (12 * w * w + 13 * w) + 2 * w


def wandb():
    out = os.path.join(DATA, "wandb")
    os.makedirs(out, exist_ok=True)
    # the runs table: one row per run, its summary's last values and its config
    cols = ["", "_runtime", "_step", "_timestamp", "eval/loss", "eval/runtime", "train/epoch",
            "train/global_step", "train/loss", "train/num_input_tokens_seen", "learning_rate",
            "model/num_parameters", "n_embd", "n_head", "n_layer", "vocab_size", "name"]
    rows = []
    k = 0
    for i, (d, w) in enumerate(SHAPES):
        for steps in (300 + 150 * i, 1200 + 600 * i):
            t = steps * TOKENS_PER_STEP
            rows.append([k, 800 + 3 * k, 2 * steps // 50 + 1, 1733490000 + 1000 * k,
                         loss(d, w, t, k), 1.2, round(steps / 1200.0, 4), steps,
                         round(loss(d, w, t, k) + 0.05, 4), t, 0.0006, params_total(d, w), w,
                         4, d, 50257, "gpt2-%dx%d-%dsteps" % (d, w, steps)])
            k += 1
    with open(os.path.join(out, "export.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(",".join(cols) + "\n")
        for r in rows:
            f.write(",".join(fmt(v) for v in r) + "\n")
    # the histories: train/* and eval/* are logged at different calls (different _step)
    cols = ["", "_step", "_runtime", "_timestamp", "train/loss", "train/grad_norm",
            "train/learning_rate", "train/epoch", "train/global_step",
            "train/num_input_tokens_seen", "eval/loss", "eval/runtime", "name", "n_layer",
            "n_embd"]
    with open(os.path.join(out, "history.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(",".join(cols) + "\n")
        for d, w in SHAPES:
            idx, call = 0, 0
            for step in range(250, 1001, 250):
                t = step * TOKENS_PER_STEP
                train = [idx, call, 20.0 + step / 2, 1733490000 + step, round(loss(d, w, t, step) + 0.05, 4),
                         round(1.5 / math.sqrt(step), 6), 6e-4 * (1 - step / 1000) + 1e-8,
                         round(step / 1200.0, 4), step, t, None, None]
                ev = [idx + 1, call + 1, 21.0 + step / 2, 1733490001 + step, None, None, None,
                      round(step / 1200.0, 4), step, t, loss(d, w, t, step + 1), 1.2]
                for r in (train, ev):
                    f.write(",".join(fmt(v) for v in r + ["gpt2-%dx%d" % (d, w), d, w]) + "\n")
                idx, call = idx + 2, call + 2


def fmt(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


if __name__ == "__main__":
    trainer()
    wandb()
