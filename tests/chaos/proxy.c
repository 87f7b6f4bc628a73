/*
 * proxy.c — stepwise-chaos-proxy: a loopback TCP forwarder the chaos test
 * can cut, to play the branch's network link going down.
 *
 *   stepwise-chaos-proxy LISTEN_PORT_FILE TARGET_PORT
 *
 * Listens on 127.0.0.1:0, writes the port it got to LISTEN_PORT_FILE, and
 * forwards every connection to 127.0.0.1:TARGET_PORT. SIGUSR1 cuts the
 * link: every connection is reset and new ones are refused until SIGUSR2
 * restores it. SIGTERM ends it. Kiosks see exactly what a pulled cable
 * looks like to ZeroMQ: connections dropped mid-message, reconnects failing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAIRS 512

static volatile sig_atomic_t cut, done;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        cut = 1;
    else if (sig == SIGUSR2)
        cut = 0;
    else
        done = 1;
}

/* Closes fd with a reset rather than a FIN, as a dead link would. */
static void reset_close(int fd)
{
    struct linger l = {1, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

int main(int argc, char **argv)
{
    int pairs[MAX_PAIRS][2];
    int n = 0;
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof a;
    int one = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: stepwise-chaos-proxy PORT_FILE TARGET_PORT\n");
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (lfd < 0 ||
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(lfd, 128) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        fprintf(stderr, "chaos-proxy: cannot listen on 127.0.0.1: %s\n",
                strerror(errno));
        return 1;
    }
    FILE *f = fopen(argv[1], "w");
    if (!f || fprintf(f, "%u\n", ntohs(a.sin_port)) < 0 || fclose(f) != 0) {
        fprintf(stderr, "chaos-proxy: cannot write %s: %s\n", argv[1],
                strerror(errno));
        return 1;
    }
    struct sockaddr_in target = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)atoi(argv[2]))};
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    while (!done) {
        struct pollfd p[1 + 2 * MAX_PAIRS];
        int np = 0;

        if (cut) {
            for (int i = 0; i < n; i++) {
                reset_close(pairs[i][0]);
                reset_close(pairs[i][1]);
            }
            n = 0;
        }
        p[np++] = (struct pollfd){lfd, POLLIN, 0};
        for (int i = 0; i < n; i++) {
            p[np++] = (struct pollfd){pairs[i][0], POLLIN, 0};
            p[np++] = (struct pollfd){pairs[i][1], POLLIN, 0};
        }
        if (poll(p, (nfds_t)np, 100) < 0)
            continue; /* EINTR: a signal; look at cut again */
        if (p[0].revents & POLLIN) {
            int c = accept(lfd, NULL, NULL);
            if (c >= 0) {
                int s = -1;
                if (!cut && n < MAX_PAIRS &&
                    (s = socket(AF_INET, SOCK_STREAM, 0)) >= 0 &&
                    connect(s, (struct sockaddr *)&target, sizeof target) ==
                        0) {
                    pairs[n][0] = c;
                    pairs[n][1] = s;
                    n++;
                } else {
                    if (s >= 0)
                        close(s);
                    reset_close(c);
                }
            }
        }
        /* forward; a pair with a closed or failed side is dropped */
        for (int i = n - 1; i >= 0; i--) {
            for (int d = 0; d < 2; d++) {
                struct pollfd *q = &p[1 + 2 * i + d];
                if (!(q->revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                char buf[65536];
                ssize_t got = read(pairs[i][d], buf, sizeof buf);
                ssize_t off = 0;
                while (got > 0 && off < got) {
                    ssize_t w =
                        write(pairs[i][!d], buf + off, (size_t)(got - off));
                    if (w <= 0) {
                        got = -1;
                        break;
                    }
                    off += w;
                }
                if (got <= 0) {
                    close(pairs[i][0]);
                    close(pairs[i][1]);
                    pairs[i][0] = pairs[n - 1][0];
                    pairs[i][1] = pairs[n - 1][1];
                    n--;
                    break;
                }
            }
        }
    }
    for (int i = 0; i < n; i++) {
        close(pairs[i][0]);
        close(pairs[i][1]);
    }
    close(lfd);
    return 0;
}
