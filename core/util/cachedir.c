/* Where fleetsim keeps what it can compute or fetch again: the one rule for the cache folder
 * (FLEETSIM_CACHE_DIR, else the XDG cache folder), shared by the services' answer cache and
 * the parsed-route cache, and a mkdir -p for the folders under it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <fleetsim/settings.h>
#include <fleetsim/util.h>

const char *fsim_cache_dir(char *buf, size_t size)
{
    const char *dir = fsim_setting_text(FSIM_SETTING_CACHE_DIR);
    if (dir)
        return dir;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n = -1;
    if (xdg && xdg[0])
        n = snprintf(buf, size, "%s/fleetsim", xdg);
    else if (home && home[0])
        n = snprintf(buf, size, "%s/.cache/fleetsim", home);
    return n > 0 && (size_t)n < size ? buf : NULL;
}

/* Why recursive rather than a loop over the slashes: the usual case is that the folder or
 * its parent exists, and this tries the folder itself first (one mkdir call). */
int fsim_make_dirs(const char *dir, unsigned mode)
{
    if (mkdir(dir, (mode_t)mode) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return -1;
    char *parent = strdup(dir);
    if (!parent)
        return -1;
    char *slash = strrchr(parent, '/');
    int rc = -1;
    if (slash && slash != parent) {
        *slash = '\0';
        rc = fsim_make_dirs(parent, mode);
    }
    free(parent);
    return rc == 0 && (mkdir(dir, (mode_t)mode) == 0 || errno == EEXIST) ? 0 : -1;
}
