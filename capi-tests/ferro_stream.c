/* ferro_stream.c: STREAM closing where ferrozmq is stricter than libzmq
 * 4.3.4 (not expected to pass against libzmq): an empty data frame closes
 * the connection even if the application never calls the socket again
 * (libzmq finishes the close only as its socket processes commands, so a
 * server that waits on something else keeps the peer connected), and the
 * routing id is unknown from that send on. */
#include "testutil.h"
#include "hostile_util.h"

TEST (an_empty_frame_closes_an_accepted_raw_connection)
{
    void *ctx = zmq_ctx_new ();
    void *server = zmq_socket (ctx, ZMQ_STREAM);
    int t = 5000;
    CHECK_ZMQ (zmq_setsockopt (server, ZMQ_RCVTIMEO, &t, sizeof t));
    char ep[64];
    hu_bind_tcp (server, ep, sizeof ep);
    int fd = hu_connect_raw (ep);
    unsigned char id[256];
    char buf[16];
    int idlen = CHECK_ZMQ (zmq_recv (server, id, sizeof id, 0));
    CHECK_EQ_INT (zmq_recv (server, buf, sizeof buf, 0), 0); /* notification */
    CHECK_EQ_INT (zmq_send (server, id, (size_t) idlen, ZMQ_SNDMORE), idlen);
    CHECK_EQ_INT (zmq_send (server, "last words", 10, 0), 10);
    CHECK_EQ_INT (zmq_send (server, id, (size_t) idlen, ZMQ_SNDMORE), idlen);
    CHECK_EQ_INT (zmq_send (server, "", 0, 0), 0);
    /* What was queued before arrives, then the connection ends. */
    CHECK_EQ_INT (hu_read_exact (fd, buf, 10, HU_PROMPT_MS), 0);
    CHECK_EQ_MEM (buf, "last words", 10);
    HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, NULL);
    close (fd);
    CHECK_ZMQ_FAILS (zmq_send (server, id, (size_t) idlen, ZMQ_SNDMORE),
                     EHOSTUNREACH);
    zmq_close (server);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
