/* draft_wss.c: wss:// (ZWS 2.0 over TLS), as libzmq 4.3.5 builds it with
 * the draft API and GnuTLS: the ZMQ_WSS_* options (set-only), a bind that
 * needs a certificate and key, LAST_ENDPOINT, and libzmq's certificate
 * rules: a chain to a trusted CA, a self-signed certificate trusted as it
 * is (libzmq's own test uses a CA certificate with only a Common Name),
 * the name checked only when ZMQ_WSS_HOSTNAME is set (DNS names, else the
 * Common Name); an untrusted, misnamed or expired certificate ends the
 * connection before any ZMTP. Then what rides on it: large and many
 * messages, PUB/SUB, CURVE inside TLS, and a plain ws:// client refused
 * while others are served. The certificates below were made for this test
 * with openssl (P-256, valid until 2126 unless said otherwise). */
#include "testutil.h"

/* A CA, and a server certificate it signed for ferrozmq.test (SAN). */
static const char CA_PEM[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBnTCCAUOgAwIBAgIUAOJsp/qPqlru2j5W7tTxABcuRH4wCgYIKoZIzj0EAwIw\n"
  "GzEZMBcGA1UEAwwQZmVycm96bXEgdGVzdCBDQTAgFw0yNjEyMDYxODIxMjJaGA8y\n"
  "MTI2MTExMjE4MjEyMlowGzEZMBcGA1UEAwwQZmVycm96bXEgdGVzdCBDQTBZMBMG\n"
  "ByqGSM49AgEGCCqGSM49AwEHA0IABOXfulQ3oA3kC3SjJmJQ5z6bNn3udJ6SL+Br\n"
  "fucilAarSE9/vXu5upcKT0sIuNYzhDq2tygbRIIFQo7YiIMyceejYzBhMB0GA1Ud\n"
  "DgQWBBQzjUCkaEUipFdiLS2O9ckPEYsolDAfBgNVHSMEGDAWgBQzjUCkaEUipFdi\n"
  "LS2O9ckPEYsolDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwICBDAKBggq\n"
  "hkjOPQQDAgNIADBFAiEAww4DGgqwqj3ChKH93Dmr5fjaVrC28NmBm91REd7t9fwC\n"
  "IFk82YrybPlo3Y0FjbDzeDXTPxLVjTsTNJNMwj4t+NuU\n"
  "-----END CERTIFICATE-----\n";
static const char LEAF_PEM[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBszCCAVmgAwIBAgIUZA9pro72+Ophk9jnE/aULqlAUdcwCgYIKoZIzj0EAwIw\n"
  "GzEZMBcGA1UEAwwQZmVycm96bXEgdGVzdCBDQTAgFw0yNjEyMDYxODIxMjJaGA8y\n"
  "MTI2MTExMjE4MjEyMlowGDEWMBQGA1UEAwwNZmVycm96bXEudGVzdDBZMBMGByqG\n"
  "SM49AgEGCCqGSM49AwEHA0IABPEP2kALFOdT1uM+S0y3/NGhBRgAk9xpHHwYGDp8\n"
  "03D9j9B0kffznHXN/21BkldaJ/AgQbeGZqPQstClYF7AEZujfDB6MBgGA1UdEQQR\n"
  "MA+CDWZlcnJvem1xLnRlc3QwCQYDVR0TBAIwADATBgNVHSUEDDAKBggrBgEFBQcD\n"
  "ATAdBgNVHQ4EFgQUwmvCatBpHJyJe0wr12WBK3JWlzgwHwYDVR0jBBgwFoAUM41A\n"
  "pGhFIqRXYi0tjvXJDxGLKJQwCgYIKoZIzj0EAwIDSAAwRQIhAKV92eNs/WpDcPbf\n"
  "Jh/mpJhr71QUjAx/DVfbELx+yAJvAiAWJOjTrw+e44Q9YGEoLBqByoH6dvfEatlJ\n"
  "abIN7nMCtg==\n"
  "-----END CERTIFICATE-----\n";
static const char LEAF_KEY[] =
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggLnidHlWd4cACfFh\n"
  "HOaaBMrjCAqZK4n0TGrA8SnMdLmhRANCAATxD9pACxTnU9bjPktMt/zRoQUYAJPc\n"
  "aRx8GBg6fNNw/Y/QdJH385x1zf9tQZJXWifwIEG3hmaj0LLQpWBewBGb\n"
  "-----END PRIVATE KEY-----\n";

/* Self-signed, a CA certificate, no SAN, CN=cn-only.test: the shape of
 * libzmq's own test certificate (trusted directly, named by its CN). */
static const char CN_PEM[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBhDCCASugAwIBAgIUWc8QflZT+ZJP2R1GtLF/Vj8dZ40wCgYIKoZIzj0EAwIw\n"
  "FzEVMBMGA1UEAwwMY24tb25seS50ZXN0MCAXDTI2MTIwNjE4MjEyMloYDzIxMjYx\n"
  "MTEyMTgyMTIyWjAXMRUwEwYDVQQDDAxjbi1vbmx5LnRlc3QwWTATBgcqhkjOPQIB\n"
  "BggqhkjOPQMBBwNCAAQjhg8shXPm7yTRRWPEQa3Ljxoji1IYggIWVvPWEYG4Tq/r\n"
  "x6UUXty7+fJoH8Nruhat2is0HvmXasBLBYNplxBVo1MwUTAdBgNVHQ4EFgQUYMQ/\n"
  "HENP1N4fA745ZmZaeiKg7NUwHwYDVR0jBBgwFoAUYMQ/HENP1N4fA745ZmZaeiKg\n"
  "7NUwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBP1QYwzdN0r06B\n"
  "vWbhyr6klyPD9zFjurj/Rgc+ES8SxwIgZy/3hmF764LccS1TYeFJExUpkEP9lSvn\n"
  "x50vHel9qF4=\n"
  "-----END CERTIFICATE-----\n";
static const char CN_KEY[] =
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJtMxiDudjTBuB78j\n"
  "GYq3XunAjHLSDpLQPQgSWDmhohWhRANCAAQjhg8shXPm7yTRRWPEQa3Ljxoji1IY\n"
  "ggIWVvPWEYG4Tq/rx6UUXty7+fJoH8Nruhat2is0HvmXasBLBYNplxBV\n"
  "-----END PRIVATE KEY-----\n";

/* Self-signed for expired.test, valid for no time at all (2026-12-06). */
static const char OLD_PEM[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBdjCCARugAwIBAgIUEG3aSrV4AR3snOYxjdN60W+UTyowCgYIKoZIzj0EAwIw\n"
  "FzEVMBMGA1UEAwwMZXhwaXJlZC50ZXN0MB4XDTI2MTIwNjE4MjIxM1oXDTI2MTIw\n"
  "NjE4MjIxM1owFzEVMBMGA1UEAwwMZXhwaXJlZC50ZXN0MFkwEwYHKoZIzj0CAQYI\n"
  "KoZIzj0DAQcDQgAEtjCT9+O9I6clGySWw5tpatM0SvYJm4gCn63NUmSv/k3VtsKz\n"
  "L7Q8KRDbd4bpY7affM1uiyPBeTLBMlvfrvRk66NFMEMwFwYDVR0RBBAwDoIMZXhw\n"
  "aXJlZC50ZXN0MAkGA1UdEwQCMAAwHQYDVR0OBBYEFNoYtW8zgtFVRUhpqSxVKd7D\n"
  "q5I+MAoGCCqGSM49BAMCA0kAMEYCIQDrDgiD0k2dzGvRCWasIfsY48/NF5cLeXBm\n"
  "hpNuHRaD2wIhANUdMr4roFxa+2OdRyroC3+jDzG+n1yIGU2JloZr2CEC\n"
  "-----END CERTIFICATE-----\n";
static const char OLD_KEY[] =
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdwJqrL+XV9egwlBV\n"
  "UJPUEk+Yd7WmhwSKo+BGgBwQASahRANCAAS2MJP3470jpyUbJJbDm2lq0zRK9gmb\n"
  "iAKfrc1SZK/+TdW2wrMvtDwpENt3huljtp98zW6LI8F5MsEyW9+u9GTr\n"
  "-----END PRIVATE KEY-----\n";

static void *ctx;

static void *sock (int type)
{
    if (!ctx)
        ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    int v = 0;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_LINGER, &v, sizeof v));
    v = 5000;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_RCVTIMEO, &v, sizeof v));
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_SNDTIMEO, &v, sizeof v));
    return s;
}

static void done (void)
{
    CHECK_ZMQ (zmq_ctx_term (ctx));
    ctx = NULL;
}

static void set_str (void *s, int option, const char *value)
{
    CHECK_ZMQ (zmq_setsockopt (s, option, value, strlen (value)));
}

/* A wss server with `cert` and `key`, bound on loopback; its endpoint. */
static void *server (int type, const char *cert, const char *key, char *ep,
                     size_t cap)
{
    void *s = sock (type);
    set_str (s, ZMQ_WSS_CERT_PEM, cert);
    set_str (s, ZMQ_WSS_KEY_PEM, key);
    CHECK_ZMQ (zmq_bind (s, "wss://127.0.0.1:*/zmq"));
    size_t len = cap;
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
    return s;
}

/* A wss client trusting `trust` (may be NULL), expecting `hostname` (may
 * be NULL). */
static void *client (int type, const char *trust, const char *hostname)
{
    void *s = sock (type);
    if (trust)
        set_str (s, ZMQ_WSS_TRUST_PEM, trust);
    if (hostname)
        set_str (s, ZMQ_WSS_HOSTNAME, hostname);
    return s;
}

static void bounce (void *rep, void *req)
{
    char buf[32];
    CHECK_EQ_INT (zmq_send (req, "ping", 4, 0), 4);
    CHECK_EQ_INT (zmq_recv (rep, buf, sizeof buf, 0), 4);
    CHECK_EQ_MEM (buf, "ping", 4);
    CHECK_EQ_INT (zmq_send (rep, "pong", 4, 0), 4);
    CHECK_EQ_INT (zmq_recv (req, buf, sizeof buf, 0), 4);
    CHECK_EQ_MEM (buf, "pong", 4);
}

/* A client whose TLS handshake must fail: its connection ends (DISCONNECTED)
 * and no handshake ever succeeds; the server never sees a message. */
static void expect_refused (const char *cert, const char *key,
                            const char *trust, const char *hostname)
{
    char ep[256];
    void *rep = server (ZMQ_REP, cert, key, ep, sizeof ep);
    void *req = client (ZMQ_REQ, trust, hostname);
    CHECK_ZMQ (zmq_socket_monitor (req, "inproc://wss-refused",
                                   ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                                     | ZMQ_EVENT_DISCONNECTED));
    void *mon = sock (ZMQ_PAIR);
    CHECK_ZMQ (zmq_connect (mon, "inproc://wss-refused"));
    CHECK_ZMQ (zmq_connect (req, ep));
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0),
                  ZMQ_EVENT_DISCONNECTED);
    CHECK_EQ_INT (zmq_send (req, "lost", 4, ZMQ_DONTWAIT), 4);
    zmq_pollitem_t item = {rep, 0, ZMQ_POLLIN, 0};
    CHECK_EQ_INT (zmq_poll (&item, 1, 200), 0);
    zmq_close (mon);
    zmq_close (req);
    zmq_close (rep);
    done ();
}

TEST (wss_is_a_capability)
{
    /* As libzmq 4.3.5 spells it (and only so). */
    CHECK_EQ_INT (zmq_has ("WSS"), 1);
    CHECK_EQ_INT (zmq_has ("wss"), 0);
}

TEST (the_options_are_set_only)
{
    void *s = sock (ZMQ_DEALER);
    set_str (s, ZMQ_WSS_CERT_PEM, LEAF_PEM);
    set_str (s, ZMQ_WSS_KEY_PEM, LEAF_KEY);
    set_str (s, ZMQ_WSS_TRUST_PEM, CA_PEM);
    set_str (s, ZMQ_WSS_HOSTNAME, "ferrozmq.test");
    int one = 1, two = 2;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_WSS_TRUST_SYSTEM, &one, sizeof one));
    CHECK_ZMQ_FAILS (zmq_setsockopt (s, ZMQ_WSS_TRUST_SYSTEM, &two, sizeof two),
                     EINVAL);
    const int options[] = {ZMQ_WSS_KEY_PEM, ZMQ_WSS_CERT_PEM, ZMQ_WSS_TRUST_PEM,
                           ZMQ_WSS_HOSTNAME, ZMQ_WSS_TRUST_SYSTEM};
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        char buf[4096];
        size_t len = sizeof buf;
        CHECK_ZMQ_FAILS (zmq_getsockopt (s, options[i], buf, &len), EINVAL);
    }
    zmq_close (s);
    done ();
}

TEST (a_bind_needs_a_certificate_and_its_key)
{
    void *s = sock (ZMQ_REP);
    /* libzmq asserts here; ferrozmq refuses the bind. */
    CHECK_ZMQ_FAILS (zmq_bind (s, "wss://127.0.0.1:*"), EINVAL);
    set_str (s, ZMQ_WSS_CERT_PEM, LEAF_PEM);
    CHECK_ZMQ_FAILS (zmq_bind (s, "wss://127.0.0.1:*"), EINVAL);
    set_str (s, ZMQ_WSS_KEY_PEM, "-----BEGIN PRIVATE KEY-----\nnot a key\n");
    CHECK_ZMQ_FAILS (zmq_bind (s, "wss://127.0.0.1:*"), EINVAL);
    set_str (s, ZMQ_WSS_KEY_PEM, LEAF_KEY);
    CHECK_ZMQ (zmq_bind (s, "wss://127.0.0.1:*/path"));
    char ep[256];
    size_t len = sizeof ep;
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
    CHECK (strncmp (ep, "wss://127.0.0.1:", 16) == 0);
    CHECK (strcmp (ep + strlen (ep) - 5, "/path") == 0);
    CHECK_ZMQ (zmq_unbind (s, ep));
    zmq_close (s);
    done ();
}

TEST (a_chain_to_a_trusted_ca_with_the_hostname)
{
    char ep[256];
    void *rep = server (ZMQ_REP, LEAF_PEM, LEAF_KEY, ep, sizeof ep);
    void *req = client (ZMQ_REQ, CA_PEM, "ferrozmq.test");
    CHECK_ZMQ (zmq_connect (req, ep));
    bounce (rep, req);
    bounce (rep, req);
    zmq_close (req);
    zmq_close (rep);
    done ();
}

TEST (without_a_hostname_the_name_is_not_checked)
{
    char ep[256];
    void *rep = server (ZMQ_REP, LEAF_PEM, LEAF_KEY, ep, sizeof ep);
    void *req = client (ZMQ_REQ, CA_PEM, NULL);
    CHECK_ZMQ (zmq_connect (req, ep));
    bounce (rep, req);
    zmq_close (req);
    zmq_close (rep);
    done ();
}

TEST (a_self_signed_certificate_trusted_directly_named_by_its_cn)
{
    /* libzmq's test_wss_transport, with a certificate of the same shape. */
    char ep[256];
    void *rep = server (ZMQ_REP, CN_PEM, CN_KEY, ep, sizeof ep);
    void *req = client (ZMQ_REQ, CN_PEM, "cn-only.test");
    CHECK_ZMQ (zmq_connect (req, ep));
    bounce (rep, req);
    zmq_close (req);
    zmq_close (rep);
    done ();
}

TEST (a_wrong_hostname_is_refused)
{
    expect_refused (LEAF_PEM, LEAF_KEY, CA_PEM, "other.test");
}

TEST (a_wrong_common_name_is_refused)
{
    expect_refused (CN_PEM, CN_KEY, CN_PEM, "other.test");
}

TEST (an_untrusted_certificate_is_refused)
{
    expect_refused (LEAF_PEM, LEAF_KEY, NULL, NULL);
    expect_refused (LEAF_PEM, LEAF_KEY, CN_PEM, NULL);
}

TEST (an_expired_certificate_is_refused)
{
    expect_refused (OLD_PEM, OLD_KEY, OLD_PEM, "expired.test");
    expect_refused (OLD_PEM, OLD_KEY, OLD_PEM, NULL);
}

TEST (large_and_many_messages_both_ways)
{
    char ep[256];
    void *rep = server (ZMQ_DEALER, LEAF_PEM, LEAF_KEY, ep, sizeof ep);
    void *req = client (ZMQ_DEALER, CA_PEM, "ferrozmq.test");
    CHECK_ZMQ (zmq_connect (req, ep));
    const size_t big = 4 << 20;
    unsigned char *out = malloc (big), *in = malloc (big);
    CHECK (out && in);
    for (size_t i = 0; i < big; i++)
        out[i] = (unsigned char) (i * 131 + (i >> 13));
    CHECK_EQ_INT (zmq_send (req, out, big, 0), (int) big);
    CHECK_EQ_INT (zmq_recv (rep, in, big, 0), (int) big);
    CHECK (memcmp (in, out, big) == 0);
    CHECK_EQ_INT (zmq_send (rep, out, big, 0), (int) big);
    memset (in, 0, big);
    CHECK_EQ_INT (zmq_recv (req, in, big, 0), (int) big);
    CHECK (memcmp (in, out, big) == 0);
    /* Many small ones, in order. */
    const int n = 20000;
    for (int i = 0; i < n; i++)
        CHECK_EQ_INT (zmq_send (req, &i, sizeof i, 0), (int) sizeof i);
    for (int i = 0; i < n; i++) {
        int got = -1;
        CHECK_EQ_INT (zmq_recv (rep, &got, sizeof got, 0), (int) sizeof got);
        CHECK_EQ_INT (got, i);
    }
    free (out);
    free (in);
    zmq_close (req);
    zmq_close (rep);
    done ();
}

TEST (pub_sub_subscriptions_cross_tls)
{
    char ep[256];
    void *pub = server (ZMQ_PUB, LEAF_PEM, LEAF_KEY, ep, sizeof ep);
    void *sub = client (ZMQ_SUB, CA_PEM, "ferrozmq.test");
    set_str (sub, ZMQ_SUBSCRIBE, "news");
    CHECK_ZMQ (zmq_connect (sub, ep));
    /* Publish until the subscription is in (bounded by the watchdog). */
    char buf[32];
    int got = -1;
    int timeout = 50;
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    while (got < 0) {
        CHECK_EQ_INT (zmq_send (pub, "sports", 6, 0), 6);
        CHECK_EQ_INT (zmq_send (pub, "news.1", 6, 0), 6);
        got = zmq_recv (sub, buf, sizeof buf, 0);
    }
    CHECK_EQ_INT (got, 6);
    CHECK_EQ_MEM (buf, "news.1", 6);
    zmq_close (sub);
    zmq_close (pub);
    done ();
}

TEST (curve_inside_tls)
{
    char server_public[41], server_secret[41], public_[41], secret[41];
    CHECK_ZMQ (zmq_curve_keypair (server_public, server_secret));
    CHECK_ZMQ (zmq_curve_keypair (public_, secret));
    void *rep = sock (ZMQ_REP);
    int one = 1;
    CHECK_ZMQ (zmq_setsockopt (rep, ZMQ_CURVE_SERVER, &one, sizeof one));
    CHECK_ZMQ (zmq_setsockopt (rep, ZMQ_CURVE_SECRETKEY, server_secret, 41));
    set_str (rep, ZMQ_WSS_CERT_PEM, LEAF_PEM);
    set_str (rep, ZMQ_WSS_KEY_PEM, LEAF_KEY);
    CHECK_ZMQ (zmq_bind (rep, "wss://127.0.0.1:*"));
    char ep[256];
    size_t len = sizeof ep;
    CHECK_ZMQ (zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, ep, &len));
    void *req = client (ZMQ_REQ, CA_PEM, "ferrozmq.test");
    CHECK_ZMQ (zmq_setsockopt (req, ZMQ_CURVE_SERVERKEY, server_public, 41));
    CHECK_ZMQ (zmq_setsockopt (req, ZMQ_CURVE_PUBLICKEY, public_, 41));
    CHECK_ZMQ (zmq_setsockopt (req, ZMQ_CURVE_SECRETKEY, secret, 41));
    CHECK_ZMQ (zmq_connect (req, ep));
    bounce (rep, req);
    zmq_close (req);
    zmq_close (rep);
    done ();
}

TEST (a_plain_ws_client_is_refused_and_others_are_served)
{
    char ep[256], plain[256];
    void *rep = server (ZMQ_REP, LEAF_PEM, LEAF_KEY, ep, sizeof ep);
    /* The same port, without TLS. */
    snprintf (plain, sizeof plain, "ws://%s", ep + strlen ("wss://"));
    void *bad = sock (ZMQ_REQ);
    CHECK_ZMQ (zmq_socket_monitor (bad, "inproc://wss-plain",
                                   ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                                     | ZMQ_EVENT_DISCONNECTED));
    void *mon = sock (ZMQ_PAIR);
    CHECK_ZMQ (zmq_connect (mon, "inproc://wss-plain"));
    CHECK_ZMQ (zmq_connect (bad, plain));
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0),
                  ZMQ_EVENT_DISCONNECTED);
    void *req = client (ZMQ_REQ, CA_PEM, "ferrozmq.test");
    CHECK_ZMQ (zmq_connect (req, ep));
    bounce (rep, req);
    zmq_close (mon);
    zmq_close (bad);
    zmq_close (req);
    zmq_close (rep);
    done ();
}

TEST_MAIN ()
