/*  test_zauth.c - czmq's zcert, zcertstore and zauth (the ZAP handler at
 *  inproc://zeromq.zap.01) over ferrozmq's CURVE, PLAIN and NULL.
 *
 *  CURVE with a certificate directory (an allowed and a denied client: the
 *  denied one's messages never arrive and both ends' monitors report
 *  HANDSHAKE_FAILED_AUTH with ZAP status 400), CURVE_ALLOW_ANY, a PLAIN
 *  password file, NULL with an address DENY list, zcert save/load.
 */
#include "fz_check.h"
#include <ftw.h>

static char s_dir[64];

static int
s_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path);
}

/*  Events from a raw libzmq monitor.  */
typedef struct {
    void *pair;
} mon_t;

static bool
s_mon_start (mon_t *mon, zsock_t *sock)
{
    const char *ep = fz_inproc ("mon");
    if (zmq_socket_monitor (zsock_resolve (sock), ep,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                            | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0)
        return false;
    mon->pair = zsys_socket (ZMQ_PAIR, NULL, 0);
    int timeout = FZ_RCVTIMEO;
    zmq_setsockopt (mon->pair, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    return zmq_connect (mon->pair, ep) == 0;
}

/*  Next event within the timeout: returns the event number, or -1.  */
static int
s_mon_next (mon_t *mon, int *value)
{
    zmq_msg_t m;
    zmq_msg_init (&m);
    if (zmq_msg_recv (&m, mon->pair, 0) == -1)
        return -1;
    if (zmq_msg_size (&m) != 6 || !zmq_msg_more (&m)) {
        zmq_msg_close (&m);
        return -2;
    }
    uint16_t event;
    int32_t v;
    memcpy (&event, zmq_msg_data (&m), 2);
    memcpy (&v, (char *) zmq_msg_data (&m) + 2, 4);
    zmq_msg_close (&m);
    zmq_msg_init (&m);
    zmq_msg_recv (&m, mon->pair, 0);            //  the address frame
    zmq_msg_close (&m);
    if (value)
        *value = v;
    return event;
}

static void
s_mon_stop (mon_t *mon, zsock_t *sock)
{
    zmq_socket_monitor (zsock_resolve (sock), NULL, 0);
    zsys_close (mon->pair, NULL, 0);
}

/*  The one zauth actor of a check (there can only be one ZAP handler at a
    time); s_run destroys it even when the check failed half-way.  */
static zactor_t *s_current_auth;

static zactor_t *
s_auth (void)
{
    zactor_t *auth = zactor_new (zauth, NULL);
    if (auth)
        zsock_set_rcvtimeo (zactor_sock (auth), FZ_RCVTIMEO);
    if (getenv ("FZ_VERBOSE") && auth) {
        zstr_send (auth, "VERBOSE");
        zsock_wait (auth);
    }
    s_current_auth = auth;
    return auth;
}

static void
s_run (const char *name, bool (*check) (void))
{
    fz_run (name, check);
    if (s_current_auth)
        zactor_destroy (&s_current_auth);
}

static bool
has_curve (void)
{
    REQUIRE (zsys_has_curve (), "zsys_has_curve () is false");
    REQUIRE (zmq_has ("curve") == 1, "zmq_has (\"curve\") is not 1");
    return true;
}

static bool
cert_roundtrip (void)
{
    zcert_t *cert = zcert_new ();
    REQUIRE (cert, "zcert_new (zmq_curve_keypair)");
    REQUIRE (strlen (zcert_public_txt (cert)) == 40 && strlen (zcert_secret_txt (cert)) == 40,
             "Z85 keys are not 40 characters");
    //  the Z85 text decodes to the binary key
    byte decoded[32];
    REQUIRE (zmq_z85_decode (decoded, zcert_public_txt (cert)) == decoded
             && memcmp (decoded, zcert_public_key (cert), 32) == 0, "z85 decode differs");
    //  the public key is the one derived from the secret key
    char derived[41];
    REQUIRE (zmq_curve_public (derived, zcert_secret_txt (cert)) == 0
             && streq (derived, zcert_public_txt (cert)), "zmq_curve_public differs");
    zcert_set_meta (cert, "name", "round trip");
    char path[128];
    snprintf (path, sizeof path, "%s/roundtrip.cert", s_dir);
    REQUIRE (zcert_save (cert, path) == 0, "zcert_save");
    zcert_t *loaded = zcert_load (path);
    REQUIRE (loaded, "zcert_load");
    REQUIRE (zcert_eq (cert, loaded), "loaded certificate differs");
    REQUIRE (streq (zcert_secret_txt (loaded), zcert_secret_txt (cert)), "secret key lost");
    REQUIRE (zcert_meta (loaded, "name") && streq (zcert_meta (loaded, "name"), "round trip"),
             "metadata lost");
    zcert_destroy (&loaded);
    zcert_destroy (&cert);
    unlink (path);
    snprintf (path, sizeof path, "%s/roundtrip.cert_secret", s_dir);
    unlink (path);
    return true;
}

/*  A CURVE server PULL with its certificate, bound on an ephemeral port.  */
static zsock_t *
s_curve_server (zcert_t *server_cert)
{
    zsock_t *server = zsock_new (ZMQ_PULL);
    zcert_apply (server_cert, server);
    zsock_set_curve_server (server, 1);
    if (zsock_bind (server, "tcp://127.0.0.1:*") <= 0)
        zsock_destroy (&server);
    return server;
}

static zsock_t *
s_curve_client (zcert_t *client_cert, zcert_t *server_cert)
{
    zsock_t *client = zsock_new (ZMQ_PUSH);
    zcert_apply (client_cert, client);
    zsock_set_curve_serverkey (client, zcert_public_txt (server_cert));
    zsock_set_linger (client, 0);
    return client;
}

static bool
curve_cert_directory (void)
{
    char certs[96];
    snprintf (certs, sizeof certs, "%s/clients", s_dir);
    REQUIRE (zsys_dir_create ("%s", certs) == 0, "mkdir %s", certs);
    zcert_t *server_cert = zcert_new ();
    zcert_t *good_cert = zcert_new ();
    zcert_t *bad_cert = zcert_new ();
    REQUIRE (server_cert && good_cert && bad_cert, "zcert_new");
    char path[160];
    snprintf (path, sizeof path, "%s/good.cert", certs);
    REQUIRE (zcert_save_public (good_cert, path) == 0, "zcert_save_public");

    zactor_t *auth = s_auth ();
    REQUIRE (auth, "zactor_new (zauth)");
    REQUIRE (zstr_sendx (auth, "CURVE", certs, NULL) == 0 && zsock_wait (auth) == 0, "CURVE dir");

    zsock_t *server = s_curve_server (server_cert);
    REQUIRE (server, "server bind");
    zsock_set_rcvtimeo (server, FZ_RCVTIMEO);
    mon_t smon;
    REQUIRE (s_mon_start (&smon, server), "server monitor");

    //  The allowed client
    zsock_t *good = s_curve_client (good_cert, server_cert);
    mon_t gmon;
    REQUIRE (s_mon_start (&gmon, good), "client monitor");
    REQUIRE (zsock_connect (good, "%s", zsock_endpoint (server)) == 0, "connect");
    REQUIRE (zstr_send (good, "from the good client") == 0, "send");
    zframe_t *frame = zframe_recv (server);
    REQUIRE (frame, "the allowed client's message did not arrive");
    REQUIRE (zframe_streq (frame, "from the good client"), "wrong content");
    const char *mech = zframe_meta (frame, "Socket-Type");
    REQUIRE (mech && streq (mech, "PUSH"), "Socket-Type '%s'", mech ? mech : "(null)");
    zframe_destroy (&frame);
    int value = 0;
    int ev = s_mon_next (&gmon, &value);
    REQUIRE (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED, "allowed client's monitor: event %d", ev);
    ev = s_mon_next (&smon, &value);
    REQUIRE (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED, "server monitor for the allowed client: event %d", ev);

    //  The denied client: valid CURVE, unknown key
    zsock_t *bad = s_curve_client (bad_cert, server_cert);
    mon_t bmon;
    REQUIRE (s_mon_start (&bmon, bad), "client monitor");
    REQUIRE (zsock_connect (bad, "%s", zsock_endpoint (server)) == 0, "connect");
    zstr_send (bad, "from the bad client");
    ev = s_mon_next (&bmon, &value);
    REQUIRE (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value == 400,
             "denied client's monitor: event %d value %d (want HANDSHAKE_FAILED_AUTH 400)",
             ev, value);
    ev = s_mon_next (&smon, &value);
    REQUIRE (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value == 400,
             "server monitor for the denied client: event %d value %d", ev, value);
    zsock_set_rcvtimeo (server, 500);
    char *leak = zstr_recv (server);
    REQUIRE (leak == NULL, "a denied client's message arrived: '%s'", leak);
    //  The allowed client still works
    zsock_set_rcvtimeo (server, FZ_RCVTIMEO);
    zstr_send (good, "still here");
    RECV_STR (still, server);
    REQUIRE (streq (still, "still here"), "got '%s'", still);
    zstr_free (&still);

    //  A certificate added to the directory later is picked up
    //  (zcertstore reloads the directory when it changes)
    snprintf (path, sizeof path, "%s/bad-now-good.cert", certs);
    zclock_sleep (1100);                        //  a new modification second
    REQUIRE (zcert_save_public (bad_cert, path) == 0, "save");
    zsock_t *late = s_curve_client (bad_cert, server_cert);
    REQUIRE (zsock_connect (late, "%s", zsock_endpoint (server)) == 0, "connect");
    zstr_send (late, "now allowed");
    RECV_STR (now, server);
    REQUIRE (streq (now, "now allowed"), "got '%s'", now);
    zstr_free (&now);

    s_mon_stop (&gmon, good);
    s_mon_stop (&bmon, bad);
    s_mon_stop (&smon, server);
    zsock_destroy (&late);
    zsock_destroy (&good);
    zsock_destroy (&bad);
    zsock_destroy (&server);
    zactor_destroy (&auth);
    s_current_auth = NULL;
    zcert_destroy (&server_cert);
    zcert_destroy (&good_cert);
    zcert_destroy (&bad_cert);
    return true;
}

static bool
curve_allow_any (void)
{
    zcert_t *server_cert = zcert_new ();
    zcert_t *client_cert = zcert_new ();
    zactor_t *auth = s_auth ();
    REQUIRE (auth, "zactor_new (zauth)");

    zsock_t *server = s_curve_server (server_cert);
    REQUIRE (server, "bind");
    zsock_set_rcvtimeo (server, 500);
    //  With no CURVE policy configured, zauth denies every CURVE client
    zsock_t *c1 = s_curve_client (client_cert, server_cert);
    zsock_connect (c1, "%s", zsock_endpoint (server));
    zstr_send (c1, "before");
    char *before = zstr_recv (server);
    REQUIRE (before == NULL, "a CURVE client passed with no policy: '%s'", before);
    zsock_destroy (&c1);

    REQUIRE (zstr_sendx (auth, "CURVE", CURVE_ALLOW_ANY, NULL) == 0 && zsock_wait (auth) == 0,
             "CURVE *");
    zsock_set_rcvtimeo (server, FZ_RCVTIMEO);
    zsock_t *c2 = s_curve_client (client_cert, server_cert);
    zsock_connect (c2, "%s", zsock_endpoint (server));
    zstr_send (c2, "any");
    RECV_STR (any, server);
    REQUIRE (streq (any, "any"), "got '%s'", any);
    zstr_free (&any);

    //  A client with the wrong server key never gets through (no ZAP needed)
    zcert_t *other = zcert_new ();
    zsock_t *c3 = zsock_new (ZMQ_PUSH);
    zcert_apply (client_cert, c3);
    zsock_set_curve_serverkey (c3, zcert_public_txt (other));
    zsock_set_linger (c3, 0);
    zsock_connect (c3, "%s", zsock_endpoint (server));
    zstr_send (c3, "wrong key");
    zsock_set_rcvtimeo (server, 500);
    char *wrong = zstr_recv (server);
    REQUIRE (wrong == NULL, "a client with the wrong server key got through");

    zsock_destroy (&c3);
    zsock_destroy (&c2);
    zsock_destroy (&server);
    zactor_destroy (&auth);
    s_current_auth = NULL;
    zcert_destroy (&other);
    zcert_destroy (&server_cert);
    zcert_destroy (&client_cert);
    return true;
}

static bool
plain_passwords (void)
{
    char pwfile[128];
    snprintf (pwfile, sizeof pwfile, "%s/passwords", s_dir);
    FILE *f = fopen (pwfile, "w");
    REQUIRE (f, "create %s", pwfile);
    fprintf (f, "admin=secret\n");
    fclose (f);
    zactor_t *auth = s_auth ();
    REQUIRE (auth, "zactor_new (zauth)");
    REQUIRE (zstr_sendx (auth, "PLAIN", pwfile, NULL) == 0 && zsock_wait (auth) == 0, "PLAIN");

    zsock_t *server = zsock_new (ZMQ_PULL);
    zsock_set_plain_server (server, 1);
    REQUIRE (zsock_bind (server, "tcp://127.0.0.1:*") > 0, "bind");
    zsock_set_rcvtimeo (server, FZ_RCVTIMEO);

    zsock_t *good = zsock_new (ZMQ_PUSH);
    zsock_set_plain_username (good, "admin");
    zsock_set_plain_password (good, "secret");
    zsock_connect (good, "%s", zsock_endpoint (server));
    zstr_send (good, "right password");
    zframe_t *frame = zframe_recv (server);
    REQUIRE (frame && zframe_streq (frame, "right password"), "the right password was refused");
    //  libzmq reports the PLAIN user name as the message's User-Id
    const char *user = zframe_meta (frame, "User-Id");
    REQUIRE (user && streq (user, "admin"), "User-Id '%s'", user ? user : "(null)");
    zframe_destroy (&frame);

    zsock_t *bad = zsock_new (ZMQ_PUSH);
    zsock_set_plain_username (bad, "admin");
    zsock_set_plain_password (bad, "guess");
    zsock_set_linger (bad, 0);
    mon_t bmon;
    REQUIRE (s_mon_start (&bmon, bad), "monitor");
    zsock_connect (bad, "%s", zsock_endpoint (server));
    zstr_send (bad, "wrong password");
    int value = 0;
    int ev = s_mon_next (&bmon, &value);
    REQUIRE (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value == 400,
             "wrong password: event %d value %d", ev, value);
    zsock_set_rcvtimeo (server, 300);
    char *leak = zstr_recv (server);
    REQUIRE (leak == NULL, "a wrong password got through");

    s_mon_stop (&bmon, bad);
    zsock_destroy (&bad);
    zsock_destroy (&good);
    zsock_destroy (&server);
    zactor_destroy (&auth);
    s_current_auth = NULL;
    unlink (pwfile);
    return true;
}

static bool
null_deny_address (void)
{
    zactor_t *auth = s_auth ();
    REQUIRE (auth, "zactor_new (zauth)");
    zsock_t *server = zsock_new (ZMQ_PULL);
    //  NULL goes to ZAP only when the server has a ZAP domain
    zsock_set_zap_domain (server, "global");
    REQUIRE (zsock_bind (server, "tcp://127.0.0.1:*") > 0, "bind");
    zsock_set_rcvtimeo (server, FZ_RCVTIMEO);

    zsock_t *c1 = zsock_new_push (NULL);
    zsock_connect (c1, "%s", zsock_endpoint (server));
    zstr_send (c1, "open");
    RECV_STR (open, server);
    zstr_free (&open);
    zsock_destroy (&c1);

    REQUIRE (zstr_sendx (auth, "DENY", "127.0.0.1", NULL) == 0 && zsock_wait (auth) == 0, "DENY");
    zsock_t *c2 = zsock_new_push (NULL);
    zsock_set_linger (c2, 0);
    mon_t mon;
    REQUIRE (s_mon_start (&mon, c2), "monitor");
    zsock_connect (c2, "%s", zsock_endpoint (server));
    zstr_send (c2, "blocked");
    int value = 0;
    int ev = s_mon_next (&mon, &value);
    REQUIRE (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value == 400,
             "denied address: event %d value %d", ev, value);
    zsock_set_rcvtimeo (server, 300);
    char *leak = zstr_recv (server);
    REQUIRE (leak == NULL, "a denied address got through");

    //  A server without a ZAP domain does not ask ZAP for NULL
    zsock_t *open_server = zsock_new (ZMQ_PULL);
    REQUIRE (zsock_bind (open_server, "tcp://127.0.0.1:*") > 0, "bind");
    zsock_set_rcvtimeo (open_server, FZ_RCVTIMEO);
    zsock_t *c3 = zsock_new_push (NULL);
    zsock_connect (c3, "%s", zsock_endpoint (open_server));
    zstr_send (c3, "no domain");
    RECV_STR (nd, open_server);
    zstr_free (&nd);

    s_mon_stop (&mon, c2);
    zsock_destroy (&c3);
    zsock_destroy (&open_server);
    zsock_destroy (&c2);
    zsock_destroy (&server);
    zactor_destroy (&auth);
    s_current_auth = NULL;
    return true;
}

int
main (void)
{
    fz_begin ("czmq.zauth");
    snprintf (s_dir, sizeof s_dir, "/tmp/fz-zauth-XXXXXX");
    if (!mkdtemp (s_dir)) {
        printf ("FAIL czmq.zauth.setup: mkdtemp: %s\n", strerror (errno));
        return 1;
    }
    s_run ("czmq.zauth.has-curve", has_curve);
    s_run ("czmq.zauth.zcert-save-load", cert_roundtrip);
    s_run ("czmq.zauth.curve-cert-directory", curve_cert_directory);
    s_run ("czmq.zauth.curve-allow-any", curve_allow_any);
    s_run ("czmq.zauth.plain-password-file", plain_passwords);
    s_run ("czmq.zauth.null-deny-address", null_deny_address);
    nftw (s_dir, s_rm, 8, FTW_DEPTH | FTW_PHYS);
    return fz_end ("czmq.zauth");
}
