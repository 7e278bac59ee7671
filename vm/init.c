// SPDX-License-Identifier: GPL-2.0-only
/*
 * PID 1 of the test VM.
 *
 * Mounts the pseudo file systems, reserves huge pages for the selftests,
 * runs every suite named in /etc/suites (or the subset given on the kernel
 * command line as vsmmu.suites=a,b), reports the KUnit results that ran at
 * boot, asks kmemleak for a final scan and powers the VM off.  Everything
 * goes to the console between "@@vsmmu" marker lines that the host parses
 * (scripts/parse-results.py).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARK "@@vsmmu"
#define SUITE_TIMEOUT_S 1500
#define HUGEPAGES "80"

static char cmdline[4096];

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void do_mount(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) && errno != EBUSY)
		say("init: mount %s on %s: %s\n", type, dst, strerror(errno));
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static void cat_file(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	close(fd);
	fflush(stdout);
}

/* Print a file in hex between markers, for the host to capture. */
static void dump_hex(const char *path)
{
	unsigned char buf[16];
	ssize_t n, i;
	int fd = open(path, O_RDONLY);

	say(MARK " dump-begin %s\n", path);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			printf("%02x", buf[i]);
		printf("\n");
	}
	fflush(stdout);
	if (fd >= 0)
		close(fd);
	say(MARK " dump-end\n");
}

/* Value of "key=" on the kernel command line, or NULL. */
static const char *cmdline_get(const char *key)
{
	static char val[1024];
	size_t klen = strlen(key);
	const char *p = cmdline;

	while ((p = strstr(p, key))) {
		if ((p == cmdline || p[-1] == ' ') && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " \n");

			if (n >= sizeof(val))
				n = sizeof(val) - 1;
			memcpy(val, p + klen + 1, n);
			val[n] = 0;
			return val;
		}
		p += klen;
	}
	return NULL;
}

static int wanted(const char *name)
{
	const char *list = cmdline_get("vsmmu.suites");
	size_t n = strlen(name);
	const char *p;

	if (!list || !*list)
		return 1;
	for (p = list; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return 1;
	}
	return 0;
}

static pid_t child;

static void on_alarm(int sig)
{
	(void)sig;
	if (child > 0)
		kill(-child, SIGKILL);
}

/* Run one program as its own process group with a time limit. */
static int run(char *const argv[], int timeout_s)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int status;
	pid_t pid;

	sigaction(SIGALRM, &sa, NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		setpgid(0, 0);
		execv(argv[0], argv);
		say("init: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	child = pid;
	setpgid(pid, pid);
	alarm(timeout_s);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	alarm(0);
	child = 0;
	if (WIFSIGNALED(status)) {
		say("init: %s killed by signal %d%s\n", argv[0], WTERMSIG(status),
		    WTERMSIG(status) == SIGKILL ? " (time limit)" : "");
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

static void run_suite(const char *name, char *prog)
{
	char *argv[] = { prog, NULL };
	time_t t0 = time(NULL);
	int rc;

	say("\n" MARK " suite-begin %s\n", name);
	rc = run(argv, SUITE_TIMEOUT_S);
	say(MARK " suite-end %s rc=%d seconds=%ld\n", name, rc,
	    (long)(time(NULL) - t0));
}

/* KUnit suites ran during boot; their KTAP results sit in debugfs. */
static void report_kunit(void)
{
	const char *base = "/sys/kernel/debug/kunit";
	struct dirent *d;
	char path[512];
	DIR *dir;

	if (!wanted("kunit"))
		return;
	say("\n" MARK " suite-begin kunit\n");
	dir = opendir(base);
	if (dir) {
		while ((d = readdir(dir))) {
			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/results", base,
				 d->d_name);
			cat_file(path);
		}
		closedir(dir);
	} else {
		say("init: %s: %s\n", base, strerror(errno));
	}
	say(MARK " suite-end kunit rc=%d seconds=0\n", dir ? 0 : 1);
}

/* Leaks show up in the console log, where the host fails the run. */
static void kmemleak_scan(void)
{
	const char *f = "/sys/kernel/debug/kmemleak";

	if (access(f, F_OK))
		return;
	say("\n" MARK " kmemleak-scan\n");
	/* Objects younger than ~5 s are not reported; scan twice as advised. */
	sleep(6);
	write_file(f, "scan");
	sleep(1);
	write_file(f, "scan");
	cat_file(f);
	say(MARK " kmemleak-done\n");
}

int main(void)
{
	char line[512];
	FILE *plan;
	int fd;

	do_mount("proc", "/proc", "proc");
	do_mount("sysfs", "/sys", "sysfs");
	do_mount("devtmpfs", "/dev", "devtmpfs");
	do_mount("debugfs", "/sys/kernel/debug", "debugfs");
	do_mount("tmpfs", "/tmp", "tmpfs");
	do_mount("hugetlbfs", "/dev/hugepages", "hugetlbfs");
	setenv("PATH", "/tests:/bin", 1);
	setenv("HOME", "/tmp", 1);

	fd = open("/proc/cmdline", O_RDONLY);
	if (fd >= 0) {
		if (read(fd, cmdline, sizeof(cmdline) - 1) < 0)
			cmdline[0] = 0;
		close(fd);
	}
	/* The iommufd hugepage variants need 2M pages reserved up front. */
	if (write_file("/proc/sys/vm/nr_hugepages", HUGEPAGES))
		say("init: cannot reserve huge pages\n");
	say(MARK " boot-done nr_hugepages=");
	cat_file("/proc/sys/vm/nr_hugepages");

	if (cmdline_get("vsmmu.dump")) {
		dump_hex(cmdline_get("vsmmu.dump"));
		sync();
		reboot(RB_POWER_OFF);
		return 0;
	}
	if (cmdline_get("vsmmu.bench")) {
		/*
		 * Thousands of devices come and go: keep their info lines off
		 * the slow serial console (warnings still reach it).
		 */
		if (write_file("/proc/sys/kernel/printk", "5"))
			say("init: cannot quieten the console\n");
		run_suite("bench", "/tests/bench_vsmmu");
		sync();
		reboot(RB_POWER_OFF);
		return 0;
	}
	if (cmdline_get("vsmmu.demo")) {
		run_suite("demo", "/tests/demo_vsmmu");
		kmemleak_scan();
		say(MARK " all-done\n");
		sync();
		reboot(RB_POWER_OFF);
		return 0;
	}
	report_kunit();
	plan = fopen("/etc/suites", "r");
	while (plan && fgets(line, sizeof(line), plan)) {
		char *name = strtok(line, " \t\n");
		char *prog = strtok(NULL, " \t\n");

		if (!name || name[0] == '#' || !prog)
			continue;
		if (wanted(name))
			run_suite(name, prog);
	}
	if (plan)
		fclose(plan);
	kmemleak_scan();
	say(MARK " all-done\n");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
