/*  ferrozmq demo: a plain libzmq program, built against include/zmq.h and run
    against build/lib/libzmq.so.5. Until the messaging engine lands it shows
    what works without networking: version, contexts, messages, Z85.        */
#include <zmq.h>
#include <stdio.h>
#include <string.h>

static void free_buffer (void *data, void *hint)
{
    (void) data;
    printf ("  free function called for \"%s\" (hint %p)\n", (char *) data, hint);
}

int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("libzmq API %d.%d.%d (ferrozmq)\n", major, minor, patch);

    void *ctx = zmq_ctx_new ();
    zmq_ctx_set (ctx, ZMQ_IO_THREADS, 2);
    printf ("context: io_threads=%d max_sockets=%d msg_t size=%d\n",
            zmq_ctx_get (ctx, ZMQ_IO_THREADS), zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS),
            zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE));

    zmq_msg_t small, large, copy;
    zmq_msg_init_size (&small, 5);
    memcpy (zmq_msg_data (&small), "hello", 5);
    zmq_msg_init_size (&large, 4096);
    memset (zmq_msg_data (&large), 'x', 4096);
    zmq_msg_init (&copy);
    zmq_msg_copy (&copy, &large);
    printf ("messages: small=%zu bytes (shared %d), large=%zu bytes, copy shares payload: %s\n",
            zmq_msg_size (&small), zmq_msg_get (&small, ZMQ_SHARED), zmq_msg_size (&large),
            zmq_msg_data (&copy) == zmq_msg_data (&large) ? "yes" : "no");
    zmq_msg_close (&small);
    zmq_msg_close (&large);
    zmq_msg_close (&copy);

    static char text[] = "user buffer";
    zmq_msg_t user, user_copy;
    zmq_msg_init_data (&user, text, sizeof text, free_buffer, NULL);
    zmq_msg_init (&user_copy);
    zmq_msg_copy (&user_copy, &user);
    printf ("closing the first of two messages sharing a user buffer...\n");
    zmq_msg_close (&user);
    printf ("closing the second...\n");
    zmq_msg_close (&user_copy);

    const uint8_t key[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    char z85[11];
    printf ("Z85 of the RFC 32 test vector: %s\n", zmq_z85_encode (z85, key, 8));

    zmq_msg_t closed;
    zmq_msg_init (&closed);
    zmq_msg_close (&closed);
    int rc = zmq_msg_close (&closed);
    printf ("closing a closed message: rc=%d errno=%s\n", rc, zmq_strerror (zmq_errno ()));
    rc = zmq_close (NULL);
    printf ("zmq_close(NULL): rc=%d errno=%s\n", rc, zmq_strerror (zmq_errno ()));

    printf ("zmq_ctx_term: %d\n", zmq_ctx_term (ctx));
    return 0;
}
