/* cli/cli_usage.h — the --help line of each later-stage command, NULL while the command is
 * not built. Set a line when its command works. */
#ifndef DW_CLI_USAGE_H
#define DW_CLI_USAGE_H
#define CMD_DATA_USAGE "data fetch|prepare|list|generate  corpora, tokenizers and token shards"
#define CMD_PROBE_USAGE "probe run|sweep|eval|bench  train probe models, record runs, sweep D x W"
#define CMD_PLOT_USAGE "plot KIND DATA -o FIG.png       figures (gnuplot): depth, gradients, tau, parity, frontier, isoflop, dcrit"
#define CMD_REPORT_USAGE "report DATA --law LAW -o DIR    all figures and an index.html"
#endif
