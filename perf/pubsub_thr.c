/* pubsub_thr <bind-to> <subscriber-count> <message-size> <message-count>
 *            [<hwm>]
 *
 * PUB/SUB fan-out throughput in one process.  The main thread binds a PUB
 * socket; <subscriber-count> threads each create their own context (so each
 * has its own I/O thread, as separate processes would) with a SUB socket
 * subscribed to everything, and connect to the publisher.
 *
 * Synchronisation (no slow-joiner losses): the publisher sends 1-byte probe
 * messages every millisecond until every subscriber has received one, i.e.
 * until every subscription has demonstrably reached the publisher.  Only
 * then does it send <message-count> data messages of <message-size> bytes,
 * followed by end markers (repeated every millisecond until every
 * subscriber has seen one).  The first byte tags a message: 'P' probe,
 * 'D' data, 'E' end.
 *
 * High-water marks: by default (<hwm> = 0) ZMQ_SNDHWM on the PUB and
 * ZMQ_RCVHWM on every SUB are 0 (no limit), so nothing is dropped and every
 * subscriber receives all <message-count> messages; the cost is that a
 * publisher faster than its subscribers queues messages in memory.  Pass a
 * positive <hwm> to get PUB's usual lossy behaviour instead (messages are
 * dropped once a subscriber's queue holds <hwm> messages).
 *
 * Each subscriber timestamps its first and its last data message; the tool
 * prints the aggregate delivered rate, i.e. all data messages received by
 * all subscribers divided by (latest last - earliest first), and the share
 * of the messages sent that was delivered.
 *
 * <bind-to> may use a wildcard port (tcp://127.0.0.1:*).  With an inproc://
 * endpoint all subscribers share the publisher's context. */

#include "perf_common.h"

#include <pthread.h>
#include <unistd.h>
#include <stdatomic.h>

/* Internal time limits, shorter than the bench driver's 30 s per run, so a
 * stuck run explains itself instead of being killed silently. */
#define SYNC_TIMEOUT_US 10000000u  /* subscribers must join within 10 s */
#define DRAIN_TIMEOUT_US 20000000u /* and finish within 20 s of the data */
#define SUB_SILENCE_MS 10000       /* a subscriber gives up after 10 s */

struct subscriber
{
    pthread_t thread;
    void *ctx;
    int own_ctx;
    long received;
    atomic_long progress; /* copy of received, for diagnostics */
    atomic_int state;     /* 0 joining, 1 ready, 2 done */
    uint64_t first_us;
    uint64_t last_us;
    int failed;
};

static char endpoint[1024];
static long message_size;
static long message_count;
static int hwm;
static atomic_int ready_count;
static atomic_int done_count;

static void *subscriber_main (void *arg)
{
    struct subscriber *sub = (struct subscriber *) arg;
    void *s;
    zmq_msg_t msg;
    int ready = 0;
    int timeout_ms = SUB_SILENCE_MS;
    int linger = 0;

    s = zmq_socket (sub->ctx, ZMQ_SUB);
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_setsockopt (s, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0)
        perf_fail ("zmq_setsockopt (ZMQ_RCVHWM)");
    if (zmq_setsockopt (s, ZMQ_SUBSCRIBE, "", 0) != 0)
        perf_fail ("zmq_setsockopt (ZMQ_SUBSCRIBE)");
    /* A subscriber never waits forever: if the publisher stops feeding it
     * for this long, something is broken. */
    if (zmq_setsockopt (s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms)
        != 0)
        perf_fail ("zmq_setsockopt (ZMQ_RCVTIMEO)");
    if (zmq_connect (s, endpoint) != 0)
        perf_fail ("zmq_connect");
    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");

    for (;;) {
        const char *data;
        size_t size;
        if (zmq_msg_recv (&msg, s, 0) < 0) {
            fprintf (stderr, "perf: subscriber: zmq_msg_recv: %s\n",
                     zmq_strerror (zmq_errno ()));
            sub->failed = 1;
            break;
        }
        size = zmq_msg_size (&msg);
        data = (const char *) zmq_msg_data (&msg);
        if (size == 0) {
            sub->failed = 1;
            break;
        }
        if (data[0] == 'D') {
            if ((long) size != message_size) {
                fprintf (stderr, "perf: subscriber: message of incorrect "
                                 "size received\n");
                sub->failed = 1;
                break;
            }
            /* The clock is read for the first message, every 256th and the
             * last one sent, not for every message: a clock_gettime per
             * message was a tenth of a pinned run's CPU, the same for
             * either library, which only diluted the comparison. Without
             * drops (hwm 0) the last one is exact; with drops the end is
             * known to within 256 messages. */
            if (sub->received == 0 || (sub->received & 255) == 255
                || sub->received + 1 == message_count) {
                uint64_t now = perf_now_us ();
                if (sub->received == 0)
                    sub->first_us = now;
                sub->last_us = now;
            }
            sub->received++;
            atomic_store_explicit (&sub->progress, sub->received,
                                   memory_order_relaxed);
        } else if (data[0] == 'P') {
            if (!ready) {
                ready = 1;
                atomic_store (&sub->state, 1);
                atomic_fetch_add (&ready_count, 1);
            }
        } else if (data[0] == 'E') {
            break;
        }
    }
    atomic_store (&sub->state, 2);
    atomic_fetch_add (&done_count, 1);

    zmq_msg_close (&msg);
    /* Measurement is over: nothing left to deliver, don't linger. */
    zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    return NULL;
}

/* Say where every subscriber is, then fail. */
__attribute__ ((noreturn)) static void
fail_with_state (const char *what, struct subscriber *subs, long n_subs,
                 long count)
{
    static const char *const states[] = {"joining", "ready", "done"};
    long i;
    for (i = 0; i < n_subs; i++)
        printf ("subscriber %ld: %s, %ld of %ld data messages\n", i,
                states[atomic_load (&subs[i].state)],
                atomic_load (&subs[i].progress), count);
    perf_fail_msg (what);
}

static void send_marker (void *pub, char tag)
{
    /* PUB never blocks; a marker dropped at the high-water mark is simply
     * sent again a millisecond later. */
    zmq_send (pub, &tag, 1, ZMQ_DONTWAIT);
}

int main (int argc, char *argv[])
{
    void *ctx, *pub;
    long n_subs, count, i, total = 0;
    struct subscriber *subs;
    size_t len = sizeof endpoint;
    uint64_t deadline, first = UINT64_MAX, last = 0, pub_start, pub_elapsed;
    double msgs_per_sec, megabits, delivered;
    zmq_msg_t msg;
    int inproc, rc, failed = 0;

    if (argc != 5 && argc != 6) {
        printf ("usage: pubsub_thr <bind-to> <subscriber-count> "
                "<message-size> <message-count> [<hwm>]\n");
        return 1;
    }
    n_subs = perf_parse_count (argv[2], "subscriber count", 1);
    message_size = perf_parse_count (argv[3], "message size", 1);
    count = perf_parse_count (argv[4], "message count", 1);
    message_count = count;
    hwm = argc == 6 ? (int) perf_parse_count (argv[5], "hwm", 0) : 0;
    inproc = strncmp (argv[1], "inproc://", 9) == 0;
    perf_report_library ();

    ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    pub = zmq_socket (ctx, ZMQ_PUB);
    if (!pub)
        perf_fail ("zmq_socket");
    if (zmq_setsockopt (pub, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0)
        perf_fail ("zmq_setsockopt (ZMQ_SNDHWM)");
    if (zmq_bind (pub, argv[1]) != 0)
        perf_fail ("zmq_bind");
    perf_report_endpoint (pub);
    if (zmq_getsockopt (pub, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0)
        perf_fail ("zmq_getsockopt (ZMQ_LAST_ENDPOINT)");

    subs = (struct subscriber *) calloc ((size_t) n_subs, sizeof *subs);
    if (!subs)
        perf_fail_msg ("out of memory");
    for (i = 0; i < n_subs; i++) {
        subs[i].own_ctx = !inproc;
        subs[i].ctx = inproc ? ctx : zmq_ctx_new ();
        if (!subs[i].ctx)
            perf_fail ("zmq_ctx_new");
        rc = pthread_create (&subs[i].thread, NULL, subscriber_main, &subs[i]);
        if (rc != 0) {
            printf ("error in pthread_create: %s\n", strerror (rc));
            return 1;
        }
    }

    /* Probe until every subscription has reached us. */
    deadline = perf_now_us () + SYNC_TIMEOUT_US;
    while (atomic_load (&ready_count) < n_subs) {
        if (perf_now_us () > deadline)
            fail_with_state ("subscribers did not join within 10 s", subs,
                             n_subs, count);
        send_marker (pub, 'P');
        usleep (1000);
    }

    pub_start = perf_now_us ();
    for (i = 0; i < count; i++) {
        if (zmq_msg_init_size (&msg, (size_t) message_size) != 0)
            perf_fail ("zmq_msg_init_size");
        *(char *) zmq_msg_data (&msg) = 'D';
        if (zmq_msg_send (&msg, pub, 0) < 0)
            perf_fail ("zmq_msg_send");
    }
    pub_elapsed = perf_now_us () - pub_start;

    deadline = perf_now_us () + DRAIN_TIMEOUT_US;
    while (atomic_load (&done_count) < n_subs) {
        if (perf_now_us () > deadline)
            fail_with_state ("subscribers did not finish within 20 s", subs,
                             n_subs, count);
        send_marker (pub, 'E');
        usleep (1000);
    }

    for (i = 0; i < n_subs; i++) {
        rc = pthread_join (subs[i].thread, NULL);
        if (rc != 0) {
            printf ("error in pthread_join: %s\n", strerror (rc));
            return 1;
        }
        if (subs[i].failed)
            failed = 1;
        total += subs[i].received;
        if (subs[i].received > 0) {
            if (subs[i].first_us < first)
                first = subs[i].first_us;
            if (subs[i].last_us > last)
                last = subs[i].last_us;
        }
    }
    if (failed)
        fail_with_state ("a subscriber failed", subs, n_subs, count);
    if (total == 0)
        perf_fail_msg ("no data message was delivered");

    msgs_per_sec = (double) total * 1000000.0
                   / (double) (last > first ? last - first : 1);
    megabits = msgs_per_sec * (double) message_size * 8.0 / 1000000.0;
    delivered = 100.0 * (double) total / ((double) count * (double) n_subs);

    printf ("message size: %d [B]\n", (int) message_size);
    printf ("message count: %d\n", (int) count);
    printf ("subscribers: %d\n", (int) n_subs);
    printf ("high-water mark: %d%s\n", hwm, hwm ? "" : " (unlimited)");
    printf ("messages delivered: %ld of %ld (%.2f %%)\n", total,
            count * n_subs, delivered);
    printf ("publisher send rate: %d [msg/s]\n",
            (int) ((double) count * 1000000.0
                   / (double) (pub_elapsed ? pub_elapsed : 1)));
    printf ("mean throughput: %d [msg/s]\n", (int) msgs_per_sec);
    printf ("mean throughput: %.3f [Mb/s]\n", megabits);
    fflush (stdout);

    rc = 0;
    zmq_setsockopt (pub, ZMQ_LINGER, &rc, sizeof rc);
    if (zmq_close (pub) != 0)
        perf_fail ("zmq_close");
    for (i = 0; i < n_subs; i++)
        if (subs[i].own_ctx && zmq_ctx_term (subs[i].ctx) != 0)
            perf_fail ("zmq_ctx_term");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    free (subs);
    return 0;
}
