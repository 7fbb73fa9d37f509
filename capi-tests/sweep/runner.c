
/* ------------------------------------------------------------- runner ---- */

/*  Runs case n_ in a child that gets hang_s_ seconds; writes its outcome
 *  into out_.  */
static void sw_run_one (int n_, unsigned hang_s_, char *out_, size_t cap_)
{
    int fds[2];
    if (pipe (fds) != 0) {
        snprintf (out_, cap_, "runner-error pipe");
        return;
    }
    fflush (stdout);
    const pid_t pid = fork ();
    if (pid < 0) {
        snprintf (out_, cap_, "runner-error fork");
        close (fds[0]);
        close (fds[1]);
        return;
    }
    if (pid == 0) {
        close (fds[0]);
        sw_out = fds[1];
        /*  libzmq's assertion messages would only clutter the report.  */
        if (!getenv ("SWEEP_STDERR") && !freopen ("/dev/null", "w", stderr))
            _exit (96);
        signal (SIGPIPE, SIG_IGN);
        alarm (hang_s_);
        sw_init_buffers ();
        run_case (n_);
        _exit (98);
    }
    close (fds[1]);
    size_t len = 0;
    out_[0] = '\0';
    for (;;) {
        const ssize_t k = read (fds[0], out_ + len, cap_ - 1 - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        len += (size_t) k;
        if (len == cap_ - 1)
            break;
    }
    out_[len] = '\0';
    close (fds[0]);
    int status = 0;
    while (waitpid (pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED (status)) {
        if (WTERMSIG (status) == SIGALRM && len == 0)
            snprintf (out_, cap_, "hang");
        else if (len == 0)
            snprintf (out_, cap_, "signal=%d", WTERMSIG (status));
        /*  A signal after the result was written (a library thread dying
         *  at exit) does not change what the call returned.  */
    } else if (len == 0)
        snprintf (out_, cap_, "exit=%d", WIFEXITED (status) ? WEXITSTATUS (status) : -1);
}

int main (int argc_, char **argv_)
{
    /*  usage: sweep [--list] [first [last]]  */
    setvbuf (stdout, NULL, _IOLBF, 0);
    int list = 0, first = 0, last = SW_NCASES - 1, pos = 0;
    for (int i = 1; i < argc_; i++) {
        if (strcmp (argv_[i], "--list") == 0)
            list = 1;
        else if (pos++ == 0)
            first = last = atoi (argv_[i]);
        else
            last = atoi (argv_[i]);
    }
    if (pos == 1 && first < 0) {
        first = 0;
        last = SW_NCASES - 1;
    }
    for (int n = first; n <= last && n < SW_NCASES; n++) {
        char out[256];
        if (list)
            snprintf (out, sizeof out, "-");
        else {
            sw_run_one (n, SWEEP_HANG_S, out, sizeof out);
            /*  SWEEP_RETRY_S: a call that hung is given that long once
             *  more, so a loaded machine does not pass for a hang.  */
            const char *retry = getenv ("SWEEP_RETRY_S");
            if (retry && strcmp (out, "hang") == 0)
                sw_run_one (n, (unsigned) atoi (retry), out, sizeof out);
        }
        printf ("%d\t%s\t%s\t%s\n", n, sw_cases[n].fn, sw_cases[n].args, out);
    }
    return 0;
}
