#include "core/user.h"

#include <cstdlib>

#include <pwd.h>
#include <unistd.h>

namespace lg {

std::string currentUser()
{
    if (const char* env = std::getenv("USER"); env && *env)
        return env;
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name && *pw->pw_name)
        return pw->pw_name;
    return "uid " + std::to_string(::getuid());
}

} // namespace lg
