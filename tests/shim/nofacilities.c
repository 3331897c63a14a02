/* LD_PRELOAD shim that takes away the run-time facilities processcreds looks for, so that its
 * fallbacks run (docs/RELIABILITY.md, `make test-fallbacks`).
 *
 *   PC_SHIM_OFF   comma-separated list of what to take away:
 *                   closefrom    posix_spawn_file_actions_addclosefrom_np fails with ENOSYS
 *                   pidfd        syscall(SYS_pidfd_open, ...) fails with ENOSYS
 *                   close_range  syscall(SYS_close_range, ...) fails with ENOSYS
 *                   procfd       syscall(SYS_getdents64, ...) fails with ENOSYS (so that the
 *                                listing of /proc/self/fd cannot be read)
 *   PC_SHIM_LOG   a file to which each process that was refused a call appends, at exit, how
 *                 many calls were refused:
 *                   "refused closefrom=N pidfd=N close_range=N procfd=N"
 *
 * Every other system call is passed on to the C library's syscall(). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

enum { CLOSEFROM, PIDFD, CLOSE_RANGE, PROCFD, N_FACILITIES };
static const char *const names[N_FACILITIES] = {"closefrom", "pidfd", "close_range", "procfd"};
static int off[N_FACILITIES];
/* Counted with atomics: the vfork-style child shares our memory. */
static unsigned long refused[N_FACILITIES];

typedef long (*syscall_fn)(long, ...);
typedef int (*closefrom_fn)(posix_spawn_file_actions_t *, int);
static syscall_fn real_syscall;
static closefrom_fn real_closefrom;

__attribute__((constructor)) static void shim_init(void) {
    const char *list = getenv("PC_SHIM_OFF");
    for (int i = 0; list && i < N_FACILITIES; i++) {
        size_t n = strlen(names[i]);
        for (const char *p = list; (p = strstr(p, names[i])) != NULL; p += n) {
            int starts = p == list || p[-1] == ',';
            int ends = p[n] == '\0' || p[n] == ',';
            if (starts && ends) off[i] = 1;
        }
    }
    real_syscall = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
    real_closefrom = (closefrom_fn)dlsym(RTLD_NEXT, "posix_spawn_file_actions_addclosefrom_np");
}

__attribute__((destructor)) static void shim_report(void) {
    const char *log = getenv("PC_SHIM_LOG");
    if (!log || (!refused[0] && !refused[1] && !refused[2] && !refused[3])) return;
    char line[160];
    int n = snprintf(line, sizeof line, "refused closefrom=%lu pidfd=%lu close_range=%lu procfd=%lu\n",
                     refused[CLOSEFROM], refused[PIDFD], refused[CLOSE_RANGE], refused[PROCFD]);
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    if (write(fd, line, (size_t)n) != n) { /* nothing more to do */
    }
    close(fd);
}

static long refuse(int what) {
    __atomic_add_fetch(&refused[what], 1, __ATOMIC_RELAXED);
    errno = ENOSYS;
    return -1;
}

long syscall(long number, ...) {
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_pidfd_open && off[PIDFD]) return refuse(PIDFD);
    if (number == SYS_close_range && off[CLOSE_RANGE]) return refuse(CLOSE_RANGE);
    if (number == SYS_getdents64 && off[PROCFD]) return refuse(PROCFD);
    if (!real_syscall) {
        errno = ENOSYS;
        return -1;
    }
    return real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *fa, int from) {
    if (off[CLOSEFROM] || !real_closefrom) {
        __atomic_add_fetch(&refused[CLOSEFROM], 1, __ATOMIC_RELAXED);
        return ENOSYS;
    }
    return real_closefrom(fa, from);
}
