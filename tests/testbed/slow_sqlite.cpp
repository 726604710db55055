// LD_PRELOAD shim for the crash-safety test: each sqlite3_step of the process under test waits
// LG_SLOW_SQLITE_US microseconds first, so that a scan's write lasts long enough for a kill to land inside it.
// The fault is injected from the test; the shipped code has no hook for it.
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>

struct sqlite3_stmt;

extern "C" int sqlite3_step(sqlite3_stmt* statement)
{
    using Step = int (*)(sqlite3_stmt*);
    static const Step real = reinterpret_cast<Step>(dlsym(RTLD_NEXT, "sqlite3_step"));
    static const long delayUs = [] {
        const char* v = std::getenv("LG_SLOW_SQLITE_US");
        return v ? std::atol(v) : 0L;
    }();
    if (delayUs > 0)
        usleep(static_cast<useconds_t>(delayUs));
    return real(statement);
}
