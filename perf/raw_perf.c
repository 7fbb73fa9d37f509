/* raw_perf lat|thr tcp|ipc <message-size> <count>
 * raw_perf thr tcp|ipc <message-size> <count> <buffers>
 * raw_perf lat inproc <message-size> <count>
 *
 * The kernel's own figures, with no messaging library at all: what the
 * lat and thr cases would cost if a library added nothing. Two processes
 * (this one and a forked child, so taskset covers both) joined by one
 * loopback tcp connection (TCP_NODELAY) or one unix stream socket.
 *
 *   lat: the child writes <message-size> bytes, the parent reads them all
 *        and writes them back, <count> times; prints the one-way latency
 *        as remote_lat does: elapsed / (2 * count).
 *   thr: the child writes <count> blocks of <message-size> bytes, one
 *        write() each (a 64 KiB block is one 64 KiB message's worth); the
 *        parent reads with a 256 KiB buffer and, as local_thr does, times
 *        from the first byte to the last. Prints msg/s and Mb/s.
 *        With <buffers>, the child writes from that many distinct
 *        blocks in turn (all written once first): what a sender costs
 *        whose queue holds that many messages (a libzmq-style writer at
 *        its HWM of 1,000), their payloads read from memory rather than
 *        from cache.
 *
 *   lat inproc: two threads of this process hand a <message-size> buffer
 *        back and forth, each waiting on a futex word (the cheapest
 *        blocking hand-off Linux has: what inproc_lat would cost if a
 *        library added nothing).
 *
 * Output lines match the libzmq perf tools' ("average latency: X [us]",
 * "mean throughput: N [msg/s]"), so perf/bench.py parses them alike. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die (const char *what)
{
    printf ("error in %s: %s\n", what, strerror (errno));
    fflush (stdout);
    exit (1);
}

static uint64_t now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* perf_parse_count's rule (perf_common.h), without that header: raw_perf
 * includes no zmq.h and links no libzmq. */
static long parse (const char *text, const char *name, long min)
{
    char *end = NULL;
    long v;
    errno = 0;
    v = strtol (text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > INT_MAX) {
        printf ("invalid %s: %s\n", name, text);
        exit (1);
    }
    return v;
}

static void write_all (int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write (fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die ("write");
        buf += n;
        len -= (size_t) n;
    }
}

static void read_all (int fd, char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = read (fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die ("read");
        buf += n;
        len -= (size_t) n;
    }
}

static void nodelay (int fd, int tcp)
{
    int one = 1;
    if (tcp && setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one))
        die ("setsockopt TCP_NODELAY");
}

/* lat inproc: the turn word says whose move it is (0: the main thread's,
 * 1: the echo thread's); each side sleeps on it until it is its turn. */
static _Atomic int turn;
static long ping_count;
static char *ping_buf, *pong_buf;
static size_t ping_size;

static void futex_wait_for (int mine)
{
    int seen;
    while ((seen = atomic_load (&turn)) != mine)
        syscall (SYS_futex, &turn, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

static void futex_pass (int to)
{
    atomic_store (&turn, to);
    syscall (SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *echo_thread (void *arg)
{
    long i;
    (void) arg;
    for (i = 0; i < ping_count; i++) {
        futex_wait_for (1);
        memcpy (pong_buf, ping_buf, ping_size);
        futex_pass (0);
    }
    return NULL;
}

static int inproc_lat (long size, long count)
{
    pthread_t th;
    long i;
    uint64_t start, elapsed;
    ping_size = (size_t) size;
    ping_count = count;
    ping_buf = malloc (ping_size);
    pong_buf = malloc (ping_size);
    if (!ping_buf || !pong_buf)
        die ("malloc");
    memset (ping_buf, 'R', ping_size);
    if (pthread_create (&th, NULL, echo_thread, NULL))
        die ("pthread_create");
    start = now_us ();
    for (i = 0; i < count; i++) {
        futex_pass (1);
        futex_wait_for (0);
    }
    elapsed = now_us () - start;
    pthread_join (th, NULL);
    printf ("message size: %ld [B]\n", size);
    printf ("roundtrip count: %ld\n", count);
    printf ("average latency: %.3f [us]\n",
            (double) elapsed / ((double) count * 2.0));
    return 0;
}

int main (int argc, char *argv[])
{
    int lat, tcp, listener, fd, status;
    long size, count, i;
    char *buf;
    size_t buflen;
    pid_t child;
    struct sockaddr_in in4;
    struct sockaddr_un un;
    socklen_t len;
    char path[64];

    if (argc == 5 && !strcmp (argv[1], "lat") && !strcmp (argv[2], "inproc"))
        return inproc_lat (parse (argv[3], "message size", 1),
                           parse (argv[4], "count", 1));
    if ((argc != 5 && !(argc == 6 && !strcmp (argv[1], "thr")))
        || (strcmp (argv[1], "lat") && strcmp (argv[1], "thr"))
        || (strcmp (argv[2], "tcp") && strcmp (argv[2], "ipc"))) {
        printf ("usage: raw_perf lat|thr tcp|ipc <message-size> <count>\n"
                "       raw_perf thr tcp|ipc <message-size> <count> "
                "<buffers>\n"
                "       raw_perf lat inproc <message-size> <count>\n");
        return 1;
    }
    long blocks = argc == 6 ? parse (argv[5], "buffers", 1) : 1;
    lat = !strcmp (argv[1], "lat");
    tcp = !strcmp (argv[2], "tcp");
    size = parse (argv[3], "message size", 1);
    count = parse (argv[4], "count", 1);
    buflen = lat ? (size_t) size : (size_t) size > 262144 ? (size_t) size
                                                          : 262144;
    buf = malloc (buflen);
    if (!buf)
        die ("malloc");
    memset (buf, 'R', buflen);

    listener = socket (tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
    if (listener < 0)
        die ("socket");
    if (tcp) {
        memset (&in4, 0, sizeof in4);
        in4.sin_family = AF_INET;
        in4.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        if (bind (listener, (struct sockaddr *) &in4, sizeof in4))
            die ("bind");
        len = sizeof in4;
        if (getsockname (listener, (struct sockaddr *) &in4, &len))
            die ("getsockname");
    } else {
        memset (&un, 0, sizeof un);
        un.sun_family = AF_UNIX;
        snprintf (path, sizeof path, "raw_perf.%d.sock", (int) getpid ());
        strcpy (un.sun_path, path);
        unlink (path);
        if (bind (listener, (struct sockaddr *) &un, sizeof un))
            die ("bind");
    }
    if (listen (listener, 1))
        die ("listen");

    child = fork ();
    if (child < 0)
        die ("fork");
    if (child == 0) {
        close (listener);
        fd = socket (tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0)
            die ("socket");
        if (tcp ? connect (fd, (struct sockaddr *) &in4, sizeof in4)
                : connect (fd, (struct sockaddr *) &un, sizeof un))
            die ("connect");
        nodelay (fd, tcp);
        if (lat) {
            uint64_t start = now_us (), elapsed;
            for (i = 0; i < count; i++) {
                write_all (fd, buf, (size_t) size);
                read_all (fd, buf, (size_t) size);
            }
            elapsed = now_us () - start;
            printf ("message size: %ld [B]\n", size);
            printf ("roundtrip count: %ld\n", count);
            printf ("average latency: %.3f [us]\n",
                    (double) elapsed / ((double) count * 2.0));
        } else if (blocks == 1) {
            for (i = 0; i < count; i++)
                write_all (fd, buf, (size_t) size);
        } else {
            char *many = malloc ((size_t) size * (size_t) blocks);
            if (!many)
                die ("malloc");
            memset (many, 'S', (size_t) size * (size_t) blocks);
            for (i = 0; i < count; i++)
                write_all (fd, many + (size_t) size * (size_t) (i % blocks),
                           (size_t) size);
            free (many);
        }
        fflush (stdout);
        close (fd);
        _exit (0);
    }

    fd = accept (listener, NULL, NULL);
    if (fd < 0)
        die ("accept");
    close (listener);
    if (!tcp)
        unlink (path);
    nodelay (fd, tcp);
    if (lat) {
        for (i = 0; i < count; i++) {
            read_all (fd, buf, (size_t) size);
            write_all (fd, buf, (size_t) size);
        }
    } else {
        uint64_t total = (uint64_t) size * (uint64_t) count, got = 0;
        uint64_t start = 0, elapsed;
        while (got < total) {
            ssize_t n = read (fd, buf, buflen);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                die ("read");
            if (got == 0)
                start = now_us ();
            got += (uint64_t) n;
        }
        elapsed = now_us () - start;
        if (elapsed == 0)
            elapsed = 1;
        printf ("message size: %ld [B]\n", size);
        printf ("message count: %ld\n", count);
        printf ("mean throughput: %d [msg/s]\n",
                (int) ((double) count * 1000000.0 / (double) elapsed));
        printf ("mean throughput: %.3f [Mb/s]\n",
                (double) total * 8.0 / (double) elapsed);
    }
    if (waitpid (child, &status, 0) != child)
        die ("waitpid");
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        printf ("child failed\n");
        return 1;
    }
    close (fd);
    free (buf);
    fflush (stdout);
    return 0;
}
