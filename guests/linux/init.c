/* ospite's /init: a tiny static program that makes a Linux guest usable from a test harness.
 *
 * It mounts /proc, /sys and /dev, prints a banner, then reads commands from the console, one a
 * line, after the prompt "ospite# ":
 *
 *   echo WORDS...          print the words
 *   echo WORDS... > FILE   write them (and a newline) to FILE
 *   cat FILE...            print files
 *   ls [DIR]               list a directory, sorted, one name a line (default: /)
 *   work N                 CPU-bound and deterministic: count the primes below N and print an
 *                          FNV-1a hash of them
 *   mount [DEV DIR [TYPE]] mount a file system (default: /dev/vda on /mnt, ext2), read-only
 *                          if the disk is write-protected
 *   umount DIR             unmount it
 *   sync                   flush file systems to their disks
 *   uname                  the kernel's name, release and machine
 *   exit [N]               end init (the kernel then panics: a crashing guest on purpose)
 *   poweroff               sync, then power the machine off
 *
 * Every command's output ends with a line, then the next prompt. Unknown commands print
 * "unknown command: NAME". Built with riscv64-linux-gnu-gcc -static -O2 (see build.sh).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MAX_ARGS 32

static void try_mount(const char *src, const char *dir, const char *type)
{
    mkdir(dir, 0755);
    if (mount(src, dir, type, 0, NULL) != 0 && errno != EBUSY)
        printf("init: mount %s on %s: %s\n", type, dir, strerror(errno));
}

static void cmd_echo(int argc, char **argv)
{
    int end = argc;
    const char *file = NULL;
    if (argc >= 3 && strcmp(argv[argc - 2], ">") == 0) {
        file = argv[argc - 1];
        end = argc - 2;
    }
    FILE *out = stdout;
    if (file) {
        out = fopen(file, "w");
        if (!out) {
            printf("echo: %s: %s\n", file, strerror(errno));
            return;
        }
    }
    for (int i = 1; i < end; i++)
        fprintf(out, "%s%s", i > 1 ? " " : "", argv[i]);
    fputc('\n', out);
    if (file && fclose(out) != 0)
        printf("echo: %s: %s\n", file, strerror(errno));
}

static void cmd_cat(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            printf("cat: %s: %s\n", argv[i], strerror(errno));
            continue;
        }
        char buf[4096];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            fwrite(buf, 1, (size_t)n, stdout);
        close(fd);
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void cmd_ls(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/";
    DIR *d = opendir(dir);
    if (!d) {
        printf("ls: %s: %s\n", dir, strerror(errno));
        return;
    }
    char *names[512];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 512) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    for (size_t i = 0; i < n; i++) {
        printf("%s\n", names[i]);
        free(names[i]);
    }
}

static void cmd_work(int argc, char **argv)
{
    unsigned long limit = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    unsigned long count = 0;
    uint64_t hash = 0xcbf29ce484222325ull;
    for (unsigned long n = 2; n < limit; n++) {
        int prime = 1;
        for (unsigned long d = 2; d * d <= n; d++) {
            if (n % d == 0) {
                prime = 0;
                break;
            }
        }
        if (prime) {
            count++;
            hash = (hash ^ n) * 0x100000001b3ull;
        }
    }
    printf("primes below %lu: %lu (fnv %016llx)\n", limit, count, (unsigned long long)hash);
}

static void cmd_mount(int argc, char **argv)
{
    const char *dev = argc > 1 ? argv[1] : "/dev/vda";
    const char *dir = argc > 2 ? argv[2] : "/mnt";
    const char *type = argc > 3 ? argv[3] : "ext2";
    mkdir(dir, 0755);
    if (mount(dev, dir, type, 0, NULL) == 0) {
        printf("mounted %s on %s (%s)\n", dev, dir, type);
        return;
    }
    /* A write-protected disk: read-only then, as util-linux's mount does. */
    if ((errno == EACCES || errno == EROFS) && mount(dev, dir, type, MS_RDONLY, NULL) == 0) {
        printf("mounted %s on %s (%s, read-only)\n", dev, dir, type);
        return;
    }
    printf("mount: %s on %s: %s\n", dev, dir, strerror(errno));
}

static void cmd_umount(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/mnt";
    if (umount(dir) != 0)
        printf("umount: %s: %s\n", dir, strerror(errno));
    else
        printf("unmounted %s\n", dir);
}

static void cmd_uname(void)
{
    struct utsname u;
    if (uname(&u) == 0)
        printf("%s %s %s\n", u.sysname, u.release, u.machine);
}

static void cmd_poweroff(void)
{
    sync();
    printf("init: powering off\n");
    fflush(stdout);
    reboot(RB_POWER_OFF);
    printf("poweroff: %s\n", strerror(errno));
}

static void run(int argc, char **argv)
{
    const char *c = argv[0];
    if (strcmp(c, "echo") == 0)
        cmd_echo(argc, argv);
    else if (strcmp(c, "cat") == 0)
        cmd_cat(argc, argv);
    else if (strcmp(c, "ls") == 0)
        cmd_ls(argc, argv);
    else if (strcmp(c, "work") == 0)
        cmd_work(argc, argv);
    else if (strcmp(c, "mount") == 0)
        cmd_mount(argc, argv);
    else if (strcmp(c, "umount") == 0)
        cmd_umount(argc, argv);
    else if (strcmp(c, "sync") == 0) {
        sync();
        printf("synced\n");
    } else if (strcmp(c, "uname") == 0)
        cmd_uname();
    else if (strcmp(c, "exit") == 0) {
        int code = argc > 1 ? atoi(argv[1]) : 0;
        printf("init: exiting with %d\n", code);
        fflush(stdout);
        exit(code);
    } else if (strcmp(c, "poweroff") == 0)
        cmd_poweroff();
    else
        printf("unknown command: %s\n", c);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    try_mount("proc", "/proc", "proc");
    try_mount("sysfs", "/sys", "sysfs");
    try_mount("devtmpfs", "/dev", "devtmpfs");
    printf("ospite init: Linux userspace is up\n");
    cmd_uname();

    char line[1024];
    for (;;) {
        printf("ospite# ");
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin)) {
            /* No console input at all (end of file): nothing more will come. */
            cmd_poweroff();
            return 0;
        }
        char *argv[MAX_ARGS + 1];
        int argc = 0;
        for (char *tok = strtok(line, " \t\r\n"); tok && argc < MAX_ARGS;
             tok = strtok(NULL, " \t\r\n"))
            argv[argc++] = tok;
        argv[argc] = NULL;
        if (argc > 0)
            run(argc, argv);
        fflush(stdout);
    }
}
