/* perf_common.h - small helpers shared by ferrozmq's perf tools.
 *
 * The tools use nothing but the public zmq.h API plus libc/pthreads, so one
 * binary runs against any libzmq.so.5 (ferrozmq or the reference libzmq);
 * pick the library with LD_LIBRARY_PATH.
 *
 * Diagnostics go to stderr so that stdout carries exactly the result lines
 * the classic libzmq perf tools print.  Every tool starts by writing
 *     perf: zmq_version X.Y.Z from /path/to/libzmq.so.N
 * to stderr, which lets a driver check which library was really loaded, and
 * at exit
 *     perf: peak RSS N kB
 * (the process's VmHWM).
 *
 * The tools are compiled with ZMQ_BUILD_DRAFT_API (for the draft socket
 * types and prototypes), but call the draft functions only through
 * perf_draft, filled with dlsym at run time: the binaries carry no
 * reference to a draft symbol, so they load and run their classic patterns
 * against a libzmq built without the draft API (Debian's libzmq5). */
#ifndef FERROZMQ_PERF_COMMON_H
#define FERROZMQ_PERF_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

/* Print "error in <what>: <strerror>" on stdout (as the libzmq tools do)
 * and leave with status 1. */
__attribute__ ((noreturn)) static inline void perf_fail (const char *what)
{
    int err = zmq_errno ();
    printf ("error in %s: %s\n", what, zmq_strerror (err));
    fflush (stdout);
    exit (1);
}

__attribute__ ((noreturn)) static inline void
perf_fail_msg (const char *text)
{
    printf ("%s\n", text);
    fflush (stdout);
    exit (1);
}

/* Monotonic microseconds. */
static inline uint64_t perf_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* Parse a non-negative decimal integer argument or exit with usage. */
static inline long perf_parse_count (const char *text, const char *name,
                                     long min)
{
    char *end = NULL;
    long v;
    errno = 0;
    v = strtol (text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > INT_MAX) {
        printf ("invalid %s: %s\n", name, text);
        fflush (stdout);
        exit (1);
    }
    return v;
}

static inline int perf_find_libzmq (struct dl_phdr_info *info, size_t size,
                                    void *data)
{
    const char **found = (const char **) data;
    (void) size;
    if (info->dlpi_name && strstr (info->dlpi_name, "libzmq") && !*found)
        *found = info->dlpi_name;
    return 0;
}

/* At exit: the peak resident set size of this process (VmHWM).  Unlike the
 * ru_maxrss a parent gets from wait4(), it does not include whatever the
 * forking parent had mapped before exec(). */
static inline void perf_report_peak_rss (void)
{
    char line[256];
    FILE *f = fopen ("/proc/self/status", "r");
    if (!f)
        return;
    while (fgets (line, sizeof line, f)) {
        long kib;
        if (sscanf (line, "VmHWM: %ld kB", &kib) == 1) {
            fprintf (stderr, "perf: peak RSS %ld kB\n", kib);
            break;
        }
    }
    fclose (f);
    fflush (stderr);
}

/* Report the version and file of the libzmq that the dynamic loader picked
 * (and arrange for the peak RSS to be reported at exit). */
static inline void perf_report_library (void)
{
    int major = 0, minor = 0, patch = 0;
    const char *name = NULL;
    char resolved[PATH_MAX];

    zmq_version (&major, &minor, &patch);
    dl_iterate_phdr (perf_find_libzmq, &name);
    if (name && realpath (name, resolved))
        name = resolved;
    fprintf (stderr, "perf: zmq_version %d.%d.%d from %s\n", major, minor,
             patch, name ? name : "(statically linked?)");
    fflush (stderr);
    atexit (perf_report_peak_rss);
}

/* After a bind, say where we are bound (useful with tcp://host:*). */
static inline void perf_report_endpoint (void *socket)
{
    char endpoint[1024];
    size_t len = sizeof endpoint;
    if (zmq_getsockopt (socket, ZMQ_LAST_ENDPOINT, endpoint, &len) == 0) {
        fprintf (stderr, "perf: bound to %s\n", endpoint);
        fflush (stderr);
    }
}

/* PERF_CURVE=1 in the environment: both sides use CURVE (the bound side
 * is the server), with the example keys of zmq_curve(7). */
static inline void perf_security (void *socket, int server)
{
    const char *curve = getenv ("PERF_CURVE");
    int one = 1;
    if (!curve || strcmp (curve, "1") != 0)
        return;
    if (server) {
        if (zmq_setsockopt (socket, ZMQ_CURVE_SERVER, &one, sizeof one) != 0
            || zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY,
                               "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6", 40)
                 != 0)
            perf_fail ("CURVE server options");
    } else if (zmq_setsockopt (socket, ZMQ_CURVE_SERVERKEY,
                               "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", 40)
                 != 0
               || zmq_setsockopt (socket, ZMQ_CURVE_PUBLICKEY,
                                  "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID", 40)
                    != 0
               || zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY,
                                  "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs", 40)
                    != 0)
        perf_fail ("CURVE client options");
}

/* The socket pairs the tools measure, named as on their command lines
 * (an optional last argument; the classic pair is the default). */
enum perf_pattern
{
    PERF_PUSH_PULL,
    PERF_REQ_REP,
    PERF_CLIENT_SERVER, /* draft */
    PERF_RADIO_DISH     /* draft, udp:// */
};

static const char *const perf_pattern_names[] = {"push-pull", "req-rep",
                                                 "client-server", "radio-dish"};

/* The draft functions the tools call, found in the loaded libzmq. */
static struct
{
    __typeof__ (&zmq_join) join;
    __typeof__ (&zmq_msg_set_group) msg_set_group;
    __typeof__ (&zmq_msg_group) msg_group;
    __typeof__ (&zmq_msg_routing_id) msg_routing_id;
    __typeof__ (&zmq_msg_set_routing_id) msg_set_routing_id;
} perf_draft;

static inline void *perf_draft_symbol (const char *name)
{
    void *fn = dlsym (RTLD_DEFAULT, name);
    if (!fn) {
        printf ("this libzmq has no %s: the pattern needs a libzmq built "
                "with the draft API\n",
                name);
        fflush (stdout);
        exit (1);
    }
    return fn;
}

/* argv[index], if present, names the pattern: the tool's classic one,
 * client-server, or (local_thr/remote_thr) radio-dish, given as `other`.
 * A draft pattern loads perf_draft, and fails with a clear message when
 * the library has no draft API. */
static inline enum perf_pattern perf_parse_pattern (int argc,
                                                    char *argv[],
                                                    int index,
                                                    enum perf_pattern classic,
                                                    enum perf_pattern other)
{
    enum perf_pattern p = classic;
    if (index < argc) {
        if (strcmp (argv[index], perf_pattern_names[classic]) == 0)
            p = classic;
        else if (strcmp (argv[index], perf_pattern_names[PERF_CLIENT_SERVER])
                 == 0)
            p = PERF_CLIENT_SERVER;
        else if (strcmp (argv[index], perf_pattern_names[other]) == 0)
            p = other;
        else {
            printf ("invalid pattern: %s\n", argv[index]);
            fflush (stdout);
            exit (1);
        }
    }
    if (p == PERF_CLIENT_SERVER || p == PERF_RADIO_DISH) {
        perf_draft.join =
          (__typeof__ (perf_draft.join)) perf_draft_symbol ("zmq_join");
        perf_draft.msg_set_group = (__typeof__ (perf_draft.msg_set_group))
          perf_draft_symbol ("zmq_msg_set_group");
        perf_draft.msg_group = (__typeof__ (perf_draft.msg_group))
          perf_draft_symbol ("zmq_msg_group");
        perf_draft.msg_routing_id = (__typeof__ (perf_draft.msg_routing_id))
          perf_draft_symbol ("zmq_msg_routing_id");
        perf_draft.msg_set_routing_id =
          (__typeof__ (perf_draft.msg_set_routing_id)) perf_draft_symbol (
            "zmq_msg_set_routing_id");
    }
    return p;
}

/* The socket type of the bound side (receiver, echo) or the connecting
 * side (sender, measurer). */
static inline int perf_socket_type (enum perf_pattern p, int bound)
{
    switch (p) {
        case PERF_PUSH_PULL:
            return bound ? ZMQ_PULL : ZMQ_PUSH;
        case PERF_REQ_REP:
            return bound ? ZMQ_REP : ZMQ_REQ;
        case PERF_CLIENT_SERVER:
            return bound ? ZMQ_SERVER : ZMQ_CLIENT;
        case PERF_RADIO_DISH:
            return bound ? ZMQ_DISH : ZMQ_RADIO;
    }
    return -1;
}

/* RADIO/DISH: the data group, and the group of the sender's end markers. */
#define PERF_GROUP_DATA "perf"
#define PERF_GROUP_END "end"

#endif
