/*
 * The floor for one durable hook on the real path (`--boot-device`): mount
 * the boot partition, append one record's worth of bytes in one write,
 * fdatasync once, unmount, exit. Nothing is read, checked or validated, no
 * mount namespace is entered, so no correct hook on an unmounted boot
 * partition can be faster than this, nor flush the device less.
 *
 * Built by benches/run.sh with `gcc -O2 -static`. Usage:
 *
 *   floor_mount DEVICE DIR FILE BYTES [OPTIONS]
 *
 * mounts ext4 from DEVICE on DIR with nosuid, nodev and noexec (as the
 * binary does) and the ext4 options OPTIONS (e.g. "noatime"; the words
 * noatime, relatime, strictatime and lazytime become mount flags), appends
 * BYTES to DIR/FILE, fdatasyncs it and unmounts DIR.
 *
 * With FLOOR_FLUSHES set to the device's /sys/block/DEV/stat, it prints how
 * many flush requests the device completed during each step:
 * "mount N fdatasync N umount N" (the 16th field of that file, "flush
 * I/Os").
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif

/* Moves the words of OPTIONS that are mount flags into *flags; the rest stay
 * in data for the file system. */
static void split_options(char *options, unsigned long *flags, char *data, size_t size)
{
    char *word;
    size_t used = 0;

    data[0] = '\0';
    for (word = strtok(options, ","); word != NULL; word = strtok(NULL, ",")) {
        if (strcmp(word, "noatime") == 0)
            *flags |= MS_NOATIME;
        else if (strcmp(word, "relatime") == 0)
            *flags |= MS_RELATIME;
        else if (strcmp(word, "strictatime") == 0)
            *flags |= MS_STRICTATIME;
        else if (strcmp(word, "lazytime") == 0)
            *flags |= MS_LAZYTIME;
        else if (used + strlen(word) + 2 < size) {
            if (used > 0)
                data[used++] = ',';
            strcpy(data + used, word);
            used += strlen(word);
        }
    }
}

/* Flushes the device completed so far, from its stat file (-1 without). */
static long long flushes(const char *stat)
{
    long long field[16];
    FILE *file;
    int i;

    if (stat == NULL || (file = fopen(stat, "r")) == NULL)
        return -1;
    for (i = 0; i < 16; i++)
        if (fscanf(file, "%lld", &field[i]) != 1)
            break;
    fclose(file);
    return i == 16 ? field[15] : -1;
}

int main(int argc, char **argv)
{
    const char *stat = getenv("FLOOR_FLUSHES");
    long long at[4];
    char record[4096], path[4096], data[1024];
    unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    long len;
    int fd, failed;

    if (argc != 5 && argc != 6)
        return 2;
    len = strtol(argv[4], NULL, 10);
    if (len <= 0 || len > (long)sizeof record)
        return 2;
    if (strlen(argv[2]) + strlen(argv[3]) + 2 > sizeof path)
        return 2;
    data[0] = '\0';
    if (argc == 6)
        split_options(argv[5], &flags, data, sizeof data);
    memset(record, 'r', (size_t)len);
    strcpy(path, argv[2]);
    strcat(path, "/");
    strcat(path, argv[3]);
    at[0] = flushes(stat);
    if (mount(argv[1], argv[2], "ext4", flags, data[0] ? data : NULL) != 0)
        return 1;
    at[1] = flushes(stat);
    fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    failed = fd < 0 || write(fd, record, (size_t)len) != len || fdatasync(fd) != 0 || close(fd) != 0;
    at[2] = flushes(stat);
    if (umount(argv[2]) != 0)
        return 1;
    at[3] = flushes(stat);
    if (stat != NULL)
        printf("mount %lld fdatasync %lld umount %lld\n", at[1] - at[0], at[2] - at[1], at[3] - at[2]);
    return failed;
}
