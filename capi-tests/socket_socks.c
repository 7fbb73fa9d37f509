/* ZMQ_SOCKS_PROXY: a PUSH connects to its PULL through a SOCKS5 proxy (a
 * minimal one in a thread here: no authentication, CONNECT by domain
 * name), and messages flow through the relayed connection. */
#include "testutil.h"
#include "hostile_util.h"

#include <pthread.h>

typedef struct
{
    int listen_fd;
    char requested_host[64];
    int requested_port;
    int ok;
} proxy_t;

static int read_n (int fd, void *buf, size_t n)
{
    return hu_read_exact (fd, buf, n, HU_PROMPT_MS);
}

static void *socks_proxy (void *arg)
{
    proxy_t *p = arg;
    int client = accept (p->listen_fd, NULL, NULL);
    if (client < 0)
        return NULL;
    unsigned char b[300];
    /* Greeting: version 5, one method, "no authentication". */
    if (read_n (client, b, 3) || b[0] != 5 || b[1] != 1 || b[2] != 0)
        goto out;
    if (send (client, "\x05\x00", 2, 0) != 2)
        goto out;
    /* CONNECT request by domain name. */
    if (read_n (client, b, 5) || b[0] != 5 || b[1] != 1 || b[2] != 0 || b[3] != 3)
        goto out;
    const int len = b[4];
    if (read_n (client, b, (size_t) len + 2))
        goto out;
    memcpy (p->requested_host, b, (size_t) len);
    p->requested_host[len] = 0;
    p->requested_port = b[len] << 8 | b[len + 1];
    int server = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset (&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    a.sin_port = htons ((uint16_t) p->requested_port);
    if (connect (server, (struct sockaddr *) &a, sizeof a) != 0)
        goto out;
    const unsigned char ok[10] = {5, 0, 0, 1, 127, 0, 0, 1, 0, 0};
    if (send (client, ok, sizeof ok, 0) != (ssize_t) sizeof ok)
        goto out;
    p->ok = 1;
    /* Relay both ways until either side closes. */
    for (;;) {
        struct pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
        if (poll (fds, 2, 10000) <= 0)
            break;
        int from = (fds[0].revents & (POLLIN | POLLHUP)) ? client : server;
        int to = from == client ? server : client;
        ssize_t n = recv (from, b, sizeof b, 0);
        if (n <= 0 || send (to, b, (size_t) n, 0) != n)
            break;
    }
    close (server);
out:
    close (client);
    return NULL;
}

TEST (push_reaches_pull_through_a_socks5_proxy_by_domain_name)
{
    void *ctx = zmq_ctx_new ();
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    CHECK_ZMQ (zmq_bind (pull, "tcp://127.0.0.1:*"));
    char ep[64];
    size_t len = sizeof ep;
    CHECK_ZMQ (zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, ep, &len));
    const char *port = strrchr (ep, ':') + 1;

    proxy_t p;
    memset (&p, 0, sizeof p);
    p.listen_fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset (&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    CHECK (bind (p.listen_fd, (struct sockaddr *) &a, sizeof a) == 0);
    CHECK (listen (p.listen_fd, 4) == 0);
    socklen_t alen = sizeof a;
    CHECK (getsockname (p.listen_fd, (struct sockaddr *) &a, &alen) == 0);
    char proxy_addr[32];
    snprintf (proxy_addr, sizeof proxy_addr, "127.0.0.1:%d", ntohs (a.sin_port));
    pthread_t t;
    CHECK (pthread_create (&t, NULL, socks_proxy, &p) == 0);

    void *push = zmq_socket (ctx, ZMQ_PUSH);
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_SOCKS_PROXY, proxy_addr, strlen (proxy_addr)));
    char target[64];
    snprintf (target, sizeof target, "tcp://localhost:%s", port);
    CHECK_ZMQ (zmq_connect (push, target));
    CHECK_EQ_INT (zmq_send (push, "through", 7, 0), 7);
    int timeout = 5000;
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    char buf[16];
    CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 7);
    CHECK_EQ_MEM (buf, "through", 7);
    CHECK (p.ok);
    CHECK_EQ_STR (p.requested_host, "localhost");
    CHECK_EQ_INT (p.requested_port, atoi (port));
    int zero = 0;
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_LINGER, &zero, sizeof zero));
    zmq_close (push);
    zmq_close (pull);
    CHECK_ZMQ (zmq_ctx_term (ctx));
    pthread_join (t, NULL);
    close (p.listen_fd);
}

TEST_MAIN ()
