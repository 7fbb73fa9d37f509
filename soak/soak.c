/* soak: a long run that must leave memory and descriptors flat.
 *
 *   soak [--count N] [--pub-count N] [--size B] [--hwm H] [--churn-ms MS]
 *        [--churn-peers K] [--sample-ms MS] [--leg push|pub|both]
 *
 * Leg "push": PUSH -> PULL over tcp, N messages of B bytes (default 10^8
 * of 64), while a churn thread connects extra PULL peers and disconnects
 * them every MS ms (K alive at a time, each drained while it lives; what is
 * queued for one when it goes is lost, and counted).
 * Leg "pub": PUB -> two SUBs over tcp, N messages: a fast subscriber and a
 * deliberately slow one (1 ms pause per 100 messages), both RCVHWM H; the
 * PUB (SNDHWM H) drops what the slow one cannot take.
 *
 * A sampler thread reads RSS (/proc/self/statm) and the open descriptors
 * (/proc/self/fd) every sample period and prints a row.  Verdict per leg:
 * after warm-up (the first 10 % of its messages) the highest RSS is within
 * 5 % of the first post-warm-up sample, the descriptor count stays within
 * what the churn peers explain, the descriptors after the leg equal those
 * before it, and RSS stays below before + the HWMs' worth of messages
 * (see rss_bound).  Exit 0 if every leg passes.
 *
 * Only zmq.h: LD_LIBRARY_PATH picks ferrozmq or libzmq. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static long long count = 100000000LL, pub_count = -1;
static int size = 64, hwm = 1000, churn_ms = 20, churn_peers = 4, sample_ms = 1000;
static const char *legs = "both";

static atomic_llong progress;   /* messages sent so far in the current leg */
static atomic_int sampling;     /* the sampler runs while set */
static atomic_int leg_done;

struct sample {
    double t;
    long long msgs;
    long rss_kib;
    int fds;
};

#define MAX_SAMPLES 100000
static struct sample samples[MAX_SAMPLES];
static atomic_int nsamples;

static double now_s (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void pause_ms (int ms)
{
    struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
    while (nanosleep (&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The sampler's own open files would show in another thread's count. */
static pthread_mutex_t proc_lock = PTHREAD_MUTEX_INITIALIZER;

static long rss_kib (void)
{
    pthread_mutex_lock (&proc_lock);
    FILE *f = fopen ("/proc/self/statm", "r");
    long pages_total = 0, pages_rss = 0;
    if (f) {
        if (fscanf (f, "%ld %ld", &pages_total, &pages_rss) != 2)
            pages_rss = 0;
        fclose (f);
    }
    pthread_mutex_unlock (&proc_lock);
    return pages_rss * (sysconf (_SC_PAGESIZE) / 1024);
}

static int fd_count (void)
{
    pthread_mutex_lock (&proc_lock);
    DIR *d = opendir ("/proc/self/fd");
    int n = 0;
    if (d) {
        while (readdir (d))
            n++;
        closedir (d);
    }
    pthread_mutex_unlock (&proc_lock);
    return d ? n - 3 : -1; /* ".", ".." and the directory's own descriptor */
}

/* Prints what each open descriptor is (for a leak's report). */
static void list_fds (void)
{
    pthread_mutex_lock (&proc_lock);
    DIR *d = opendir ("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir (d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], target[300];
        snprintf (path, sizeof path, "/proc/self/fd/%s", e->d_name);
        const ssize_t n = readlink (path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = 0;
        printf ("    fd %s -> %s\n", e->d_name, target);
    }
    if (d)
        closedir (d);
    pthread_mutex_unlock (&proc_lock);
}

static void die (const char *what)
{
    fprintf (stderr, "soak: %s: %s\n", what, zmq_strerror (zmq_errno ()));
    exit (2);
}

static void set_int (void *s, int opt, int v)
{
    if (zmq_setsockopt (s, opt, &v, sizeof v) != 0)
        die ("setsockopt");
}

static void *sampler (void *arg)
{
    const double t0 = *(double *) arg;
    double last_t = 0;
    long long last_msgs = 0;
    while (atomic_load (&sampling)) {
        /* Sleeps in short steps so that the end of a leg is seen soon. */
        for (int waited = 0; waited < sample_ms && atomic_load (&sampling); waited += 50)
            pause_ms (50);
        const int i = atomic_load (&nsamples);
        if (i >= MAX_SAMPLES)
            continue;
        struct sample s = {now_s () - t0, atomic_load (&progress), rss_kib (), fd_count ()};
        samples[i] = s;
        atomic_store (&nsamples, i + 1);
        if (s.msgs < last_msgs)
            last_msgs = 0; /* a new leg */
        const double rate = s.t > last_t ? (double) (s.msgs - last_msgs) / (s.t - last_t) : 0;
        printf ("%8.1f %14lld %10.2f %10ld %6d\n", s.t, s.msgs, rate / 1e6, s.rss_kib, s.fds);
        fflush (stdout);
        last_t = s.t;
        last_msgs = s.msgs;
    }
    return NULL;
}

/* ---- leg: PUSH/PULL with churn ----------------------------------------- */

static char endpoint[256];
static atomic_llong main_received, churn_received;
static atomic_int churn_connects;

static void *pull_main (void *ctx)
{
    void *s = zmq_socket (ctx, ZMQ_PULL);
    set_int (s, ZMQ_RCVHWM, hwm);
    set_int (s, ZMQ_RCVTIMEO, 100);
    set_int (s, ZMQ_LINGER, 0);
    if (zmq_connect (s, endpoint) != 0)
        die ("pull connect");
    char buf[65536];
    long long got = 0;
    while (!atomic_load (&leg_done)) {
        if (zmq_recv (s, buf, sizeof buf, 0) >= 0) {
            got++;
            if ((got & 1023) == 0)
                atomic_store (&main_received, got);
        }
    }
    /* The sender is done: take what is still on its way. */
    set_int (s, ZMQ_RCVTIMEO, 1000);
    while (zmq_recv (s, buf, sizeof buf, 0) >= 0)
        got++;
    atomic_store (&main_received, got);
    zmq_close (s);
    return NULL;
}

static void *churn (void *ctx)
{
    void *peers[64] = {0};
    int n = 0;
    char buf[65536];
    long long got = 0;
    double next = now_s ();
    while (!atomic_load (&leg_done)) {
        if (now_s () >= next) {
            next += churn_ms / 1000.0;
            if (n == churn_peers) {
                /* The oldest goes: disconnect, then close. */
                zmq_disconnect (peers[0], endpoint);
                zmq_close (peers[0]);
                memmove (peers, peers + 1, sizeof *peers * (size_t) (n - 1));
                n--;
            }
            void *s = zmq_socket (ctx, ZMQ_PULL);
            set_int (s, ZMQ_RCVHWM, hwm);
            set_int (s, ZMQ_LINGER, 0);
            if (zmq_connect (s, endpoint) != 0)
                die ("churn connect");
            peers[n++] = s;
            atomic_fetch_add (&churn_connects, 1);
        }
        /* Drain every live peer, then wait for input or the next churn. */
        zmq_pollitem_t items[64];
        for (int i = 0; i < n; i++) {
            while (zmq_recv (peers[i], buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
                got++;
            items[i] = (zmq_pollitem_t){peers[i], 0, ZMQ_POLLIN, 0};
        }
        double left = next - now_s ();
        zmq_poll (items, n, left > 0 ? (long) (left * 1000) + 1 : 0);
    }
    for (int i = 0; i < n; i++) {
        while (zmq_recv (peers[i], buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
            got++;
        zmq_close (peers[i]);
    }
    atomic_store (&churn_received, got);
    return NULL;
}

/* ---- leg: PUB/SUB with a slow subscriber ------------------------------- */

struct subscriber {
    void *ctx;
    int slow;
    long long got;
};

static void *sub_thread (void *arg)
{
    struct subscriber *sub = arg;
    void *s = zmq_socket (sub->ctx, ZMQ_SUB);
    set_int (s, ZMQ_RCVHWM, hwm);
    set_int (s, ZMQ_RCVTIMEO, 100);
    set_int (s, ZMQ_LINGER, 0);
    if (zmq_setsockopt (s, ZMQ_SUBSCRIBE, "", 0) != 0 || zmq_connect (s, endpoint) != 0)
        die ("sub");
    char buf[65536];
    while (!atomic_load (&leg_done)) {
        if (zmq_recv (s, buf, sizeof buf, 0) < 0)
            continue;
        sub->got++;
        if (sub->slow && sub->got % 100 == 0)
            pause_ms (1); /* the slow consumer */
    }
    zmq_close (s);
    return NULL;
}

/* ---- verdict ----------------------------------------------------------- */

/* RSS may grow by at most what the HWMs let the library hold: each pipe
 * end's HWM of messages of `size` bytes, at up to 256 bytes of overhead
 * each (libzmq's msg_t is 64, a content block 40 + malloc's rounding),
 * plus 32 MiB for thread stacks, I/O and encoder batches and the
 * allocator's arenas. */
static long rss_bound (long before_kib, int pipes)
{
    const long per_msg = size + 256;
    return before_kib + (long) pipes * 2 * hwm * per_msg / 1024 + 32 * 1024;
}

/* Judges samples [first_sample, end_sample): those taken while the leg
 * was sending. */
static int verdict (const char *leg, long long total, int first_sample, int end_sample,
                    long before_kib, int before_fds, int after_fds, int pipes, int fd_slack)
{
    const int n = end_sample;
    int base = -1;
    for (int i = first_sample; i < n; i++)
        if (samples[i].msgs >= total / 10) {
            base = i;
            break;
        }
    int ok = 1;
    printf ("\n%s: ", leg);
    if (base < 0 || n - base < 2) {
        printf ("too few samples after warm-up (%d): run longer for a verdict\n",
                base < 0 ? 0 : n - base);
        ok = 0;
        return ok;
    }
    long max_rss = 0, min_rss = samples[base].rss_kib;
    int max_fd = 0, min_fd = 1 << 30;
    for (int i = base; i < n; i++) {
        if (samples[i].rss_kib > max_rss)
            max_rss = samples[i].rss_kib;
        if (samples[i].rss_kib < min_rss)
            min_rss = samples[i].rss_kib;
        if (samples[i].fds > max_fd)
            max_fd = samples[i].fds;
        if (samples[i].fds < min_fd)
            min_fd = samples[i].fds;
    }
    const long baseline = samples[base].rss_kib, bound = rss_bound (before_kib, pipes);
    const double growth = 100.0 * (double) (max_rss - baseline) / (double) baseline;
    printf ("%d samples after warm-up; RSS before leg %ld KiB, baseline %ld KiB, "
            "min %ld, max %ld (%+.1f %%), end %ld; bound %ld KiB; fds before %d, "
            "min %d, max %d, end %d, after leg %d\n",
            n - base, before_kib, baseline, min_rss, max_rss, growth,
            samples[n - 1].rss_kib, bound, before_fds, min_fd, max_fd, samples[n - 1].fds,
            after_fds);
    if (growth > 5.0) {
        printf ("  FAIL: RSS grew %.1f %% after warm-up (limit 5 %%)\n", growth);
        ok = 0;
    }
    if (max_rss > bound) {
        printf ("  FAIL: RSS %ld KiB above the HWM bound %ld KiB\n", max_rss, bound);
        ok = 0;
    }
    if (max_fd - min_fd > fd_slack) {
        printf ("  FAIL: descriptors ranged %d..%d (churn explains %d)\n", min_fd, max_fd,
                fd_slack);
        ok = 0;
    }
    if (after_fds != before_fds) {
        printf ("  FAIL: %d descriptors before the leg, %d after it:\n", before_fds,
                after_fds);
        list_fds ();
        ok = 0;
    }
    printf ("  %s %s\n", ok ? "PASS" : "FAIL", leg);
    return ok;
}

static int run_push (void)
{
    const long before_kib = rss_kib ();
    const int before_fds = fd_count ();
    const int first = atomic_load (&nsamples);
    atomic_store (&progress, 0);
    atomic_store (&leg_done, 0);
    printf ("\n== push/pull: %lld messages of %d B, SNDHWM/RCVHWM %d, a PULL peer "
            "connected and one disconnected every %d ms (%d alive) ==\n",
            count, size, hwm, churn_ms, churn_peers);
    printf ("%8s %14s %10s %10s %6s\n", "t_s", "sent", "Mmsg/s", "rss_kib", "fds");
    void *ctx = zmq_ctx_new ();
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    set_int (push, ZMQ_SNDHWM, hwm);
    set_int (push, ZMQ_LINGER, 0);
    if (zmq_bind (push, "tcp://127.0.0.1:*") != 0)
        die ("push bind");
    size_t len = sizeof endpoint;
    zmq_getsockopt (push, ZMQ_LAST_ENDPOINT, endpoint, &len);
    pthread_t rx, ch;
    pthread_create (&rx, NULL, pull_main, ctx);
    pthread_create (&ch, NULL, churn, ctx);
    char *buf = calloc (1, (size_t) size);
    const double t0 = now_s ();
    for (long long i = 0; i < count; i++) {
        memcpy (buf, &i, sizeof i < (size_t) size ? sizeof i : (size_t) size);
        if (zmq_send (push, buf, (size_t) size, 0) != size)
            die ("send");
        if ((i & 4095) == 0)
            atomic_store (&progress, i);
    }
    atomic_store (&progress, count);
    const double secs = now_s () - t0;
    const int end = atomic_load (&nsamples);
    atomic_store (&leg_done, 1);
    pthread_join (rx, NULL);
    pthread_join (ch, NULL);
    zmq_close (push);
    zmq_ctx_term (ctx);
    free (buf);
    const long long got = atomic_load (&main_received) + atomic_load (&churn_received);
    printf ("push/pull: sent %lld in %.1f s (%.2f M msg/s); received %lld by the main PULL, "
            "%lld by %d churn peers; %lld queued for churn peers when they went\n",
            count, secs, (double) count / secs / 1e6, atomic_load (&main_received),
            atomic_load (&churn_received), atomic_load (&churn_connects), count - got);
    /* Per churn peer: its socket (mailbox) and both ends of its connection,
     * with room for one coming and one going. */
    return verdict ("push/pull", count, first, end, before_kib, before_fds, fd_count (),
                    churn_peers + 1, (churn_peers + 2) * 4);
}

static int run_pub (void)
{
    const long before_kib = rss_kib ();
    const int before_fds = fd_count ();
    const int first = atomic_load (&nsamples);
    atomic_store (&progress, 0);
    atomic_store (&leg_done, 0);
    printf ("\n== pub/sub: %lld messages of %d B, SNDHWM/RCVHWM %d, a fast and a slow "
            "(1 ms per 100 messages) subscriber ==\n",
            pub_count, size, hwm);
    printf ("%8s %14s %10s %10s %6s\n", "t_s", "published", "Mmsg/s", "rss_kib", "fds");
    void *ctx = zmq_ctx_new ();
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    set_int (pub, ZMQ_SNDHWM, hwm);
    set_int (pub, ZMQ_LINGER, 0);
    if (zmq_bind (pub, "tcp://127.0.0.1:*") != 0)
        die ("pub bind");
    size_t len = sizeof endpoint;
    zmq_getsockopt (pub, ZMQ_LAST_ENDPOINT, endpoint, &len);
    /* What is published before a subscriber is in is dropped, as any
     * PUB's: the steady state is what is measured. */
    struct subscriber fast = {ctx, 0, 0}, slow = {ctx, 1, 0};
    pthread_t tf, ts;
    pthread_create (&tf, NULL, sub_thread, &fast);
    pthread_create (&ts, NULL, sub_thread, &slow);
    char *buf = calloc (1, (size_t) size);
    const double t0 = now_s ();
    for (long long i = 0; i < pub_count; i++) {
        memcpy (buf, &i, sizeof i < (size_t) size ? sizeof i : (size_t) size);
        if (zmq_send (pub, buf, (size_t) size, 0) != size)
            die ("publish");
        if ((i & 4095) == 0)
            atomic_store (&progress, i);
    }
    atomic_store (&progress, pub_count);
    const double secs = now_s () - t0;
    const int end = atomic_load (&nsamples);
    atomic_store (&leg_done, 1);
    pthread_join (tf, NULL);
    pthread_join (ts, NULL);
    zmq_close (pub);
    zmq_ctx_term (ctx);
    free (buf);
    printf ("pub/sub: published %lld in %.1f s (%.2f M msg/s); fast subscriber got %lld, "
            "slow subscriber %lld (the rest dropped at the HWM)\n",
            pub_count, secs, (double) pub_count / secs / 1e6, fast.got, slow.got);
    return verdict ("pub/sub", pub_count, first, end, before_kib, before_fds, fd_count (), 2, 4);
}

int main (int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf (stderr, "soak: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp (a, "--count"))
            count = atoll (v);
        else if (!strcmp (a, "--pub-count"))
            pub_count = atoll (v);
        else if (!strcmp (a, "--size"))
            size = atoi (v);
        else if (!strcmp (a, "--hwm"))
            hwm = atoi (v);
        else if (!strcmp (a, "--churn-ms"))
            churn_ms = atoi (v);
        else if (!strcmp (a, "--churn-peers"))
            churn_peers = atoi (v);
        else if (!strcmp (a, "--sample-ms"))
            sample_ms = atoi (v);
        else if (!strcmp (a, "--leg"))
            legs = v;
        else {
            fprintf (stderr, "soak: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (pub_count < 0)
        pub_count = count;
    if (count < 1 || size < 8 || size > 65536 || hwm < 1 || churn_ms < 1 || churn_peers < 1
        || churn_peers > 60 || sample_ms < 50) {
        fprintf (stderr, "soak: option out of range\n");
        return 2;
    }
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("soak: zmq_version %d.%d.%d, pid %d\n", major, minor, patch, (int) getpid ());
    double t0 = now_s ();
    atomic_store (&sampling, 1);
    pthread_t smp;
    pthread_create (&smp, NULL, sampler, &t0);
    int ok = 1;
    if (!strcmp (legs, "push") || !strcmp (legs, "both"))
        ok &= run_push ();
    if (!strcmp (legs, "pub") || !strcmp (legs, "both"))
        ok &= run_pub ();
    atomic_store (&sampling, 0);
    pthread_join (smp, NULL);
    printf ("\nsoak: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
