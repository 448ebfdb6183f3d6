/* fleetsim — what a program says for --version: fleetsim's version, the git revision it was
 * built from, the Meson build type and the versions of the libraries linked into it. */
#ifndef FLEETSIM_VERSION_H
#define FLEETSIM_VERSION_H

#include <stddef.h>

/* A library a program links besides the core's own (fleetsim-api: libmicrohttpd). Both
 * strings are borrowed. */
typedef struct fsim_library_version {
    const char *name;
    const char *version;
} fsim_library_version;

/* "0.1.0": the Meson project version. Static storage. */
const char *fsim_version(void);
/* `git describe --always --dirty --exclude=*` at build time ("0b898e5", "0b898e5-dirty"), or "unknown"
 * when the source was not a git checkout (an image build without .git). Static storage. */
const char *fsim_version_revision(void);

/* The --version text of `program`: its name and version, the revision, the build type (and
 * sanitizers), then one line per library — the core's, then `extra` (n_extra entries,
 * borrowed; may be NULL). Written into `buf` (truncated to `size`, NUL-terminated); returns
 * `buf`. */
char *fsim_version_text(const char *program, const fsim_library_version *extra,
                        size_t n_extra, char *buf, size_t size);

#endif
