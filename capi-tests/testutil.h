/* testutil.h: a tiny header-only C99 test framework for the C API tests.
 *
 * Write tests as
 *
 *     TEST (msg_init_gives_empty_message)
 *     {
 *         zmq_msg_t msg;
 *         CHECK_ZMQ (zmq_msg_init (&msg));
 *         CHECK_EQ_SIZE (zmq_msg_size (&msg), 0);
 *     }
 *
 * and end the file with TEST_MAIN (). Each TEST registers itself (through a
 * constructor), and main runs every registered test in its own child process,
 * so a crash or a hang in one test is reported against that test and the
 * others still run. A watchdog alarm (TU_WATCHDOG_SECONDS) turns a hang into
 * a failure. The program prints one line per test and exits non-zero if any
 * test failed.
 *
 * A failed check prints file:line, the expression, the values involved (and,
 * for zmq calls, errno with zmq_strerror) and ends the current test.
 * Checks must be made from the test's own thread.
 *
 * Environment: TU_NOFORK=1 runs tests in-process (for a debugger);
 * TU_FILTER=substring runs only the tests whose name contains it.
 */
#ifndef FERROZMQ_CAPI_TESTUTIL_H
#define FERROZMQ_CAPI_TESTUTIL_H

/*  Include this header first: -std=c99 hides POSIX (fork, pthreads, ...).  */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Built with -fsanitize=address or thread (scripts/sanitize.sh): the
 * runtime keeps freed memory in quarantine and its shadow memory grows with
 * use, so an RSS bound measures the sanitizer, not the library. Tests that
 * bound RSS skip that check then (LeakSanitizer checks leaks instead). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TU_SANITIZED 1
#else
#define TU_SANITIZED 0
#endif

#include <zmq.h>

#ifndef TU_WATCHDOG_SECONDS
#define TU_WATCHDOG_SECONDS 20
#endif

#ifndef TU_MAX_TESTS
#define TU_MAX_TESTS 512
#endif

typedef void (*tu_test_fn) (void);

typedef struct
{
    const char *name;
    tu_test_fn fn;
} tu_test_t;

static tu_test_t tu_tests[TU_MAX_TESTS];
static int tu_ntests;
static jmp_buf tu_jump;

__attribute__ ((unused)) static void tu_register (const char *name_, tu_test_fn fn_)
{
    if (tu_ntests == TU_MAX_TESTS) {
        fprintf (stderr, "testutil: more than %d tests\n", TU_MAX_TESTS);
        abort ();
    }
    tu_tests[tu_ntests].name = name_;
    tu_tests[tu_ntests].fn = fn_;
    tu_ntests++;
}

/*  Defines a test function and registers it before main runs.  */
#define TEST(name)                                                             \
    static void name (void);                                                   \
    __attribute__ ((constructor)) static void tu_register_##name (void)        \
    {                                                                          \
        tu_register (#name, name);                                             \
    }                                                                          \
    static void name (void)

/*  Reports a failed check and leaves the current test.  */
static void tu_fail (const char *file_, int line_, const char *fmt_, ...)
  __attribute__ ((noreturn, format (printf, 3, 4)));

static void tu_fail (const char *file_, int line_, const char *fmt_, ...)
{
    va_list ap;
    fprintf (stdout, "    %s:%d: ", file_, line_);
    va_start (ap, fmt_);
    vfprintf (stdout, fmt_, ap);
    va_end (ap);
    fputc ('\n', stdout);
    fflush (stdout);
    longjmp (tu_jump, 1);
}

/*  Shows errno as "errno 14 (Bad address)".  */
#define TU_ERRNO_FMT "errno %d (%s)"
#define TU_ERRNO_ARGS(e) (e), zmq_strerror (e)

/*  A condition that must hold.  */
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            tu_fail (__FILE__, __LINE__, "CHECK (%s) failed", #cond);          \
    } while (0)

/*  Integer equality (any integer type up to long long).  */
#define CHECK_EQ_INT(actual, expected)                                         \
    do {                                                                       \
        const long long tu_a_ = (long long) (actual);                          \
        const long long tu_e_ = (long long) (expected);                        \
        if (tu_a_ != tu_e_)                                                    \
            tu_fail (__FILE__, __LINE__, "%s == %s failed: got %lld, want %lld", \
                     #actual, #expected, tu_a_, tu_e_);                        \
    } while (0)

/*  size_t / unsigned equality.  */
#define CHECK_EQ_SIZE(actual, expected)                                        \
    do {                                                                       \
        const unsigned long long tu_a_ = (unsigned long long) (actual);        \
        const unsigned long long tu_e_ = (unsigned long long) (expected);      \
        if (tu_a_ != tu_e_)                                                    \
            tu_fail (__FILE__, __LINE__, "%s == %s failed: got %llu, want %llu", \
                     #actual, #expected, tu_a_, tu_e_);                        \
    } while (0)

#define CHECK_EQ_PTR(actual, expected)                                         \
    do {                                                                       \
        const void *tu_a_ = (const void *) (actual);                           \
        const void *tu_e_ = (const void *) (expected);                         \
        if (tu_a_ != tu_e_)                                                    \
            tu_fail (__FILE__, __LINE__, "%s == %s failed: got %p, want %p",   \
                     #actual, #expected, tu_a_, tu_e_);                        \
    } while (0)

#define CHECK_NE_PTR(actual, unexpected)                                       \
    do {                                                                       \
        const void *tu_a_ = (const void *) (actual);                           \
        if (tu_a_ == (const void *) (unexpected))                              \
            tu_fail (__FILE__, __LINE__, "%s != %s failed: both %p", #actual,  \
                     #unexpected, tu_a_);                                      \
    } while (0)

#define CHECK_NULL(actual) CHECK_EQ_PTR (actual, NULL)
#define CHECK_NOT_NULL(actual)                                                 \
    do {                                                                       \
        if ((actual) == NULL)                                                  \
            tu_fail (__FILE__, __LINE__, "%s is NULL, " TU_ERRNO_FMT, #actual, \
                     TU_ERRNO_ARGS (errno));                                   \
    } while (0)

/*  NUL-terminated string equality; a NULL actual fails.  */
#define CHECK_EQ_STR(actual, expected)                                         \
    do {                                                                       \
        const char *tu_a_ = (actual);                                          \
        const char *tu_e_ = (expected);                                        \
        if (tu_a_ == NULL || strcmp (tu_a_, tu_e_) != 0)                       \
            tu_fail (__FILE__, __LINE__,                                       \
                     "%s == %s failed: got \"%s\", want \"%s\"", #actual,      \
                     #expected, tu_a_ ? tu_a_ : "(null)", tu_e_);              \
    } while (0)

/*  Equality of n bytes.  */
#define CHECK_EQ_MEM(actual, expected, n)                                      \
    do {                                                                       \
        const void *tu_a_ = (actual);                                          \
        const size_t tu_n_ = (n);                                              \
        if (tu_a_ == NULL || memcmp (tu_a_, (expected), tu_n_) != 0)           \
            tu_fail (__FILE__, __LINE__, "%s == %s (%zu bytes) failed",        \
                     #actual, #expected, tu_n_);                               \
    } while (0)

__attribute__ ((unused)) static int
tu_check_zmq (int rc_, const char *expr_, const char *file_, int line_)
{
    if (rc_ == -1) {
        const int e = errno;
        tu_fail (file_, line_, "%s failed: returned -1, " TU_ERRNO_FMT, expr_,
                 TU_ERRNO_ARGS (e));
    }
    return rc_;
}

/*  A zmq call returning int must succeed (not -1); evaluates to its value,
 *  so `int id = CHECK_ZMQ (zmq_timers_add (...));` works.  */
#define CHECK_ZMQ(call) tu_check_zmq ((call), #call, __FILE__, __LINE__)

__attribute__ ((unused)) static void tu_check_zmq_fails (long rc_,
                                int errno_,
                                int want_errno_,
                                const char *expr_,
                                const char *file_,
                                int line_)
{
    if (rc_ != -1)
        tu_fail (file_, line_, "%s: returned %ld, want -1 with errno %d (%s)",
                 expr_, rc_, want_errno_, zmq_strerror (want_errno_));
    if (errno_ != want_errno_)
        tu_fail (file_, line_,
                 "%s: returned -1 with " TU_ERRNO_FMT ", want errno %d (%s)",
                 expr_, TU_ERRNO_ARGS (errno_), want_errno_,
                 zmq_strerror (want_errno_));
}

/*  A zmq call returning int (or long) must fail with -1 and this errno.
 *  errno is cleared first so a stale value cannot pass.  */
#define CHECK_ZMQ_FAILS(call, want_errno)                                      \
    do {                                                                       \
        errno = 0;                                                             \
        const long tu_rc_ = (long) (call);                                     \
        tu_check_zmq_fails (tu_rc_, errno, (want_errno), #call, __FILE__,      \
                            __LINE__);                                         \
    } while (0)

__attribute__ ((unused)) static void tu_check_null_errno (const void *p_,
                                 int errno_,
                                 int want_errno_,
                                 const char *expr_,
                                 const char *file_,
                                 int line_)
{
    if (p_ != NULL)
        tu_fail (file_, line_, "%s: returned %p, want NULL with errno %d (%s)",
                 expr_, p_, want_errno_, zmq_strerror (want_errno_));
    if (errno_ != want_errno_)
        tu_fail (file_, line_,
                 "%s: returned NULL with " TU_ERRNO_FMT ", want errno %d (%s)",
                 expr_, TU_ERRNO_ARGS (errno_), want_errno_,
                 zmq_strerror (want_errno_));
}

/*  A zmq call returning a pointer must fail with NULL and this errno.  */
#define CHECK_NULL_ERRNO(call, want_errno)                                     \
    do {                                                                       \
        errno = 0;                                                             \
        const void *tu_p_ = (const void *) (call);                             \
        tu_check_null_errno (tu_p_, errno, (want_errno), #call, __FILE__,      \
                             __LINE__);                                        \
    } while (0)

/*  Runs one test in this process; returns 1 if it passed.  */
static int tu_run_here (const tu_test_t *t_)
{
    if (setjmp (tu_jump) != 0)
        return 0;
    t_->fn ();
    return 1;
}

static void tu_watchdog (int sig_)
{
    static const char msg[] = "    watchdog: the test did not finish within "
                              "the time limit\n";
    (void) sig_;
    if (write (STDOUT_FILENO, msg, sizeof msg - 1) < 0) {
        /* nothing more can be done */
    }
    _exit (3);
}

/*  Runs one test in a child process whose output is collected into out_;
 *  returns 1 if it passed.  */
static int tu_run_forked (const tu_test_t *t_, char *out_, size_t cap_)
{
    int fds[2];
    size_t len = 0;
    out_[0] = '\0';
    fflush (stdout);
    fflush (stderr);
    if (pipe (fds) != 0) {
        perror ("testutil: pipe");
        return 0;
    }
    const pid_t pid = fork ();
    if (pid < 0) {
        perror ("testutil: fork");
        return 0;
    }
    if (pid == 0) {
        close (fds[0]);
        dup2 (fds[1], STDOUT_FILENO);
        dup2 (fds[1], STDERR_FILENO);
        close (fds[1]);
        signal (SIGALRM, tu_watchdog);
        alarm (TU_WATCHDOG_SECONDS);
        const int ok = tu_run_here (t_);
        fflush (stdout);
        fflush (stderr);
        _exit (ok ? 0 : 1);
    }
    close (fds[1]);
    for (;;) {
        char buf[4096];
        const ssize_t n = read (fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        const size_t take =
          (size_t) n < cap_ - 1 - len ? (size_t) n : cap_ - 1 - len;
        memcpy (out_ + len, buf, take);
        len += take;
        out_[len] = '\0';
    }
    close (fds[0]);
    int status = 0;
    while (waitpid (pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror ("testutil: waitpid");
            return 0;
        }
    }
    if (WIFEXITED (status))
        return WEXITSTATUS (status) == 0;
    if (WIFSIGNALED (status))
        snprintf (out_ + len, cap_ - len, "    killed by signal %d (%s)\n",
                  WTERMSIG (status), strsignal (WTERMSIG (status)));
    return 0;
}

static int tu_main (const char *file_)
{
    static char out[16384];
    const char *nofork = getenv ("TU_NOFORK");
    const char *filter = getenv ("TU_FILTER");
    const char *slash = strrchr (file_, '/');
    const char *program = slash ? slash + 1 : file_;
    const int forked = !(nofork && *nofork && strcmp (nofork, "0") != 0);
    int run = 0;
    int failed = 0;

    setvbuf (stdout, NULL, _IOLBF, 0);
    if (!forked)
        signal (SIGALRM, tu_watchdog);
    for (int i = 0; i < tu_ntests; i++) {
        const tu_test_t *t = &tu_tests[i];
        if (filter && *filter && strstr (t->name, filter) == NULL)
            continue;
        int ok;
        if (forked) {
            ok = tu_run_forked (t, out, sizeof out);
            printf ("%s %s\n%s", ok ? "  ok  " : "  FAIL", t->name,
                    ok ? "" : out);
        } else {
            printf ("  ...  %s\n", t->name);
            alarm (TU_WATCHDOG_SECONDS);
            ok = tu_run_here (t);
            alarm (0);
            printf ("%s %s\n", ok ? "  ok  " : "  FAIL", t->name);
        }
        run++;
        if (!ok)
            failed++;
    }
    printf ("%s: %d tests, %d failed\n", program, run, failed);
    if (run == 0) {
        printf ("%s: no tests ran\n", program);
        return 1;
    }
    return failed ? 1 : 0;
}

/*  Reads one version-1 monitor event from the socket m connected to a
 *  zmq_socket_monitor endpoint: returns the event number (its value and
 *  endpoint go to the outputs given), or -1 when none arrives within m's
 *  ZMQ_RCVTIMEO. Checks the two-frame layout.  */
__attribute__ ((unused)) static int
tu_monitor_event (void *m_, uint32_t *value_, char *endpoint_, size_t cap_)
{
    unsigned char head[6];
    int n = zmq_recv (m_, head, sizeof head, 0);
    if (n < 0) {
        CHECK_EQ_INT (zmq_errno (), EAGAIN);
        return -1;
    }
    CHECK_EQ_INT (n, 6);
    int more = 0;
    size_t len = sizeof more;
    CHECK_ZMQ (zmq_getsockopt (m_, ZMQ_RCVMORE, &more, &len));
    CHECK_EQ_INT (more, 1);
    uint16_t ev;
    uint32_t v;
    memcpy (&ev, head, 2);
    memcpy (&v, head + 2, 4);
    char ep[256];
    n = CHECK_ZMQ (zmq_recv (m_, ep, sizeof ep - 1, 0));
    ep[n < 255 ? n : 255] = 0;
    CHECK_ZMQ (zmq_getsockopt (m_, ZMQ_RCVMORE, &more, &len));
    CHECK_EQ_INT (more, 0);
    if (value_)
        *value_ = v;
    if (endpoint_)
        snprintf (endpoint_, cap_, "%s", ep);
    return ev;
}

#define TEST_MAIN()                                                            \
    int main (void)                                                            \
    {                                                                          \
        return tu_main (__FILE__);                                             \
    }

#endif
