/* interop/draft_peer.c - one side of a draft-API interoperability case.
 *
 *   draft_peer <scenario> <a|b> <bind|connect> <endpoint>
 *
 * scenario        a          b          what is checked
 * client-server   SERVER     CLIENT     50 requests, each answered by routing id, in order
 * scatter-gather  SCATTER    GATHER     100 single-part messages in order
 * channel         CHANNEL    CHANNEL    a request and its reply
 * peer            PEER       PEER       b connects with zmq_connect_peer and talks first
 * radio-dish      RADIO      DISH       the dish gets 20 messages of its group, none other
 * dgram           DGRAM      DGRAM      b sends to a's address, a answers the sender
 *
 * The binding side prints "ENDPOINT <resolved endpoint>" on stdout first.
 * Exit: 0 passed, 1 check failed, 2 setup error. Every wait is bounded.
 */
#define ZMQ_BUILD_DRAFT_API
#include <zmq.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *me = "?";

#define FAIL(...)                                                              \
    do {                                                                       \
        fprintf (stderr, "%s: FAIL: ", me);                                    \
        fprintf (stderr, __VA_ARGS__);                                         \
        fprintf (stderr, " (errno %d %s)\n", zmq_errno (),                     \
                 zmq_strerror (zmq_errno ()));                                 \
        exit (1);                                                              \
    } while (0)

static void *sock (void *ctx, int type)
{
    void *s = zmq_socket (ctx, type);
    if (!s)
        FAIL ("zmq_socket %d", type);
    int v = 10000;
    zmq_setsockopt (s, ZMQ_RCVTIMEO, &v, sizeof v);
    zmq_setsockopt (s, ZMQ_SNDTIMEO, &v, sizeof v);
    v = 0;
    zmq_setsockopt (s, ZMQ_LINGER, &v, sizeof v);
    return s;
}

static void send_msg (void *s, const char *body, uint32_t rid, const char *group)
{
    zmq_msg_t m;
    zmq_msg_init_size (&m, strlen (body));
    memcpy (zmq_msg_data (&m), body, strlen (body));
    if (rid && zmq_msg_set_routing_id (&m, rid) != 0)
        FAIL ("set_routing_id");
    if (group && zmq_msg_set_group (&m, group) != 0)
        FAIL ("set_group");
    if (zmq_msg_send (&m, s, 0) < 0)
        FAIL ("send '%s'", body);
}

/* Receives into buf (NUL-terminated); returns the routing id. */
static uint32_t recv_msg (void *s, char *buf, size_t cap, char *group, size_t gcap)
{
    zmq_msg_t m;
    zmq_msg_init (&m);
    int n = zmq_msg_recv (&m, s, 0);
    if (n < 0)
        FAIL ("recv");
    if ((size_t) n >= cap)
        FAIL ("message too long (%d)", n);
    memcpy (buf, zmq_msg_data (&m), (size_t) n);
    buf[n] = 0;
    uint32_t rid = zmq_msg_routing_id (&m);
    if (group)
        snprintf (group, gcap, "%s", zmq_msg_group (&m));
    zmq_msg_close (&m);
    return rid;
}

static void expect (const char *got, const char *want)
{
    if (strcmp (got, want) != 0)
        FAIL ("got '%s', want '%s'", got, want);
}

int main (int argc, char **argv)
{
    if (argc != 5) {
        fprintf (stderr, "usage: draft_peer <scenario> <a|b> <bind|connect> <endpoint>\n");
        return 2;
    }
    const char *scenario = argv[1], *side = argv[2], *mode = argv[3], *ep = argv[4];
    int a = strcmp (side, "a") == 0, bind = strcmp (mode, "bind") == 0;
    me = a ? "a" : "b";
    alarm (25);
    int ta, tb;
    if (!strcmp (scenario, "client-server"))
        ta = ZMQ_SERVER, tb = ZMQ_CLIENT;
    else if (!strcmp (scenario, "scatter-gather"))
        ta = ZMQ_SCATTER, tb = ZMQ_GATHER;
    else if (!strcmp (scenario, "channel"))
        ta = tb = ZMQ_CHANNEL;
    else if (!strcmp (scenario, "peer"))
        ta = tb = ZMQ_PEER;
    else if (!strcmp (scenario, "radio-dish"))
        ta = ZMQ_RADIO, tb = ZMQ_DISH;
    else if (!strcmp (scenario, "dgram"))
        ta = tb = ZMQ_DGRAM;
    else {
        fprintf (stderr, "unknown scenario %s\n", scenario);
        return 2;
    }
    void *ctx = zmq_ctx_new ();
    void *s = sock (ctx, a ? ta : tb);
    int dish = !a && tb == ZMQ_DISH;
    if (dish && zmq_join (s, "g1") != 0)
        FAIL ("join");
    /* wss://: the certificates in interop/wss/ (see peer.c). */
    if (!strncmp (ep, "wss://", 6)) {
        const char *dir = getenv ("INTEROP_WSS_DIR");
        const char *files[] = {bind ? "leaf.pem" : "ca.pem", "leaf.key"};
        const int options[] = {bind ? ZMQ_WSS_CERT_PEM : ZMQ_WSS_TRUST_PEM,
                               ZMQ_WSS_KEY_PEM};
        for (int i = 0; i < (bind ? 2 : 1); i++) {
            char path[1024], text[8192];
            snprintf (path, sizeof path, "%s/%s", dir ? dir : ".", files[i]);
            FILE *f = fopen (path, "rb");
            if (!f)
                FAIL ("open %s", path);
            size_t n = fread (text, 1, sizeof text, f);
            fclose (f);
            if (zmq_setsockopt (s, options[i], text, n) != 0)
                FAIL ("wss option %d", options[i]);
        }
        if (!bind && zmq_setsockopt (s, ZMQ_WSS_HOSTNAME, "ferrozmq.test", 13))
            FAIL ("wss hostname");
    }
    uint32_t peer_rid = 0;
    if (bind) {
        if (zmq_bind (s, ep) != 0)
            FAIL ("bind %s", ep);
        char resolved[256];
        size_t len = sizeof resolved;
        zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, resolved, &len);
        printf ("ENDPOINT %s\n", resolved);
        fflush (stdout);
    } else if (ta == ZMQ_PEER) {
        peer_rid = zmq_connect_peer (s, ep);
        if (!peer_rid)
            FAIL ("connect_peer %s", ep);
    } else if (ta == ZMQ_DGRAM) {
        /* DGRAM sends to an address per message: b binds a port of its own. */
        if (zmq_bind (s, "udp://127.0.0.1:0") != 0)
            FAIL ("bind udp");
    } else if (zmq_connect (s, ep) != 0)
        FAIL ("connect %s", ep);

    char buf[256], want[64], group[64];
    if (ta == ZMQ_SERVER) {
        for (int i = 0; i < 50; i++) {
            snprintf (want, sizeof want, "req-%d", i);
            if (a) {
                uint32_t rid = recv_msg (s, buf, sizeof buf, NULL, 0);
                expect (buf, want);
                if (!rid)
                    FAIL ("no routing id");
                snprintf (want, sizeof want, "rep-%d", i);
                send_msg (s, want, rid, NULL);
            } else {
                send_msg (s, want, 0, NULL);
                recv_msg (s, buf, sizeof buf, NULL, 0);
                snprintf (want, sizeof want, "rep-%d", i);
                expect (buf, want);
            }
        }
    } else if (ta == ZMQ_SCATTER) {
        for (int i = 0; i < 100; i++) {
            snprintf (want, sizeof want, "m-%d", i);
            if (a)
                send_msg (s, want, 0, NULL);
            else {
                recv_msg (s, buf, sizeof buf, NULL, 0);
                expect (buf, want);
            }
        }
        if (a) {
            /* Stay until the gatherer is done: it tells by closing, which
             * we cannot see; give its receive time instead. */
            sleep (1);
        }
    } else if (ta == ZMQ_CHANNEL || ta == ZMQ_PEER) {
        if (!a) {
            send_msg (s, "hello", peer_rid, NULL);
            uint32_t rid = recv_msg (s, buf, sizeof buf, NULL, 0);
            expect (buf, "welcome");
            if (ta == ZMQ_PEER && rid != peer_rid)
                FAIL ("reply from routing id %u, connected %u", rid, peer_rid);
        } else {
            uint32_t rid = recv_msg (s, buf, sizeof buf, NULL, 0);
            expect (buf, "hello");
            send_msg (s, "welcome", ta == ZMQ_PEER ? rid : 0, NULL);
            sleep (1);
        }
    } else if (ta == ZMQ_RADIO) {
        if (a) {
            /* The dish's join travels (tcp) or is not needed (udp): send a
             * stream for a while; the dish checks what it gets. */
            for (int i = 0; i < 400; i++) {
                snprintf (want, sizeof want, "%d", i);
                send_msg (s, want, 0, (i % 2) ? "g2" : "g1");
                usleep (5000);
            }
        } else {
            int last = -1;
            for (int got = 0; got < 20; got++) {
                recv_msg (s, buf, sizeof buf, group, sizeof group);
                expect (group, "g1");
                int v = atoi (buf);
                if (v % 2 != 0 || v <= last)
                    FAIL ("message %d after %d", v, last);
                last = v;
            }
        }
    } else { /* DGRAM */
        const char *addr = strstr (ep, "://");
        addr = addr ? addr + 3 : ep;
        if (!a) {
            int ok = 0;
            for (int i = 0; i < 200 && !ok; i++) {
                if (zmq_send (s, addr, strlen (addr), ZMQ_SNDMORE) < 0
                    || zmq_send (s, "ping", 4, 0) < 0)
                    FAIL ("dgram send");
                zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
                ok = zmq_poll (&it, 1, 20) == 1;
            }
            if (!ok)
                FAIL ("no answer");
            recv_msg (s, buf, sizeof buf, NULL, 0);
            expect (buf, addr);
            recv_msg (s, buf, sizeof buf, NULL, 0);
            expect (buf, "pong");
        } else {
            char from[64];
            recv_msg (s, from, sizeof from, NULL, 0);
            recv_msg (s, buf, sizeof buf, NULL, 0);
            expect (buf, "ping");
            if (zmq_send (s, from, strlen (from), ZMQ_SNDMORE) < 0
                || zmq_send (s, "pong", 4, 0) < 0)
                FAIL ("dgram reply");
            sleep (1);
        }
    }
    zmq_close (s);
    zmq_ctx_term (ctx);
    return 0;
}
