/* XPUB details that libzmq 4.3's xpub.cpp and mtrie decide, each checked
 * against Debian's libzmq as well (capi-tests/run.sh --libzmq-reference):
 * which cancels are passed up (a cancel of a topic the subscriber never
 * had; a leaving subscriber's topics, plain and VERBOSER), and which pipe
 * XPUB_MANUAL's ZMQ_SUBSCRIBE applies to after a subscriber left. */
#include "testutil.h"
#include "hostile_util.h"

#define WAIT_MS 2000

static void *xpub_socket (void *ctx_, int option_)
{
    void *x = zmq_socket (ctx_, ZMQ_XPUB);
    CHECK_NOT_NULL (x);
    int one = 1, zero = 0, wait = WAIT_MS;
    CHECK_ZMQ (zmq_setsockopt (x, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_ZMQ (zmq_setsockopt (x, ZMQ_RCVTIMEO, &wait, sizeof wait));
    if (option_)
        CHECK_ZMQ (zmq_setsockopt (x, option_, &one, sizeof one));
    return x;
}

static void *sub_socket (void *ctx_, const char *ep_)
{
    void *s = zmq_socket (ctx_, ZMQ_SUB);
    CHECK_NOT_NULL (s);
    int zero = 0, wait = WAIT_MS;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_RCVTIMEO, &wait, sizeof wait));
    CHECK_ZMQ (zmq_connect (s, ep_));
    return s;
}

/*  Receives one (un)subscription message: 1 or 0, then the topic.  */
static void expect_sub (void *xpub_, int on_, const char *topic_)
{
    unsigned char buf[64];
    const int n = zmq_recv (xpub_, buf, sizeof buf, 0);
    if (n < 0)
        tu_fail (__FILE__, __LINE__, "no %s of '%s' reached the XPUB: %s",
                 on_ ? "subscribe" : "cancel", topic_,
                 zmq_strerror (zmq_errno ()));
    CHECK_EQ_INT (n, (int) strlen (topic_) + 1);
    CHECK_EQ_INT (buf[0], on_);
    CHECK_EQ_MEM (buf + 1, topic_, strlen (topic_));
}

/*  Receives `n_` cancels and checks they are `topics_` in some order.  */
static void expect_cancels (void *xpub_, const char **topics_, int n_)
{
    int seen[8] = {0};
    CHECK (n_ <= 8);
    for (int k = 0; k < n_; k++) {
        unsigned char buf[64];
        const int n = CHECK_ZMQ (zmq_recv (xpub_, buf, sizeof buf, 0));
        CHECK (n >= 1);
        CHECK_EQ_INT (buf[0], 0);
        int found = -1;
        for (int i = 0; i < n_; i++)
            if (!seen[i] && (size_t) n - 1 == strlen (topics_[i])
                && memcmp (buf + 1, topics_[i], (size_t) n - 1) == 0)
                found = i;
        CHECK (found >= 0);
        seen[found] = 1;
    }
}

static void expect_none (void *xpub_, int ms_)
{
    int wait = ms_;
    unsigned char buf[64];
    CHECK_ZMQ (zmq_setsockopt (xpub_, ZMQ_RCVTIMEO, &wait, sizeof wait));
    CHECK_ZMQ_FAILS (zmq_recv (xpub_, buf, sizeof buf, 0), EAGAIN);
}

/*  Sends one ZMTP 3.0 message frame with a binary body.  */
static void send_raw_frame (int fd_, const void *body_, size_t n_)
{
    unsigned char frame[128];
    const size_t len = hu_put_frame (frame, sizeof frame, 0, body_, n_);
    HU_SEND (fd_, frame, len);
}

/*  libzmq's mtrie answers "not found" for a cancel of a topic the pipe
 *  does not have, and XPUB passes up anything but "values remain": the
 *  application sees the cancel, verbose or not. A raw ZMTP 3.0 SUB sends
 *  it (a real SUB or XSUB would not).  */
TEST (xpub_passes_up_a_cancel_of_a_topic_the_subscriber_never_had)
{
    void *ctx = zmq_ctx_new ();
    void *xpub = xpub_socket (ctx, 0);
    char ep[256];
    hu_bind_tcp (xpub, ep, sizeof ep);
    const int fd = hu_connect_raw (ep);
    hu_handshake_null (fd, "SUB");
    send_raw_frame (fd, "\1a", 2);
    expect_sub (xpub, 1, "a");
    send_raw_frame (fd, "\0zz", 3);
    expect_sub (xpub, 0, "zz");
    /*  A second subscriber to "a": its cancel leaves values, not passed.  */
    void *sub = sub_socket (ctx, ep);
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "a", 1));
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "b", 1));
    expect_sub (xpub, 1, "b");
    send_raw_frame (fd, "\0a", 2);
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "b", 1));
    expect_sub (xpub, 0, "b");
    expect_none (xpub, 300);
    close (fd);
    CHECK_ZMQ (zmq_close (sub));
    CHECK_ZMQ (zmq_close (xpub));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/*  A subscriber leaves: XPUB passes up the cancels of the topics nobody
 *  else has; with XPUB_VERBOSER, of every topic it had (libzmq removes the
 *  pipe from its trie with call_on_uniq = !verbose_unsubs).  */
static void leaving_subscriber (int option_)
{
    void *ctx = zmq_ctx_new ();
    void *xpub = xpub_socket (ctx, option_);
    CHECK_ZMQ (zmq_bind (xpub, "inproc://leaving"));
    void *stays = sub_socket (ctx, "inproc://leaving");
    CHECK_ZMQ (zmq_setsockopt (stays, ZMQ_SUBSCRIBE, "t", 1));
    expect_sub (xpub, 1, "t");
    void *leaves = sub_socket (ctx, "inproc://leaving");
    CHECK_ZMQ (zmq_setsockopt (leaves, ZMQ_SUBSCRIBE, "t", 1));
    expect_sub (xpub, 1, "t"); /* verbose: every subscription */
    CHECK_ZMQ (zmq_setsockopt (leaves, ZMQ_SUBSCRIBE, "u", 1));
    expect_sub (xpub, 1, "u");
    CHECK_ZMQ (zmq_close (leaves));
    if (option_ == ZMQ_XPUB_VERBOSER) {
        const char *both[] = {"t", "u"};
        expect_cancels (xpub, both, 2);
    } else {
        const char *last[] = {"u"};
        expect_cancels (xpub, last, 1);
    }
    expect_none (xpub, 300);
    CHECK_ZMQ (zmq_close (stays));
    CHECK_ZMQ (zmq_close (xpub));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (xpub_verbose_passes_up_only_the_topics_a_leaving_subscriber_held_alone)
{
    leaving_subscriber (ZMQ_XPUB_VERBOSE);
}

TEST (xpub_verboser_passes_up_every_topic_of_a_leaving_subscriber)
{
    leaving_subscriber (ZMQ_XPUB_VERBOSER);
}

/*  XPUB_MANUAL: the cancel that a leaving subscriber's topics produce
 *  belongs to no pipe, so receiving it leaves no "last pipe" for the
 *  application's next ZMQ_SUBSCRIBE/UNSUBSCRIBE (libzmq: NULL). An
 *  UNSUBSCRIBE then must not hit the subscriber received before.  */
TEST (xpub_manual_cancel_of_a_leaving_subscriber_belongs_to_no_pipe)
{
    void *ctx = zmq_ctx_new ();
    void *xpub = xpub_socket (ctx, ZMQ_XPUB_MANUAL);
    CHECK_ZMQ (zmq_bind (xpub, "inproc://manual"));
    void *leaves = sub_socket (ctx, "inproc://manual");
    CHECK_ZMQ (zmq_setsockopt (leaves, ZMQ_SUBSCRIBE, "b", 1));
    expect_sub (xpub, 1, "b");
    CHECK_ZMQ (zmq_setsockopt (xpub, ZMQ_SUBSCRIBE, "b", 1));
    void *stays = sub_socket (ctx, "inproc://manual");
    CHECK_ZMQ (zmq_setsockopt (stays, ZMQ_SUBSCRIBE, "a", 1));
    expect_sub (xpub, 1, "a");
    CHECK_ZMQ (zmq_setsockopt (xpub, ZMQ_SUBSCRIBE, "a", 1));
    CHECK_ZMQ (zmq_close (leaves));
    expect_sub (xpub, 0, "b");
    /*  No pipe to apply it to: "stays" keeps its subscription.  */
    CHECK_ZMQ (zmq_setsockopt (xpub, ZMQ_UNSUBSCRIBE, "a", 1));
    CHECK_EQ_INT (zmq_send (xpub, "a-msg", 5, 0), 5);
    hu_expect_msg (stays, "a-msg", 0);
    CHECK_ZMQ (zmq_close (stays));
    CHECK_ZMQ (zmq_close (xpub));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
