/*  ferrozmq demo: two processes over tcp, one linked against ferrozmq and
    one against Debian's libzmq, built from this same source.

      demo server   binds REP and PUB on 127.0.0.1, prints both endpoints,
                    answers 3 requests, then publishes until told to stop
      demo client REP-ENDPOINT PUB-ENDPOINT
                    sends 3 requests, then subscribes to "weather" and
                    reads 3 updates, then tells the server to stop       */
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *lib (void)
{
    static char buf[64];
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    snprintf (buf, sizeof buf, "%s %d.%d.%d",
              patch == 5 ? "ferrozmq" : "libzmq", major, minor, patch);
    return buf;
}

static void die (const char *what)
{
    fprintf (stderr, "demo: %s: %s\n", what, zmq_strerror (zmq_errno ()));
    exit (1);
}

static int server (void)
{
    void *ctx = zmq_ctx_new ();
    void *rep = zmq_socket (ctx, ZMQ_REP);
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    int timeout = 10000;
    zmq_setsockopt (rep, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_bind (rep, "tcp://127.0.0.1:*") || zmq_bind (pub, "tcp://127.0.0.1:*"))
        die ("bind");
    char rep_ep[128], pub_ep[128];
    size_t len = sizeof rep_ep;
    zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, rep_ep, &len);
    len = sizeof pub_ep;
    zmq_getsockopt (pub, ZMQ_LAST_ENDPOINT, pub_ep, &len);
    printf ("%s %s\n", rep_ep, pub_ep);
    fflush (stdout);
    fprintf (stderr, "[server, %s] REP on %s, PUB on %s\n", lib (), rep_ep, pub_ep);

    char buf[256];
    for (int i = 0; i < 3; i++) {
        int n = zmq_recv (rep, buf, sizeof buf - 1, 0);
        if (n < 0)
            die ("server recv");
        buf[n] = 0;
        fprintf (stderr, "[server, %s] request: %s\n", lib (), buf);
        char reply[300];
        snprintf (reply, sizeof reply, "reply to '%s'", buf);
        zmq_send (rep, reply, strlen (reply), 0);
    }
    /* Publish until the client says it has seen enough (subscriptions reach
       a publisher asynchronously, so it keeps publishing until then). */
    int seq = 0;
    zmq_pollitem_t item = {rep, 0, ZMQ_POLLIN, 0};
    for (;;) {
        char update[64];
        snprintf (update, sizeof update, "weather %d: sunny", seq++);
        zmq_send (pub, update, strlen (update), 0);
        zmq_send (pub, "sports: ignored by the filter", 29, 0);
        if (zmq_poll (&item, 1, 10) == 1) {
            int n = zmq_recv (rep, buf, sizeof buf - 1, 0);
            zmq_send (rep, "bye", 3, 0);
            fprintf (stderr, "[server, %s] %.*s after %d updates\n", lib (), n, buf, seq);
            break;
        }
        if (seq > 3000)
            die ("client never said stop");
    }
    zmq_close (rep);
    zmq_close (pub);
    zmq_ctx_term (ctx);
    return 0;
}

static int client (const char *rep_ep, const char *pub_ep)
{
    void *ctx = zmq_ctx_new ();
    void *req = zmq_socket (ctx, ZMQ_REQ);
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    int timeout = 10000;
    zmq_setsockopt (req, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_connect (req, rep_ep) || zmq_connect (sub, pub_ep))
        die ("connect");
    char buf[256];
    const char *questions[] = {"hello", "how are you?", "third question"};
    for (int i = 0; i < 3; i++) {
        zmq_send (req, questions[i], strlen (questions[i]), 0);
        int n = zmq_recv (req, buf, sizeof buf - 1, 0);
        if (n < 0)
            die ("client recv");
        buf[n] = 0;
        fprintf (stderr, "[client, %s] got: %s\n", lib (), buf);
    }
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "weather", 7);
    for (int i = 0; i < 3; i++) {
        int n = zmq_recv (sub, buf, sizeof buf - 1, 0);
        if (n < 0)
            die ("client sub recv");
        buf[n] = 0;
        if (strncmp (buf, "weather", 7) != 0)
            die ("filter let a non-matching topic through");
        fprintf (stderr, "[client, %s] update: %s\n", lib (), buf);
    }
    zmq_send (req, "stop", 4, 0);
    zmq_recv (req, buf, sizeof buf, 0);
    zmq_close (req);
    zmq_close (sub);
    zmq_ctx_term (ctx);
    return 0;
}

int main (int argc, char **argv)
{
    if (argc >= 2 && !strcmp (argv[1], "server"))
        return server ();
    if (argc >= 4 && !strcmp (argv[1], "client"))
        return client (argv[2], argv[3]);
    fprintf (stderr, "usage: demo server | demo client REP-ENDPOINT PUB-ENDPOINT\n");
    return 2;
}
