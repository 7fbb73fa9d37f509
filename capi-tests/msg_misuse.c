/* msg_misuse.c: what libzmq returns for closed, all-zero and NULL messages, where it returns rather than crashes. */
#include "testutil.h"

/*  A closed message and an all-zero one are both "not a message" to libzmq
 *  (its type byte is 0): operations that validate the message fail with
 *  EFAULT. zmq_msg_size and zmq_msg_data assert (abort) in libzmq, so they are
 *  only exercised in ferro_misuse.c.  */

static void closed (zmq_msg_t *msg_)
{
    CHECK_ZMQ (zmq_msg_init_size (msg_, 100));
    CHECK_ZMQ (zmq_msg_close (msg_));
}

static void zeroed (zmq_msg_t *msg_)
{
    memset (msg_, 0, sizeof *msg_);
}

typedef void (*make_invalid_fn) (zmq_msg_t *);
static const make_invalid_fn invalid_kinds[] = {closed, zeroed};
#define NKINDS (sizeof invalid_kinds / sizeof invalid_kinds[0])

TEST (close_of_a_closed_message_fails_efault)
{
    zmq_msg_t msg;
    closed (&msg);
    CHECK_ZMQ_FAILS (zmq_msg_close (&msg), EFAULT);
}

TEST (close_of_an_all_zero_message_fails_efault)
{
    zmq_msg_t msg;
    zeroed (&msg);
    CHECK_ZMQ_FAILS (zmq_msg_close (&msg), EFAULT);
}

TEST (copy_from_an_invalid_message_fails_efault_and_keeps_the_destination)
{
    for (size_t k = 0; k < NKINDS; k++) {
        zmq_msg_t src, dst;
        invalid_kinds[k](&src);
        CHECK_ZMQ (zmq_msg_init_size (&dst, 7));
        CHECK_ZMQ_FAILS (zmq_msg_copy (&dst, &src), EFAULT);
        CHECK_EQ_SIZE (zmq_msg_size (&dst), 7);
        CHECK_EQ_INT (zmq_msg_close (&dst), 0);
    }
}

TEST (copy_into_an_invalid_message_fails_efault_and_keeps_the_source)
{
    for (size_t k = 0; k < NKINDS; k++) {
        zmq_msg_t src, dst;
        CHECK_ZMQ (zmq_msg_init_size (&src, 100));
        invalid_kinds[k](&dst);
        CHECK_ZMQ_FAILS (zmq_msg_copy (&dst, &src), EFAULT);
        CHECK_EQ_SIZE (zmq_msg_size (&src), 100);
        CHECK_EQ_INT (zmq_msg_get (&src, ZMQ_SHARED), 0);
        CHECK_EQ_INT (zmq_msg_close (&src), 0);
    }
}

TEST (move_from_an_invalid_message_fails_efault_and_keeps_the_destination)
{
    for (size_t k = 0; k < NKINDS; k++) {
        zmq_msg_t src, dst;
        invalid_kinds[k](&src);
        CHECK_ZMQ (zmq_msg_init_size (&dst, 7));
        CHECK_ZMQ_FAILS (zmq_msg_move (&dst, &src), EFAULT);
        CHECK_EQ_SIZE (zmq_msg_size (&dst), 7);
        CHECK_EQ_INT (zmq_msg_close (&dst), 0);
    }
}

TEST (move_into_an_invalid_message_fails_efault_and_keeps_the_source)
{
    for (size_t k = 0; k < NKINDS; k++) {
        zmq_msg_t src, dst;
        CHECK_ZMQ (zmq_msg_init_size (&src, 100));
        invalid_kinds[k](&dst);
        CHECK_ZMQ_FAILS (zmq_msg_move (&dst, &src), EFAULT);
        CHECK_EQ_SIZE (zmq_msg_size (&src), 100);
        CHECK_EQ_INT (zmq_msg_close (&src), 0);
    }
}

TEST (more_of_an_invalid_message_is_0)
{
    for (size_t k = 0; k < NKINDS; k++) {
        zmq_msg_t msg;
        invalid_kinds[k](&msg);
        CHECK_EQ_INT (zmq_msg_more (&msg), 0);
        CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_MORE), 0);
    }
}

TEST (shared_of_an_all_zero_message_is_0)
{
    zmq_msg_t msg;
    zeroed (&msg);
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 0);
}

TEST (srcfd_of_an_invalid_message_fails_einval)
{
    for (size_t k = 0; k < NKINDS; k++) {
        zmq_msg_t msg;
        invalid_kinds[k](&msg);
        CHECK_ZMQ_FAILS (zmq_msg_get (&msg, ZMQ_SRCFD), EINVAL);
    }
}

TEST (get_of_an_unknown_property_of_an_invalid_message_fails_einval)
{
    for (size_t k = 0; k < NKINDS; k++) {
        zmq_msg_t msg;
        invalid_kinds[k](&msg);
        CHECK_ZMQ_FAILS (zmq_msg_get (&msg, 100), EINVAL);
    }
}

TEST (set_on_an_invalid_message_fails_einval)
{
    for (size_t k = 0; k < NKINDS; k++) {
        zmq_msg_t msg;
        invalid_kinds[k](&msg);
        CHECK_ZMQ_FAILS (zmq_msg_set (&msg, ZMQ_MORE, 1), EINVAL);
    }
}

TEST (gets_on_an_invalid_message_is_null_with_einval)
{
    for (size_t k = 0; k < NKINDS; k++) {
        zmq_msg_t msg;
        invalid_kinds[k](&msg);
        CHECK_NULL_ERRNO (zmq_msg_gets (&msg, "Socket-Type"), EINVAL);
    }
}

TEST (gets_with_a_null_name_on_a_fresh_message_is_null_with_einval)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init (&msg));
    CHECK_NULL_ERRNO (zmq_msg_gets (&msg, NULL), EINVAL);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (invalid_messages_can_be_initialised)
{
    for (size_t k = 0; k < NKINDS; k++) {
        zmq_msg_t msg;
        invalid_kinds[k](&msg);
        CHECK_EQ_INT (zmq_msg_init_size (&msg, 50), 0);
        CHECK_EQ_SIZE (zmq_msg_size (&msg), 50);
        CHECK_EQ_INT (zmq_msg_close (&msg), 0);
        invalid_kinds[k](&msg);
        CHECK_EQ_INT (zmq_msg_init (&msg), 0);
        CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    }
}

/*  libzmq leaves a message whose init_size failed in a state that crashes
 *  zmq_msg_close, so these tests never close it.  */
TEST (init_size_of_size_max_fails_enomem)
{
    zmq_msg_t msg;
    CHECK_ZMQ_FAILS (zmq_msg_init_size (&msg, SIZE_MAX), ENOMEM);
}

TEST (init_size_of_an_unallocatable_size_fails_enomem)
{
    zmq_msg_t msg;
    CHECK_ZMQ_FAILS (zmq_msg_init_size (&msg, SIZE_MAX / 2), ENOMEM);
    CHECK_ZMQ_FAILS (zmq_msg_init_size (&msg, (size_t) 1 << 60), ENOMEM);
}

TEST (set_with_a_null_message_fails_einval)
{
    CHECK_ZMQ_FAILS (zmq_msg_set (NULL, ZMQ_MORE, 1), EINVAL);
}

TEST (get_of_an_unknown_property_with_a_null_message_fails_einval)
{
    CHECK_ZMQ_FAILS (zmq_msg_get (NULL, 100), EINVAL);
}

TEST_MAIN ()
