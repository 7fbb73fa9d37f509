/* draft_msg.c: the draft message API: zmq_msg_init_buffer, routing ids and groups, and how they travel with copy and move. */
#include "testutil.h"

static const size_t sizes[] = {0, 1, 33, 34, 255, 256, 100000};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void fill_buffer (unsigned char *buf_, size_t size_)
{
    for (size_t i = 0; i < size_; i++)
        buf_[i] = (unsigned char) (i * 13 + 1);
}

/*  A string of n copies of c (n < 400).  */
static const char *repeat (char c_, size_t n_)
{
    static char buf[400];
    memset (buf, c_, n_);
    buf[n_] = '\0';
    return buf;
}

/* ---- zmq_msg_init_buffer ----------------------------------------------------- */

TEST (init_buffer_copies_the_buffer)
{
    for (size_t i = 0; i < NSIZES; i++) {
        unsigned char *buf = (unsigned char *) malloc (sizes[i] + 1);
        zmq_msg_t msg;
        CHECK_NOT_NULL (buf);
        fill_buffer (buf, sizes[i]);
        CHECK_EQ_INT (zmq_msg_init_buffer (&msg, buf, sizes[i]), 0);
        CHECK_EQ_SIZE (zmq_msg_size (&msg), sizes[i]);
        CHECK_NE_PTR (zmq_msg_data (&msg), buf);
        CHECK_EQ_MEM (zmq_msg_data (&msg), buf, sizes[i]);
        memset (buf, 0, sizes[i]);
        free (buf);
        unsigned char *again = (unsigned char *) malloc (sizes[i] + 1);
        CHECK_NOT_NULL (again);
        fill_buffer (again, sizes[i]);
        CHECK_EQ_MEM (zmq_msg_data (&msg), again, sizes[i]);
        free (again);
        CHECK_ZMQ (zmq_msg_close (&msg));
    }
}

TEST (init_buffer_of_null_with_size_0_gives_an_empty_message)
{
    zmq_msg_t msg;
    CHECK_EQ_INT (zmq_msg_init_buffer (&msg, NULL, 0), 0);
    CHECK_EQ_SIZE (zmq_msg_size (&msg), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
}

TEST (init_buffer_message_is_not_shared)
{
    char buf[100] = "data";
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_buffer (&msg, buf, 5));
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 0);
    CHECK_ZMQ (zmq_msg_close (&msg));
    CHECK_ZMQ (zmq_msg_init_buffer (&msg, buf, sizeof buf));
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 0);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (init_buffer_of_huge_size_fails_enomem)
{
    char buf[1] = {0};
    zmq_msg_t msg;
    CHECK_ZMQ_FAILS (zmq_msg_init_buffer (&msg, buf, SIZE_MAX), ENOMEM);
}

/* ---- routing id ------------------------------------------------------------- */

TEST (routing_id_defaults_to_0)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init (&msg));
    CHECK_EQ_SIZE (zmq_msg_routing_id (&msg), 0);
    CHECK_ZMQ (zmq_msg_close (&msg));
    CHECK_ZMQ (zmq_msg_init_size (&msg, 1000));
    CHECK_EQ_SIZE (zmq_msg_routing_id (&msg), 0);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (routing_id_round_trips)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init (&msg));
    CHECK_EQ_INT (zmq_msg_set_routing_id (&msg, 42), 0);
    CHECK_EQ_SIZE (zmq_msg_routing_id (&msg), 42);
    CHECK_EQ_INT (zmq_msg_set_routing_id (&msg, UINT32_MAX), 0);
    CHECK_EQ_SIZE (zmq_msg_routing_id (&msg), UINT32_MAX);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (routing_id_of_0_fails_einval_and_keeps_the_old_id)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init (&msg));
    CHECK_ZMQ (zmq_msg_set_routing_id (&msg, 7));
    CHECK_ZMQ_FAILS (zmq_msg_set_routing_id (&msg, 0), EINVAL);
    CHECK_EQ_SIZE (zmq_msg_routing_id (&msg), 7);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (routing_id_travels_with_copy_and_move)
{
    const size_t lens[] = {3, 100};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        zmq_msg_t a, b, c;
        CHECK_ZMQ (zmq_msg_init_size (&a, lens[i]));
        CHECK_ZMQ (zmq_msg_set_routing_id (&a, 1234));
        CHECK_ZMQ (zmq_msg_init (&b));
        CHECK_ZMQ (zmq_msg_copy (&b, &a));
        CHECK_EQ_SIZE (zmq_msg_routing_id (&b), 1234);
        CHECK_ZMQ (zmq_msg_init (&c));
        CHECK_ZMQ (zmq_msg_move (&c, &a));
        CHECK_EQ_SIZE (zmq_msg_routing_id (&c), 1234);
        CHECK_EQ_SIZE (zmq_msg_routing_id (&a), 0);
        CHECK_ZMQ (zmq_msg_close (&a));
        CHECK_ZMQ (zmq_msg_close (&b));
        CHECK_ZMQ (zmq_msg_close (&c));
    }
}

TEST (routing_id_is_cleared_by_init)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init (&msg));
    CHECK_ZMQ (zmq_msg_set_routing_id (&msg, 9));
    CHECK_ZMQ (zmq_msg_close (&msg));
    CHECK_ZMQ (zmq_msg_init_size (&msg, 10));
    CHECK_EQ_SIZE (zmq_msg_routing_id (&msg), 0);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

/* ---- group ------------------------------------------------------------------ */

TEST (group_defaults_to_empty)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init (&msg));
    CHECK_EQ_STR (zmq_msg_group (&msg), "");
    CHECK_ZMQ (zmq_msg_close (&msg));
    CHECK_ZMQ (zmq_msg_init_size (&msg, 1000));
    CHECK_EQ_STR (zmq_msg_group (&msg), "");
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (group_round_trips_for_every_length_up_to_the_maximum)
{
    const size_t lens[] = {0, 1, 14, 15, 16, 100, 254, ZMQ_GROUP_MAX_LENGTH};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        zmq_msg_t msg;
        char want[ZMQ_GROUP_MAX_LENGTH + 1];
        snprintf (want, sizeof want, "%s", repeat ('g', lens[i]));
        CHECK_ZMQ (zmq_msg_init_size (&msg, 5));
        CHECK_EQ_INT (zmq_msg_set_group (&msg, want), 0);
        CHECK_EQ_STR (zmq_msg_group (&msg), want);
        CHECK_ZMQ (zmq_msg_close (&msg));
    }
}

TEST (group_max_length_is_255)
{
    CHECK_EQ_INT (ZMQ_GROUP_MAX_LENGTH, 255);
}

/*  libzmq reads at most ZMQ_GROUP_MAX_LENGTH characters of the name, so a
 *  longer name is cut to 255 characters rather than refused.  */
TEST (group_longer_than_the_maximum_is_truncated_to_255)
{
    zmq_msg_t msg;
    char want[ZMQ_GROUP_MAX_LENGTH + 1];
    snprintf (want, sizeof want, "%s", repeat ('L', ZMQ_GROUP_MAX_LENGTH));
    CHECK_ZMQ (zmq_msg_init (&msg));
    CHECK_EQ_INT (zmq_msg_set_group (&msg, repeat ('L', 256)), 0);
    CHECK_EQ_STR (zmq_msg_group (&msg), want);
    CHECK_EQ_INT (zmq_msg_set_group (&msg, repeat ('L', 399)), 0);
    CHECK_EQ_STR (zmq_msg_group (&msg), want);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (group_can_be_replaced)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init (&msg));
    CHECK_ZMQ (zmq_msg_set_group (&msg, "first"));
    CHECK_ZMQ (zmq_msg_set_group (&msg, "second"));
    CHECK_EQ_STR (zmq_msg_group (&msg), "second");
    CHECK_ZMQ (zmq_msg_set_group (&msg, "a group name longer than 14"));
    CHECK_EQ_STR (zmq_msg_group (&msg), "a group name longer than 14");
    CHECK_ZMQ (zmq_msg_set_group (&msg, "another long group name"));
    CHECK_EQ_STR (zmq_msg_group (&msg), "another long group name");
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (group_is_copied_not_referenced)
{
    char name[32] = "volatile-name";
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init (&msg));
    CHECK_ZMQ (zmq_msg_set_group (&msg, name));
    strcpy (name, "changed");
    CHECK_EQ_STR (zmq_msg_group (&msg), "volatile-name");
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (group_travels_with_copy)
{
    const char *groups[] = {"short", "a-long-group-name-over-14-chars"};
    for (size_t i = 0; i < 2; i++) {
        zmq_msg_t a, b;
        CHECK_ZMQ (zmq_msg_init_size (&a, 100));
        CHECK_ZMQ (zmq_msg_set_group (&a, groups[i]));
        CHECK_ZMQ (zmq_msg_init (&b));
        CHECK_ZMQ (zmq_msg_copy (&b, &a));
        CHECK_EQ_STR (zmq_msg_group (&b), groups[i]);
        CHECK_ZMQ (zmq_msg_close (&a));
        CHECK_EQ_STR (zmq_msg_group (&b), groups[i]);
        CHECK_ZMQ (zmq_msg_close (&b));
    }
}

TEST (group_travels_with_move_and_leaves_the_source_empty)
{
    const char *groups[] = {"short", "a-long-group-name-over-14-chars"};
    for (size_t i = 0; i < 2; i++) {
        zmq_msg_t a, b;
        CHECK_ZMQ (zmq_msg_init_size (&a, 3));
        CHECK_ZMQ (zmq_msg_set_group (&a, groups[i]));
        CHECK_ZMQ (zmq_msg_init (&b));
        CHECK_ZMQ (zmq_msg_move (&b, &a));
        CHECK_EQ_STR (zmq_msg_group (&b), groups[i]);
        CHECK_EQ_STR (zmq_msg_group (&a), "");
        CHECK_ZMQ (zmq_msg_close (&a));
        CHECK_ZMQ (zmq_msg_close (&b));
    }
}

TEST (group_is_cleared_by_init)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init (&msg));
    CHECK_ZMQ (zmq_msg_set_group (&msg, "a-long-group-name-over-14-chars"));
    CHECK_ZMQ (zmq_msg_close (&msg));
    CHECK_ZMQ (zmq_msg_init_size (&msg, 50));
    CHECK_EQ_STR (zmq_msg_group (&msg), "");
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (group_and_routing_id_are_independent)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 10));
    CHECK_ZMQ (zmq_msg_set_routing_id (&msg, 77));
    CHECK_ZMQ (zmq_msg_set_group (&msg, "a-long-group-name-over-14-chars"));
    CHECK_EQ_SIZE (zmq_msg_routing_id (&msg), 77);
    CHECK_ZMQ (zmq_msg_set_routing_id (&msg, 78));
    CHECK_EQ_STR (zmq_msg_group (&msg), "a-long-group-name-over-14-chars");
    CHECK_EQ_SIZE (zmq_msg_size (&msg), 10);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST_MAIN ()
