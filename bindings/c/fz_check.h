/*  fz_check.h - the little harness the czmq test programs share.
 *
 *  Every check is a function returning bool; REQUIRE() ends it with a
 *  reason.  fz_run() prints exactly one line per check:
 *
 *      PASS <name>
 *      FAIL <name>: <reason> (<file>:<line>: <condition>)
 *
 *  A watchdog (alarm) turns a check that hangs into a FAIL line and ends
 *  the process, so a hang can never pass silently; the tests also use
 *  receive timeouts of their own, which fail sooner and say more.
 *
 *  fz_check_library() is the first check of every program: it proves from
 *  /proc/self/maps that the libzmq.so.5 mapped into the process (the one
 *  libczmq.so.4 uses, which was built against Debian's libzmq) is the one
 *  in $FERRO_EXPECT_LIBDIR, that no second libzmq is mapped, and (if
 *  $FERRO_EXPECT_VERSION is set) that zmq_version() reports that version.
 */
#ifndef FZ_CHECK_H
#define FZ_CHECK_H

#define _GNU_SOURCE
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*  Receive timeout every test socket gets, in milliseconds.  */
#define FZ_RCVTIMEO 5000
/*  Watchdog per check, in seconds.  */
#define FZ_WATCHDOG 20

static int fz_passed, fz_failed;
static char fz_reason[1024];
static char fz_current[128];

static void
fz_alarm (int sig)
{
    (void) sig;
    char line[256];
    int n = snprintf (line, sizeof line,
                      "FAIL %s: watchdog: the check did not finish within %d s\n",
                      fz_current, FZ_WATCHDOG);
    if (n > 0 && write (STDOUT_FILENO, line, (size_t) n) < 0)
        _exit (3);
    /*  FZ_WATCHDOG_ABORT=1: dump core instead, for a look at every thread  */
    const char *dump = getenv ("FZ_WATCHDOG_ABORT");
    if (dump && *dump == '1')
        abort ();
    _exit (3);
}

static void
fz_set_reason (const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
fz_set_reason (const char *file, int line, const char *cond, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (what, sizeof what, fmt, ap);
    va_end (ap);
    const char *base = strrchr (file, '/');
    snprintf (fz_reason, sizeof fz_reason, "%s (%s:%d: %s)",
              what, base ? base + 1 : file, line, cond);
}

/*  REQUIRE (condition, printf-style reason...): fail the current check.  */
#define REQUIRE(cond, ...)                                                  \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fz_set_reason (__FILE__, __LINE__, #cond, __VA_ARGS__);         \
            return false;                                                   \
        }                                                                   \
    } while (0)

/*  Receive one string within the socket's receive timeout.  */
#define RECV_STR(var, sock)                                                 \
    char *var = zstr_recv (sock);                                           \
    REQUIRE (var != NULL, "no message on %s within its timeout (errno %d %s)", \
             #sock, zmq_errno (), zmq_strerror (zmq_errno ()))

static void
fz_run (const char *name, bool (*check) (void))
{
    snprintf (fz_current, sizeof fz_current, "%s", name);
    fz_reason[0] = 0;
    alarm (FZ_WATCHDOG);
    bool ok = check ();
    alarm (0);
    if (ok) {
        fz_passed++;
        printf ("PASS %s\n", name);
    }
    else {
        fz_failed++;
        printf ("FAIL %s: %s\n", name, fz_reason[0] ? fz_reason : "no reason given");
    }
    fflush (stdout);
}

/*  Is the object mapped from `mapped` the file `expect_dir`/libzmq.so.5?  */
static bool
fz_same_library (const char *mapped, unsigned long mapped_ino, const char *expect_dir)
{
    char want[PATH_MAX], want_real[PATH_MAX], dir[PATH_MAX], dir_real[PATH_MAX];
    snprintf (want, sizeof want, "%s/libzmq.so.5", expect_dir);
    struct stat st;
    if (stat (want, &st) == 0 && (unsigned long) st.st_ino == mapped_ino)
        return true;
    /*  The staged file may have been replaced since we mapped it: then the
        directory still tells.  */
    snprintf (dir, sizeof dir, "%s", mapped);
    char *slash = strrchr (dir, '/');
    if (!slash)
        return false;
    *slash = 0;
    if (!realpath (dir, dir_real) || !realpath (expect_dir, want_real))
        return false;
    return streq (dir_real, want_real);
}

static bool
fz_check_library_body (void)
{
    const char *expect_dir = getenv ("FERRO_EXPECT_LIBDIR");
    REQUIRE (expect_dir && *expect_dir,
             "FERRO_EXPECT_LIBDIR is not set: cannot tell which libzmq should be loaded");
    FILE *maps = fopen ("/proc/self/maps", "r");
    REQUIRE (maps, "cannot open /proc/self/maps: %s", strerror (errno));
    char line[PATH_MAX + 256];
    char found[4][PATH_MAX];
    unsigned long found_ino[4];
    int nfound = 0;
    while (fgets (line, sizeof line, maps)) {
        char *path = strchr (line, '/');
        if (!path || !strstr (path, "/libzmq.so"))
            continue;
        path[strcspn (path, "\n")] = 0;
        unsigned long ino = 0;
        /*  address perms offset dev inode path  */
        if (sscanf (line, "%*s %*s %*s %*s %lu", &ino) != 1)
            ino = 0;
        bool seen = false;
        for (int i = 0; i < nfound; i++)
            if (streq (found[i], path))
                seen = true;
        if (!seen && nfound < 4) {
            snprintf (found[nfound], PATH_MAX, "%s", path);
            found_ino[nfound] = ino;
            nfound++;
        }
    }
    fclose (maps);
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    char version[32];
    snprintf (version, sizeof version, "%d.%d.%d", major, minor, patch);
    printf ("INFO %s: zmq_version %s, libzmq mapped from %s, czmq %d.%d.%d\n",
            fz_current, version, nfound ? found[0] : "(none)",
            CZMQ_VERSION_MAJOR, CZMQ_VERSION_MINOR, CZMQ_VERSION_PATCH);
    REQUIRE (nfound == 1, "%d libzmq objects mapped (want exactly 1; first %s, second %s)",
             nfound, nfound > 0 ? found[0] : "-", nfound > 1 ? found[1] : "-");
    REQUIRE (fz_same_library (found[0], found_ino[0], expect_dir),
             "the libzmq mapped is %s, not %s/libzmq.so.5", found[0], expect_dir);
    const char *expect_version = getenv ("FERRO_EXPECT_VERSION");
    if (expect_version && *expect_version)
        REQUIRE (streq (version, expect_version),
                 "zmq_version() is %s, want %s", version, expect_version);
    return true;
}

static void
fz_begin (const char *program)
{
    setvbuf (stdout, NULL, _IOLBF, 0);
    signal (SIGALRM, fz_alarm);
    /*  czmq would otherwise install its own SIGINT/SIGTERM handlers.  */
    zsys_handler_set (NULL);
    char name[128];
    snprintf (name, sizeof name, "%s.loaded-libzmq", program);
    fz_run (name, fz_check_library_body);
}

/*  End of the program.  On success czmq's own exit handler then shuts the
    context down (zsys_shutdown -> zmq_ctx_term), under a watchdog too;
    after a failure we leave at once, as sockets may still be open.  */
static int
fz_end (const char *program)
{
    fflush (stdout);
    if (fz_failed)
        _exit (1);
    snprintf (fz_current, sizeof fz_current, "%s.shutdown", program);
    alarm (FZ_WATCHDOG);
    return 0;
}

/*  A fresh inproc endpoint name.  */
__attribute__ ((unused)) static const char *
fz_inproc (const char *what)
{
    static char buf[8][96];
    static int next;
    static int serial;
    char *b = buf[next++ % 8];
    snprintf (b, 96, "inproc://fz-%s-%d-%d", what, (int) getpid (), serial++);
    return b;
}

#endif
