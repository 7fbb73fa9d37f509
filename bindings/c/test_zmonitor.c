/*  test_zmonitor.c - czmq's zmonitor actor (zmq_socket_monitor underneath)
 *  over ferrozmq.
 *
 *  LISTENING/ACCEPTED/DISCONNECTED/CLOSED on a server, CONNECTED and
 *  DISCONNECTED on a client, CONNECT_DELAYED/CONNECT_RETRIED to a port
 *  nobody listens on, each with libzmq's values and addresses.
 */
#include "fz_check.h"

/*  The next event from a zmonitor actor: its name, value and address.  */
typedef struct {
    char name[32];
    long value;
    char address[128];
} event_t;

static bool
s_next (zactor_t *monitor, event_t *ev)
{
    zmsg_t *msg = zmsg_recv (monitor);
    if (!msg)
        return false;
    char *name = zmsg_popstr (msg);
    char *value = zmsg_popstr (msg);
    char *address = zmsg_popstr (msg);
    snprintf (ev->name, sizeof ev->name, "%s", name ? name : "");
    ev->value = value ? atol (value) : -1;
    snprintf (ev->address, sizeof ev->address, "%s", address ? address : "");
    zstr_free (&name);
    zstr_free (&value);
    zstr_free (&address);
    zmsg_destroy (&msg);
    return true;
}

static zactor_t *
s_monitor (zsock_t *sock, const char *e1, const char *e2, const char *e3, const char *e4)
{
    zactor_t *monitor = zactor_new (zmonitor, sock);
    if (!monitor)
        return NULL;
    zsock_set_rcvtimeo (zactor_sock (monitor), FZ_RCVTIMEO);
    zstr_sendx (monitor, "LISTEN", e1, e2, e3, e4, NULL);
    zstr_send (monitor, "START");
    if (zsock_wait (monitor) != 0)
        zactor_destroy (&monitor);
    return monitor;
}

#define EXPECT_EVENT(mon, want)                                              \
    do {                                                                     \
        REQUIRE (s_next (mon, &ev), "no %s event within %d ms", want, FZ_RCVTIMEO); \
        REQUIRE (streq (ev.name, want), "got event %s (value %ld, %s), want %s", \
                 ev.name, ev.value, ev.address, want);                       \
    } while (0)

static bool
server_and_client (void)
{
    event_t ev;
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    zactor_t *smon = s_monitor (server, "LISTENING", "ACCEPTED", "DISCONNECTED", "CLOSED");
    REQUIRE (server && smon, "server monitor");
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    REQUIRE (port > 0, "bind");
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);

    EXPECT_EVENT (smon, "LISTENING");
    REQUIRE (streq (ev.address, endpoint), "LISTENING address '%s', want '%s'", ev.address, endpoint);
    REQUIRE (ev.value > 2, "LISTENING value (the listener's fd) is %ld", ev.value);

    zsock_t *client = zsock_new (ZMQ_DEALER);
    zactor_t *cmon = s_monitor (client, "CONNECTED", "DISCONNECTED", "CONNECT_DELAYED", "CLOSED");
    REQUIRE (client && cmon, "client monitor");
    REQUIRE (zsock_connect (client, "%s", endpoint) == 0, "connect");

    //  CONNECT_DELAYED may come first (a non-blocking connect in progress)
    REQUIRE (s_next (cmon, &ev), "no client event");
    if (streq (ev.name, "CONNECT_DELAYED"))
        REQUIRE (s_next (cmon, &ev), "no CONNECTED after CONNECT_DELAYED");
    REQUIRE (streq (ev.name, "CONNECTED"), "client event %s, want CONNECTED", ev.name);
    REQUIRE (streq (ev.address, endpoint), "CONNECTED address '%s'", ev.address);
    REQUIRE (ev.value > 2, "CONNECTED value (the fd) is %ld", ev.value);

    EXPECT_EVENT (smon, "ACCEPTED");
    REQUIRE (streq (ev.address, endpoint), "ACCEPTED address '%s', want '%s'", ev.address, endpoint);
    REQUIRE (ev.value > 2, "ACCEPTED value (the fd) is %ld", ev.value);

    //  The connection works
    zstr_send (client, "ping");
    zsock_set_rcvtimeo (server, FZ_RCVTIMEO);
    zmsg_t *msg = zmsg_recv (server);
    REQUIRE (msg && zmsg_size (msg) == 2, "router did not get the message");
    zmsg_destroy (&msg);

    //  The client leaves: the server sees DISCONNECTED
    zactor_destroy (&cmon);
    zsock_destroy (&client);
    EXPECT_EVENT (smon, "DISCONNECTED");
    REQUIRE (strncmp (ev.address, "tcp://127.0.0.1:", 16) == 0, "DISCONNECTED address '%s'", ev.address);

    //  Unbind: CLOSED for the listener
    REQUIRE (zsock_unbind (server, "%s", endpoint) == 0, "unbind");
    EXPECT_EVENT (smon, "CLOSED");
    REQUIRE (streq (ev.address, endpoint), "CLOSED address '%s'", ev.address);

    zactor_destroy (&smon);
    zsock_destroy (&server);
    return true;
}

static bool
server_goes_away (void)
{
    event_t ev;
    zsock_t *server = zsock_new_router ("@tcp://127.0.0.1:*");
    REQUIRE (server, "bind");
    zsock_t *client = zsock_new (ZMQ_DEALER);
    zactor_t *cmon = s_monitor (client, "CONNECTED", "DISCONNECTED", NULL, NULL);
    REQUIRE (cmon, "monitor");
    zsock_connect (client, "%s", zsock_endpoint (server));
    EXPECT_EVENT (cmon, "CONNECTED");
    zsock_destroy (&server);
    EXPECT_EVENT (cmon, "DISCONNECTED");
    zactor_destroy (&cmon);
    zsock_destroy (&client);
    return true;
}

static bool
connect_retried (void)
{
    event_t ev;
    //  A port that was free a moment ago: nobody listens there
    zsock_t *probe = zsock_new (ZMQ_PULL);
    int port = zsock_bind (probe, "tcp://127.0.0.1:*");
    REQUIRE (port > 0, "probe bind");
    zsock_destroy (&probe);
    zclock_sleep (50);

    zsock_t *client = zsock_new (ZMQ_PUSH);
    zsock_set_reconnect_ivl (client, 100);
    zactor_t *cmon = s_monitor (client, "CONNECT_RETRIED", "CONNECTED", NULL, NULL);
    REQUIRE (cmon, "monitor");
    REQUIRE (zsock_connect (client, "tcp://127.0.0.1:%d", port) == 0, "connect");
    EXPECT_EVENT (cmon, "CONNECT_RETRIED");
    //  libzmq: the next interval, between RECONNECT_IVL and twice that
    REQUIRE (ev.value >= 100 && ev.value < 200, "CONNECT_RETRIED value %ld, want 100..199", ev.value);
    char want[64];
    snprintf (want, sizeof want, "tcp://127.0.0.1:%d", port);
    REQUIRE (streq (ev.address, want), "CONNECT_RETRIED address '%s'", ev.address);
    EXPECT_EVENT (cmon, "CONNECT_RETRIED");          //  it keeps trying

    //  Now somebody listens there: the retry connects
    zsock_t *late = zsock_new (ZMQ_PULL);
    REQUIRE (zsock_bind (late, "%s", want) == port, "late bind");
    for (;;) {
        REQUIRE (s_next (cmon, &ev), "no CONNECTED after the listener appeared");
        if (streq (ev.name, "CONNECTED"))
            break;
        REQUIRE (streq (ev.name, "CONNECT_RETRIED"), "unexpected %s", ev.name);
    }
    zsock_set_rcvtimeo (late, FZ_RCVTIMEO);
    zstr_send (client, "finally");
    RECV_STR (fin, late);
    REQUIRE (streq (fin, "finally"), "got '%s'", fin);
    zstr_free (&fin);
    zactor_destroy (&cmon);
    zsock_destroy (&client);
    zsock_destroy (&late);
    return true;
}

int
main (void)
{
    fz_begin ("czmq.zmonitor");
    fz_run ("czmq.zmonitor.server-and-client-events", server_and_client);
    fz_run ("czmq.zmonitor.peer-disconnects", server_goes_away);
    fz_run ("czmq.zmonitor.connect-retried", connect_retried);
    return fz_end ("czmq.zmonitor");
}
