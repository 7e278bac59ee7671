// SPDX-License-Identifier: GPL-2.0-only
/*
 * init of the VMM test's guest: load edu_guest.ko, whose probe runs the
 * checks and prints their results, give the guest's SMMU driver time to
 * log the fault it reports, and power off.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	int fd;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	printf("@@guest init\n");
	fflush(stdout);
	fd = open("/edu_guest.ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0))
		printf("@@guest FAIL loading edu_guest.ko: %m\n");
	fflush(stdout);
	sleep(3);
	printf("@@guest done\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
