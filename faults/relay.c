/* relay: a userspace TCP relay that injects faults netem would otherwise
 * inject (this machine's kernel has no sch_netem).
 *
 *   relay <listen_port|0> <target_port>
 *
 * Listens on 127.0.0.1, connects each accepted client to 127.0.0.1:target
 * and copies bytes both ways.  Prints the listening port as the only line on
 * stdout, then reads commands, one per line, from stdin:
 *
 *   stall        stop forwarding (and stop reading) on every connection,
 *                existing and new, without closing anything: a half-open
 *                path, as a dead router or a pulled cable looks to TCP
 *   go           forward again (what was held is delivered, in order)
 *   delay <ms>   hold each chunk for <ms> before forwarding it
 *   cut          close every connection at once with RST (SO_LINGER 0)
 *
 * EOF on stdin (the driver died) ends the relay.  Bytes are never dropped,
 * duplicated or reordered: TCP would hide that anyway; what an application
 * can see is stalls, delay and resets, and those are what this produces.
 * Single-threaded poll(2) loop; every buffer bounded (a full buffer stops
 * reading that side, which is TCP's own backpressure). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS 32
#define CHUNK 16384
#define MAX_QUEUED (1 << 20) /* per direction */

struct chunk {
    struct chunk *next;
    long long release_ms;
    size_t len, off;
    char data[];
};

/* One direction of one relayed connection: bytes read from `from` wait in
 * the queue until their release time, then go to `to`. */
struct dir {
    int from, to;
    struct chunk *head, *tail;
    size_t queued;
    int eof; /* `from` reached EOF: shut down `to` once the queue drains */
};

struct pair {
    int used;
    struct dir d[2];
};

static struct pair pairs[MAX_PAIRS];
static int stalled;
static long long delay_ms;

static long long now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_pair (struct pair *p, int reset)
{
    int fds[2] = {p->d[0].from, p->d[0].to};
    for (int i = 0; i < 2; i++) {
        if (reset) {
            struct linger l = {1, 0};
            setsockopt (fds[i], SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
        close (fds[i]);
        struct chunk *c = p->d[i].head;
        while (c) {
            struct chunk *n = c->next;
            free (c);
            c = n;
        }
    }
    memset (p, 0, sizeof *p);
}

static int connect_target (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons (port)};
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &a, sizeof a) != 0) {
        close (fd);
        return -1;
    }
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void command (char *line)
{
    line[strcspn (line, "\r\n")] = 0;
    if (strcmp (line, "stall") == 0)
        stalled = 1;
    else if (strcmp (line, "go") == 0)
        stalled = 0;
    else if (strncmp (line, "delay ", 6) == 0)
        delay_ms = atoll (line + 6);
    else if (strcmp (line, "cut") == 0) {
        for (int i = 0; i < MAX_PAIRS; i++)
            if (pairs[i].used)
                close_pair (&pairs[i], 1);
    } else if (line[0])
        fprintf (stderr, "relay: unknown command '%s'\n", line);
}

int main (int argc, char **argv)
{
    if (argc != 3) {
        fprintf (stderr, "usage: relay <listen_port|0> <target_port>\n");
        return 2;
    }
    signal (SIGPIPE, SIG_IGN);
    const int target = atoi (argv[2]);
    int lfd = socket (AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons (atoi (argv[1]))};
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (bind (lfd, (struct sockaddr *) &a, sizeof a) != 0 || listen (lfd, 16) != 0
        || getsockname (lfd, (struct sockaddr *) &a, &alen) != 0) {
        perror ("relay: listen");
        return 2;
    }
    printf ("%d\n", ntohs (a.sin_port));
    fflush (stdout);

    char cmd[256];
    size_t cmd_len = 0;
    for (;;) {
        struct pollfd pfd[2 + MAX_PAIRS * 2];
        struct dir *owner[2 + MAX_PAIRS * 2];
        int n = 0;
        pfd[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
        long long now = now_ms (), next_release = -1;
        for (int i = 0; i < MAX_PAIRS; i++) {
            if (!pairs[i].used)
                continue;
            for (int k = 0; k < 2; k++) {
                struct dir *d = &pairs[i].d[k];
                short ev = 0;
                if (!stalled && !d->eof && d->queued < MAX_QUEUED)
                    ev |= POLLIN;
                if (!stalled && d->head) {
                    if (d->head->release_ms <= now)
                        ev |= POLLOUT;
                    else if (next_release < 0 || d->head->release_ms < next_release)
                        next_release = d->head->release_ms;
                }
                /* Reading and writing are on different fds: poll `from`
                 * for input and `to` for output as two entries. */
                if (ev & POLLIN) {
                    owner[n] = d;
                    pfd[n++] = (struct pollfd){.fd = d->from, .events = POLLIN};
                }
                if (ev & POLLOUT) {
                    owner[n] = d;
                    pfd[n++] = (struct pollfd){.fd = d->to, .events = POLLOUT};
                }
            }
        }
        int timeout = next_release < 0 ? -1 : (int) (next_release - now);
        if (timeout < 0 && next_release >= 0)
            timeout = 0;
        if (poll (pfd, n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            perror ("relay: poll");
            return 2;
        }
        if (pfd[0].revents) {
            ssize_t r = read (0, cmd + cmd_len, sizeof cmd - 1 - cmd_len);
            if (r <= 0)
                return 0;
            cmd_len += (size_t) r;
            cmd[cmd_len] = 0;
            char *nl;
            while ((nl = strchr (cmd, '\n'))) {
                *nl = 0;
                command (cmd);
                memmove (cmd, nl + 1, cmd_len - (size_t) (nl + 1 - cmd) + 1);
                cmd_len -= (size_t) (nl + 1 - cmd);
            }
            if (cmd_len == sizeof cmd - 1)
                cmd_len = 0; /* an overlong line: drop it */
            continue;        /* `cut` may have closed polled fds */
        }
        if (pfd[1].revents & POLLIN) {
            int c = accept (lfd, NULL, NULL);
            if (c >= 0) {
                int slot = -1;
                for (int i = 0; i < MAX_PAIRS && slot < 0; i++)
                    if (!pairs[i].used)
                        slot = i;
                int t = slot < 0 ? -1 : connect_target (target);
                if (t < 0)
                    close (c);
                else {
                    setsockopt (c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    pairs[slot].used = 1;
                    pairs[slot].d[0] = (struct dir){.from = c, .to = t};
                    pairs[slot].d[1] = (struct dir){.from = t, .to = c};
                }
            }
        }
        for (int j = 2; j < n; j++) {
            if (!pfd[j].revents)
                continue;
            struct dir *d = owner[j];
            if (pfd[j].events & POLLIN) {
                struct chunk *c = malloc (sizeof *c + CHUNK);
                if (!c)
                    continue;
                ssize_t r = read (d->from, c->data, CHUNK);
                if (r <= 0) {
                    free (c);
                    if (r == 0 || (errno != EAGAIN && errno != EINTR))
                        d->eof = 1;
                    continue;
                }
                *c = (struct chunk){.release_ms = now_ms () + delay_ms, .len = (size_t) r};
                if (d->tail)
                    d->tail->next = c;
                else
                    d->head = c;
                d->tail = c;
                d->queued += (size_t) r;
            } else {
                struct chunk *c = d->head;
                ssize_t w = write (d->to, c->data + c->off, c->len - c->off);
                if (w < 0) {
                    if (errno != EAGAIN && errno != EINTR) {
                        /* `to` is gone: what is queued for it never will be. */
                        while (d->head) {
                            struct chunk *next = d->head->next;
                            free (d->head);
                            d->head = next;
                        }
                        d->tail = NULL;
                        d->queued = 0;
                        d->eof = 1;
                    }
                    continue;
                }
                c->off += (size_t) w;
                d->queued -= (size_t) w;
                if (c->off == c->len) {
                    d->head = c->next;
                    if (!d->head)
                        d->tail = NULL;
                    free (c);
                }
            }
        }
        /* A direction at EOF with nothing left to send: pass the FIN on;
         * both directions done: forget the pair. */
        for (int i = 0; i < MAX_PAIRS; i++) {
            if (!pairs[i].used || stalled)
                continue;
            int done = 0;
            for (int k = 0; k < 2; k++) {
                struct dir *d = &pairs[i].d[k];
                if (d->eof && !d->head) {
                    shutdown (d->to, SHUT_WR);
                    done++;
                }
            }
            if (done == 2)
                close_pair (&pairs[i], 0);
        }
    }
}
