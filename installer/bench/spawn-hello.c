/* Benchmark driver: starts a native-messaging host N times the way a browser does (argv + pipes),
 * sends one framed hello, waits for the framed answer, closes stdin and reaps the host.
 * Prints the median, min and max spawn->answer time in ms; with -r also the host's idle RSS (KiB)
 * read from /proc after the answer and a 2 s pause (no further requests). Not a test: no asserts. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static const char HELLO[] = "{\"id\":\"1\",\"op\":\"hello\",\"origin\":\"cardbridge:extension\",\"params\":{}}";

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int read_full(int fd, void *buf, size_t n) {
    size_t off = 0;
    while (off < n) {
        ssize_t r = read(fd, (char *) buf + off, n - off);
        if (r <= 0) return -1;
        off += (size_t) r;
    }
    return 0;
}

/* One field of /proc/<pid>/status in KiB: VmRSS (all resident pages) or RssAnon (private memory only;
 * the rest is file-backed and shared: the JVM library, the AOT cache, the runtime's modules). */
static long status_kib(pid_t pid, const char *field) {
    char path[64], line[256], fmt[64];
    long kib = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
    snprintf(fmt, sizeof fmt, "%s: %%ld", field);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, fmt, &kib) == 1) break;
    fclose(f);
    return kib;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int rss = 0, argi = 1;
    if (argc > 1 && strcmp(argv[1], "-r") == 0) { rss = 1; argi++; }
    if (argc - argi < 2) { fprintf(stderr, "usage: spawn-hello [-r] N host [args...]\n"); return 2; }
    int n = atoi(argv[argi]);
    char **cmd = argv + argi + 1;
    double *t = calloc((size_t) n, sizeof *t);
    long rss_sum = 0, anon_sum = 0;
    for (int i = 0; i < n; i++) {
        int in[2], out[2];
        if (pipe(in) || pipe(out)) { perror("pipe"); return 1; }
        double start = now_ms();
        pid_t pid = fork();
        if (pid == 0) {
            dup2(in[0], 0); dup2(out[1], 1);
            close(in[0]); close(in[1]); close(out[0]); close(out[1]);
            execv(cmd[0], cmd);
            perror("exec");
            _exit(127);
        }
        close(in[0]); close(out[1]);
        uint32_t len = (uint32_t) strlen(HELLO);
        if (write(in[1], &len, 4) != 4 || write(in[1], HELLO, len) != (ssize_t) len) { perror("write"); return 1; }
        uint32_t rlen;
        if (read_full(out[0], &rlen, 4) || rlen > (1u << 20)) { fprintf(stderr, "no answer\n"); return 1; }
        char *reply = malloc(rlen + 1);
        if (read_full(out[0], reply, rlen)) { fprintf(stderr, "short answer\n"); return 1; }
        t[i] = now_ms() - start;
        reply[rlen] = 0;
        if (!strstr(reply, "\"result\"")) { fprintf(stderr, "not a result: %s\n", reply); return 1; }
        free(reply);
        if (rss) {
            sleep(2);
            rss_sum += status_kib(pid, "VmRSS");
            anon_sum += status_kib(pid, "RssAnon");
        }
        close(in[1]);
        int status;
        waitpid(pid, &status, 0);
        close(out[0]);
    }
    qsort(t, (size_t) n, sizeof *t, cmp);
    printf("median_ms=%.1f min_ms=%.1f max_ms=%.1f runs=%d samples_ms=", t[n / 2], t[0], t[n - 1], n);
    for (int i = 0; i < n; i++) printf("%s%.2f", i ? "," : "", t[i]);
    if (rss) printf(" idle_rss_kib=%ld idle_anon_kib=%ld", rss_sum / n, anon_sum / n);
    printf("\n");
    return 0;
}
