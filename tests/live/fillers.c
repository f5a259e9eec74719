/*
 * Workload of tests/live_fillers.rs: one family of syscalls per mode, made in a fixed order
 * with fixed arguments, so the test can check each event's arguments and the state that
 * follows. Usage: fillers MODE DIR (DIR: an empty scratch directory).
 *
 * fds:   open DIR/file.txt, dup, dup2 to 100, dup3 to 101 with O_CLOEXEC, fcntl
 *        F_DUPFD_CLOEXEC from 200, writing once through each copy; pipe, pipe2, socketpair
 *        (writing into each); eventfd, eventfd2, signalfd, signalfd4, timerfd_create,
 *        inotify_init, inotify_init1, epoll_create, epoll_create1, memfd_create, userfaultfd,
 *        io_uring_setup, each fd closed right away.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void put(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		perror("write");
}

static void close_fd(long fd)
{
	if (fd >= 0)
		close((int)fd);
}

static int fds(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/file.txt", dir);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd < 0)
		return 3;
	int d = dup(fd);
	put(d, "dup.");
	if (dup2(fd, 100) != 100)
		return 4;
	put(100, "dup2.");
	if (dup3(fd, 101, O_CLOEXEC) != 101)
		return 5;
	put(101, "dup3.");
	if (fcntl(fd, F_DUPFD_CLOEXEC, 200) != 200)
		return 6;
	put(200, "fcntl.");
	close(d);
	close(100);
	close(101);
	close(200);
	close(fd);

	int p[2], q[2], sv[2];
	/* glibc's pipe() is pipe2(p, 0): the pipe syscall itself, directly. */
	if (syscall(SYS_pipe, p) != 0)
		return 7;
	put(p[1], "pipe.");
	if (pipe2(q, O_CLOEXEC | O_NONBLOCK) != 0)
		return 8;
	put(q[1], "pipe2.");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 9;
	put(sv[0], "socketpair.");
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	close(sv[0]);
	close(sv[1]);

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	close_fd(syscall(SYS_eventfd, 5));
	close_fd(syscall(SYS_eventfd2, 7, O_NONBLOCK | O_CLOEXEC));
	close_fd(syscall(SYS_signalfd, -1, &mask, 8));
	close_fd(syscall(SYS_signalfd4, -1, &mask, 8, O_CLOEXEC));
	close_fd(syscall(SYS_timerfd_create, CLOCK_MONOTONIC, O_NONBLOCK));
	close_fd(syscall(SYS_inotify_init));
	close_fd(syscall(SYS_inotify_init1, O_CLOEXEC));
	close_fd(syscall(SYS_epoll_create, 16));
	close_fd(syscall(SYS_epoll_create1, O_CLOEXEC));
	close_fd(syscall(SYS_memfd_create, "pg-memfd", 1 /* MFD_CLOEXEC */));
	close_fd(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
	/* struct io_uring_params: 120 bytes, zeroed: a plain ring of 4 entries. */
	unsigned int params[30] = {0};
	close_fd(syscall(SYS_io_uring_setup, 4, params));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s MODE DIR\n", argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "fds") == 0)
		return fds(argv[2]);
	fprintf(stderr, "unknown mode %s\n", argv[1]);
	return 2;
}
