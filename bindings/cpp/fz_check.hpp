// fz_check.hpp - the little harness the cppzmq test programs share.
//
// Every check is a function returning bool; REQUIRE() ends it with a
// reason, and an exception escaping a check (zmq::error_t...) fails it with
// its what().  fz::run() prints exactly one line per check:
//
//     PASS <name>
//     FAIL <name>: <reason> (<file>:<line>: <condition>)
//
// A watchdog (alarm) turns a hanging check into a FAIL line and ends the
// process.  fz::begin() runs the first check of every program: it proves
// from /proc/self/maps that the one libzmq.so mapped is the one in
// $FERRO_EXPECT_LIBDIR and (if set) that zmq_version() is
// $FERRO_EXPECT_VERSION, and prints both.
#ifndef FZ_CHECK_HPP
#define FZ_CHECK_HPP

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits.h>
#include <set>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace fz {

constexpr int rcvtimeo_ms = 5000;   // every receiving test socket gets this
constexpr int watchdog_s = 20;      // per check

inline int passed = 0, failed = 0;
inline std::string reason;
inline char current[128];

inline void on_alarm(int)
{
    char line[256];
    int n = snprintf(line, sizeof line,
                     "FAIL %s: watchdog: the check did not finish within %d s\n",
                     current, watchdog_s);
    if (n > 0 && write(STDOUT_FILENO, line, (size_t) n) < 0)
        _exit(3);
    _exit(3);
}

__attribute__((format(printf, 4, 5))) inline void
set_reason(const char *file, int line, const char *cond, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *base = strrchr(file, '/');
    char buf[1024];
    snprintf(buf, sizeof buf, "%s (%s:%d: %s)", what, base ? base + 1 : file, line, cond);
    reason = buf;
}

#define REQUIRE(cond, ...)                                                  \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fz::set_reason(__FILE__, __LINE__, #cond, __VA_ARGS__);         \
            return false;                                                   \
        }                                                                   \
    } while (0)

inline void run(const char *name, const std::function<bool()> &check)
{
    snprintf(current, sizeof current, "%s", name);
    reason.clear();
    alarm(watchdog_s);
    bool ok = false;
    try {
        ok = check();
    } catch (const zmq::error_t &e) {
        reason = std::string("zmq::error_t thrown: ") + e.what() + " (errno "
                 + std::to_string(e.num()) + ")";
    } catch (const std::exception &e) {
        reason = std::string("exception thrown: ") + e.what();
    }
    alarm(0);
    if (ok) {
        passed++;
        printf("PASS %s\n", name);
    } else {
        failed++;
        printf("FAIL %s: %s\n", name, reason.empty() ? "no reason given" : reason.c_str());
    }
    fflush(stdout);
}

inline bool same_library(const std::string &mapped, unsigned long ino, const char *dir)
{
    struct stat st;
    std::string want = std::string(dir) + "/libzmq.so.5";
    if (stat(want.c_str(), &st) == 0 && (unsigned long) st.st_ino == ino)
        return true;
    // The staged file may have been replaced since: the directory still tells
    char a[PATH_MAX], b[PATH_MAX];
    std::string mdir = mapped.substr(0, mapped.rfind('/'));
    return realpath(mdir.c_str(), a) && realpath(dir, b) && strcmp(a, b) == 0;
}

inline bool check_library()
{
    const char *dir = getenv("FERRO_EXPECT_LIBDIR");
    REQUIRE(dir && *dir, "FERRO_EXPECT_LIBDIR is not set: cannot tell which libzmq should be loaded");
    std::ifstream maps("/proc/self/maps");
    REQUIRE(maps, "cannot read /proc/self/maps");
    std::set<std::string> paths;
    std::string line, first;
    unsigned long first_ino = 0;
    while (std::getline(maps, line)) {
        auto slash = line.find('/');
        if (slash == std::string::npos || line.find("/libzmq.so", slash) == std::string::npos)
            continue;
        std::string path = line.substr(slash);
        unsigned long ino = 0;
        sscanf(line.c_str(), "%*s %*s %*s %*s %lu", &ino);
        if (paths.insert(path).second && first.empty()) {
            first = path;
            first_ino = ino;
        }
    }
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    std::string version = std::to_string(major) + "." + std::to_string(minor) + "."
                          + std::to_string(patch);
    auto [cmaj, cmin, cpat] = zmq::version();
    printf("INFO %s: zmq_version %s, libzmq mapped from %s, cppzmq %d.%d.%d, zmq.h %d.%d.%d\n",
           current, version.c_str(), first.empty() ? "(none)" : first.c_str(),
           CPPZMQ_VERSION_MAJOR, CPPZMQ_VERSION_MINOR, CPPZMQ_VERSION_PATCH,
           ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH);
    REQUIRE(cmaj == major && cmin == minor && cpat == patch, "zmq::version() disagrees");
    REQUIRE(paths.size() == 1, "%zu libzmq objects mapped (want exactly 1)", paths.size());
    REQUIRE(same_library(first, first_ino, dir), "the libzmq mapped is %s, not %s/libzmq.so.5",
            first.c_str(), dir);
    const char *want = getenv("FERRO_EXPECT_VERSION");
    if (want && *want)
        REQUIRE(version == want, "zmq_version() is %s, want %s", version.c_str(), want);
    return true;
}

inline void begin(const char *program)
{
    setvbuf(stdout, nullptr, _IOLBF, 0);
    signal(SIGALRM, on_alarm);
    std::string name = std::string(program) + ".loaded-libzmq";
    run(name.c_str(), check_library);
}

// After a failure sockets may still be open (zmq::context_t's destructor
// would wait for them): leave at once.  On success destructors run, under
// the watchdog too.
inline int end(const char *program)
{
    fflush(stdout);
    if (failed)
        _exit(1);
    snprintf(current, sizeof current, "%s.shutdown", program);
    alarm(watchdog_s);
    return 0;
}

// The port of a "tcp://127.0.0.1:N" endpoint, or -1.
inline int port_of(const std::string &endpoint)
{
    auto colon = endpoint.rfind(':');
    return colon == std::string::npos ? -1 : atoi(endpoint.c_str() + colon + 1);
}

inline std::string inproc(const char *what)
{
    static int serial = 0;
    return "inproc://fz-" + std::string(what) + "-" + std::to_string(getpid()) + "-"
           + std::to_string(serial++);
}

inline void set_timeouts(zmq::socket_t &s)
{
    s.set(zmq::sockopt::rcvtimeo, rcvtimeo_ms);
    s.set(zmq::sockopt::sndtimeo, rcvtimeo_ms);
    s.set(zmq::sockopt::linger, 0);
}

} // namespace fz

#endif
