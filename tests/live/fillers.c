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
 * proc:  chdir DIR, open a.txt; mkdir sub, fchdir into it, open b.txt; setsid; a child
 *        that calls setpgid(0, 0); setgid(0), setresgid(-1, 1234, -1), setregid(-1, 4321),
 *        setreuid(-1, 4321), setresuid(-1, 0, -1), each followed by getppid() (a marker
 *        whose event shows the ids in force); capset dropping CAP_NET_RAW from the
 *        effective set, then restoring it; prctl PR_SET_NAME (same name), PR_GET_NAME,
 *        PR_SET_CHILD_SUBREAPER 1, PR_GET_CHILD_SUBREAPER; unshare(CLONE_NEWUTS), setns
 *        back into the original UTS namespace; chroot DIR.
 * files: creat DIR/c.txt and write to it; openat2 it with RESOLVE_NO_SYMLINKS and read;
 *        mkdir d1, mkdirat d2, rmdir d1; link l1, linkat l2, symlink s1, symlinkat s2;
 *        chmod, fchmod, fchmodat; chown, fchown, fchownat (AT_SYMLINK_NOFOLLOW), lchown; in
 *        a private mount namespace, mount a tmpfs on d2 and umount2 it (MNT_DETACH); kill,
 *        tkill, tgkill of itself with SIGUSR1 (ignored); a child that asks to be traced and
 *        stops, PTRACE_PEEKDATA of a word (0x5ca1ab1e) and PTRACE_CONT with signal 0.
 * io:    on DIR/io.txt: pwrite64 at 100 and pread64 back, writev, readv, pwritev at 200 and
 *        preadv back, sendfile of 10 bytes into DIR/copy.txt; over loopback UDP: sendto
 *        and recvfrom, sendmsg and recvmsg, sendmmsg of two messages and recvmmsg; a unix
 *        stream socket at DIR/u.sock: connect, accept, send, recv;
 *        shutdown(SHUT_WR) of a socketpair end; setsockopt and getsockopt SO_RCVBUF,
 *        getsockopt SO_ERROR; 8 MiB made resident, an anonymous mmap, mprotect, a file
 *        mmap; ioctl FIONREAD;
 *        bpf BPF_MAP_CREATE (an array); init_module and finit_module of a file that is no
 *        module, delete_module of a module that does not exist (all three fail).
 * enter: waits for a line on stdin, then open DIR/t-open (O_CREAT|O_WRONLY, 0600), openat
 *        DIR/t-openat (O_CREAT|O_RDWR, 0640), openat2 of it (O_RDONLY,
 *        RESOLVE_NO_SYMLINKS), creat DIR/t-creat (0644), each closed; a loopback TCP
 *        server and a connect to it.
 * memfd: copies /bin/true into a memfd and executes it from there (execveat, AT_EMPTY_PATH)
 *        with the argument pg-memfd-run.
 * data:  on DIR/d.txt: write of 200 bytes ("0123456789" over and over), pwrite64 of them
 *        at 300, read of 200 and pread64 of 200 at 300 back, a read of 0 bytes, a read at
 *        the end of the file (res 0) and a read of fd -1 (EBADF); then the 200 bytes by
 *        sendto and recvfrom over loopback UDP, IPv4 then IPv6, and a sendto on fd -1
 *        (EBADF); the same capture is made at several snaplens.
 * reaper: becomes a child subreaper; a child forks a grandchild and exits, so the
 *        grandchild is adopted by this process; then kills and reaps the grandchild.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sched.h>

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

static void marker(void)
{
	syscall(SYS_getppid);
}

static int proc(const char *dir)
{
	int ns = open("/proc/self/ns/uts", O_RDONLY);
	if (ns < 0 || chdir(dir) != 0)
		return 3;
	int fd = open("a.txt", O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		return 4;
	close(fd);
	if (mkdir("sub", 0700) != 0)
		return 5;
	int d = open("sub", O_RDONLY | O_DIRECTORY);
	if (d < 0 || fchdir(d) != 0)
		return 6;
	close(d);
	fd = open("b.txt", O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		return 7;
	close(fd);

	if (setsid() != getpid())
		return 8;
	marker();
	pid_t child = fork();
	if (child == 0) {
		if (setpgid(0, 0) != 0)
			_exit(1);
		marker();
		_exit(0);
	}
	int status = 0;
	if (child < 0 || waitpid(child, &status, 0) != child || status != 0)
		return 9;

	if (setgid(0) != 0)
		return 10;
	marker();
	if (setresgid(-1, 1234, -1) != 0)
		return 11;
	marker();
	if (setregid(-1, 4321) != 0)
		return 12;
	marker();
	if (setreuid(-1, 4321) != 0)
		return 13;
	marker();
	/* The real uid is still 0: back to euid 0, which brings the effective capabilities
	 * back too. */
	if (setresuid(-1, 0, -1) != 0)
		return 14;
	marker();

	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct caps[2], dropped[2];
	if (syscall(SYS_capget, &h, caps) != 0)
		return 15;
	memcpy(dropped, caps, sizeof(caps));
	dropped[0].effective &= ~(1u << CAP_NET_RAW);
	if (syscall(SYS_capset, &h, dropped) != 0 || syscall(SYS_capset, &h, caps) != 0)
		return 16;

	char name[16] = {0};
	int reaper = 0;
	if (prctl(PR_SET_NAME, "pg-fillers") != 0 || prctl(PR_GET_NAME, name) != 0 ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1) != 0 || prctl(PR_GET_CHILD_SUBREAPER, &reaper) != 0)
		return 17;

	if (unshare(CLONE_NEWUTS) != 0 || setns(ns, CLONE_NEWUTS) != 0)
		return 18;
	close(ns);
	if (chroot(dir) != 0)
		return 19;
	return 0;
}

static unsigned long peek_me = 0x5ca1ab1e;

static int files(const char *dir)
{
	char c[4096], d1[4096], l1[4096], s1[4096], d2[4096];
	snprintf(c, sizeof(c), "%s/c.txt", dir);
	snprintf(d1, sizeof(d1), "%s/d1", dir);
	snprintf(d2, sizeof(d2), "%s/d2", dir);
	snprintf(l1, sizeof(l1), "%s/l1", dir);
	snprintf(s1, sizeof(s1), "%s/s1", dir);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	int fd = creat(c, 0640);
	if (dfd < 0 || fd < 0)
		return 3;
	put(fd, "creat.");
	struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_NO_SYMLINKS};
	int rfd = syscall(SYS_openat2, AT_FDCWD, c, &how, sizeof(how));
	char buf[8];
	if (rfd < 0 || read(rfd, buf, sizeof(buf)) < 0)
		return 4;
	close(rfd);
	if (mkdir(d1, 0755) != 0 || mkdirat(dfd, "d2", 0700) != 0 || rmdir(d1) != 0)
		return 5;
	if (link(c, l1) != 0 || linkat(AT_FDCWD, c, dfd, "l2", 0) != 0 ||
	    symlink("c.txt", s1) != 0 || symlinkat("c.txt", dfd, "s2") != 0)
		return 6;
	if (chmod(c, 0600) != 0 || fchmod(fd, 0644) != 0 || fchmodat(dfd, "c.txt", 04755, 0) != 0)
		return 7;
	if (chown(c, 1000, 1000) != 0 || fchown(fd, 0, 0) != 0 ||
	    fchownat(dfd, "s2", 1, 1, AT_SYMLINK_NOFOLLOW) != 0 || lchown(s1, 2, 2) != 0)
		return 8;
	close(fd);

	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return 9;
	if (mount("pg-tmpfs", d2, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0 ||
	    umount2(d2, MNT_DETACH) != 0)
		return 10;

	signal(SIGUSR1, SIG_IGN);
	if (kill(getpid(), SIGUSR1) != 0 || syscall(SYS_tkill, gettid(), SIGUSR1) != 0 ||
	    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1) != 0)
		return 11;

	pid_t child = fork();
	if (child == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		_exit(0);
	}
	int status = 0;
	if (child < 0 || waitpid(child, &status, 0) != child || !WIFSTOPPED(status))
		return 12;
	errno = 0;
	long word = ptrace(PTRACE_PEEKDATA, child, &peek_me, NULL);
	if (errno != 0 || word != (long)peek_me || ptrace(PTRACE_CONT, child, NULL, NULL) != 0)
		return 13;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return 14;
	return 0;
}

static int io(const char *dir)
{
	char path[4096], copy[4096], buf[64];
	snprintf(path, sizeof(path), "%s/io.txt", dir);
	snprintf(copy, sizeof(copy), "%s/copy.txt", dir);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	int out = open(copy, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	if (fd < 0 || out < 0)
		return 3;
	if (pwrite(fd, "pwrite-data.", 12, 100) != 12 || pread(fd, buf, 12, 100) != 12)
		return 4;
	struct iovec wv[2] = {{"wv-a.", 5}, {"wv-b.", 5}};
	if (writev(fd, wv, 2) != 10 || lseek(fd, 0, SEEK_SET) != 0)
		return 5;
	char r1[4], r2[4];
	struct iovec rv[2] = {{r1, 4}, {r2, 4}};
	if (readv(fd, rv, 2) != 8)
		return 6;
	struct iovec pv = {"pwv.", 4};
	char p1[4];
	struct iovec prv = {p1, 4};
	if (pwritev(fd, &pv, 1, 200) != 4 || preadv(fd, &prv, 1, 200) != 4)
		return 7;
	off_t off = 0;
	if (sendfile(out, fd, &off, 10) != 10)
		return 8;
	close(out);

	int srv = socket(AF_INET, SOCK_DGRAM, 0), cli = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	if (srv < 0 || cli < 0 || bind(srv, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(srv, (struct sockaddr *)&a, &alen) != 0)
		return 9;
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	if (sendto(cli, "udp-sendto.", 11, 0, (struct sockaddr *)&a, sizeof(a)) != 11 ||
	    recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) != 11)
		return 10;
	struct iovec mv[2] = {{"msg-a.", 6}, {"msg-b.", 6}};
	struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = mv, .msg_iovlen = 2};
	char rb[64];
	struct iovec riov = {rb, sizeof(rb)};
	struct sockaddr_in rfrom;
	struct msghdr rm = {.msg_name = &rfrom, .msg_namelen = sizeof(rfrom), .msg_iov = &riov,
			    .msg_iovlen = 1};
	if (sendmsg(cli, &m, 0) != 12 || recvmsg(srv, &rm, 0) != 12)
		return 11;
	struct iovec m1 = {"mmsg-one.", 9}, m2 = {"mmsg-two.", 9};
	struct mmsghdr mm[2] = {
		{.msg_hdr = {.msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = &m1, .msg_iovlen = 1}},
		{.msg_hdr = {.msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = &m2, .msg_iovlen = 1}},
	};
	if (sendmmsg(cli, mm, 2, 0) != 2)
		return 12;
	char b1[32], b2[32];
	struct iovec r1v = {b1, sizeof(b1)}, r2v = {b2, sizeof(b2)};
	struct mmsghdr rmm[2] = {
		{.msg_hdr = {.msg_iov = &r1v, .msg_iovlen = 1}},
		{.msg_hdr = {.msg_iov = &r2v, .msg_iovlen = 1}},
	};
	if (recvmmsg(srv, rmm, 2, MSG_WAITFORONE, NULL) < 1)
		return 13;

	/* A unix stream connection through a path: connect, accept, send, recv. */
	struct sockaddr_un ua = {.sun_family = AF_UNIX};
	snprintf(ua.sun_path, sizeof(ua.sun_path), "%s/u.sock", dir);
	int us = socket(AF_UNIX, SOCK_STREAM, 0), uc = socket(AF_UNIX, SOCK_STREAM, 0);
	if (us < 0 || uc < 0 || bind(us, (struct sockaddr *)&ua, sizeof(ua)) != 0 ||
	    listen(us, 1) != 0 || connect(uc, (struct sockaddr *)&ua, sizeof(ua)) != 0)
		return 21;
	int ul = accept(us, NULL, NULL);
	if (ul < 0 || send(uc, "unix-send.", 10, 0) != 10 || recv(ul, buf, sizeof(buf), 0) != 10)
		return 22;

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || shutdown(sv[0], SHUT_WR) != 0)
		return 14;
	int rcv = 65536, got = 0, err = -1;
	socklen_t glen = sizeof(got), elen = sizeof(err);
	if (setsockopt(srv, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) != 0 ||
	    getsockopt(srv, SOL_SOCKET, SO_RCVBUF, &got, &glen) != 0 ||
	    getsockopt(srv, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
		return 15;

	/* 8 MiB made resident first, for the memory sizes the mmap event reports. */
	static char resident[8 << 20];
	memset(resident, 1, sizeof(resident));
	void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ) != 0)
		return 16;
	void *fm = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (fm == MAP_FAILED)
		return 17;
	int n = 0;
	if (ioctl(sv[1], FIONREAD, &n) != 0)
		return 18;

	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	long map = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (map < 0)
		return 19;
	close((int)map);

	/* Module calls that fail: no module image, no such module. */
	if (syscall(SYS_init_module, "not-a-module", 12, "pg=1") == 0 ||
	    syscall(SYS_finit_module, fd, "pg=1", 0) == 0 ||
	    syscall(SYS_delete_module, "pg_no_such_module", O_NONBLOCK) == 0)
		return 20;
	return 0;
}

static int enter(const char *dir)
{
	char a[4096], b[4096], c[4096];
	snprintf(a, sizeof(a), "%s/t-open", dir);
	snprintf(b, sizeof(b), "%s/t-openat", dir);
	snprintf(c, sizeof(c), "%s/t-creat", dir);
	char line[8];
	if (read(0, line, sizeof(line)) <= 0)
		return 2;
	close_fd(syscall(SYS_open, a, O_CREAT | O_WRONLY, 0600));
	close_fd(openat(AT_FDCWD, b, O_CREAT | O_RDWR, 0640));
	struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_NO_SYMLINKS};
	close_fd(syscall(SYS_openat2, AT_FDCWD, b, &how, sizeof(how)));
	close_fd(creat(c, 0644));
	int srv = socket(AF_INET, SOCK_STREAM, 0), cli = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(sa);
	if (srv < 0 || cli < 0 || bind(srv, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(srv, 1) != 0 || getsockname(srv, (struct sockaddr *)&sa, &alen) != 0 ||
	    connect(cli, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return 3;
	return 0;
}

static int memfd_exec(void)
{
	int in = open("/bin/true", O_RDONLY), fd = memfd_create("pg-true", 0);
	char buf[65536];
	ssize_t n;
	if (in < 0 || fd < 0)
		return 2;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, n) != n)
			return 3;
	char *argv[] = {"true", "pg-memfd-run", NULL}, *envp[] = {NULL};
	syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
	return 4;
}

static int reaper(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		return 2;
	int link[2];
	if (pipe(link) != 0)
		return 3;
	pid_t child = fork();
	if (child == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0) {
			for (;;)
				pause();
		}
		write(link[1], &grandchild, sizeof(grandchild));
		_exit(0);
	}
	pid_t grandchild = 0;
	if (child < 0 || read(link[0], &grandchild, sizeof(grandchild)) != sizeof(grandchild) ||
	    waitpid(child, NULL, 0) != child)
		return 4;
	kill(grandchild, SIGKILL);
	return waitpid(grandchild, NULL, 0) == grandchild ? 0 : 5;
}

static int data(const char *dir)
{
	char path[4096], buf[200], back[200];
	snprintf(path, sizeof(path), "%s/d.txt", dir);
	for (int i = 0; i < 200; i++)
		buf[i] = '0' + i % 10;
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, 200) != 200 || pwrite(fd, buf, 200, 300) != 200)
		return 3;
	if (lseek(fd, 0, SEEK_SET) != 0 || read(fd, back, 200) != 200 ||
	    pread(fd, back, 200, 300) != 200)
		return 4;
	if (read(fd, back, 0) != 0 || lseek(fd, 0, SEEK_END) < 0 || read(fd, back, 200) != 0 ||
	    read(-1, back, 200) != -1)
		return 5;
	close(fd);
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr *addrs[2] = {(struct sockaddr *)&a4, (struct sockaddr *)&a6};
	socklen_t lens[2] = {sizeof(a4), sizeof(a6)};
	for (int i = 0; i < 2; i++) {
		int family = addrs[i]->sa_family;
		int srv = socket(family, SOCK_DGRAM, 0), cli = socket(family, SOCK_DGRAM, 0);
		socklen_t len = lens[i];
		struct sockaddr_in6 from;
		socklen_t flen = sizeof(from);
		if (srv < 0 || cli < 0 || bind(srv, addrs[i], len) != 0 ||
		    getsockname(srv, addrs[i], &len) != 0)
			return 6;
		if (sendto(cli, buf, 200, 0, addrs[i], len) != 200 ||
		    recvfrom(srv, back, 200, 0, (struct sockaddr *)&from, &flen) != 200)
			return 7;
		close(srv);
		close(cli);
	}
	if (sendto(-1, buf, 200, 0, addrs[0], lens[0]) != -1)
		return 8;
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
	if (strcmp(argv[1], "proc") == 0)
		return proc(argv[2]);
	if (strcmp(argv[1], "files") == 0)
		return files(argv[2]);
	if (strcmp(argv[1], "io") == 0)
		return io(argv[2]);
	if (strcmp(argv[1], "enter") == 0)
		return enter(argv[2]);
	if (strcmp(argv[1], "memfd") == 0)
		return memfd_exec();
	if (strcmp(argv[1], "reaper") == 0)
		return reaper();
	if (strcmp(argv[1], "data") == 0)
		return data(argv[2]);
	fprintf(stderr, "unknown mode %s\n", argv[1]);
	return 2;
}
