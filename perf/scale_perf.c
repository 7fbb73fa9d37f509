/* scale_perf MODE [args...]: the workloads of many peers, many topics,
 * connection setup and memory, in one process with two contexts (a server
 * context and a client context, each with its own I/O thread, as separate
 * processes would have). Every mode prints exactly one result line on
 * stdout, "result: VALUE [UNIT]", and diagnostics on stderr.
 *
 *   router-dealers N ROUNDS   one ROUTER, N DEALERs over tcp; each round
 *                             every DEALER sends one request and gets the
 *                             ROUTER's echo: round trips per second
 *   push-pulls N COUNT        one PUSH fanning 64 B messages round-robin
 *                             to N PULLs: messages per second received
 *   topics-sub SUBS TOPICS    SUBS SUBs subscribe TOPICS distinct topics
 *                             between them (TOPICS/SUBS each) to one PUB:
 *                             subscriptions per second until all are in
 *   topics-unsub SUBS TOPICS  then they unsubscribe them all:
 *                             unsubscriptions per second until all are in
 *   topics-pub SUBS TOPICS COUNT  then COUNT 64 B messages cycling over
 *                             the topics, each for one subscriber:
 *                             messages per second received
 *   connect-rate tcp|ipc N    N times: a DEALER connects, sends one
 *                             message, the ROUTER receives it, the DEALER
 *                             closes: connections per second
 *   first-message tcp|ipc N   the same, timed from zmq_connect to the
 *                             message's arrival: average microseconds
 *   idle-conns N              N DEALERs connected and handshaken to one
 *                             ROUTER, then idle: peak RSS in KiB
 *   backlog SIZE              a PUSH sends SIZE-byte messages to a PULL
 *                             that never reads, until the high-water marks
 *                             (1000 each) stop it: peak RSS in KiB
 */

#include "perf_common.h"

#include <sys/resource.h>
#include <unistd.h>

static void *server_ctx, *client_ctx;

static void *new_socket (void *ctx, int type)
{
    void *s = zmq_socket (ctx, type);
    int zero = 0;
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_setsockopt (s, ZMQ_LINGER, &zero, sizeof zero) != 0)
        perf_fail ("zmq_setsockopt(ZMQ_LINGER)");
    return s;
}

static void set_int (void *s, int option, int value, const char *what)
{
    if (zmq_setsockopt (s, option, &value, sizeof value) != 0)
        perf_fail (what);
}

/* Binds `s` to a fresh local endpoint of `transport`; the endpoint. */
static void bind_local (void *s, const char *transport, char *ep, size_t cap)
{
    char want[128];
    size_t len = cap;
    if (strcmp (transport, "ipc") == 0)
        snprintf (want, sizeof want, "ipc:///tmp/scale-perf-%d.ipc",
                  (int) getpid ());
    else
        snprintf (want, sizeof want, "tcp://127.0.0.1:*");
    if (zmq_bind (s, want) != 0)
        perf_fail ("zmq_bind");
    if (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len) != 0)
        perf_fail ("zmq_getsockopt(ZMQ_LAST_ENDPOINT)");
}

static void send_bytes (void *s, const void *data, size_t size, int flags)
{
    if (zmq_send (s, data, size, flags) < 0)
        perf_fail ("zmq_send");
}

static int recv_msg (void *s, zmq_msg_t *m)
{
    int n = zmq_msg_recv (m, s, 0);
    if (n < 0)
        perf_fail ("zmq_msg_recv");
    return n;
}

static void result (double value, const char *unit)
{
    printf ("result: %.3f [%s]\n", value, unit);
    fflush (stdout);
}

static long peak_rss_kib (void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen ("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets (line, sizeof line, f))
        if (sscanf (line, "VmHWM: %ld kB", &kib) == 1)
            break;
    fclose (f);
    return kib;
}

/* N DEALERs connected to `router`, each having sent "hi" and the ROUTER
 * having received all N (every connection handshaken). */
static void **connect_dealers (void *router, const char *ep, long n)
{
    void **dealers = calloc ((size_t) n, sizeof *dealers);
    zmq_msg_t m;
    long i;
    if (!dealers)
        perf_fail_msg ("out of memory");
    for (i = 0; i < n; i++) {
        dealers[i] = new_socket (client_ctx, ZMQ_DEALER);
        if (zmq_connect (dealers[i], ep) != 0)
            perf_fail ("zmq_connect");
        send_bytes (dealers[i], "hi", 2, 0);
    }
    zmq_msg_init (&m);
    for (i = 0; i < 2 * n; i++)
        recv_msg (router, &m); /* routing id, then "hi" */
    zmq_msg_close (&m);
    return dealers;
}

static void router_dealers (long n, long rounds)
{
    void *router = new_socket (server_ctx, ZMQ_ROUTER);
    char ep[256];
    zmq_msg_t id, body;
    long r, i;
    uint64_t start;
    bind_local (router, "tcp", ep, sizeof ep);
    void **dealers = connect_dealers (router, ep, n);
    zmq_msg_init (&id);
    zmq_msg_init (&body);
    start = perf_now_us ();
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < n; i++)
            send_bytes (dealers[i], "request", 7, 0);
        for (i = 0; i < n; i++) {
            recv_msg (router, &id);
            recv_msg (router, &body);
            if (zmq_msg_send (&id, router, ZMQ_SNDMORE) < 0
                || zmq_msg_send (&body, router, 0) < 0)
                perf_fail ("zmq_msg_send");
        }
        for (i = 0; i < n; i++)
            recv_msg (dealers[i], &body);
    }
    double secs = (double) (perf_now_us () - start) / 1e6;
    result ((double) (n * rounds) / secs, "roundtrips/s");
    zmq_msg_close (&id);
    zmq_msg_close (&body);
    for (i = 0; i < n; i++)
        zmq_close (dealers[i]);
    free (dealers);
    zmq_close (router);
}

/* Receives `count` messages from any of `socks` (n of them). */
static void drain (void **socks, long n, long count)
{
    zmq_pollitem_t *items = calloc ((size_t) n, sizeof *items);
    zmq_msg_t m;
    long got = 0, i;
    if (!items)
        perf_fail_msg ("out of memory");
    for (i = 0; i < n; i++) {
        items[i].socket = socks[i];
        items[i].events = ZMQ_POLLIN;
    }
    zmq_msg_init (&m);
    while (got < count) {
        if (zmq_poll (items, (int) n, 10000) <= 0)
            perf_fail ("zmq_poll (nothing for 10 s)");
        for (i = 0; i < n; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            while (got < count && zmq_msg_recv (&m, socks[i], ZMQ_DONTWAIT) >= 0)
                got++;
        }
    }
    zmq_msg_close (&m);
    free (items);
}

static void push_pulls (long n, long count)
{
    void *push = new_socket (server_ctx, ZMQ_PUSH);
    void **pulls = calloc ((size_t) n, sizeof *pulls);
    char ep[256], payload[64];
    long i;
    if (!pulls)
        perf_fail_msg ("out of memory");
    memset (payload, 'p', sizeof payload);
    bind_local (push, "tcp", ep, sizeof ep);
    for (i = 0; i < n; i++) {
        pulls[i] = new_socket (client_ctx, ZMQ_PULL);
        if (zmq_connect (pulls[i], ep) != 0)
            perf_fail ("zmq_connect");
    }
    /* One message to each PULL first: round-robin reaches all only once
     * all are connected, so wait for n to arrive. */
    for (i = 0; i < n; i++)
        send_bytes (push, payload, sizeof payload, 0);
    drain (pulls, n, n);
    uint64_t start = perf_now_us ();
    for (i = 0; i < count; i++)
        send_bytes (push, payload, sizeof payload, 0);
    drain (pulls, n, count);
    double secs = (double) (perf_now_us () - start) / 1e6;
    result ((double) count / secs, "msg/s");
    for (i = 0; i < n; i++)
        zmq_close (pulls[i]);
    free (pulls);
    zmq_close (push);
}

static void topic_name (char *buf, size_t cap, long t)
{
    snprintf (buf, cap, "topic-%06ld", t);
}

/* Steps a message that starts with topic_name (t) to topic t + 1 (0 after
 * `topics` - 1): the six digits counted up in place. An snprintf per
 * message was a tenth of a pinned run's CPU, the tool's own work and the
 * same for both libraries, which pulled the ratio towards 1. */
static void next_topic (char *buf, long *t, long topics)
{
    int k;
    if (++*t == topics) {
        *t = 0;
        memcpy (buf + 6, "000000", 6);
        return;
    }
    for (k = 11; k >= 6 && buf[k] == '9'; k--)
        buf[k] = '0';
    if (k >= 6)
        buf[k]++;
}

/* Every SUB subscribes to `topic` (a sync topic), and the PUB sends it
 * until each SUB has one: (un)subscriptions travel in order, so then every
 * one a SUB made before has reached the PUB. */
static void await_topic (void *pub, void **socks, long subs,
                         const char *topic)
{
    size_t len = strlen (topic);
    long i, left = subs;
    int *synced = calloc ((size_t) subs, sizeof *synced);
    zmq_msg_t m;
    if (!synced)
        perf_fail_msg ("out of memory");
    for (i = 0; i < subs; i++)
        if (zmq_setsockopt (socks[i], ZMQ_SUBSCRIBE, topic, len) != 0)
            perf_fail ("zmq_setsockopt(ZMQ_SUBSCRIBE)");
    zmq_msg_init (&m);
    uint64_t give_up = perf_now_us () + 30000000u;
    while (left > 0) {
        send_bytes (pub, topic, len, 0);
        for (i = 0; i < subs; i++) {
            while (zmq_msg_recv (&m, socks[i], ZMQ_DONTWAIT) >= 0)
                if (!synced[i]) {
                    synced[i] = 1;
                    left--;
                }
        }
        if (perf_now_us () > give_up)
            perf_fail_msg ("subscriptions did not arrive within 30 s");
        if (left > 0)
            usleep (20);
    }
    zmq_msg_close (&m);
    free (synced);
}

static void drop_topic (void **socks, long subs, const char *topic);

/* Topics 0 .. TOPICS-1, round robin over the SUBs: `option` is
 * ZMQ_SUBSCRIBE or ZMQ_UNSUBSCRIBE. */
static void set_topics (void **socks, long subs, long topics, int option)
{
    char name[64];
    long t;
    for (t = 0; t < topics; t++) {
        topic_name (name, sizeof name, t);
        if (zmq_setsockopt (socks[t % subs], option, name, strlen (name))
            != 0)
            perf_fail ("zmq_setsockopt(ZMQ_(UN)SUBSCRIBE)");
    }
}


/* SUBS SUBs with TOPICS topics between them; returns when every
 * subscription has reached the PUB (a "sync" topic, subscribed last by
 * each SUB, comes back to all of them). The subscribe rate is reported
 * when `report`. */
static void **subscribe_all (void *pub, const char *ep, long subs,
                             long topics, int report)
{
    void **socks = calloc ((size_t) subs, sizeof *socks);
    long i;
    if (!socks)
        perf_fail_msg ("out of memory");
    uint64_t start = perf_now_us ();
    for (i = 0; i < subs; i++) {
        socks[i] = new_socket (client_ctx, ZMQ_SUB);
        set_int (socks[i], ZMQ_RCVHWM, 0, "zmq_setsockopt(ZMQ_RCVHWM)");
        /* Subscriptions queue like messages: libzmq drops those past the
         * send mark of a pipe whose connection is not up yet. */
        set_int (socks[i], ZMQ_SNDHWM, 0, "zmq_setsockopt(ZMQ_SNDHWM)");
        if (zmq_connect (socks[i], ep) != 0)
            perf_fail ("zmq_connect");
    }
    set_topics (socks, subs, topics, ZMQ_SUBSCRIBE);
    await_topic (pub, socks, subs, "sync");
    double secs = (double) (perf_now_us () - start) / 1e6;
    if (report)
        result ((double) topics / secs, "subscriptions/s");
    drop_topic (socks, subs, "sync");
    return socks;
}

/* Every SUB stops taking `topic` (a sync topic) and drops what it got:
 * late syncs must not count as data. */
static void drop_topic (void **socks, long subs, const char *topic)
{
    zmq_msg_t m;
    long i;
    zmq_msg_init (&m);
    for (i = 0; i < subs; i++) {
        if (zmq_setsockopt (socks[i], ZMQ_UNSUBSCRIBE, topic, strlen (topic))
            != 0)
            perf_fail ("zmq_setsockopt(ZMQ_UNSUBSCRIBE)");
        while (zmq_msg_recv (&m, socks[i], ZMQ_DONTWAIT) >= 0) {
        }
    }
    zmq_msg_close (&m);
}

/* publish: 0 reports the subscribe rate, 1 the publish rate (COUNT
 * messages), 2 the unsubscribe rate. */
static void topics_mode (long subs, long topics, long count, int publish)
{
    void *pub = new_socket (server_ctx, ZMQ_PUB);
    char ep[256], buf[64];
    long i;
    set_int (pub, ZMQ_SNDHWM, 0, "zmq_setsockopt(ZMQ_SNDHWM)");
    bind_local (pub, "tcp", ep, sizeof ep);
    void **socks = subscribe_all (pub, ep, subs, topics, publish == 0);
    if (publish == 2) {
        uint64_t start = perf_now_us ();
        set_topics (socks, subs, topics, ZMQ_UNSUBSCRIBE);
        await_topic (pub, socks, subs, "done");
        double secs = (double) (perf_now_us () - start) / 1e6;
        result ((double) topics / secs, "unsubscriptions/s");
        drop_topic (socks, subs, "done");
    }
    if (publish == 1) {
        long t = 0;
        if (topics > 1000000)
            perf_fail_msg ("topics-pub: at most 1000000 topics (six digits)");
        memset (buf, '.', sizeof buf);
        topic_name (buf, sizeof buf, 0);
        buf[strlen (buf)] = '.';
        uint64_t start = perf_now_us ();
        for (i = 0; i < count; i++) {
            send_bytes (pub, buf, sizeof buf, 0);
            next_topic (buf, &t, topics);
        }
        drain (socks, subs, count);
        double secs = (double) (perf_now_us () - start) / 1e6;
        result ((double) count / secs, "msg/s");
    }
    for (i = 0; i < subs; i++)
        zmq_close (socks[i]);
    free (socks);
    zmq_close (pub);
}

static void connect_mode (const char *transport, long n, int first_message)
{
    void *router = new_socket (server_ctx, ZMQ_ROUTER);
    char ep[256];
    zmq_msg_t m;
    long i;
    uint64_t total = 0;
    bind_local (router, transport, ep, sizeof ep);
    zmq_msg_init (&m);
    uint64_t start = perf_now_us ();
    for (i = 0; i < n; i++) {
        void *d = new_socket (client_ctx, ZMQ_DEALER);
        uint64_t t0 = perf_now_us ();
        if (zmq_connect (d, ep) != 0)
            perf_fail ("zmq_connect");
        send_bytes (d, "hello", 5, 0);
        recv_msg (router, &m);
        recv_msg (router, &m);
        total += perf_now_us () - t0;
        zmq_close (d);
    }
    double secs = (double) (perf_now_us () - start) / 1e6;
    if (first_message)
        result ((double) total / (double) n, "us");
    else
        result ((double) n / secs, "connections/s");
    zmq_msg_close (&m);
    zmq_close (router);
}

static void idle_conns (long n)
{
    void *router = new_socket (server_ctx, ZMQ_ROUTER);
    char ep[256];
    long i;
    bind_local (router, "tcp", ep, sizeof ep);
    void **dealers = connect_dealers (router, ep, n);
    result ((double) peak_rss_kib (), "KiB");
    for (i = 0; i < n; i++)
        zmq_close (dealers[i]);
    free (dealers);
    zmq_close (router);
}

static void backlog (long size)
{
    void *pull = new_socket (server_ctx, ZMQ_PULL);
    void *push = new_socket (client_ctx, ZMQ_PUSH);
    char ep[256];
    zmq_msg_t m;
    long sent = 0;
    bind_local (pull, "tcp", ep, sizeof ep);
    if (zmq_connect (push, ep) != 0)
        perf_fail ("zmq_connect");
    /* Blocking sends until one has waited 2 s: the marks are full. */
    set_int (push, ZMQ_SNDTIMEO, 2000, "zmq_setsockopt(ZMQ_SNDTIMEO)");
    for (;;) {
        if (zmq_msg_init_size (&m, (size_t) size) != 0)
            perf_fail ("zmq_msg_init_size");
        memset (zmq_msg_data (&m), 'b', (size_t) size);
        if (zmq_msg_send (&m, push, 0) < 0) {
            if (zmq_errno () != EAGAIN)
                perf_fail ("zmq_msg_send");
            zmq_msg_close (&m);
            break;
        }
        sent++;
    }
    fprintf (stderr, "scale_perf: %ld messages of %ld B queued\n", sent, size);
    result ((double) peak_rss_kib (), "KiB");
    zmq_close (push);
    zmq_close (pull);
}

static void usage (void)
{
    perf_fail_msg (
      "usage: scale_perf router-dealers N ROUNDS | push-pulls N COUNT |\n"
      "       topics-sub SUBS TOPICS | topics-unsub SUBS TOPICS |\n"
      "       topics-pub SUBS TOPICS COUNT |\n"
      "       connect-rate tcp|ipc N | first-message tcp|ipc N |\n"
      "       idle-conns N | backlog SIZE");
}

int main (int argc, char *argv[])
{
    struct rlimit rl;
    int max_sockets = 8192;
    perf_report_library ();
    /* A thousand connections in one process: two fds each, and more. */
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit (RLIMIT_NOFILE, &rl);
    }
    server_ctx = zmq_ctx_new ();
    client_ctx = zmq_ctx_new ();
    if (!server_ctx || !client_ctx)
        perf_fail ("zmq_ctx_new");
    if (zmq_ctx_set (client_ctx, ZMQ_MAX_SOCKETS, max_sockets) != 0
        || zmq_ctx_set (server_ctx, ZMQ_MAX_SOCKETS, max_sockets) != 0)
        perf_fail ("zmq_ctx_set(ZMQ_MAX_SOCKETS)");
    if (argc < 3)
        usage ();
    const char *mode = argv[1];
    if (strcmp (mode, "router-dealers") == 0 && argc == 4)
        router_dealers (perf_parse_count (argv[2], "N", 1),
                        perf_parse_count (argv[3], "ROUNDS", 1));
    else if (strcmp (mode, "push-pulls") == 0 && argc == 4)
        push_pulls (perf_parse_count (argv[2], "N", 1),
                    perf_parse_count (argv[3], "COUNT", 1));
    else if (strcmp (mode, "topics-sub") == 0 && argc == 4)
        topics_mode (perf_parse_count (argv[2], "SUBS", 1),
                     perf_parse_count (argv[3], "TOPICS", 1), 0, 0);
    else if (strcmp (mode, "topics-unsub") == 0 && argc == 4)
        topics_mode (perf_parse_count (argv[2], "SUBS", 1),
                     perf_parse_count (argv[3], "TOPICS", 1), 0, 2);
    else if (strcmp (mode, "topics-pub") == 0 && argc == 5)
        topics_mode (perf_parse_count (argv[2], "SUBS", 1),
                     perf_parse_count (argv[3], "TOPICS", 1),
                     perf_parse_count (argv[4], "COUNT", 1), 1);
    else if ((strcmp (mode, "connect-rate") == 0
              || strcmp (mode, "first-message") == 0)
             && argc == 4)
        connect_mode (argv[2], perf_parse_count (argv[3], "N", 1),
                      strcmp (mode, "first-message") == 0);
    else if (strcmp (mode, "idle-conns") == 0 && argc == 3)
        idle_conns (perf_parse_count (argv[2], "N", 1));
    else if (strcmp (mode, "backlog") == 0 && argc == 3)
        backlog (perf_parse_count (argv[2], "SIZE", 1));
    else
        usage ();
    zmq_ctx_term (client_ctx);
    zmq_ctx_term (server_ctx);
    return 0;
}
