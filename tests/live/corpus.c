/*
 * Workloads of tests/live_diff.rs, the differential corpus: each is captured live with
 * `peregrine -w` and the file is then read by Peregrine and by sysdig. Usage: corpus MODE.
 *
 * server:    a multi-threaded server on loopback: a TCP listener served by one thread
 *            (accept, read, echo, close), a UDP socket served by another (recvfrom, sendto)
 *            and an IPv6 UDP socket by a third (recvmsg, sendmsg). Three client processes
 *            each connect over TCP and exchange a line; send a datagram and read the
 *            answer, with sendto/recvfrom, with a connected socket and send/recv, or over
 *            IPv6 with sendmsg/recvmsg.
 * lifecycle: children that end in many ways: exit(3); killed by SIGKILL; vfork and exec of
 *            /bin/true; an exec that fails (ENOENT) and _exit(127); /bin/sh -c 'exit 5';
 *            a thread that ends with pthread_exit; a thread that execs /bin/true (the
 *            kernel ends the other threads); an orphan whose parent exits first.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLIENTS 3

static int tcp_fd, udp_fd, udp6_fd;
static struct sockaddr_in tcp_addr, udp_addr;
static struct sockaddr_in6 udp6_addr;

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void *serve_tcp(void *arg)
{
	(void)arg;
	for (int i = 0; i < CLIENTS; i++) {
		int c = accept(tcp_fd, NULL, NULL);
		if (c < 0)
			die("accept");
		char buf[64];
		ssize_t n = read(c, buf, sizeof(buf));
		if (n > 0 && write(c, buf, n) != n)
			die("write");
		close(c);
	}
	return NULL;
}

static void *serve_udp(void *arg)
{
	(void)arg;
	/* Two clients send over IPv4, the third over IPv6. */
	for (int i = 0; i < CLIENTS - 1; i++) {
		char buf[64];
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(udp_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n < 0 || sendto(udp_fd, buf, n, 0, (struct sockaddr *)&from, len) != n)
			die("udp echo");
	}
	return NULL;
}

static void *serve_udp6(void *arg)
{
	(void)arg;
	char buf[64];
	struct sockaddr_in6 from;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			    .msg_iovlen = 1 };
	ssize_t n = recvmsg(udp6_fd, &m, 0);
	if (n < 0)
		die("recvmsg");
	iov.iov_len = n;
	if (sendmsg(udp6_fd, &m, 0) != n)
		die("sendmsg");
	return NULL;
}

static void client(int i)
{
	char line[32], back[64];
	int n = snprintf(line, sizeof(line), "hello from client %d\n", i);

	int t = socket(AF_INET, SOCK_STREAM, 0);
	if (t < 0 || connect(t, (struct sockaddr *)&tcp_addr, sizeof(tcp_addr)) != 0)
		die("tcp connect");
	if (write(t, line, n) != n || read(t, back, sizeof(back)) != n)
		die("tcp exchange");
	close(t);

	if (i == 0) {
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		if (sendto(u, line, n, 0, (struct sockaddr *)&udp_addr, sizeof(udp_addr)) != n ||
		    recvfrom(u, back, sizeof(back), 0, NULL, NULL) != n)
			die("udp sendto");
		close(u);
	} else if (i == 1) {
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		if (connect(u, (struct sockaddr *)&udp_addr, sizeof(udp_addr)) != 0 ||
		    send(u, line, n, 0) != n || recv(u, back, sizeof(back), 0) != n)
			die("udp send");
		close(u);
	} else {
		int u = socket(AF_INET6, SOCK_DGRAM, 0);
		struct iovec iov = { line, (size_t)n };
		struct msghdr m = { .msg_name = &udp6_addr, .msg_namelen = sizeof(udp6_addr),
				    .msg_iov = &iov, .msg_iovlen = 1 };
		if (u < 0 || sendmsg(u, &m, 0) != n)
			die("udp6 sendmsg");
		struct iovec in = { back, sizeof(back) };
		struct msghdr r = { .msg_iov = &in, .msg_iovlen = 1 };
		if (recvmsg(u, &r, 0) != n)
			die("udp6 recvmsg");
		close(u);
	}
}

static int bound(int domain, int type, void *addr, socklen_t len)
{
	int fd = socket(domain, type, 0);
	if (fd < 0 || bind(fd, addr, len) != 0 || getsockname(fd, addr, &len) != 0)
		die("bind");
	return fd;
}

static int server(void)
{
	tcp_addr.sin_family = udp_addr.sin_family = AF_INET;
	tcp_addr.sin_addr.s_addr = udp_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	udp6_addr.sin6_family = AF_INET6;
	udp6_addr.sin6_addr = in6addr_loopback;
	tcp_fd = bound(AF_INET, SOCK_STREAM, &tcp_addr, sizeof(tcp_addr));
	if (listen(tcp_fd, CLIENTS) != 0)
		die("listen");
	udp_fd = bound(AF_INET, SOCK_DGRAM, &udp_addr, sizeof(udp_addr));
	udp6_fd = bound(AF_INET6, SOCK_DGRAM, &udp6_addr, sizeof(udp6_addr));

	pthread_t th[3];
	pthread_create(&th[0], NULL, serve_tcp, NULL);
	pthread_create(&th[1], NULL, serve_udp, NULL);
	pthread_create(&th[2], NULL, serve_udp6, NULL);
	for (int i = 0; i < CLIENTS; i++) {
		pid_t p = fork();
		if (p == 0) {
			client(i);
			_exit(0);
		}
		int st;
		if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			die("client");
	}
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	return 0;
}

static void *thread_exit(void *arg)
{
	(void)arg;
	getppid();
	pthread_exit(NULL);
}

static void *thread_exec(void *arg)
{
	(void)arg;
	execl("/bin/true", "true", "from-a-thread", (char *)NULL);
	_exit(126);
}

static void *thread_sleep(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

/* Waits for `p` and checks how it ended: `code` >= 0 an exit code, else a signal. */
static void reap(pid_t p, int code)
{
	int st;
	if (waitpid(p, &st, 0) != p)
		die("waitpid");
	int ok = code >= 0 ? WIFEXITED(st) && WEXITSTATUS(st) == code
			   : WIFSIGNALED(st) && WTERMSIG(st) == -code;
	if (!ok) {
		fprintf(stderr, "child %d ended with status %#x\n", p, st);
		exit(2);
	}
}

static int lifecycle(void)
{
	pid_t p = fork();
	if (p == 0)
		exit(3);
	reap(p, 3);

	p = fork();
	if (p == 0) {
		pause();
		_exit(0);
	}
	kill(p, SIGKILL);
	reap(p, -SIGKILL);

	p = vfork();
	if (p == 0) {
		execl("/bin/true", "true", "after-vfork", (char *)NULL);
		_exit(126);
	}
	reap(p, 0);

	p = fork();
	if (p == 0) {
		execl("/nonexistent/pg-corpus", "nothing", (char *)NULL);
		_exit(127);
	}
	reap(p, 127);

	p = fork();
	if (p == 0) {
		execl("/bin/sh", "sh", "-c", "exit 5", (char *)NULL);
		_exit(126);
	}
	reap(p, 5);

	pthread_t t;
	pthread_create(&t, NULL, thread_exit, NULL);
	pthread_join(t, NULL);

	p = fork();
	if (p == 0) {
		pthread_t a, b;
		pthread_create(&a, NULL, thread_sleep, NULL);
		pthread_create(&b, NULL, thread_exec, NULL);
		pause();
		_exit(126);
	}
	reap(p, 0);

	/* The orphan: its parent exits at once, it outlives it by a little. */
	int ready[2];
	if (pipe(ready) != 0)
		die("pipe");
	p = fork();
	if (p == 0) {
		if (fork() == 0) {
			char c;
			close(ready[1]);
			if (read(ready[0], &c, 1) < 0)
				_exit(2);
			usleep(50 * 1000);
			_exit(0);
		}
		_exit(0);
	}
	reap(p, 0);
	close(ready[0]);
	close(ready[1]);
	usleep(200 * 1000);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "server") == 0)
		return server();
	if (argc == 2 && strcmp(argv[1], "lifecycle") == 0)
		return lifecycle();
	fprintf(stderr, "usage: corpus server|lifecycle\n");
	return 2;
}
