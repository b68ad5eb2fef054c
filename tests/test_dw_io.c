/* tests/test_dw_io.c — common/dw's file writes under hostile conditions (issue 14, findings
 * 3, 4 and 7): a full disk during dw_append_line leaves whole records only and reports the
 * real error; dw_write_file_atomic and dw_append_line write through to FIFOs and character
 * devices (never replace them), follow symlinks (replace the target, keep the link), refuse
 * directories and dangling links; stale "P.tmp.PID" temporaries of dead processes are
 * removed on the next write, those of live processes kept; dw_output_check says before the
 * work whether an output can be written.
 *
 * A full disk is made two ways: RLIMIT_FSIZE (every system: a write past the limit is cut
 * short, then fails with EFBIG once SIGXFSZ is ignored) and, when this process may mount
 * (root), a 64 KiB tmpfs (a real ENOSPC). The character device is a private copy of
 * /dev/null made with mknod (root only) in the test's own directory: the system's /dev/null
 * is never written here. Cases that cannot run say so on stderr.
 *
 * Files live in a fresh directory from mkdtemp under $TMPDIR (default /tmp), removed at the
 * end.
 */
#define _GNU_SOURCE
#include "common/dw.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/check.h"

static char dir_[1024];

static const char *path_(const char *name) {
    static char buf[16][1400]; /* 16 live at once: enough for any one test below */
    static int k;
    k = (k + 1) % 16;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir_, name);
    return buf[k];
}

static int has_(const char *msg, const char *part) { return msg && strstr(msg, part) != NULL; }

static int exists_(const char *p) {
    struct stat st;
    return lstat(p, &st) == 0;
}

/* The file's bytes as a NUL-terminated string ("" when absent; caller frees). */
static char *slurp_(const char *p) {
    char *s = dw_read_file(p, NULL);
    return s ? s : strdup("");
}

static void put_(const char *p, const char *text) {
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* A pid that no process has: a child that has exited and been reaped. */
static long dead_pid_(void) {
    pid_t c = fork();
    if (c == 0) _exit(0);
    waitpid(c, NULL, 0);
    return (long)c;
}

static int rm_one_(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

// ----------------------------------------------------------------------------
// finding 3: dw_append_line on a full disk

/* RLIMIT_FSIZE: room for the first record and 10 bytes of the second. */
static void test_append_fsize_(void) {
    const char *p = path_("runs_fsize.jsonl");
    const char *r1 = "{\"run\":1,\"loss\":3.25}\n";
    char r2[200];
    memset(r2, 'x', sizeof r2 - 1);
    r2[0] = '{', r2[sizeof r2 - 2] = '}', r2[sizeof r2 - 1] = '\0';
    CHECK_STATUS(dw_append_line(p, r1));
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = strlen(r1) + 10;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    errno = 0;
    int rc = dw_append_line(p, r2);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    CHECK(rc == DW_EIO);
    /* the real error, not a stale errno ("Success") */
    CHECK(has_(dw_error_get(), strerror(EFBIG)));
    CHECK(!has_(dw_error_get(), "Success"));
    if (!has_(dw_error_get(), strerror(EFBIG))) fprintf(stderr, "  got: %s\n", dw_error_get());
    char *s = slurp_(p);
    CHECK(strcmp(s, r1) == 0); /* whole records or nothing */
    if (strcmp(s, r1)) fprintf(stderr, "  file after a failed append: '%.60s...'\n", s);
    free(s);
    /* the next append is a record of its own, not glued to a torn line */
    CHECK_STATUS(dw_append_line(p, "{\"run\":3}"));
    s = slurp_(p);
    CHECK(strcmp(s, "{\"run\":1,\"loss\":3.25}\n{\"run\":3}\n") == 0);
    free(s);
}

/* A real ENOSPC on a 64 KiB tmpfs (needs the right to mount: root). */
static void test_append_enospc_(void) {
    const char *mnt = path_("tmpfs");
    if (mkdir(mnt, 0755) || mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0755")) {
        fprintf(stderr, "  (no tmpfs: %s; ENOSPC checked through RLIMIT_FSIZE only)\n",
                strerror(errno));
        rmdir(mnt);
        return;
    }
    char p[1500], rec[1001], *s = NULL;
    snprintf(p, sizeof p, "%s/runs.jsonl", mnt);
    memset(rec, 'y', sizeof rec - 1);
    rec[0] = '{', rec[sizeof rec - 2] = '}', rec[sizeof rec - 1] = '\0';
    int n = 0, rc = DW_OK;
    while (n < 200 && (rc = dw_append_line(p, rec)) == DW_OK) n++;
    CHECK(rc == DW_EIO && n > 10 && n < 200);
    CHECK(has_(dw_error_get(), strerror(ENOSPC)));
    if (!has_(dw_error_get(), strerror(ENOSPC))) fprintf(stderr, "  got: %s\n", dw_error_get());
    s = slurp_(p);
    CHECK(strlen(s) == (size_t)n * 1001); /* n whole records of 1000 bytes + '\n' */
    int whole = 1;
    for (size_t i = 0; i < strlen(s); i += 1001) whole &= s[i] == '{' && s[i + 1000] == '\n';
    CHECK(whole);
    free(s);
    /* room for a short record again after a failure: it lands whole, on its own line */
    rc = dw_append_line(p, "{\"short\":1}");
    s = slurp_(p);
    if (rc == DW_OK) CHECK(strlen(s) == (size_t)n * 1001 + 12 && s[n * 1001] == '{');
    else CHECK(strlen(s) == (size_t)n * 1001);
    free(s);
    CHECK(umount2(mnt, MNT_DETACH) == 0);
    rmdir(mnt);
}

/* A file that a crash (or an editor) left without its final newline: the next record starts
 * on a line of its own. */
static void test_append_after_torn_(void) {
    const char *p = path_("torn.jsonl");
    put_(p, "{\"run\":1}\n{\"run\":2,\"lo");
    CHECK_STATUS(dw_append_line(p, "{\"run\":3}"));
    char *s = slurp_(p);
    const char *want = "{\"run\":1}\n{\"run\":2,\"lo\n{\"run\":3}\n";
    CHECK(strcmp(s, want) == 0);
    if (strcmp(s, want)) fprintf(stderr, "  got '%s'\n", s);
    free(s);
}

// ----------------------------------------------------------------------------
// finding 4: what the output path is

/* Opens the FIFO for reading (non-blocking, so a writer's open does not wait), lets `fn`
 * write, and returns what arrived (caller frees). */
static char *through_fifo_(const char *p, int (*fn)(const char *), int *rc) {
    char *got = calloc(1, 4096);
    int rd = open(p, O_RDONLY | O_NONBLOCK);
    *rc = -100;
    if (rd < 0 || !got) {
        if (rd >= 0) close(rd);
        return got;
    }
    *rc = fn(p);
    ssize_t k = read(rd, got, 4095);
    if (k < 0) k = 0;
    got[k] = '\0';
    close(rd);
    return got;
}

static int write_law_(const char *p) { return dw_write_file_atomic(p, "{\"law\":1}\n", 10); }
static int append_rec_(const char *p) { return dw_append_line(p, "{\"run\":1}"); }

static void test_fifo_(void) {
    const char *p = path_("out.fifo");
    struct stat st;
    int rc;
    CHECK(mkfifo(p, 0644) == 0);
    char *got = through_fifo_(p, write_law_, &rc);
    CHECK_STATUS(rc);
    CHECK(strcmp(got, "{\"law\":1}\n") == 0);
    CHECK(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode)); /* still a FIFO, not a file */
    free(got);
    got = through_fifo_(p, append_rec_, &rc);
    CHECK_STATUS(rc); /* no fsync error on a FIFO */
    CHECK(strcmp(got, "{\"run\":1}\n") == 0);
    CHECK(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode));
    free(got);
    CHECK(!exists_(path_("out.fifo.tmp.0")));
}

/* A private character device (1, 3) = null, in our own directory. */
static void test_chardev_(void) {
    const char *p = path_("null");
    struct stat st;
    if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) != 0) {
        fprintf(stderr, "  (no mknod: %s; character devices not checked)\n", strerror(errno));
        return;
    }
    int fd = open(p, O_WRONLY);
    if (fd < 0) { /* a nodev file system */
        fprintf(stderr, "  (cannot open a device node here: %s)\n", strerror(errno));
        unlink(p);
        return;
    }
    close(fd);
    CHECK_STATUS(write_law_(p));
    CHECK(lstat(p, &st) == 0 && S_ISCHR(st.st_mode));
    CHECK_STATUS(append_rec_(p));
    CHECK(lstat(p, &st) == 0 && S_ISCHR(st.st_mode));
    char *s = slurp_(p); /* reads as nothing: still the null device */
    CHECK(s[0] == '\0');
    free(s);
    unlink(p);
}

static void test_symlink_(void) {
    const char *t = path_("target.json"), *l = path_("link.json");
    struct stat st;
    put_(t, "old\n");
    CHECK(symlink("target.json", l) == 0);
    CHECK_STATUS(write_law_(l));
    CHECK(lstat(l, &st) == 0 && S_ISLNK(st.st_mode)); /* the link stays a link */
    char *s = slurp_(t);
    CHECK(strcmp(s, "{\"law\":1}\n") == 0); /* ... and its target has the new text */
    free(s);
    /* a relative link in another directory, resolved from the link's directory */
    CHECK(mkdir(path_("sub"), 0755) == 0);
    CHECK(symlink("../target.json", path_("sub/rel.json")) == 0);
    CHECK_STATUS(dw_write_file_atomic(path_("sub/rel.json"), "v3\n", 3));
    s = slurp_(t);
    CHECK(strcmp(s, "v3\n") == 0);
    free(s);
    CHECK(lstat(path_("sub/rel.json"), &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(!exists_(path_("sub/rel.json.tmp.0")));
    /* a dangling link is refused, and left alone */
    CHECK(symlink("nowhere/x.json", path_("dangling.json")) == 0);
    CHECK(dw_write_file_atomic(path_("dangling.json"), "x", 1) == DW_EINVAL);
    CHECK(has_(dw_error_get(), "dangling.json") && has_(dw_error_get(), "nowhere/x.json"));
    CHECK(lstat(path_("dangling.json"), &st) == 0 && S_ISLNK(st.st_mode));
}

static void test_directory_(void) {
    const char *d = path_("adir");
    struct stat st;
    CHECK(mkdir(d, 0755) == 0);
    CHECK(dw_write_file_atomic(d, "x", 1) == DW_EINVAL);
    CHECK(has_(dw_error_get(), d) && has_(dw_error_get(), "is a directory"));
    if (!has_(dw_error_get(), "is a directory")) fprintf(stderr, "  got: %s\n", dw_error_get());
    CHECK(stat(d, &st) == 0 && S_ISDIR(st.st_mode));
    char tmp[1500];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", d, (long)getpid());
    CHECK(!exists_(tmp));
}

/* The rest of the class: the temporary's own path is not followed (a link planted at
 * P.tmp.<our pid> must not truncate what it points to), and a replaced file keeps its mode
 * (a private 0600 file does not become 0644). */
static void test_temp_and_mode_(void) {
    char p[1400], tmp[1500], victim[1400];
    struct stat st;
    snprintf(p, sizeof p, "%s", path_("private.json"));
    snprintf(victim, sizeof victim, "%s", path_("victim.txt"));
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", p, (long)getpid());
    put_(victim, "precious\n");
    CHECK(symlink(victim, tmp) == 0);
    CHECK_STATUS(write_law_(p));
    char *s = slurp_(victim);
    CHECK(strcmp(s, "precious\n") == 0);
    free(s);
    s = slurp_(p);
    CHECK(strcmp(s, "{\"law\":1}\n") == 0);
    free(s);
    CHECK(!exists_(tmp));
    CHECK(chmod(p, 0600) == 0);
    CHECK_STATUS(write_law_(p));
    CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600);
    if ((st.st_mode & 07777) != 0600) fprintf(stderr, "  mode %o\n", st.st_mode & 07777);
}

// ----------------------------------------------------------------------------
// finding 7: temporaries of dead writers

static void test_stale_temps_(void) {
    char p[1400], dead[1500], live[1500], other[1500], deaddir[1500], f[1600];
    long pd = dead_pid_();
    snprintf(p, sizeof p, "%s", path_("law.json"));
    snprintf(dead, sizeof dead, "%s.tmp.%ld", p, pd);
    snprintf(live, sizeof live, "%s.tmp.%ld", p, (long)getppid());
    snprintf(other, sizeof other, "%s.tmp.%ldx", p, pd);
    snprintf(deaddir, sizeof deaddir, "%s.tmp.%ld", path_("ck"), pd);
    put_(dead, "half a la");
    put_(live, "a running writer's");
    put_(other, "not a temporary name");
    CHECK_STATUS(write_law_(p));
    CHECK(!exists_(dead)); /* the dead writer's temporary is gone */
    CHECK(exists_(live) && exists_(other));
    /* through a symlink: the temporaries beside the target */
    put_(dead, "again");
    CHECK(symlink("law.json", path_("law-link.json")) == 0);
    CHECK_STATUS(write_law_(path_("law-link.json")));
    CHECK(!exists_(dead));
    /* a checkpoint's temporary directory, with what it holds */
    CHECK(mkdir(deaddir, 0755) == 0);
    snprintf(f, sizeof f, "%s/model.safetensors", deaddir);
    put_(f, "weights");
    int left = -1;
    CHECK(dw_stale_temps_clean(path_("ck"), 0, &left) == 0 && left == 0); /* files only */
    CHECK(exists_(f));
    CHECK(dw_stale_temps_clean(path_("ck"), 1, &left) == 1 && left == 0);
    CHECK(!exists_(deaddir));
    int nrm = dw_stale_temps_clean(p, 0, &left);
    CHECK(nrm == 0 && left == 1); /* the live one */
    if (nrm != 0 || left != 1) fprintf(stderr, "  removed %d, left %d\n", nrm, left);
    CHECK(dw_pid_alive((long)getpid()) && !dw_pid_alive(pd));
    unlink(live);
    unlink(other);
}

// ----------------------------------------------------------------------------
// dw_output_check: before the work

static void test_output_check_(void) {
    char note[512];
    CHECK_STATUS(dw_output_check(path_("new.json"), DW_OUT_FILE, note, sizeof note));
    CHECK(note[0] == '\0');
    CHECK(dw_output_check(path_("adir"), DW_OUT_FILE, note, sizeof note) == DW_EINVAL);
    CHECK(has_(dw_error_get(), "is a directory"));
    CHECK(dw_output_check(path_("nodir/x.json"), DW_OUT_FILE, note, sizeof note) == DW_EIO);
    CHECK(has_(dw_error_get(), "nodir"));
    CHECK(dw_output_check(path_("dangling.json"), DW_OUT_FILE, note, sizeof note) == DW_EINVAL);
    CHECK_STATUS(dw_output_check(path_("link.json"), DW_OUT_FILE, note, sizeof note));
    CHECK(has_(note, "symlink") && has_(note, "target.json"));
    CHECK_STATUS(dw_output_check(path_("out.fifo"), DW_OUT_FILE, note, sizeof note));
    CHECK_STATUS(dw_output_check(path_("adir"), DW_OUT_DIR, note, sizeof note));
    CHECK_STATUS(dw_output_check(path_("adir/a/b"), DW_OUT_DIR, note, sizeof note));
    CHECK(dw_output_check(path_("target.json"), DW_OUT_DIR, note, sizeof note) == DW_EINVAL);
    CHECK(has_(dw_error_get(), "not a directory"));
    CHECK(dw_output_check(path_("target.json/x"), DW_OUT_FILE, note, sizeof note) == DW_EIO);
    CHECK(dw_output_check(path_("newdir/"), DW_OUT_FILE, note, sizeof note) == DW_EINVAL);
    CHECK(dw_write_file_atomic(path_("newdir/"), "x", 1) == DW_EINVAL && !exists_(path_("newdir")));
    CHECK(dw_output_check("", DW_OUT_FILE, note, sizeof note) == DW_EINVAL);
    if (geteuid() != 0) { /* root may write anywhere: checked only as a user */
        CHECK(mkdir(path_("ro"), 0555) == 0);
        CHECK(dw_output_check(path_("ro/x.json"), DW_OUT_FILE, note, sizeof note) == DW_EIO);
        CHECK(has_(dw_error_get(), "not writable"));
        CHECK(dw_output_check(path_("ro/x"), DW_OUT_DIR, note, sizeof note) == DW_EIO);
    }
    CHECK_STATUS(dw_output_check("/dev/null", DW_OUT_FILE, note, sizeof note));
}

int main(void) {
    const char *base = getenv("TMPDIR");
    snprintf(dir_, sizeof dir_, "%s/dw_io_XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir_)) {
        perror("mkdtemp");
        return 77;
    }
    test_append_fsize_();
    test_append_enospc_();
    test_append_after_torn_();
    test_fifo_();
    test_chardev_();
    test_symlink_();
    test_directory_();
    test_temp_and_mode_();
    test_stale_temps_();
    test_output_check_();
    nftw(dir_, rm_one_, 16, FTW_DEPTH | FTW_PHYS);
    return check_done("test_dw_io");
}
