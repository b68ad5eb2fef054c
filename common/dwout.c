/* common/dwout.c — writing outputs: atomic replacement, whole-record appends, writing through
 * to devices and FIFOs, symlinks followed, the temporaries of dead writers removed, and the
 * check that an output can be written before the work starts (dw.h says the rules).
 *
 * Design stance: an output path names something the user owns; we write *to* it, never
 * *over* what it is. Only a regular file (or nothing) is replaced by rename, and a record is
 * in a log whole or not at all. Reference code: plain POSIX, no retries beyond EINTR. */
#define _GNU_SOURCE
#include "dw.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* What an output path resolved to: the file to write (`target`, the path itself or, for a
 * symlink, the canonical path it points to) and what is there. */
typedef struct {
    char *target; /* owned */
    int exists;   /* target exists; st is valid */
    int link;     /* path was a symlink */
    struct stat st;
} OutPath;

static void out_free_(OutPath *o) {
    free(o->target);
    o->target = NULL;
}

/* Resolves `path` by dw.h's rules. DW_OK; DW_EINVAL for a directory, a dangling link, a
 * block device or socket; DW_EIO when the path cannot be looked at; DW_ENOMEM. */
static int out_resolve_(const char *path, OutPath *o) {
    struct stat lst;
    size_t len = strlen(path);
    memset(o, 0, sizeof *o);
    if (len == 0) return dw_error_set(DW_EINVAL, "empty output path");
    if (path[len - 1] == '/' && (lstat(path, &lst) != 0 || !S_ISDIR(lst.st_mode)))
        return dw_error_set(DW_EINVAL, "%s: ends in '/', so names a directory: give a file name",
                            path);
    if (lstat(path, &lst) != 0) {
        if (errno != ENOENT)
            return dw_error_set(DW_EIO, "%s: cannot write there: %s", path, strerror(errno));
        if (!(o->target = strdup(path))) return dw_error_set(DW_ENOMEM, "out of memory");
        return DW_OK;
    }
    if (S_ISLNK(lst.st_mode)) {
        o->link = 1;
        if (!(o->target = realpath(path, NULL))) {
            char to[PATH_MAX] = "?";
            ssize_t k = readlink(path, to, sizeof to - 1);
            to[k > 0 ? k : 1] = '\0';
            int e = errno;
            if (e == ENOENT)
                return dw_error_set(DW_EINVAL,
                                    "%s: a symlink to '%s', which does not exist: not replacing "
                                    "the link (create its target or remove the link)",
                                    path, to);
            return dw_error_set(DW_EINVAL, "%s: a symlink to '%s' that cannot be followed: %s",
                                path, to, strerror(e));
        }
        if (stat(o->target, &o->st) != 0) {
            int e = errno;
            out_free_(o);
            return dw_error_set(DW_EIO, "%s: cannot look at its target: %s", path, strerror(e));
        }
    } else {
        if (!(o->target = strdup(path))) return dw_error_set(DW_ENOMEM, "out of memory");
        o->st = lst;
    }
    o->exists = 1;
    const char *what = S_ISDIR(o->st.st_mode)   ? "a directory"
                       : S_ISBLK(o->st.st_mode) ? "a block device"
                       : S_ISSOCK(o->st.st_mode) ? "a socket"
                                                 : NULL;
    if (what) {
        int dir = S_ISDIR(o->st.st_mode);
        dw_error_set(DW_EINVAL, "%s%s%s: is %s%s", path, o->link ? " -> " : "",
                     o->link ? o->target : "", what,
                     dir ? ", not a file: give a file name" : ": not writing to it");
        out_free_(o);
        return DW_EINVAL;
    }
    return DW_OK;
}

/* Written through rather than replaced: character devices and FIFOs. */
static int out_through_(const OutPath *o) {
    return o->exists && (S_ISCHR(o->st.st_mode) || S_ISFIFO(o->st.st_mode));
}

static int write_all_(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Writes to a device or FIFO as it is: no temporary, no truncation, no fsync. */
static int write_through_(const char *path, const char *target, const void *data,
                          size_t len) {
    int fd = open(target, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return dw_error_set(DW_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (write_all_(fd, data, len) != 0) {
        int e = errno;
        close(fd);
        return dw_error_set(DW_EIO, "%s: write failed: %s", path, strerror(e));
    }
    if (close(fd) != 0) return dw_error_set(DW_EIO, "%s: close failed: %s", path, strerror(errno));
    return DW_OK;
}

// ----------------------------------------------------------------------------
// atomic replacement and appends

struct DwOutFile {
    OutPath o;
    char *path; /* as given, for messages */
    char *tmp;  /* "<target>.tmp.<pid>"; NULL when written through */
    int fd;
};

static void outfile_free_(DwOutFile *f) {
    if (!f) return;
    if (f->fd >= 0) close(f->fd);
    if (f->tmp) unlink(f->tmp);
    free(f->tmp);
    free(f->path);
    out_free_(&f->o);
    free(f);
}

int dw_out_open(const char *path, DwOutFile **out) {
    *out = NULL;
    DwOutFile *f = calloc(1, sizeof *f);
    if (!f) return dw_error_set(DW_ENOMEM, "%s: out of memory", path);
    f->fd = -1;
    int rc = out_resolve_(path, &f->o);
    if (rc != DW_OK) {
        free(f);
        return rc;
    }
    if (!(f->path = strdup(path))) {
        outfile_free_(f);
        return dw_error_set(DW_ENOMEM, "%s: out of memory", path);
    }
    if (out_through_(&f->o)) {
        if ((f->fd = open(f->o.target, O_WRONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
            dw_error_set(DW_EIO, "%s: cannot open: %s", path, strerror(errno));
            outfile_free_(f);
            return DW_EIO;
        }
        *out = f;
        return DW_OK;
    }
    size_t plen = strlen(f->o.target);
    if (!(f->tmp = malloc(plen + 32))) {
        outfile_free_(f);
        return dw_error_set(DW_ENOMEM, "%s: out of memory", path);
    }
    dw_stale_temps_clean(f->o.target, 0, NULL);
    snprintf(f->tmp, plen + 32, "%s.tmp.%ld", f->o.target, (long)getpid());
    /* a new file, never whatever sits at the temporary's name (a link planted there would
     * otherwise have its target truncated); a replaced file keeps its permissions */
    unlink(f->tmp);
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    rc = DW_OK;
    if (f->fd < 0) rc = dw_error_set(DW_EIO, "%s: cannot create: %s", f->tmp, strerror(errno));
    else if (f->o.exists && fchmod(f->fd, f->o.st.st_mode & 0777) != 0)
        rc = dw_error_set(DW_EIO, "%s: cannot set its mode: %s", f->tmp, strerror(errno));
    if (rc != DW_OK) {
        if (f->fd < 0) { /* the name was not ours to unlink */
            free(f->tmp);
            f->tmp = NULL;
        }
        outfile_free_(f);
        return rc;
    }
    *out = f;
    return DW_OK;
}

int dw_out_write(DwOutFile *f, const void *data, size_t len) {
    if (write_all_(f->fd, data, len) != 0)
        return dw_error_set(DW_EIO, "%s: write failed: %s", f->tmp ? f->tmp : f->path,
                            strerror(errno));
    return DW_OK;
}

int dw_out_commit(DwOutFile *f) {
    const char *name = f->tmp ? f->tmp : f->path;
    int rc = DW_EIO;
    if (f->tmp && fsync(f->fd) != 0) {
        dw_error_set(rc, "%s: write failed: %s", name, strerror(errno));
        goto out;
    }
    int c = close(f->fd);
    f->fd = -1;
    if (c != 0) {
        dw_error_set(rc, "%s: close failed: %s", name, strerror(errno));
        goto out;
    }
    if (f->tmp && rename(f->tmp, f->o.target) != 0) {
        dw_error_set(rc, "%s: cannot rename into place: %s", f->o.target, strerror(errno));
        goto out;
    }
    free(f->tmp); /* renamed: no longer ours to unlink */
    f->tmp = NULL;
    rc = DW_OK;
out:
    outfile_free_(f);
    return rc;
}

void dw_out_abort(DwOutFile *f) {
    outfile_free_(f);
}

int dw_write_file_atomic(const char *path, const void *data, size_t len) {
    DwOutFile *f;
    int rc = dw_out_open(path, &f);
    if (rc != DW_OK) return rc;
    if ((rc = dw_out_write(f, data, len)) != DW_OK) {
        dw_out_abort(f);
        return rc;
    }
    return dw_out_commit(f);
}

/* Appends buf[0..n) to the regular file open on fd (O_APPEND) as one record: under an
 * exclusive lock, starting a new line when the file does not end in one (`can_read`: fd was
 * opened for reading too), cut back to the old length when the write or fsync fails. */
static int append_record_(int fd, int can_read, const char *path, const char *buf, size_t n) {
    struct stat st;
    char last = '\n';
    int locked = 0;
    while (!(locked = flock(fd, LOCK_EX) == 0) && errno == EINTR) {}
    /* no lock (a file system without flock): still one write, unprotected from a sibling */
    if (fstat(fd, &st) != 0)
        return dw_error_set(DW_EIO, "%s: cannot stat: %s", path, strerror(errno));
    off_t start = st.st_size;
    if (start > 0 && can_read && pread(fd, &last, 1, start - 1) != 1) last = '\n';
    int e = 0;
    if ((last != '\n' && write_all_(fd, "\n", 1) != 0) || write_all_(fd, buf, n) != 0 ||
        fsync(fd) != 0)
        e = errno;
    if (e) {
        int cut = ftruncate(fd, start) == 0;
        if (cut) fsync(fd);
        dw_error_set(DW_EIO, "%s: append failed: %s%s", path, strerror(e),
                     cut ? " (nothing of the record was kept)"
                         : " (and the partial record could not be cut off)");
    }
    if (locked) flock(fd, LOCK_UN);
    return e ? DW_EIO : DW_OK;
}

int dw_append_line(const char *path, const char *line) {
    OutPath o;
    size_t n = strlen(line);
    int need_nl = n == 0 || line[n - 1] != '\n', fd = -1, rc;
    char *buf = NULL;
    if ((rc = out_resolve_(path, &o)) != DW_OK) return rc;
    rc = DW_ENOMEM;
    if (!(buf = malloc(n + 2))) {
        dw_error_set(rc, "%s: out of memory", path);
        goto out;
    }
    memcpy(buf, line, n);
    if (need_nl) buf[n++] = '\n';
    if (out_through_(&o)) {
        rc = write_through_(path, o.target, buf, n);
        goto out;
    }
    int can_read = 1;
    fd = open(o.target, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0 && errno == EACCES) { /* write-only for us: appends without the newline check */
        can_read = 0;
        fd = open(o.target, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
    }
    rc = DW_EIO;
    if (fd < 0) {
        dw_error_set(rc, "%s: cannot open for append: %s", path, strerror(errno));
        goto out;
    }
    if ((rc = append_record_(fd, can_read, path, buf, n)) != DW_OK) goto out;
    rc = DW_EIO;
    int c = close(fd);
    fd = -1;
    if (c != 0) {
        dw_error_set(rc, "%s: close failed: %s", path, strerror(errno));
        goto out;
    }
    rc = DW_OK;
out:
    if (fd >= 0) close(fd);
    free(buf);
    out_free_(&o);
    return rc;
}

// ----------------------------------------------------------------------------
// temporaries of dead writers

int dw_pid_state(long pid) {
    if (pid <= 0 || (pid_t)pid != pid) return 0;
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) return 0;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 2; /* no /proc: trust kill() */
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = '\0';
    const char *rp = strrchr(buf, ')'); /* "pid (comm) S ...": comm may hold ')' and spaces */
    return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X') ? 1 : 2;
}

int dw_pid_alive(long pid) {
    return dw_pid_state(pid) == 2;
}

static int rm_entry_(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(p) != 0 ? -1 : 0;
}

/* The directory and the "<base>.tmp." prefix of path's temporaries, in dir[n], pre[n]. */
static int temps_names_(const char *path, char *dir, char *pre, size_t n) {
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    if (len == 0 || len >= n - 8) return -1;
    const char *slash = memrchr(path, '/', len);
    const char *base = slash ? slash + 1 : path;
    if (!slash) snprintf(dir, n, ".");
    else if (slash == path) snprintf(dir, n, "/");
    else snprintf(dir, n, "%.*s", (int)(slash - path), path);
    snprintf(pre, n, "%.*s.tmp.", (int)(len - (size_t)(base - path)), base);
    return 0;
}

/* Walks the entries "<pre><pid>" of dir: removes the dead writers' when `remove`
 * (directories only with `trees`), counts the removed in *nrm and those left (live, or not
 * removable) in *nleft. The pid as "%ld" of a live pid writes it: 1 to 9 digits, no sign,
 * no leading zero; anything else (a number that would wrap to another process's pid when
 * cast) is not ours to remove. */
static void temps_walk_(const char *dir, const char *pre, int trees, int remove, int *nrm,
                        int *nleft) {
    char p[2 * PATH_MAX + 2];
    *nrm = *nleft = 0;
    DIR *d = opendir(dir);
    if (!d) return;
    size_t pl = strlen(pre);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, pre, pl) != 0) continue;
        const char *digits = e->d_name + pl;
        size_t nd = strspn(digits, "0123456789");
        if (nd == 0 || nd > 9 || digits[nd] || digits[0] == '0') continue;
        long pid = strtol(digits, NULL, 10);
        if (pid == (long)getpid()) continue;
        if (dw_pid_alive(pid)) {
            ++*nleft;
            continue;
        }
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (lstat(p, &st) != 0) continue;
        int isdir = S_ISDIR(st.st_mode);
        if (isdir && !trees) continue; /* not a temporary of this kind of output */
        if (!remove) continue;
        int gone = isdir ? nftw(p, rm_entry_, 16, FTW_DEPTH | FTW_PHYS) == 0 : unlink(p) == 0;
        ++*(gone ? nrm : nleft);
    }
    closedir(d);
}

int dw_stale_clean_prefix(const char *dir, const char *prefix, int trees, int *nleft) {
    int nrm, left;
    temps_walk_(dir, prefix, trees, 1, &nrm, &left);
    if (nleft) *nleft = left;
    return nrm;
}

int dw_stale_temps_clean(const char *path, int trees, int *nleft) {
    char dir[PATH_MAX], pre[PATH_MAX];
    if (temps_names_(path, dir, pre, sizeof dir) != 0) {
        if (nleft) *nleft = 0;
        return 0;
    }
    return dw_stale_clean_prefix(dir, pre, trees, nleft);
}

// ----------------------------------------------------------------------------
// before the work

/* DW_OK when `dir` is a directory we may create entries in; else DW_EIO naming `path`. */
static int dir_writable_(const char *path, const char *dir) {
    struct stat st;
    if (stat(dir, &st) != 0)
        return dw_error_set(DW_EIO, "%s: cannot write there: directory %s: %s", path, dir,
                            strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return dw_error_set(DW_EIO, "%s: cannot write there: %s is not a directory", path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return dw_error_set(DW_EIO, "%s: not writable: directory %s: %s", path, dir,
                            strerror(errno));
    return DW_OK;
}

static int check_dir_output_(const char *path) {
    struct stat st;
    char *p = strdup(path);
    int rc = DW_OK;
    if (!p) return dw_error_set(DW_ENOMEM, "out of memory");
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            rc = dw_error_set(DW_EINVAL, "%s: exists and is not a directory", path);
        else if (access(path, W_OK | X_OK) != 0)
            rc = dw_error_set(DW_EIO, "%s: not writable: %s", path, strerror(errno));
        free(p);
        return rc;
    }
    /* created by mkdir -p: the nearest existing ancestor must take new entries */
    for (;;) {
        size_t len = strlen(p);
        while (len > 1 && p[len - 1] == '/') p[--len] = '\0';
        char *slash = strrchr(p, '/');
        if (!slash) {
            rc = dir_writable_(path, ".");
            break;
        }
        if (slash == p) slash[1] = '\0';
        else *slash = '\0';
        if (stat(p, &st) == 0 || errno != ENOENT || !strcmp(p, "/")) {
            rc = dir_writable_(path, p);
            break;
        }
    }
    free(p);
    return rc;
}

static int check_file_output_(const char *path, char *note, size_t n) {
    OutPath o;
    int rc = out_resolve_(path, &o);
    if (rc != DW_OK) return rc;
    if (out_through_(&o)) {
        if (access(o.target, W_OK) != 0)
            rc = dw_error_set(DW_EIO, "%s: not writable: %s", path, strerror(errno));
    }
    char dir[PATH_MAX], pre[PATH_MAX];
    if (!out_through_(&o) && rc == DW_OK) {
        if (temps_names_(o.target, dir, pre, sizeof dir) != 0)
            rc = dw_error_set(DW_EINVAL, "%s: not a usable file name", path);
        else rc = dir_writable_(path, dir);
    }
    if (rc == DW_OK && note && n) {
        int nrm, live = 0;
        if (!out_through_(&o)) temps_walk_(dir, pre, 0, 0, &nrm, &live);
        if (o.link)
            snprintf(note, n, "%s is a symlink: writing to the file it points to, %s%s", path,
                     o.target, out_through_(&o) ? "" : " (replaced whole, the link kept)");
        else if (live)
            snprintf(note, n, "%d temporar%s of %s belong%s to running processes (another "
                     "writer of the same output?): left alone", live, live == 1 ? "y" : "ies",
                     o.target, live == 1 ? "s" : "");
    }
    out_free_(&o);
    return rc;
}

int dw_output_check(const char *path, int kind, char *note, size_t n) {
    if (note && n) note[0] = '\0';
    if (!path || !*path) return dw_error_set(DW_EINVAL, "empty output path");
    return kind == DW_OUT_DIR ? check_dir_output_(path) : check_file_output_(path, note, n);
}
