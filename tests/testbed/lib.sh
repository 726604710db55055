# Shared by the testbed scripts (sourced): process checks that survive this VM's late reaping of zombies.

# Alive and not a zombie: once start's shell has exited, init reaps the stopped daemons only later.
alive() { [[ "$(ps -o stat= -p "$1" 2>/dev/null)" == [^Z]* ]]; }

terminate() { # terminate PID NAME: only while PID still runs NAME (a stale env file must not kill a reused PID)
    alive "$1" || return 0
    [[ "$(ps -o comm= -p "$1" 2>/dev/null)" == "${2:0:15}" ]] || return 0
    kill "$1" 2>/dev/null || true
    for _ in $(seq 100); do alive "$1" || return 0; sleep 0.05; done
    echo "$2 (pid $1) ignored SIGTERM for 5 s, killing it" >&2
    kill -9 "$1" 2>/dev/null || true
    for _ in $(seq 20); do alive "$1" || return 0; sleep 0.05; done
}
