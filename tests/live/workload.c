/*
 * The live tests' workload: a fixed sequence of syscalls whose events the tests check, one
 * by one, against what the probe reports and against strace. Usage: workload DIR
 *
 * 1. creates DIR/data.txt, writes "peregrine-live-test\n", closes it;
 * 2. renames it to DIR/data2.txt and unlinks that;
 * 3. starts a TCP server on 127.0.0.1 (port chosen by the kernel), connects to it, accepts;
 * 4. starts a thread that calls getppid() and writes "thread\n" to /dev/null;
 * 5. calls setuid(-1), which fails with EINVAL;
 * 6. forks a child that execs /bin/true with arguments, and waits for it.
 *
 * Usage: workload --loop N: waits for a line on stdin, then calls getppid() N times.
 *        workload --rw N: likewise, then reads a byte from /dev/zero and writes it to
 *        /dev/null, N times.
 *        workload --net N: likewise, then sends a byte over a connected UDP socket on
 *        127.0.0.1 with sendto() and takes it with recvfrom(), N times.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void *thread_main(void *arg)
{
	(void)arg;
	getppid();
	int fd = open("/dev/null", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "thread\n", 7) < 0)
			perror("write");
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--loop") == 0) {
		char c;
		if (read(0, &c, 1) != 1)
			return 2;
		long n = atol(argv[2]);
		for (long i = 0; i < n; i++)
			getppid();
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--rw") == 0) {
		char c;
		int in = open("/dev/zero", O_RDONLY), out = open("/dev/null", O_WRONLY);
		if (in < 0 || out < 0 || read(0, &c, 1) != 1)
			return 2;
		long n = atol(argv[2]);
		for (long i = 0; i < n; i++) {
			if (read(in, &c, 1) != 1 || write(out, &c, 1) != 1)
				return 3;
		}
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--net") == 0) {
		char c = 'x';
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t alen = sizeof(a);
		int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
		if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    getsockname(rx, (struct sockaddr *)&a, &alen) != 0 ||
		    connect(tx, (struct sockaddr *)&a, sizeof(a)) != 0 || read(0, &c, 1) != 1)
			return 2;
		long n = atol(argv[2]);
		for (long i = 0; i < n; i++) {
			if (sendto(tx, &c, 1, 0, NULL, 0) != 1 || recvfrom(rx, &c, 1, 0, NULL, NULL) != 1)
				return 3;
		}
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	char path[4096], path2[4096];
	snprintf(path, sizeof(path), "%s/data.txt", argv[1]);
	snprintf(path2, sizeof(path2), "%s/data2.txt", argv[1]);

	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "peregrine-live-test\n", 20) != 20)
		return 3;
	close(fd);
	if (rename(path, path2) != 0 || unlink(path2) != 0)
		return 4;

	int srv = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	if (srv < 0 || bind(srv, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(srv, 1) != 0 ||
	    getsockname(srv, (struct sockaddr *)&a, &alen) != 0)
		return 5;
	int cli = socket(AF_INET, SOCK_STREAM, 0);
	if (cli < 0 || connect(cli, (struct sockaddr *)&a, sizeof(a)) != 0)
		return 6;
	int conn = accept(srv, NULL, NULL);
	if (conn < 0)
		return 7;
	close(conn);
	close(cli);
	close(srv);

	pthread_t t;
	if (pthread_create(&t, NULL, thread_main, NULL) != 0 || pthread_join(t, NULL) != 0)
		return 8;

	if (setuid((uid_t)-1) == 0)
		return 9;

	pid_t child = fork();
	if (child == 0) {
		execl("/bin/true", "true", "first-arg", "second-arg", (char *)NULL);
		_exit(127);
	}
	int status = 0;
	if (child < 0 || waitpid(child, &status, 0) != child || status != 0)
		return 10;
	return 0;
}
