/*  test_zactor.c - czmq's zactor (threads talking over inproc PAIR pipes)
 *  over ferrozmq.
 *
 *  An echo actor: startup signal, commands, multipart echo, the $TERM
 *  handshake of zactor_destroy; many actors at once; an actor that ends on
 *  its own before zactor_destroy.
 */
#include "fz_check.h"

typedef struct {
    const char *greeting;       //  passed as the actor's argument
    volatile bool got_term;
    volatile bool finished;
    volatile int commands;
} echo_state_t;

static void
echo_actor (zsock_t *pipe, void *args)
{
    echo_state_t *st = (echo_state_t *) args;
    zsock_signal (pipe, 0);                     //  startup handshake
    for (;;) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg)
            break;                              //  interrupted
        char *command = zmsg_popstr (msg);
        st->commands++;
        if (command && streq (command, "$TERM")) {
            st->got_term = true;
            zstr_free (&command);
            zmsg_destroy (&msg);
            break;
        }
        if (command && streq (command, "ECHO"))
            zmsg_send (&msg, pipe);             //  the rest, unchanged
        else
        if (command && streq (command, "HELLO"))
            zstr_send (pipe, st->greeting);
        else
        if (command && streq (command, "COUNT"))
            zsock_send (pipe, "i", st->commands);
        else
            zstr_sendf (pipe, "unknown %s", command ? command : "(null)");
        zstr_free (&command);
        zmsg_destroy (&msg);
    }
    st->finished = true;
}

static bool
echo (void)
{
    echo_state_t st = { "hello from the actor", false, false, 0 };
    zactor_t *actor = zactor_new (echo_actor, &st);
    REQUIRE (actor, "zactor_new");
    REQUIRE (zactor_is (actor) && !zsock_is (actor), "zactor_is");
    REQUIRE (zsock_is (zactor_sock (actor)), "zactor_sock is not a zsock");
    REQUIRE (zactor_resolve (actor) == zsock_resolve (zactor_sock (actor)), "zactor_resolve");
    zsock_set_rcvtimeo (zactor_sock (actor), FZ_RCVTIMEO);

    zstr_send (actor, "HELLO");
    RECV_STR (greeting, actor);
    REQUIRE (streq (greeting, st.greeting), "greeting '%s'", greeting);
    zstr_free (&greeting);

    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "ECHO");
    zmsg_addstr (msg, "one");
    zmsg_addmem (msg, NULL, 0);
    byte blob[1000];
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (byte) i;
    zmsg_addmem (msg, blob, sizeof blob);
    REQUIRE (zmsg_send (&msg, actor) == 0, "send");
    zmsg_t *back = zmsg_recv (actor);
    REQUIRE (back, "no echo");
    REQUIRE (zmsg_size (back) == 3, "echo has %zu frames, want 3", zmsg_size (back));
    char *one = zmsg_popstr (back);
    REQUIRE (one && streq (one, "one"), "frame 1");
    zstr_free (&one);
    zframe_t *f = zmsg_pop (back);
    REQUIRE (f && zframe_size (f) == 0, "frame 2 not empty");
    zframe_destroy (&f);
    f = zmsg_pop (back);
    REQUIRE (f && zframe_size (f) == sizeof blob && memcmp (zframe_data (f), blob, sizeof blob) == 0,
             "frame 3 differs");
    zframe_destroy (&f);
    zmsg_destroy (&back);

    for (int i = 0; i < 200; i++)
        zstr_sendx (actor, "ECHO", "n", NULL);
    for (int i = 0; i < 200; i++) {
        RECV_STR (n, actor);
        zstr_free (&n);
    }
    zstr_send (actor, "COUNT");
    int count = 0;
    REQUIRE (zsock_recv (actor, "i", &count) == 0, "COUNT reply");
    REQUIRE (count == 203, "actor counted %d commands, want 203", count);

    zstr_send (actor, "BOGUS");
    RECV_STR (unknown, actor);
    REQUIRE (streq (unknown, "unknown BOGUS"), "reply '%s'", unknown);
    zstr_free (&unknown);

    REQUIRE (!st.got_term && !st.finished, "actor ended early");
    zactor_destroy (&actor);                    //  sends $TERM, waits
    REQUIRE (actor == NULL, "zactor_destroy did not null the reference");
    REQUIRE (st.got_term, "the actor never received $TERM");
    REQUIRE (st.finished, "zactor_destroy returned before the actor ended");
    return true;
}

static bool
many_actors (void)
{
    enum { N = 16, ROUNDS = 100 };
    echo_state_t st[N];
    zactor_t *actors[N];
    for (int i = 0; i < N; i++) {
        st[i] = (echo_state_t) { "x", false, false, 0 };
        actors[i] = zactor_new (echo_actor, &st[i]);
        REQUIRE (actors[i], "zactor_new %d", i);
        zsock_set_rcvtimeo (zactor_sock (actors[i]), FZ_RCVTIMEO);
    }
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < N; i++)
            zstr_sendx (actors[i], "ECHO", "payload", NULL);
    for (int i = 0; i < N; i++)
        for (int r = 0; r < ROUNDS; r++) {
            RECV_STR (p, actors[i]);
            REQUIRE (streq (p, "payload"), "actor %d round %d: '%s'", i, r, p);
            zstr_free (&p);
        }
    for (int i = 0; i < N; i++) {
        zactor_destroy (&actors[i]);
        REQUIRE (st[i].got_term && st[i].finished, "actor %d did not end by $TERM", i);
    }
    return true;
}

static void
quitter (zsock_t *pipe, void *args)
{
    (void) args;
    zsock_signal (pipe, 0);
    char *s = zstr_recv (pipe);                 //  one command, then leave
    zstr_free (&s);
}

static bool
actor_ends_first (void)
{
    zactor_t *actor = zactor_new (quitter, NULL);
    REQUIRE (actor, "zactor_new");
    zstr_send (actor, "GO AWAY");
    zclock_sleep (100);                         //  let it end on its own
    zactor_destroy (&actor);                    //  must not hang
    REQUIRE (actor == NULL, "reference not nulled");
    return true;
}

int
main (void)
{
    fz_begin ("czmq.zactor");
    fz_run ("czmq.zactor.echo-and-term", echo);
    fz_run ("czmq.zactor.many-actors", many_actors);
    fz_run ("czmq.zactor.actor-ends-first", actor_ends_first);
    return fz_end ("czmq.zactor");
}
