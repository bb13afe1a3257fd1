/*
 * The floor for one durable hook: open the journal, append one record's
 * worth of bytes in one write, fdatasync once, exit. Nothing is read,
 * checked or validated, so no correct hook can be faster than this.
 *
 * Built by benches/run.sh with `gcc -O2 -static`, so not even a dynamic
 * loader runs. Usage: floor FILE BYTES
 *
 * With BYTES 0 it exits at once, touching nothing: what starting a process
 * costs, the part of the floor that is not the write and the flush.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char record[4096];
    long len;
    int fd;

    if (argc != 3)
        return 2;
    len = strtol(argv[2], NULL, 10);
    if (len < 0 || len > (long)sizeof record)
        return 2;
    if (len == 0)
        return 0;
    memset(record, 'r', (size_t)len);
    fd = open(argv[1], O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return 1;
    if (write(fd, record, (size_t)len) != len)
        return 1;
    if (fdatasync(fd) != 0)
        return 1;
    return close(fd) != 0;
}
