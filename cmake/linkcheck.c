/* cmake/linkcheck.c — the one source of each module's link-check library (CMakeLists.txt,
 * dw_module): the module's archive is linked in whole with -Wl,--no-undefined against the
 * modules it may use, so a call into any other module fails the build. */
int dw_linkcheck_anchor(void);
int dw_linkcheck_anchor(void) { return 0; }
